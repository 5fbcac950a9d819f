from autograder.runtime import probe_helpers
from autograder.testing import T1, probe


@probe
def figures(ns):
    out = {}
    fig = ns.plot_isolation({1e-2: 0.3, 1e-3: 0.2, 1e-1: 0.5})
    out["isolation"] = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    fig = ns.plot_axis(
        [{"lr": 0.1, "val_loss": 0.4}, {"lr": 0.01, "val_loss": 0.2}], "lr", (1e-3, 1.0)
    )
    out["axis"] = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    fig = ns.plot_batch_scaling({1: (0.01, 800), 4: (0.04, 210), 16: (0.1, 90)})
    out["scaling"] = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return out


def test_q6_figures(grade):
    grade.compare(figures, case="the three figures on small fixed inputs", **T1)
