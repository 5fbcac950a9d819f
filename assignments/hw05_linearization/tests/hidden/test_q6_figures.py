import torch

from autograder.testing import T1, probe, probe_helpers


@probe
def tangent_figure(ns, kind, a, xs):
    torch.set_num_threads(1)
    if kind == "cubic":
        fig = ns.plot_tangent(lambda x: 5 * x**3 - 2 * x + 7, lambda x: 15 * x**2 - 2, a, xs)
    else:
        fig = ns.plot_tangent(torch.sin, torch.cos, a, xs)
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


@probe
def error_figure(ns, items):
    torch.set_num_threads(1)
    fig = ns.plot_linearization_error({label: (hs, errs) for label, hs, errs in items})
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


def test_q6_tangent(grade):
    xs = torch.linspace(-1.0, 2.0, 31, dtype=torch.float64)
    grade.compare_figure(
        tangent_figure, "cubic", 1.0, xs, case="lecture case f = 5x³ − 2x + 7, a = 1", **T1
    )
    for _i, gen in grade.cases(2):
        a = float(torch.rand(1, generator=gen)) * 3 - 1.5
        xs = torch.linspace(-3.0, 3.0, 25, dtype=torch.float64)
        grade.compare_figure(tangent_figure, "sin", a, xs, case=f"f = sin, a = {a:.3f}", **T1)


def test_q6_error_figure(grade):
    for _i, gen in grade.cases(2):
        hs = torch.logspace(-4, -1, 8, dtype=torch.float64)
        smooth = hs**2 * (1 + 0.1 * torch.rand(8, generator=gen, dtype=torch.float64))
        items = [
            ["smooth f", hs, smooth],
            ["counterexample", hs, torch.full((8,), 0.5, dtype=torch.float64)],
        ]
        grade.compare_figure(error_figure, items, case="two curves and the slope-2 guide", **T1)
