"""Reference solution for hw08_sgd_pytorch: SGD in PyTorch (lecture 8).

Lecture 8 (2025 notes, ``section/8/notes.md``): "Sampling Without Replacement",
"Previously Discussed Tweaks", "Weight Decay", "Learning Rate Schedules",
"Implementation Details in PyTorch", "Implementing EMA", "Minimal Working Implementation".

Conventions pinned here (the graders compare against them):

- An epoch is one ``torch.randperm(n, generator=generator)`` cut into contiguous batches.
- ``SGD`` follows ``torch.optim.SGD`` (dampening 0, no Nesterov): weight decay is added to
  the gradient *before* momentum, and the momentum buffer equals g on the first step.
- Schedules are closed forms in the step (or epoch) index k, starting at k = 0.
- The EMA of the weights starts from the initial weights (``AveragedModel`` instead copies
  the weights on its first update, so it is not an oracle for the first EMA step).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import Tensor, nn

# ------------------------------------------------------------------------------ q1


def epoch_batches(
    n: int, batch_size: int, generator: torch.Generator, drop_last: bool = False
) -> list[Tensor]:
    """One epoch of mini-batches, sampled **without** replacement.

    Call ``torch.randperm(n, generator=generator)`` exactly once and cut the permutation
    into contiguous chunks of ``batch_size`` indices (the last chunk is shorter when
    ``batch_size`` does not divide ``n``; with ``drop_last=True`` that short chunk is
    dropped). Every index in ``0..n-1`` therefore appears exactly once per epoch (at most
    once with ``drop_last``).

    Returns a list of int64 tensors of shape ``(batch_size,)`` (the last one possibly
    shorter), on the generator's device.
    """
    # BEGIN SOLUTION q1
    perm = torch.randperm(n, generator=generator, device=generator.device)
    batches = list(perm.split(batch_size))
    if drop_last and n % batch_size != 0:
        batches = batches[:-1]
    return batches
    # END SOLUTION


def replacement_batches(
    n: int, batch_size: int, num_batches: int, generator: torch.Generator
) -> list[Tensor]:
    """``num_batches`` mini-batches sampled **with** replacement.

    Each batch is one call ``torch.randint(n, (batch_size,), generator=generator)``, made
    in order, so batches are independent and an index may repeat (within a batch too).

    Returns a list of ``num_batches`` int64 tensors of shape ``(batch_size,)``.
    """
    # BEGIN SOLUTION q1
    return [
        torch.randint(n, (batch_size,), generator=generator, device=generator.device)
        for _ in range(num_batches)
    ]
    # END SOLUTION


# ------------------------------------------------------------------------------ q2


class SGD(torch.optim.Optimizer):
    """Stochastic gradient descent with heavy-ball momentum and (L2) weight decay.

    For each parameter w with gradient ∇L (hyperparameters read from w's group at each step):

        g ← ∇L + λ w                          (weight decay λ = ``weight_decay``)
        m ← g            on w's first step with β > 0 (no buffer is kept while β = 0)
        m ← β m + g      afterwards
        w ← w − α m      (w ← w − α g when β = 0)

    With β > 0 the buffer m is kept in ``self.state[w]["momentum_buffer"]`` (a Tensor of
    w's shape and dtype). Parameters whose ``.grad`` is ``None`` are skipped. This is
    ``torch.optim.SGD`` with dampening 0 and no Nesterov.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        if lr < 0.0 or momentum < 0.0 or weight_decay < 0.0:
            raise ValueError("lr, momentum and weight_decay must be ≥ 0")
        defaults = {"lr": lr, "momentum": momentum, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        """One update of every parameter that has a gradient.

        ``closure`` (optional) re-evaluates the loss with gradients; it is called first
        and its value returned. Returns ``None`` without a closure.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        # BEGIN SOLUTION q2
        for group in self.param_groups:
            lr, beta, lam = group["lr"], group["momentum"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                d_p = p.grad if lam == 0 else p.grad.add(p, alpha=lam)
                if beta != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = torch.clone(d_p).detach()
                        state["momentum_buffer"] = buf
                    else:
                        buf.mul_(beta).add_(d_p)
                    d_p = buf
                p.add_(d_p, alpha=-lr)
        # END SOLUTION
        return loss


# ------------------------------------------------------------------------------ q3


def lr_schedule(kind: str, k: int, lr0: float, **kw: float) -> float:
    """The learning rate at step (or epoch) ``k ≥ 0`` of a schedule that starts at ``lr0``.

    ``kind`` and its keyword hyperparameters:

    - ``"step"`` (``s``, ``gamma``): lr0 · γ^⌊k/s⌋ (a drop by γ every s steps);
    - ``"exponential"`` (``gamma``): lr0 · γ^k;
    - ``"inverse_time"`` (``beta``): lr0 / (1 + β k);
    - ``"cosine"`` (``T_max``, ``eta_min``):
      η_min + ½ (lr0 − η_min)(1 + cos(π k / T_max)) for k ≤ T_max, and η_min for k > T_max;
    - ``"warmup_cosine"`` (``warmup``, ``T_max``, ``eta_min``): lr0 · (k+1)/warmup for
      k < warmup, then the cosine schedule above in k − warmup, with T_max − warmup steps.

    Any other ``kind`` raises ``ValueError``. Returns a Python float.
    """
    # BEGIN SOLUTION q3
    if kind == "step":
        return lr0 * kw["gamma"] ** (k // int(kw["s"]))
    if kind == "exponential":
        return lr0 * kw["gamma"] ** k
    if kind == "inverse_time":
        return lr0 / (1.0 + kw["beta"] * k)
    if kind == "cosine":
        T, eta_min = kw["T_max"], kw["eta_min"]
        if k >= T:
            return float(eta_min)
        return eta_min + 0.5 * (lr0 - eta_min) * (1.0 + math.cos(math.pi * k / T))
    if kind == "warmup_cosine":
        w = int(kw["warmup"])
        if k < w:
            return lr0 * (k + 1) / w
        return lr_schedule("cosine", k - w, lr0, T_max=kw["T_max"] - w, eta_min=kw["eta_min"])
    raise ValueError(f"unknown schedule kind {kind!r}")
    # END SOLUTION


def schedule_values(kind: str, n_steps: int, lr0: float, **kw: float) -> Tensor:
    """``lr_schedule(kind, k, lr0, **kw)`` for k = 0, …, n_steps − 1.

    Returns a float64 tensor of shape ``(n_steps,)`` (on the CPU).
    """
    # BEGIN SOLUTION q3
    values = [lr_schedule(kind, k, lr0, **kw) for k in range(n_steps)]
    return torch.tensor(values, dtype=torch.float64)
    # END SOLUTION


# ------------------------------------------------------------------------------ q4


def ema_update_(ema_params: list[Tensor], params: list[Tensor], decay: float) -> None:
    """In place, without recording autograd history: e ← decay · e + (1 − decay) · p.

    ``ema_params[i]`` and ``params[i]`` have the same shape and dtype. ``params`` may
    require grad; ``ema_params`` must end up with no ``grad_fn``.
    """
    # BEGIN SOLUTION q4
    with torch.no_grad():
        for e, p in zip(ema_params, params):
            e.mul_(decay).add_(p.detach(), alpha=1.0 - decay)
    # END SOLUTION


def ema_trajectory(param_history: Tensor, decay: float, init: Tensor) -> Tensor:
    """The EMA of a parameter trajectory.

    ``param_history`` is ``(T, d)`` (row t is the parameter after step t + 1), ``init`` is
    ``(d,)``. Returns ``(T + 1, d)`` in the inputs' dtype: row 0 is ``init`` and row t + 1 is
    decay · row t + (1 − decay) · param_history[t].
    """
    # BEGIN SOLUTION q4
    e = init.detach().clone()
    rows = [e.clone()]
    for t in range(param_history.shape[0]):
        ema_update_([e], [param_history[t]], decay)
        rows.append(e.clone())
    return torch.stack(rows)
    # END SOLUTION


# ------------------------------------------------------------------------------ q5


def mse(pred: Tensor, target: Tensor) -> Tensor:
    """Mean squared error, mean over the batch: ``((pred - target) ** 2).mean()``."""
    return ((pred - target) ** 2).mean()


def train_linear(
    X_train: Tensor,
    y_train: Tensor,
    X_val: Tensor,
    y_val: Tensor,
    lr: float,
    momentum: float,
    weight_decay: float,
    epochs: int,
    batch_size: int,
    ema_decay: float,
    eta_min: float,
    seed: int,
) -> dict[str, list[float]]:
    """The notes' minimal working example, made deterministic.

    ``X_train`` ``(n, d)``, ``y_train`` ``(n,)``, ``X_val`` ``(m, d)``, ``y_val`` ``(m,)``,
    all float64 on one device. Model: ``nn.Linear(d, 1)`` in float64 on that device, with
    weight and bias **set to zero** after construction; prediction ``model(X).squeeze(-1)``;
    loss ``mse``.

    Exactly this sequence:

    - ``g = torch.Generator(device=X_train.device).manual_seed(seed)``;
      ``opt = SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)``
      (your q2 class); the EMA copies start as clones of the (zero) parameters.
    - For epoch k = 0, …, epochs − 1: set every group's ``"lr"`` to
      ``lr_schedule("cosine", k, lr, T_max=epochs, eta_min=eta_min)``; for each batch
      ``idx`` in ``epoch_batches(n, batch_size, g)``: ``opt.zero_grad()``, loss on
      ``X_train[idx]``, ``backward()``, ``opt.step()``, then
      ``ema_update_(ema, list(model.parameters()), ema_decay)``.
    - After each epoch, record (as floats, without gradients) the full training loss, the
      validation loss, the validation loss of the EMA weights, and the lr used this epoch.

    Returns ``{"train_loss": [...], "val_loss": [...], "ema_val_loss": [...], "lr": [...]}``,
    each a list of ``epochs`` floats.
    """
    # BEGIN SOLUTION q5
    n, d = X_train.shape
    g = torch.Generator(device=X_train.device).manual_seed(seed)
    model = nn.Linear(d, 1, dtype=torch.float64, device=X_train.device)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.zero_()
    opt = SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    ema = [p.detach().clone() for p in model.parameters()]
    hist: dict[str, list[float]] = {"train_loss": [], "val_loss": [], "ema_val_loss": [], "lr": []}
    for k in range(epochs):
        lr_k = lr_schedule("cosine", k, lr, T_max=epochs, eta_min=eta_min)
        for group in opt.param_groups:
            group["lr"] = lr_k
        for idx in epoch_batches(n, batch_size, g):
            opt.zero_grad()
            loss = mse(model(X_train[idx]).squeeze(-1), y_train[idx])
            loss.backward()
            opt.step()
            ema_update_(ema, list(model.parameters()), ema_decay)
        with torch.no_grad():
            hist["train_loss"].append(float(mse(model(X_train).squeeze(-1), y_train)))
            hist["val_loss"].append(float(mse(model(X_val).squeeze(-1), y_val)))
            ema_pred = F.linear(X_val, ema[0], ema[1]).squeeze(-1)
            hist["ema_val_loss"].append(float(mse(ema_pred, y_val)))
        hist["lr"].append(lr_k)
    return hist
    # END SOLUTION


def wd_condition_number(h: Tensor, lam: float) -> float:
    """Condition number of a quadratic with curvatures ``h`` after weight decay λ.

    Weight decay adds λ‖w‖²/2 to the loss, shifting every curvature h_i to h_i + λ, so
    κ = (max h + λ) / (min h + λ). ``h`` is a float64 tensor ``(d,)`` with positive entries.
    Returns a Python float.
    """
    # BEGIN SOLUTION q5
    return float((h.max() + lam) / (h.min() + lam))
    # END SOLUTION


def make_regression_data(
    n: int, d: int, noise: float, seed: int, device: str | torch.device = "cpu"
) -> tuple[Tensor, Tensor, Tensor]:
    """Synthetic linear-regression data, as in the notes' MWE.

    Draws, from ``torch.Generator().manual_seed(seed)`` on the CPU, ``X = randn(n, d)``,
    ``w_true = randn(d)`` and ``noise · randn(n)``; ``y = X w_true + noise``. Returns
    ``(X, y, w_true)`` as float64 tensors on ``device``.
    """
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=torch.float64)
    w_true = torch.randn(d, generator=g, dtype=torch.float64)
    y = X @ w_true + noise * torch.randn(n, generator=g, dtype=torch.float64)
    return X.to(device), y.to(device), w_true.to(device)


# ------------------------------------------------------------------------------ q6


def plot_schedules(n_steps: int, configs: dict[str, dict]) -> Figure:
    """Learning rate vs step for several schedules, on one axes.

    ``configs`` maps a schedule ``kind`` to its keyword arguments, including ``lr0``, e.g.
    ``{"cosine": {"lr0": 0.1, "T_max": 100, "eta_min": 0.0}}``. Draw one line per kind,
    labelled with the kind, with x = 0, …, n_steps − 1 and y =
    ``schedule_values(kind, n_steps, **config)``. Linear axes; label both axes.
    """
    # BEGIN SOLUTION q6
    fig, ax = plt.subplots(figsize=(6, 4))
    steps = list(range(n_steps))
    for kind, config in configs.items():
        ax.plot(steps, schedule_values(kind, n_steps, **config).tolist(), label=kind)
    ax.set_xlabel("step k")
    ax.set_ylabel("learning rate")
    ax.set_title("Learning-rate schedules")
    ax.legend()
    fig.tight_layout()
    return fig
    # END SOLUTION


def plot_mwe(history: dict[str, list[float]]) -> Figure:
    """The MWE's curves: two axes side by side.

    Left: ``"train"``, ``"val"`` and ``"EMA val"`` losses (``history["train_loss"]``,
    ``["val_loss"]``, ``["ema_val_loss"]``) vs epoch 1, …, E, with a **log** y axis.
    Right: one line ``"lr"`` (``history["lr"]``) vs epoch 1, …, E, linear axes.
    Label every axis.
    """
    # BEGIN SOLUTION q6
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = list(range(1, len(history["train_loss"]) + 1))
    ax0.plot(epochs, history["train_loss"], label="train")
    ax0.plot(epochs, history["val_loss"], label="val")
    ax0.plot(epochs, history["ema_val_loss"], label="EMA val")
    ax0.set_yscale("log")
    ax0.set_xlabel("epoch")
    ax0.set_ylabel("MSE loss")
    ax0.legend()
    ax1.plot(epochs, history["lr"], label="lr")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("learning rate")
    fig.tight_layout()
    return fig
    # END SOLUTION
