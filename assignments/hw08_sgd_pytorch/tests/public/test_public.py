import torch

from autograder.runtime import probe_helpers
from autograder.testing import T0, T1, T2, probe


@probe
def epoch_of(ns, n, b, seed):
    g = torch.Generator().manual_seed(seed)
    return [x.clone() for x in ns.epoch_batches(n, b, g)]


@probe
def with_replacement(ns, n, b, k, seed):
    g = torch.Generator().manual_seed(seed)
    return [x.clone() for x in ns.replacement_batches(n, b, k, g)]


@probe
def three_steps(ns, w0, grads, hp):
    w = w0.clone().requires_grad_(True)
    o = ns.SGD([w], **hp)
    out = []
    for t in range(grads.shape[0]):
        w.grad = grads[t].clone()
        o.step()
        out.append(w.detach().clone())
    return torch.stack(out)


@probe
def values(ns, kind, n, lr0, kw):
    return ns.schedule_values(kind, n, lr0, **kw)


@probe
def traj(ns, hist, decay, init):
    return ns.ema_trajectory(hist, decay, init)


@probe
def train(ns, cfg):
    torch.set_num_threads(1)
    X = torch.linspace(-1, 1, 48, dtype=torch.float64).reshape(16, 3)
    y = X @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    return ns.train_linear(X[:12], y[:12], X[12:], y[12:], **cfg)


@probe
def kappa(ns, lam):
    return ns.wd_condition_number(torch.tensor([100.0, 1.0, 10.0], dtype=torch.float64), lam)


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


W0 = torch.tensor([1.0, -1.0], dtype=torch.float64)
GRADS = torch.tensor([[0.5, 1.0], [-0.5, 2.0], [1.0, 0.0]], dtype=torch.float64)


def test_q1_public(grade):
    grade.compare(epoch_of, 10, 4, 0, case="epoch_batches(10, 4, seed 0)", **T0)
    grade.compare(with_replacement, 10, 4, 3, 0, case="replacement_batches(10, 4, 3, seed 0)", **T0)


def test_q2_public(grade):
    grade.compare(three_steps, W0, GRADS, {"lr": 0.1}, case="3 plain SGD steps", **T2)
    grade.compare(
        three_steps,
        W0,
        GRADS,
        {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1},
        case="3 steps, momentum 0.9, weight decay 0.1",
        **T2,
    )


def test_q3_public(grade):
    grade.compare(values, "step", 8, 1.0, {"s": 3, "gamma": 0.5}, case="step, s=3, γ=0.5", **T1)
    grade.compare(values, "cosine", 5, 1.0, {"T_max": 4, "eta_min": 0.0}, case="cosine, K=4", **T1)
    grade.compare(
        values,
        "warmup_cosine",
        8,
        1.0,
        {"warmup": 3, "T_max": 7, "eta_min": 0.1},
        case="warmup 3 then cosine",
        **T1,
    )


def test_q4_public(grade):
    grade.compare(traj, GRADS, 0.5, W0, case="EMA of 3 points, decay 0.5", **T1)


def test_q5_public(grade):
    cfg = {
        "lr": 0.1,
        "momentum": 0.9,
        "weight_decay": 0.0,
        "epochs": 2,
        "batch_size": 4,
        "ema_decay": 0.5,
        "eta_min": 0.0,
        "seed": 0,
    }
    grade.compare(train, cfg, case="12 samples, 2 epochs, batch 4", **T2)
    grade.compare(kappa, 1.0, case="κ for h = (100, 1, 10), λ = 1", **T1)


def test_q6_public(grade):
    grade.compare(schedules_fig, case="one cosine schedule", **T1)
    h = {
        "train_loss": [1.0, 0.5],
        "val_loss": [1.2, 0.6],
        "ema_val_loss": [1.5, 0.8],
        "lr": [0.1, 0.05],
    }
    grade.compare(mwe_fig, h, case="two-epoch history", **T1)
