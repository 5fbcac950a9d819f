# An independent correct solution. Differs from the reference: the three optimisers share
# one helper that gathers (param, grad, state) triples; Adagrad forms g + λw and divides
# lr·g by (√G + ε) out of place; Adam and AdamW use torch.optim.Adam's own arrangement
# (step size lr / (1 − β₁^t), denominator √v / √(1 − β₂^t) + ε) instead of m̂ and v̂,
# with 1 − β^t computed as −expm1(t log β); AdamW decays with p − lr·λ·p; bias_corrected
# multiplies by reciprocals; l2_vs_decoupled runs every λ in one optimiser with one
# parameter group per λ; train_classifier takes the training loss as a sum over n and
# the accuracy as a count over m; mechanics_data uses closed forms (a matrix of β₂ powers
# for the EMAs, (1 − β^t)·g for the constant gradient) instead of recursions; the figures
# are built with fig.add_subplot.
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F


def _one_minus_power(beta, t):
    """1 − β^t, accurate also when β is close to 1."""
    if beta == 0.0:
        return 1.0
    return -math.expm1(t * math.log(beta))


def _with_grads(optimizer):
    for group in optimizer.param_groups:
        for p in group["params"]:
            if p.grad is not None:
                yield group, p, p.grad, optimizer.state[p]


def _check_common(lr, eps, weight_decay):
    if min(lr, eps, weight_decay) < 0.0:
        raise ValueError("lr, eps and weight_decay must be non-negative")


class Adagrad(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-2, eps=1e-10, weight_decay=0.0, initial_accumulator_value=0.0):
        _check_common(lr, eps, weight_decay)
        if initial_accumulator_value < 0.0:
            raise ValueError("initial_accumulator_value must be non-negative")
        super().__init__(
            params,
            dict(
                lr=lr,
                eps=eps,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
            ),
        )

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group, p, grad, state in _with_grads(self):
            if "sum" not in state:
                state["sum"] = torch.zeros_like(p) + group["initial_accumulator_value"]
                state["step"] = 0
            g = grad + group["weight_decay"] * p if group["weight_decay"] else grad
            state["sum"] += g * g
            state["step"] = state["step"] + 1
            p -= group["lr"] * g / (torch.sqrt(state["sum"]) + group["eps"])
        return loss


def bias_corrected(m, v, beta1, beta2, t):
    return m * (1.0 / _one_minus_power(beta1, t)), v * (1.0 / _one_minus_power(beta2, t))


def _adam_update(p, grad, state, group):
    beta1, beta2 = group["betas"]
    if "exp_avg" not in state:
        state["step"] = 0
        state["exp_avg"] = torch.zeros_like(p)
        state["exp_avg_sq"] = torch.zeros_like(p)
    state["step"] += 1
    t = state["step"]
    m, v = state["exp_avg"], state["exp_avg_sq"]
    m.lerp_(grad, 1.0 - beta1)
    v.mul_(beta2).add_((1.0 - beta2) * grad * grad)
    step_size = group["lr"] / _one_minus_power(beta1, t)
    denom = v.sqrt() / math.sqrt(_one_minus_power(beta2, t)) + group["eps"]
    p.addcdiv_(m, denom, value=-step_size)


def _check_betas(betas):
    if not all(0.0 <= b < 1.0 for b in betas):
        raise ValueError(f"each beta must be in [0, 1), got {betas}")


class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        _check_common(lr, eps, weight_decay)
        _check_betas(betas)
        super().__init__(
            params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
        )

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group, p, grad, state in list(_with_grads(self)):
            lam = group["weight_decay"]
            _adam_update(p, grad + lam * p if lam else grad, state, group)
        return loss


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        _check_common(lr, eps, weight_decay)
        _check_betas(betas)
        super().__init__(
            params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
        )

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group, p, grad, state in list(_with_grads(self)):
            g = grad.clone()  # the gradient at w_{t−1}, before the decay below
            p.add_(p, alpha=-group["lr"] * group["weight_decay"])
            _adam_update(p, g, state, group)
        return loss


def l2_vs_decoupled(w0, lr, weight_decays, steps):
    out = {}
    for key, cls in (("adam_l2", Adam), ("adamw", AdamW)):
        params = [w0.detach().clone().requires_grad_(True) for _ in weight_decays]
        groups = [{"params": [w], "weight_decay": lam} for w, lam in zip(params, weight_decays)]
        opt = cls(groups, lr=lr)
        history = torch.empty(
            len(weight_decays), steps + 1, w0.numel(), dtype=w0.dtype, device=w0.device
        )
        for i, w in enumerate(params):
            history[i, 0] = w.detach()
        for t in range(1, steps + 1):
            for w in params:
                w.grad = torch.zeros_like(w)
            opt.step()
            for i, w in enumerate(params):
                history[i, t] = w.detach()
        out[key] = history
    return out


def plot_l2_vs_decoupled(result, weight_decays):
    k, n_points, d = result["adam_l2"].shape
    fig = plt.figure(figsize=(5 * d, 4))
    steps = np.arange(n_points)
    for j in range(d):
        ax = fig.add_subplot(1, d, j + 1)
        for i in range(k):
            lam = weight_decays[i]
            ax.plot(
                steps, result["adamw"][i, :, j].detach().cpu().numpy(), label=f"AdamW, λ = {lam:g}"
            )
            ax.plot(
                steps,
                result["adam_l2"][i, :, j].detach().cpu().numpy(),
                ":",
                label=f"Adam+L2, λ = {lam:g}",
            )
        ax.set_xlabel("t")
        ax.set_ylabel(f"coordinate {j}")
        ax.legend()
    return fig


def make_optimizer(opt_name, params, hparams):
    builders = {
        "sgd": lambda: torch.optim.SGD(params, **dict(hparams, momentum=0.0)),
        "momentum": lambda: torch.optim.SGD(params, **{**{"momentum": 0.9}, **hparams}),
        "adagrad": lambda: Adagrad(params, **hparams),
        "adam": lambda: Adam(params, **hparams),
        "adamw": lambda: AdamW(params, **hparams),
    }
    if opt_name not in builders:
        raise ValueError(f"no optimiser called {opt_name!r}")
    return builders[opt_name]()


def train_classifier(
    opt_name, hparams, steps, batch_size, seed, data, eval_every=50, hidden=(128,), n_classes=10
):
    X_train, y_train, X_val, y_val = data
    n, d = X_train.shape
    gen = torch.Generator().manual_seed(seed)
    net = make_mlp((d, *hidden, n_classes), gen, dtype=X_train.dtype, device=X_train.device)
    opt = make_optimizer(opt_name, net.parameters(), hparams)
    record = {"step": [], "train_loss": [], "val_loss": [], "val_acc": []}

    @torch.no_grad()
    def log(k):
        train_total = F.cross_entropy(net(X_train), y_train, reduction="sum").item()
        logits = net(X_val)
        record["step"].append(int(k))
        record["train_loss"].append(train_total / n)
        record["val_loss"].append(F.cross_entropy(logits, y_val).item())
        correct = int((logits.argmax(dim=-1) == y_val).sum().item())
        record["val_acc"].append(correct / y_val.shape[0])

    log(0)
    for k in range(1, steps + 1):
        idx = torch.randint(0, n, (batch_size,), generator=gen).to(X_train.device)
        opt.zero_grad()
        F.cross_entropy(net(X_train[idx]), y_train[idx]).backward()
        opt.step()
        if k == steps or k % eval_every == 0:
            log(k)
    return record


def mechanics_data(
    grads, lr=0.1, eps=1e-10, beta2s=(0.9, 0.99, 0.999), betas=(0.9, 0.999), g_const=1.0
):
    dtype, device = grads.dtype, grads.device
    T = grads.shape[0]
    t = torch.arange(1, T + 1, dtype=dtype, device=device)
    G = torch.cumsum(grads * grads, dim=0)
    sq0 = grads[:, 0] ** 2
    lag = (t[:, None] - t[None, :]).to(torch.float64)  # t − s
    rows = []
    for b2 in beta2s:
        weights = torch.where(lag >= 0, (1.0 - b2) * b2 ** lag.clamp(min=0), 0.0).to(dtype)
        rows.append(weights @ sq0)
    b1, b2 = betas
    one_minus_b1 = torch.tensor(
        [_one_minus_power(b1, k) for k in range(1, T + 1)], dtype=dtype, device=device
    )
    one_minus_b2 = torch.tensor(
        [_one_minus_power(b2, k) for k in range(1, T + 1)], dtype=dtype, device=device
    )
    m = one_minus_b1 * g_const
    v = one_minus_b2 * g_const**2
    return {
        "t": t,
        "rate": lr / (torch.sqrt(G) + eps),
        "G": G[:, 0].clone(),
        "v": torch.stack(rows),
        "beta2s": torch.tensor(list(beta2s), dtype=dtype, device=device),
        "m": m,
        "v_const": v,
        "m_hat": m / one_minus_b1,
        "v_hat": v / one_minus_b2,
    }


def plot_adaptive_mechanics(data):
    fig = plt.figure(figsize=(15, 4))
    axes = [fig.add_subplot(1, 3, i + 1) for i in range(3)]
    x = data["t"].detach().cpu().numpy()
    rate = data["rate"].detach().cpu().numpy()
    for j in range(rate.shape[1]):
        axes[0].semilogy(x, rate[:, j], label=f"coordinate {j}")
    axes[0].set_xlabel("t")
    axes[0].set_ylabel("effective rate")
    axes[1].semilogy(x, data["G"].detach().cpu().numpy(), label="Adagrad G_t")
    for i, b in enumerate(data["beta2s"].tolist()):
        axes[1].semilogy(
            x, data["v"][i].detach().cpu().numpy(), label=f"Adam v_t, β₂ = {float(b):g}"
        )
    axes[1].set_xlabel("t")
    axes[1].set_ylabel("G_t, v_t")
    for key, name in (("m", "m_t"), ("v_const", "v_t"), ("m_hat", "m̂_t"), ("v_hat", "v̂_t")):
        axes[2].plot(x, data[key].detach().cpu().numpy(), label=name)
    axes[2].set_xlabel("t")
    axes[2].set_ylabel("value")
    for ax in axes:
        ax.legend()
    return fig


def plot_optimizer_comparison(histories):
    fig = plt.figure(figsize=(11, 4))
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for name in histories:
        h = histories[name]
        left.plot(h["step"], h["train_loss"], label=name)
        right.plot(h["step"], h["val_acc"], label=name)
    left.set_yscale("log")
    left.set_xlabel("step")
    left.set_ylabel("training loss")
    right.set_xlabel("step")
    right.set_ylabel("validation accuracy")
    left.legend()
    right.legend()
    return fig
