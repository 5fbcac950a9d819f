import torch

from autograder import probe_helpers
from autograder.testing import T1, probe


@probe
def crossing_fig(ns, a, b):
    fig = ns.plot_crossing({"run A": a, "run B": b})
    out = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return out


@probe
def trials_fig(ns, results):
    fig = ns.plot_best_vs_trials(results)
    out = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return out


@probe
def profile_fig(ns, taus, rho, names):
    fig = ns.plot_profile(taus, rho, names)
    out = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return out


def test_q6_crossing(grade):
    for _, gen in grade.cases(3):
        T = int(torch.randint(10, 30, (1,), generator=gen))
        t = torch.arange(T, dtype=torch.float64)
        a = 1 / (1 + 0.3 * t) + 0.05 * torch.randn(T, generator=gen, dtype=torch.float64)
        b = 0.8 / (1 + 0.1 * t) + 0.05 * torch.randn(T, generator=gen, dtype=torch.float64)
        grade.compare(crossing_fig, a, b, case=f"two curves of length {T}", **T1)


def test_q6_best_vs_trials(grade):
    for _, gen in grade.cases(2):
        res = {
            f"{o}, {p}": (torch.rand(8, generator=gen, dtype=torch.float64) + 0.05).tolist()
            for o in ("sgd", "adam")
            for p in ("lr-only", "comprehensive")
        }
        grade.compare(trials_fig, res, case="4 studies × 8 trials", **T1)


def test_q6_profile(grade):
    for _, gen in grade.cases(2):
        taus = torch.tensor([1.0, 1.5, 2.0, 4.0, 8.0], dtype=torch.float64)
        rho = torch.rand(3, 5, generator=gen, dtype=torch.float64).cumsum(1) / 5
        grade.compare(
            profile_fig, taus, rho, ["sgd", "momentum", "adam"], case="3 solvers, 5 τ", **T1
        )
