from autograder.runtime import probe_helpers
from autograder.testing import T1, probe


@probe
def figures(ns):
    out = {}
    fig = ns.plot_checkpoint_tradeoff([1, 2, 4], [6144, 4096, 4096], [1.3, 1.35, 1.3], 4, 1024)
    out["tradeoff"] = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    fig = ns.plot_bubble([1, 2, 4], {2: [0.5, 1 / 3, 0.2]})
    out["bubble"] = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    fig = ns.plot_schedule([[("F", 0), None], [None, ("F", 0)], [None, ("B", 0)], [("B", 0), None]])
    ax = fig.get_axes()[0]
    out["schedule texts"] = sorted(
        [float(t.get_position()[0]), float(t.get_position()[1]), t.get_text()] for t in ax.texts
    )
    out["schedule bars"] = len(ax.patches)
    ns.plt.close(fig)
    return out


def test_q6_public(grade):
    grade.compare(figures, case="small inputs for the three figures", **T1)
