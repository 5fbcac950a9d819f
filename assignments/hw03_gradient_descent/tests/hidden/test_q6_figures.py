import torch

from autograder.testing import T1, probe, probe_helpers


@probe
def zigzag_figure(ns, items):
    torch.set_num_threads(1)
    fig = ns.plot_zigzag({(k, s): p for k, s, p in items})
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


@probe
def convergence_figure(ns, by_step, by_kappa):
    torch.set_num_threads(1)
    fig = ns.plot_convergence(dict(by_step), dict(by_kappa))
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


def test_q6_zigzag(grade):
    for i, gen in grade.cases(2):
        items = [
            [kappa, scale, torch.randn(6, 2, generator=gen, dtype=torch.float64)]
            for kappa in (2.0, 50.0)
            for scale in (0.1, 1.8)
        ]
        grade.compare_figure(zigzag_figure, items, case=f"2×2 grid of paths (case {i})", **T1)


def test_q6_convergence(grade):
    for i, gen in grade.cases(2):
        by_step = [[s, torch.rand(8, generator=gen, dtype=torch.float64)] for s in (0.1, 1.0, 1.8)]
        by_kappa = [
            [k, torch.rand(8, generator=gen, dtype=torch.float64)] for k in (2.0, 10.0, 100.0)
        ]
        grade.compare_figure(
            convergence_figure, by_step, by_kappa, case=f"two panels (case {i})", **T1
        )
