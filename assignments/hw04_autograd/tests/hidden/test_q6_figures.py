import torch

from autograder import probe_helpers
from autograder.testing import T2, probe


@probe
def polynomial_figure(ns, xs):
    curves = ns.polynomial_gradients(xs)
    fig = ns.plot_polynomial_gradients(xs, curves)
    return {
        "curves": {k: curves[k] for k in ("f", "engine", "analytic", "autograd")},
        "figure": probe_helpers.figure_data(fig),
    }


@probe
def gradcheck_figure(ns, hs):
    x = torch.linspace(-1.0, 1.0, 4, dtype=torch.float64)
    exact = 3 * x**2 - 3
    errs = ns.gradcheck_errors(lambda z: (z**3 - 3 * z).sum(), lambda _: exact, x, hs)
    return probe_helpers.figure_data(ns.plot_gradcheck_error(hs, errs))


def test_q6_polynomial_gradients_figure(grade):
    xs = torch.linspace(-2.0, 2.0, 9, dtype=torch.float64)
    grade.compare(
        polynomial_figure, xs, case="x³ − 3x on [−2, 2]", allow=("torch.autograd.*",), **T2
    )


def test_q6_gradcheck_error_figure(grade):
    grade.compare(
        gradcheck_figure, [1e-1, 1e-2, 1e-3, 1e-4], case="error vs h", rtol=1e-5, atol=1e-9
    )
