import copy

import torch

from autograder import probe_helpers
from autograder.compare import Tolerance, compare
from autograder.testing import T1, probe


@probe
def schedules_fig(ns, n, configs):
    fig = ns.plot_schedules(n, configs)
    out = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    # the values this notebook's own q3 gives, so that the figure is judged on what it
    # draws, not on q3's answers again (None if schedule_values is not there)
    try:
        own = {k: ns.schedule_values(k, n, **cfg).tolist() for k, cfg in configs.items()}
    except Exception:
        own = None
    return {"figure": out, "own values": own}


@probe
def mwe_fig(ns, history):
    fig = ns.plot_mwe(history)
    out = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return out


def test_q6_schedules_figure(grade):
    # q3 grades the schedules' values; here a line's y must be what the notebook's own
    # schedule_values gives for its config (a wrong q3 schedule is not charged twice),
    # while everything else (axes, scales, labels, one line per kind, x) must match the
    # reference's figure. Without a usable schedule_values, y must match the reference's.
    for i, gen in grade.cases(3):
        u = [round(float(x), 3) for x in torch.rand(3, generator=gen)]
        n = 30 + 5 * i
        configs = {
            "step": {"lr0": 0.1, "s": 5 + i, "gamma": 0.3 + u[0] / 2},
            "exponential": {"lr0": 0.1, "gamma": 0.9 + u[1] / 20},
            "inverse_time": {"lr0": 0.1, "beta": u[2]},
            "cosine": {"lr0": 0.1, "T_max": n, "eta_min": 1e-3},
            "warmup_cosine": {"lr0": 0.1, "warmup": 3, "T_max": n, "eta_min": 1e-3},
        }
        case = f"five schedules over {n} steps"
        got, ref = grade.run_and_reference(schedules_fig, n, configs, case=case)
        if got is None:
            continue
        expected = copy.deepcopy(ref["figure"])
        own = got.get("own values") if isinstance(got, dict) else None
        if isinstance(own, dict):
            for ax in expected.get("axes", []):
                for line in ax["lines"]:
                    if line["label"] in own:
                        line["y"] = own[line["label"]]
        actual = got.get("figure") if isinstance(got, dict) else got
        mismatch = compare(expected, actual, Tolerance(**T1))
        where = f" in {mismatch.path}" if mismatch and mismatch.path else ""
        grade.check(
            mismatch is None,
            case=case,
            message=f"wrong figure{where}: {mismatch.message}" if mismatch else "",
        )


def test_q6_mwe_figure(grade):
    for i, gen in grade.cases(3):
        E = 4 + 3 * i
        h = {
            k: (torch.rand(E, generator=gen, dtype=torch.float64) + 0.01).tolist()
            for k in ("train_loss", "val_loss", "ema_val_loss", "lr")
        }
        grade.compare(mwe_fig, h, case=f"history of {E} epochs", **T1)
