import torch

from autograder.runtime import probe_helpers
from autograder.testing import T1, probe

F64 = torch.float64


@probe
def grid_fig(ns, gammas, Qs):
    fig = ns.plot_grid_q({float(g): Q for g, Q in zip(gammas, Qs)})
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


@probe
def curves_fig(ns, names, curves):
    fig = ns.plot_learning_curves(dict(zip(names, curves)))
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


@probe
def curves_bands(ns, names, curves):
    # the filled bands (fill_between's polygons), each read as, per x, its lowest and
    # highest y: the same whatever the order of y1 and y2 or of the bands
    fig = ns.plot_learning_curves(dict(zip(names, curves)))
    bands = []
    for ax in fig.axes:
        for c in ax.collections:
            if "PolyCollection" not in type(c).__name__:
                continue
            for path in c.get_paths():
                span = {}
                for x, y in path.vertices.tolist():
                    lo, hi = span.get(round(x, 9), (y, y))
                    span[round(x, 9)] = (min(lo, y), max(hi, y))
                xs = sorted(span)
                bands.append([xs, [span[x][0] for x in xs], [span[x][1] for x in xs]])
    ns.plt.close(fig)
    bands.sort(key=lambda b: (b[1][:1], b[2][:1]))
    return [torch.tensor(b, dtype=torch.float64) for b in bands]


def test_q6_grid_q(grade):
    for i, gen in grade.cases(3):
        S = 4 + i
        gammas = [0.9, 0.0, 0.5][: 2 + i % 2]  # not sorted: panels go in increasing γ
        Qs = [torch.rand(S, 2, generator=gen, dtype=F64) for _ in gammas]
        grade.compare_figure(
            grid_fig, gammas, Qs, case=f"{len(gammas)} values of γ, {S} states (case {i})", **T1
        )


def test_q6_learning_curves(grade):
    for i, gen in grade.cases(3):
        names = ["REINFORCE", "REINFORCE + baseline"][: 1 + i % 2]
        curves = [torch.rand(5, 10 + i, generator=gen, dtype=F64) for _ in names]
        grade.compare_figure(
            curves_fig,
            names,
            curves,
            case=f"{len(names)} methods, 5 seeds, {10 + i} episodes (case {i})",
            **T1,
        )
    gen = next(grade.cases(1))[1]
    curves = [torch.rand(4, 6, generator=gen, dtype=F64) for _ in range(2)]
    grade.compare(
        curves_bands,
        ["REINFORCE", "REINFORCE + baseline"],
        curves,
        case="the shaded bands: mean ± std over 4 seeds, 6 episodes, two methods",
        **T1,
    )
