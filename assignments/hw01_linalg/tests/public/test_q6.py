import torch

from autograder import probe_helpers
from autograder.testing import T1, probe


@probe
def figures(ns, S, sizes, times):
    out = {}
    fig = ns.plot_svd_spectrum({"example": S})
    out["spectrum"] = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    fig = ns.plot_timing(sizes, {"method": times})
    out["timing"] = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return out


def test_q6_public(grade):
    S = torch.tensor([4.0, 2.0, 1.0], dtype=torch.float64)
    grade.compare(figures, S, [10, 20], [0.5, 2.0], case="one spectrum, one timing line", **T1)
