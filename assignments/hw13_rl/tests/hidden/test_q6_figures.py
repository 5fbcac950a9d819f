import torch

from autograder.runtime import probe_helpers
from autograder.testing import T1, probe

F64 = torch.float64


@probe
def grid_fig(ns, gammas, Qs):
    fig = ns.plot_grid_q({float(g): Q for g, Q in zip(gammas, Qs)})
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


@probe
def curves_fig(ns, names, curves):
    fig = ns.plot_learning_curves(dict(zip(names, curves)))
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


def test_q6_grid_q(grade):
    for i, gen in grade.cases(3):
        S = 4 + i
        gammas = [0.9, 0.0, 0.5][: 2 + i % 2]  # not sorted: panels go in increasing γ
        Qs = [torch.rand(S, 2, generator=gen, dtype=F64) for _ in gammas]
        grade.compare_figure(
            grid_fig, gammas, Qs, case=f"{len(gammas)} values of γ, {S} states (case {i})", **T1
        )


def test_q6_learning_curves(grade):
    for i, gen in grade.cases(3):
        names = ["REINFORCE", "REINFORCE + baseline"][: 1 + i % 2]
        curves = [torch.rand(5, 10 + i, generator=gen, dtype=F64) for _ in names]
        grade.compare_figure(
            curves_fig,
            names,
            curves,
            case=f"{len(names)} methods, 5 seeds, {10 + i} episodes (case {i})",
            **T1,
        )
