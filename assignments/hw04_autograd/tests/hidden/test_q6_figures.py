"""q6: the two figures, graded through their data (the plot functions get fixed data, so
their tests do not depend on q1 or q4; the data functions are tested on their own)."""

import torch

from autograder import probe_helpers
from autograder.testing import T1, probe

F64 = torch.float64


@probe
def polynomial_curves(ns, xs):
    curves = ns.polynomial_gradients(xs)
    return {k: curves[k] for k in ("f", "engine", "analytic", "autograd")}


@probe
def polynomial_figure(ns, xs, curves):
    import matplotlib.pyplot as plt

    fig = ns.plot_polynomial_gradients(xs, curves)
    data = probe_helpers.figure_data(fig)
    plt.close(fig)
    return data


@probe
def gradcheck_curve(ns, x, hs):
    f = lambda z: (z * torch.tanh(z)).sum()  # noqa: E731
    grad_f = lambda z: torch.tanh(z) + z * (1 - torch.tanh(z) ** 2)  # noqa: E731
    return ns.gradcheck_errors(f, grad_f, x, hs)


@probe
def gradcheck_figure(ns, hs, errs):
    import matplotlib.pyplot as plt

    fig = ns.plot_gradcheck_error(hs, errs)
    data = probe_helpers.figure_data(fig)
    plt.close(fig)
    return data


def test_q6_polynomial_gradients(grade):
    xs = torch.linspace(-2.0, 2.0, 9, dtype=F64)
    grade.compare(polynomial_curves, xs, case="x³ − 3x at 9 points of [−2, 2]", **T1)
    for _, gen in grade.cases(2):
        xs = 4 * torch.rand(6, generator=gen, dtype=F64) - 2
        grade.compare(polynomial_curves, xs, case="x³ − 3x at 6 random points", **T1)


def test_q6_polynomial_figure(grade):
    for _, gen in grade.cases(2):
        xs = torch.sort(4 * torch.rand(7, generator=gen, dtype=F64) - 2).values
        curves = {
            "f": xs**3 - 3 * xs,
            "engine": 3 * xs**2 - 3 + 1e-3 * torch.randn(7, generator=gen, dtype=F64),
            "analytic": 3 * xs**2 - 3,
            "autograd": 3 * xs**2 - 3 - 1e-3 * torch.randn(7, generator=gen, dtype=F64),
        }
        # distinct curves, so a line drawn from the wrong key is caught
        grade.compare(polynomial_figure, xs, curves, case="given curves at 7 points", **T1)


def test_q6_gradcheck_errors(grade):
    for _, gen in grade.cases(2):
        x = torch.randn(4, generator=gen, dtype=F64)
        hs = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5]
        # the errors at small h are rounding noise of a few ulps: atol allows for it
        grade.compare(
            gradcheck_curve, x, hs, case="Σ x·tanh x, h = 1e-1 … 1e-5", rtol=1e-6, atol=1e-12
        )


def test_q6_gradcheck_figure(grade):
    for _, gen in grade.cases(2):
        hs = [10.0**-k for k in range(1, 9)]
        errs = torch.tensor([h**2 + 1e-16 / h for h in hs], dtype=F64)
        errs = errs * (1 + 0.1 * torch.rand(8, generator=gen, dtype=F64))
        grade.compare(gradcheck_figure, hs, errs, case="a given V-shaped error curve", **T1)
