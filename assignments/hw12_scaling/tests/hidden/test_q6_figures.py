"""q6: the figures, graded through their data (lines; for the schedule chart, its texts and bars)."""

import copy

import torch

from autograder import probe_helpers
from autograder.compare import Tolerance, compare
from autograder.testing import T1, probe


@probe
def tradeoff_fig(ns, ks, peak_bytes, time_ratio, n, unit):
    fig = ns.plot_checkpoint_tradeoff(ks, peak_bytes, time_ratio, n, unit)
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    # the values this notebook's own q3 model gives, so that the figure is judged on what
    # it draws, not on q3's answers again (None if peak_saved_units is not usable)
    try:
        own = [int(ns.peak_saved_units(n, k)) for k in ks]
    except Exception:
        own = None
    return {"figure": data, "own model": own}


@probe
def schedule_fig(ns, grid):
    cells = [[None if c is None else (c[0], c[1]) for c in row] for row in grid]
    fig = ns.plot_schedule(cells)
    if not hasattr(fig, "get_axes"):
        return {"error": f"expected a matplotlib Figure, got {type(fig).__name__}"}
    axes = fig.get_axes()
    out = {"n_axes": len(axes)}
    if axes:
        ax = axes[0]
        texts = [
            [
                round(float(t.get_position()[0]), 6),
                round(float(t.get_position()[1]), 6),
                t.get_text(),
            ]
            for t in ax.texts
        ]
        out.update(
            texts=sorted(texts),
            bars=len(ax.patches),
            labelled=bool(ax.get_xlabel()) and bool(ax.get_ylabel()),
            stage_0_on_top=bool(ax.yaxis_inverted()),
        )
    ns.plt.close(fig)
    return out


@probe
def bubble_fig(ns, m_values, measured):
    fig = ns.plot_bubble(m_values, {int(p): list(v) for p, v in measured})
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


@probe
def make_grid(ns, kind, p, m):
    grid = ns.gpipe_schedule(p, m) if kind == "gpipe" else ns.one_f_one_b_schedule(p, m)
    return [[None if c is None else [str(c[0]), int(c[1])] for c in row] for row in grid]


def test_q6_checkpoint_tradeoff(grade):
    for i, gen in grade.cases(3):
        n = [9, 16, 25][i]
        ks = [1, 2, 3, 4, 6, 9, 16, 25][: 4 + i]
        ks = [k for k in ks if k <= n]
        unit = int(torch.randint(64, 4096, (1,), generator=gen))
        peaks = [(k + -(-n // k) + 1) * unit for k in ks]
        ratio = (1.1 + 0.5 * torch.rand(len(ks), generator=gen, dtype=torch.float64)).tolist()
        case = f"n={n}, k in {ks}, activation of {unit} bytes"
        got, ref = grade.run_and_reference(tradeoff_fig, ks, peaks, ratio, n, unit, case=case)
        if got is None:
            continue
        # q3 grades peak_saved_units: the model line's y must be what the notebook's own
        # function gives (a q3 bug is not charged twice). The y scale is not stated in the
        # docstring (only "x scale log"): the student's is taken as given.
        expected = copy.deepcopy(ref["figure"])
        own = got.get("own model") if isinstance(got, dict) else None
        actual = got.get("figure") if isinstance(got, dict) else got
        for j, ax in enumerate(expected.get("axes", [])):
            try:
                ax["yscale"] = actual["axes"][j]["yscale"]
            except Exception:  # no such axes: the comparison below says so
                pass
            for line in ax["lines"]:
                if line["label"] == "model k + ceil(n/k) + 1" and isinstance(own, list):
                    line["y"] = [u * unit / 1024.0 for u in own]
        mismatch = compare(expected, actual, Tolerance(**T1))
        where = f" in {mismatch.path}" if mismatch and mismatch.path else ""
        grade.check(
            mismatch is None,
            case=case,
            message=f"wrong figure{where}: {mismatch.message}" if mismatch else "",
        )


def test_q6_schedule_chart(grade):
    for kind, p, m in (("gpipe", 3, 3), ("1f1b", 3, 4), ("1f1b", 2, 2)):
        grid = grade.reference(make_grid, kind, p, m)
        grade.compare(
            schedule_fig,
            grid,
            case=f"{'GPipe' if kind == 'gpipe' else '1F1B'} p={p}, m={m}: texts, bars, labels",
            **T1,
        )


def test_q6_bubble_plot(grade):
    for i, gen in grade.cases(3):
        m_values = [1, 2, 4, 8, 16, 32][: 3 + i]
        ps = [2, 4, 8][: 1 + i]
        # measured values are input data; perturb them so the plot must use them as given
        measured = [
            [
                p,
                [
                    (p - 1) / (m + p - 1) + 0.01 * float(torch.rand(1, generator=gen))
                    for m in m_values
                ],
            ]
            for p in reversed(ps)
        ]
        grade.compare(bubble_fig, m_values, measured, case=f"p in {ps}, m in {m_values}", **T1)
