import torch

from autograder.testing import T1, probe, probe_helpers


@probe
def stability_figure(ns, kappas, normal, qr):
    def labelled(data):
        # only the labelled lines, which the docstring names: extra markers and
        # reference lines (unlabelled) are fine
        for ax in data.get("axes", []):
            ax["lines"] = [line for line in ax["lines"] if line["label"]]
        return data

    fig = ns.plot_stability(kappas, {"normal": normal, "qr": qr})
    data = labelled(probe_helpers.figure_data(fig))
    ns.plt.close(fig)
    return data


def test_q6_public(grade):
    normal = torch.tensor([1e-6, 1e-4, 1e-2], dtype=torch.float64)
    qr = torch.tensor([1e-7, 1e-6, 1e-5], dtype=torch.float64)
    grade.compare(stability_figure, [10.0, 100.0, 1000.0], normal, qr, case="three κ", **T1)
