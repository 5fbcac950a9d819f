"""q6: the figures, graded through their data.

The line plots with ``grade.compare_figure``: the lines the docstrings name (by label),
the axis scales and that the axes are labelled; extra lines and styling are fine. The
schedule chart has no lines: its bars and texts are compared.
"""

import torch

from autograder.runtime import probe_helpers
from autograder.testing import T1, probe


# plot_checkpoint_tradeoff calls q3's peak_saved_units by design. So that a q3 bug is
# charged on q3 alone, the probe swaps it, in the notebook's namespace and for the duration
# of the call, for the reference's values on exactly the (n, k) the figure draws (values,
# not code); any other call goes to the notebook's own function.
@probe
def tradeoff_fig(ns, ks, peak_bytes, time_ratio, n, unit, units):
    scope = getattr(ns.plot_checkpoint_tradeoff, "__globals__", None)
    own = scope.get("peak_saved_units") if isinstance(scope, dict) else None
    table = {(int(n), int(k)): int(u) for k, u in zip(ks, units)}

    def peak_saved_units(n_layers, n_segments):
        try:
            return table[(int(n_layers), int(n_segments))]
        except (KeyError, TypeError, ValueError):
            return own(n_layers, n_segments)

    if own is not None:
        scope["peak_saved_units"] = peak_saved_units
    try:
        fig = ns.plot_checkpoint_tradeoff(ks, peak_bytes, time_ratio, n, unit)
    finally:
        if own is not None:
            scope["peak_saved_units"] = own
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


@probe
def model_units(ns, n, ks):
    return [int(ns.peak_saved_units(n, k)) for k in ks]


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
        # each bar as [left, width, centre height]: ax.barh(s, 1, left=t) is [t, 1, s]
        cells = []
        for bar in ax.patches:
            try:
                x, w = float(bar.get_x()), float(bar.get_width())
                y, h = float(bar.get_y()), float(bar.get_height())
            except AttributeError:  # not a rectangle: counted in bars, not placed
                continue
            cells.append([round(x, 6), round(w, 6), round(y + h / 2, 6)])
        out.update(
            texts=sorted(texts),
            bars=len(ax.patches),
            bar_cells=sorted(cells),
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
        units = grade.reference(model_units, n, ks)
        grade.compare_figure(
            tradeoff_fig,
            ks,
            peaks,
            ratio,
            n,
            unit,
            units,
            case=f"n={n}, k in {ks}, activation of {unit} bytes",
            **T1,
        )


def test_q6_schedule_chart(grade):
    for kind, p, m in (("gpipe", 3, 3), ("1f1b", 3, 4), ("1f1b", 2, 2)):
        grid = grade.reference(make_grid, kind, p, m)
        grade.compare(
            schedule_fig,
            grid,
            case=f"{'GPipe' if kind == 'gpipe' else '1F1B'} p={p}, m={m}: texts, one bar per "
            "cell (left = step, width 1, centred on the stage), labels",
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
        grade.compare_figure(
            bubble_fig, m_values, measured, case=f"p in {ps}, m in {m_values}", **T1
        )
