import torch

from autograder.runtime import probe_helpers
from autograder.testing import T1, probe

H = torch.tensor([1.0, 0.5, 0.25], dtype=torch.float64)
W = torch.tensor([[1.0, -1.0, 2.0], [0.5, 0.0, -0.5]], dtype=torch.float64)
Z = torch.tensor([[0.3, -1.2, 0.8], [-0.4, 0.1, 1.5]], dtype=torch.float64)


@probe
def step_all_methods(ns, w, h, z):
    out = {}
    for method in ("sgd", "momentum", "ema", "precond"):
        w1, s1 = ns.nqm_step(w, {}, h, h, 0.5, 4, z, method, beta=0.9, gamma=0.8, p=0.5)
        w2, s2 = ns.nqm_step(w1, s1, h, h, 0.5, 4, -z, method, beta=0.9, gamma=0.8, p=0.5)
        out[method] = {"w1": w1, "w2": w2, "state2": dict(s2)}
    return out


@probe
def small_simulation(ns, h):
    torch.set_num_threads(1)
    w0 = torch.ones(3, dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    return ns.simulate_nqm(h, h, 0.5, 2, w0, 5, 8, gen, "momentum", beta=0.5)


@probe
def floor_figure(ns):
    curve = torch.tensor([1.0, 0.5, 0.3, 0.25], dtype=torch.float64)
    fig = ns.plot_noise_floor(
        {(0.1, 1): curve, (0.4, 8): curve / 2}, {(0.1, 1): 0.2, (0.4, 8): 0.1}
    )
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


def test_q1_steps(grade):
    grade.compare(step_all_methods, W, H, Z, case="two steps of each method from state {}", **T1)


def test_q1_simulation(grade):
    grade.compare(small_simulation, H, case="momentum β = 0.5: 8 runs, 5 steps, seed 0", **T1)


@probe
def one_coordinate(ns):
    torch.set_num_threads(1)
    h = torch.tensor([0.8], dtype=torch.float64)
    gen = torch.Generator().manual_seed(1)
    return ns.simulate_nqm(
        h, h, 0.5, 1, torch.ones(1, dtype=torch.float64), 4, 1, gen, "ema", gamma=0.5
    )


def test_q1_other_sizes(grade):
    # the size comes from h (here one coordinate, one run), never from a global
    grade.compare(one_coordinate, case="EMA γ = 0.5: d = 1, 1 run, 4 steps, seed 1", **T1)


def test_q1_figure(grade):
    grade.compare(floor_figure, case="two settings, 3 steps", **T1)
