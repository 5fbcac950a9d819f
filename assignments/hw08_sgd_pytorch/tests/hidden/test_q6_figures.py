import torch

from autograder.runtime import probe_helpers
from autograder.testing import T1, probe


@probe
def schedules_fig(ns, n, configs):
    fig = ns.plot_schedules(n, configs)
    out = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return out


@probe
def mwe_fig(ns, history):
    fig = ns.plot_mwe(history)
    out = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return out


def test_q6_schedules_figure(grade):
    # plot_schedules uses q3's schedule_values by design: while it runs, schedule_values
    # answers the calls the reference makes with the reference's values, so a q3 bug costs
    # q3 only, and the figure is judged on what it draws.
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
        replay = grade.reference_calls(schedules_fig, ("schedule_values",), n, configs)
        grade.compare_figure(
            grade.replaying(schedules_fig),
            replay,
            n,
            configs,
            case=f"five schedules over {n} steps",
            **T1,
        )


def test_q6_mwe_figure(grade):
    for i, gen in grade.cases(3):
        E = 4 + 3 * i
        h = {
            k: (torch.rand(E, generator=gen, dtype=torch.float64) + 0.01).tolist()
            for k in ("train_loss", "val_loss", "ema_val_loss", "lr")
        }
        grade.compare_figure(mwe_fig, h, case=f"history of {E} epochs", **T1)
