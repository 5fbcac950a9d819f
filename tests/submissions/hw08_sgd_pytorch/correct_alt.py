# An independent correct solution. Differs from the reference: batches are cut with an
# index loop (and drop_last filters by length); SGD keeps its own helper that forms
# g + λw explicitly and updates with p -= lr·d (the buffer is created with a copy);
# the cosine schedule is written as η_min + (lr0 − η_min)·cos²(πk/2T) and the warm-up +
# cosine inline (no recursion), exponential decay via math.pow; schedule_values fills a
# preallocated tensor; the EMA update is torch.lerp, and the EMA trajectory is the closed
# form as one matrix of weights times the history; train_linear evaluates the EMA weights
# with a matrix product, reads the schedule per epoch into its own variable; κ is computed
# from the shifted curvatures; the figures are built with fig.add_subplot.
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn


def epoch_batches(n, batch_size, generator, drop_last=False):
    order = torch.randperm(n, generator=generator, device=generator.device)
    chunks = [order[start : start + batch_size] for start in range(0, n, batch_size)]
    if drop_last:
        chunks = [chunk for chunk in chunks if chunk.numel() == batch_size]
    return chunks


def replacement_batches(n, batch_size, num_batches, generator):
    out = []
    while len(out) < num_batches:
        out.append(torch.randint(0, n, (batch_size,), generator=generator, device=generator.device))
    return out


def _descent_direction(p, grad, weight_decay):
    return grad + weight_decay * p if weight_decay else grad.clone()


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        for name, value in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)):
            if value < 0.0:
                raise ValueError(f"{name} must be ≥ 0, got {value}")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in (q for q in group["params"] if q.grad is not None):
                direction = _descent_direction(p, p.grad, group["weight_decay"])
                if group["momentum"] > 0:
                    st = self.state[p]
                    if "momentum_buffer" not in st or st["momentum_buffer"] is None:
                        st["momentum_buffer"] = direction.detach().clone()
                    else:
                        st["momentum_buffer"] = (
                            st["momentum_buffer"] * group["momentum"] + direction
                        )
                    direction = st["momentum_buffer"]
                p.sub_(group["lr"] * direction)
        return loss


def _cosine(k, lr0, T, eta_min):
    if k >= T:
        return float(eta_min)
    return eta_min + (lr0 - eta_min) * math.cos(math.pi * k / (2.0 * T)) ** 2


def lr_schedule(kind, k, lr0, **kw):
    if kind == "step":
        return lr0 * math.pow(kw["gamma"], math.floor(k / kw["s"]))
    if kind == "exponential":
        return lr0 * math.pow(kw["gamma"], k)
    if kind == "inverse_time":
        return lr0 / (1.0 + kw["beta"] * k)
    if kind == "cosine":
        return _cosine(k, lr0, kw["T_max"], kw["eta_min"])
    if kind == "warmup_cosine":
        warm = kw["warmup"]
        if k < warm:
            return lr0 * (k + 1) / warm
        return _cosine(k - warm, lr0, kw["T_max"] - warm, kw["eta_min"])
    raise ValueError(f"no schedule called {kind!r}")


def schedule_values(kind, n_steps, lr0, **kw):
    out = torch.empty(n_steps, dtype=torch.float64)
    for k in range(n_steps):
        out[k] = lr_schedule(kind, k, lr0, **kw)
    return out


def ema_update_(ema_params, params, decay):
    with torch.no_grad():
        for e, p in zip(ema_params, params):
            e.lerp_(p.detach(), 1.0 - decay)


def ema_trajectory(param_history, decay, init):
    T = param_history.shape[0]
    dtype = param_history.dtype
    t = torch.arange(T + 1, dtype=torch.float64).unsqueeze(1)
    s = torch.arange(T, dtype=torch.float64).unsqueeze(0)
    lag = t - 1 - s  # weight of p_s in e_t is (1 − decay)·decay^(t−1−s) for s < t
    weights = torch.where(lag >= 0, (1.0 - decay) * decay ** lag.clamp(min=0), 0.0)
    init_w = decay**t  # (T + 1, 1)
    hist = param_history.detach().to(torch.float64)
    out = init_w * init.detach().to(torch.float64) + weights @ hist
    return out.to(dtype)


def train_linear(
    X_train,
    y_train,
    X_val,
    y_val,
    lr,
    momentum,
    weight_decay,
    epochs,
    batch_size,
    ema_decay,
    eta_min,
    seed,
):
    device = X_train.device
    n_samples, n_features = X_train.shape
    g = torch.Generator(device=device).manual_seed(seed)
    model = nn.Linear(n_features, 1, dtype=torch.float64, device=device)
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    opt = SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    shadow = [t.detach().clone() for t in model.parameters()]
    keys = ("train_loss", "val_loss", "ema_val_loss", "lr")
    out = {key: [] for key in keys}
    for epoch in range(epochs):
        epoch_lr = lr_schedule("cosine", epoch, lr, T_max=epochs, eta_min=eta_min)
        for group in opt.param_groups:
            group["lr"] = epoch_lr
        for idx in epoch_batches(n_samples, batch_size, g):
            opt.zero_grad()
            batch_loss = mse(model(X_train[idx]).squeeze(-1), y_train[idx])
            batch_loss.backward()
            opt.step()
            ema_update_(shadow, list(model.parameters()), ema_decay)
        with torch.no_grad():
            out["train_loss"].append(mse(model(X_train).squeeze(-1), y_train).item())
            out["val_loss"].append(mse(model(X_val).squeeze(-1), y_val).item())
            ema_pred = X_val @ shadow[0].reshape(-1) + shadow[1]
            out["ema_val_loss"].append(mse(ema_pred, y_val).item())
        out["lr"].append(float(epoch_lr))
    return out


def wd_condition_number(h, lam):
    shifted = h.to(torch.float64) + lam
    return shifted.max().item() / shifted.min().item()


def plot_schedules(n_steps, configs):
    fig = plt.figure(figsize=(6, 4))
    ax = fig.add_subplot(1, 1, 1)
    xs = np.arange(n_steps)
    for kind in configs:
        kwargs = dict(configs[kind])
        ax.plot(xs, schedule_values(kind, n_steps, **kwargs).numpy(), label=kind)
    ax.set_xlabel("k")
    ax.set_ylabel("lr")
    ax.legend()
    return fig


def plot_mwe(history):
    fig = plt.figure(figsize=(10, 4))
    left = fig.add_subplot(1, 2, 1)
    right = fig.add_subplot(1, 2, 2)
    E = len(history["train_loss"])
    xs = np.arange(1, E + 1)
    for key, label in (("train_loss", "train"), ("val_loss", "val"), ("ema_val_loss", "EMA val")):
        left.semilogy(xs, history[key], label=label)
    left.set_xlabel("epoch")
    left.set_ylabel("loss")
    left.legend()
    right.plot(xs, history["lr"], label="lr")
    right.set_xlabel("epoch")
    right.set_ylabel("lr")
    return fig
