import torch

from autograder.testing import T1, probe, probe_helpers


@probe
def q6_tangent(ns):
    def labelled(data):
        # only the labelled lines, which the docstring names: extra markers and
        # reference lines (unlabelled) are fine
        for ax in data.get("axes", []):
            ax["lines"] = [line for line in ax["lines"] if line["label"]]
        return data

    xs = torch.linspace(-1.0, 2.0, 4, dtype=torch.float64)
    fig = ns.plot_tangent(lambda x: 5 * x**3 - 2 * x + 7, lambda x: 15 * x**2 - 2, 1.0, xs)
    data = labelled(probe_helpers.figure_data(fig))
    ns.plt.close(fig)
    return data


@probe
def q6_errors(ns):
    def labelled(data):
        # only the labelled lines, which the docstring names: extra markers and
        # reference lines (unlabelled) are fine
        for ax in data.get("axes", []):
            ax["lines"] = [line for line in ax["lines"] if line["label"]]
        return data

    hs = torch.tensor([0.1, 0.01, 0.001], dtype=torch.float64)
    fig = ns.plot_linearization_error({"smooth": (hs, hs**2), "flat": (hs, 0.5 + 0 * hs)})
    data = labelled(probe_helpers.figure_data(fig))
    ns.plt.close(fig)
    return data


def test_q6_small(grade):
    grade.compare(q6_tangent, case="tangent to 5x³ − 2x + 7 at a = 1", **T1)
    grade.compare(q6_errors, case="error figure with two curves", **T1)
