from autograder.runtime import probe_helpers
from autograder.testing import T1, probe


@probe
def mwe_fig(ns, history):
    fig = ns.plot_mwe(history)
    out = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return out


@probe
def schedules_fig(ns):
    fig = ns.plot_schedules(10, {"cosine": {"lr0": 1.0, "T_max": 10, "eta_min": 0.0}})
    out = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return out


def test_q6_public(grade):
    grade.compare(schedules_fig, case="one cosine schedule", **T1)
    h = {
        "train_loss": [1.0, 0.5],
        "val_loss": [1.2, 0.6],
        "ema_val_loss": [1.5, 0.8],
        "lr": [0.1, 0.05],
    }
    grade.compare(mwe_fig, h, case="two-epoch history", **T1)
