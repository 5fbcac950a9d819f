from autograder.runtime import probe_helpers
from autograder.testing import T1, probe


@probe
def mwe_fig(ns, history):
    fig = ns.plot_mwe(history)
    out = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return out


@probe
def schedules_fig(ns, configs):
    fig = ns.plot_schedules(10, configs)
    out = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    for ax in out.get("axes", []):  # the labelled lines the docstring asks for; extra
        ax["lines"] = [line for line in ax["lines"] if line["label"]]  # lines are yours
    return out


def test_q6_public(grade):
    cosine = {"cosine": {"lr0": 1.0, "T_max": 10, "eta_min": 0.0}}
    grade.compare(schedules_fig, cosine, case="one cosine schedule", **T1)
    three = {
        "step": {"lr0": 0.5, "s": 3, "gamma": 0.5},
        "warmup_cosine": {"lr0": 1.0, "warmup": 3, "T_max": 10, "eta_min": 0.1},
        "cosine": {"lr0": 1.0, "T_max": 10, "eta_min": 0.0},
    }
    grade.compare(
        schedules_fig, three, case="step, warm-up + cosine and cosine, one line each", **T1
    )
    h = {
        "train_loss": [1.0, 0.5],
        "val_loss": [1.2, 0.6],
        "ema_val_loss": [1.5, 0.8],
        "lr": [0.1, 0.05],
    }
    grade.compare(mwe_fig, h, case="two-epoch history", **T1)
