import torch

from autograder.testing import T1, probe, probe_helpers


@probe
def polynomial_curves(ns, xs):
    curves = ns.polynomial_gradients(xs)
    return {k: curves[k] for k in ("f", "engine", "analytic", "autograd")}


@probe
def polynomial_figure(ns, xs):
    def labelled(data):
        # only the labelled lines, which the docstring names: extra markers and
        # reference lines (unlabelled) are fine
        for ax in data.get("axes", []):
            ax["lines"] = [line for line in ax["lines"] if line["label"]]
        return data

    import matplotlib.pyplot as plt

    curves = {
        "f": xs**3 - 3 * xs,
        "engine": 3 * xs**2 - 3,
        "analytic": 3 * xs**2 - 2.9,
        "autograd": 3 * xs**2 - 3.1,
    }
    fig = ns.plot_polynomial_gradients(xs, curves)
    data = labelled(probe_helpers.figure_data(fig))
    plt.close(fig)
    return data


@probe
def gradcheck_figure(ns, hs, errs):
    def labelled(data):
        # only the labelled lines, which the docstring names: extra markers and
        # reference lines (unlabelled) are fine
        for ax in data.get("axes", []):
            ax["lines"] = [line for line in ax["lines"] if line["label"]]
        return data

    import matplotlib.pyplot as plt

    fig = ns.plot_gradcheck_error(hs, errs)
    data = labelled(probe_helpers.figure_data(fig))
    plt.close(fig)
    return data


def test_q6_polynomial_curves(grade):
    xs = torch.tensor([-1.0, 0.0, 1.5], dtype=torch.float64)
    grade.compare(polynomial_curves, xs, case="x = −1, 0, 1.5", **T1)


def test_q6_polynomial_figure(grade):
    xs = torch.tensor([-1.0, 0.0, 1.5], dtype=torch.float64)
    grade.compare(polynomial_figure, xs, case="given curves at x = −1, 0, 1.5", **T1)


def test_q6_gradcheck_figure(grade):
    hs = [1e-1, 1e-3, 1e-5, 1e-7]
    errs = torch.tensor([1e-2, 1e-6, 1e-10, 1e-8], dtype=torch.float64)
    grade.compare(gradcheck_figure, hs, errs, case="a given V-shaped error curve", **T1)
