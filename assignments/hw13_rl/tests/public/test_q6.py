import torch

from autograder.runtime import probe_helpers
from autograder.testing import T1, probe


@probe
def figures(ns):
    Q = torch.tensor([[0.0, 0.5], [0.25, 1.0], [0.0, 0.0]], dtype=torch.float64)
    fig = ns.plot_grid_q({0.5: Q, 0.0: Q * 0})
    grid = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    fig = ns.plot_learning_curves(
        {"a": torch.tensor([[0.0, 1.0], [1.0, 2.0]], dtype=torch.float64)}
    )
    curves = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return {"grid": grid, "curves": curves}


def test_q6_figures(grade):
    grade.compare(figures, case="two γ panels; one method, 2 seeds × 2 episodes", **T1)
