import torch

from autograder.runtime import probe_helpers
from autograder.testing import T0, T1, probe

H = torch.tensor([1.0, 0.5, 0.25], dtype=torch.float64)
W0 = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
GRIDS = {
    "sgd": {"alpha": [0.1, 0.5, 1.5]},
    "momentum": {"alpha": [0.1, 0.5, 1.5], "beta": [0.5, 0.9]},
    "ema": {"alpha": [0.1, 0.5, 1.5], "gamma": [0.5, 0.9]},
    "precond": {"alpha": [0.1, 0.5, 1.5], "p": [0.5, 1.0]},
}


@probe
def steps(ns, h, w0, grids):
    out = {}
    for method, grid in grids.items():
        k, best = ns.steps_to_target(method, h, h, 8, w0, 0.1, grid, 200)
        out[method] = [int(k), {str(n): float(v) for n, v in dict(best).items()}]
    table = ns.regime_table([1, 64], h, h, w0, 0.1, grids, 200)
    out["table"] = {str(m): [int(s) for s in v] for m, v in dict(table).items()}
    return out


@probe
def steps_figure(ns):
    fig = ns.plot_steps_vs_batch([1, 16, 256], {"sgd": [300, 40, 20], "momentum": [310, 30, 8]})
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


# T0 on step counts holds on any CPU: over every setting, step and B ∈ {1, 8, 64} the
# closest total risk is 8.9e-4 (relative) away from the target 0.1, far above float64
# rounding, so no kernel or formulation can move a first hit.
def test_q6_steps(grade):
    grade.compare(
        steps, H, W0, GRIDS, case="B = 8, target 0.1, k_max = 200; table for B ∈ {1, 64}", **T0
    )


def test_q6_figure(grade):
    grade.compare(steps_figure, case="two methods, three batch sizes", **T1)
