import torch

from autograder.testing import T1, probe, probe_helpers


@probe
def convergence_figure(ns):
    def labelled(data):
        # only the labelled lines, which the docstring names: extra markers and
        # reference lines (unlabelled) are fine
        for ax in data.get("axes", []):
            ax["lines"] = [line for line in ax["lines"] if line["label"]]
        return data

    curve = torch.tensor([1.0, 0.5, 0.25], dtype=torch.float64)
    fig = ns.plot_convergence({1.0: curve}, {10.0: curve / 2})
    data = labelled(probe_helpers.figure_data(fig))
    ns.plt.close(fig)
    return data


@probe
def zigzag_figure(ns):
    def labelled(data):
        # only the labelled lines, which the docstring names: extra markers and
        # reference lines (unlabelled) are fine
        for ax in data.get("axes", []):
            ax["lines"] = [line for line in ax["lines"] if line["label"]]
        return data

    p = torch.tensor([[1.0, 0.5], [-0.5, 0.4], [0.3, 0.3]], dtype=torch.float64)
    fig = ns.plot_zigzag({(2.0, 0.1): p, (2.0, 1.8): p, (50.0, 0.1): p, (50.0, 1.8): -p})
    data = labelled(probe_helpers.figure_data(fig))
    ns.plt.close(fig)
    return data


def test_q6_small(grade):
    grade.compare(convergence_figure, case="plot_convergence with one curve per panel", **T1)
    grade.compare(zigzag_figure, case="plot_zigzag on a 2×2 grid", **T1)
