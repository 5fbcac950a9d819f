import torch

from autograder import probe_helpers
from autograder.testing import T1, probe


@probe
def spectrum_figure(ns, items):
    torch.set_num_threads(1)
    fig = ns.plot_svd_spectrum({name: S for name, S in items})
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


@probe
def timing_figure(ns, sizes, items):
    fig = ns.plot_timing(sizes, {name: t for name, t in items})
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


def test_q6_spectrum(grade):
    for _i, gen in grade.cases(2):
        items = []
        for name in ("checkerboard", "low rank + noise", "digits"):
            r = int(torch.randint(3, 9, (1,), generator=gen))
            S = torch.rand(r, generator=gen, dtype=torch.float64).sort(descending=True).values
            items.append([name, S + 1e-3])
        grade.compare(spectrum_figure, items, case="three random spectra", **T1)


def test_q6_timing_structure(grade):
    # synthetic "times": the figure is graded for its structure and data, never for speed
    for _i, gen in grade.cases(2):
        sizes = [8, 16, 32, 64]
        items = [
            [name, (torch.rand(4, generator=gen, dtype=torch.float64) + 0.1).tolist()]
            for name in ("loops", "broadcast", "torch.matmul")
        ]
        grade.compare(timing_figure, sizes, items, case="three methods, four sizes", **T1)
