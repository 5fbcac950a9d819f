import math

import torch

from autograder.runtime import probe_helpers
from autograder.testing import T0, T1, T2, probe

CURVE = torch.tensor([0.9, 0.7, 0.8, 0.4, 0.5, 0.3], dtype=torch.float64)


@probe
def ttr(ns, curve, target, mode):
    return float(ns.time_to_result(curve, target, None, mode))


@probe
def running_best(ns, curve):
    return ns.best_so_far(curve, "min")


@probe
def profile(ns, times, taus):
    return ns.performance_profile(times, taus)


@probe
def sample(ns, space, n, seed, method):
    return ns.sample_space(space, n, seed, method)


@probe
def trial(ns, opt_name, hp):
    torch.set_num_threads(1)
    r = ns.run_trial(opt_name, hp, ns.make_workload("breast_cancer", 0), 10, 5, 0)
    return {"val_curve": r["val_curve"], "steps_to_target": r["steps_to_target"]}


@probe
def trials_fig(ns):
    fig = ns.plot_best_vs_trials({"sgd": [0.5, 0.7, 0.3]})
    out = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return out


def test_q1_public(grade):
    grade.compare(ttr, CURVE, 0.45, "min", case="first index with loss ≤ 0.45", **T0)
    grade.compare(ttr, CURVE, 0.1, "min", case="never reached", **T0)
    grade.compare(ttr, CURVE, 0.4, "min", case="a point equal to the target counts", **T0)
    grade.compare(running_best, CURVE, case="best_so_far of a short curve", **T1)


def test_q2_public(grade):
    times = torch.tensor([[1.0, 3.0, math.inf], [2.0, 2.0, 4.0]], dtype=torch.float64)
    taus = torch.tensor([1.0, 1.5, 2.0, 4.0], dtype=torch.float64)
    grade.compare(profile, times, taus, case="2 solvers × 3 workloads", **T1)
    # the last workload: nobody solves it, so it counts as failed for both (ρ ≤ 2/3)
    unsolved = torch.tensor(
        [[1.0, 3.0, math.inf, math.inf], [2.0, 2.0, 4.0, math.inf]], dtype=torch.float64
    )
    grade.compare(
        profile, unsolved, taus, case="2 solvers × 4 workloads, one that nobody solves", **T1
    )


def test_q3_public(grade):
    space = {"lr": (1e-3, 1.0, "log"), "beta": (0.0, 1.0, "linear")}
    grade.compare(sample, space, 4, 0, "halton", case="4 Halton points, seed 0", **T1)


def test_q4_public(grade):
    grade.compare(
        trial, "momentum", {"lr": 0.1}, case="breast cancer, momentum lr 0.1, 10 steps", **T2
    )


def test_q6_public(grade):
    grade.compare(trials_fig, case="best-so-far of three trials", **T1)
