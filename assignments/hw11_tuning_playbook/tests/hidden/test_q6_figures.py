"""q6: the figures, judged by ``grade.compare_figure`` on what the docstrings name: the
labelled lines' data, the axis scales and that the axes are labelled (extra lines,
markers and styling are fine)."""

import torch

from autograder.runtime import probe_helpers
from autograder.testing import T1, probe


@probe
def iso_fig(ns, table):
    fig = ns.plot_isolation({float(k): float(v) for k, v in table})
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


@probe
def axis_fig(ns, trials, bounds):
    fig = ns.plot_axis([dict(t) for t in trials], "lr", tuple(bounds))
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


@probe
def scaling_fig(ns, table):
    fig = ns.plot_batch_scaling({int(B): (float(a), int(s)) for B, a, s in table})
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


def test_q6_isolation_plot(grade):
    for i, gen in grade.cases(3):
        wds = [10.0**e for e in range(-4, 0)][: 2 + i]
        perm = torch.randperm(len(wds), generator=gen).tolist()  # unsorted input
        table = [[wds[j], 0.1 + 0.3 * float(torch.rand(1, generator=gen))] for j in perm]
        grade.compare_figure(
            iso_fig, table, case=f"{len(wds)} weight decays, unsorted (case {i})", **T1
        )


def test_q6_axis_plot(grade):
    for i, gen in grade.cases(3):
        n = 4 + i
        trials = [
            {
                "lr": 10 ** (-4 + 4 * float(torch.rand(1, generator=gen))),
                "val_loss": 0.1 + float(torch.rand(1, generator=gen)),
            }
            for _ in range(n)
        ]
        grade.compare_figure(
            axis_fig, trials, [1e-4, 1.0], case=f"{n} trials, bounds (1e-4, 1) (case {i})", **T1
        )


def test_q6_batch_scaling_plot(grade):
    for i, gen in grade.cases(3):
        bs = [1, 4, 16, 64, 256][: 3 + i % 3]
        steps = sorted(torch.randint(20, 5000, (len(bs),), generator=gen).tolist(), reverse=True)
        table = [[B, 0.01 * (j + 1), s] for j, (B, s) in enumerate(zip(bs, steps))][::-1]
        grade.compare_figure(
            scaling_fig, table, case=f"{len(bs)} batch sizes, given largest first (case {i})", **T1
        )
    # B₀ = 8, not 1: the guide is steps(B₀)·B₀/B, which B₀ = 1 cannot tell from steps(B₀)/B
    table = [[32, 0.1, 260], [8, 0.05, 900], [128, 0.3, 90]]
    grade.compare_figure(
        scaling_fig,
        table,
        case="batch sizes 8, 32, 128 (the smallest is 8, not 1), given unsorted",
        **T1,
    )
