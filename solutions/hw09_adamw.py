"""Reference solution for hw09_adamw: Adagrad, Adam, AdamW as ``torch.optim.Optimizer``s.

Lecture 9 (Stat 4830, 2025 notes): "Algorithm Definitions" (Adagrad, Adam, AdamW),
"A quick experiment" (figures 2.1–2.3), "Practical Implementation" and "A Minimal Working
Example" (the optimiser comparison, retargeted from Fashion-MNIST to scikit-learn's
bundled digits).

Conventions pinned to PyTorch (they are what the graders compare against):

- Adagrad divides by √G + ε, with ε **outside** the square root (the notes write
  √(G + ε); that differs from ``torch.optim.Adagrad`` by ~1.7 % at ε = 1e-3).
- Adam's ``weight_decay`` is L2: λw is added to the gradient before the moments.
- AdamW takes the gradient at w_{t−1}, then applies w ← (1 − αλ)w and the Adam step
  in the same iteration (the notes' code and torch; not the cheatsheet's "gradient at the
  decayed weights").
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import Tensor, nn

# ------------------------------------------------------------------------------ q1


class Adagrad(torch.optim.Optimizer):
    """Adagrad (Duchi et al., 2011) with PyTorch's conventions.

    For each parameter, with g the gradient (plus λw when ``weight_decay`` λ > 0):

        G ← G + g²                  (state ``"sum"``, same shape and dtype as the parameter)
        w ← w − lr · g / (√G + ε)   (ε outside the square root, as torch does)

    ``G`` starts at ``initial_accumulator_value``. State per parameter: ``"sum"`` (Tensor)
    and ``"step"`` (the number of updates this parameter has received). Parameters whose
    ``.grad`` is ``None`` are skipped (no state change). Hyperparameters are read from each
    parameter group, so groups may use different values.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-2,
        eps: float = 1e-10,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
    ) -> None:
        if lr < 0.0 or eps < 0.0 or weight_decay < 0.0 or initial_accumulator_value < 0.0:
            raise ValueError("lr, eps, weight_decay and initial_accumulator_value must be ≥ 0")
        defaults = {
            "lr": lr,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        """One Adagrad update of every parameter that has a gradient.

        Args:
            closure: optional; re-evaluates the loss (zero_grad, forward, backward) and
                returns it. It is called with gradients enabled, before the update.

        Returns:
            The closure's return value, or ``None`` without a closure.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        # BEGIN SOLUTION q1
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["sum"] = torch.full_like(p, group["initial_accumulator_value"])
                grad = p.grad
                if group["weight_decay"] != 0:
                    # L2 regularisation: the decay term joins the gradient (and the sum).
                    grad = grad.add(p, alpha=group["weight_decay"])
                state["step"] += 1
                state["sum"].addcmul_(grad, grad, value=1.0)
                std = state["sum"].sqrt().add_(group["eps"])
                p.addcdiv_(grad, std, value=-group["lr"])
        # END SOLUTION
        return loss


# ------------------------------------------------------------------------------ q2


def bias_corrected(
    m: Tensor, v: Tensor, beta1: float, beta2: float, t: int
) -> tuple[Tensor, Tensor]:
    """Adam's bias correction after t ≥ 1 updates of the moment estimates.

    Args:
        m: first-moment estimate m_t (any shape, floating point).
        v: second-moment estimate v_t (same shape as ``m``).
        beta1, beta2: the EMA rates β₁, β₂ in [0, 1).
        t: the number of updates folded into ``m`` and ``v`` (t ≥ 1).

    Returns:
        (m̂_t, v̂_t) = (m_t / (1 − β₁^t), v_t / (1 − β₂^t)), new tensors of the inputs'
        shape and dtype.
    """
    # BEGIN SOLUTION q2
    m_hat = m / (1.0 - beta1**t)
    v_hat = v / (1.0 - beta2**t)
    return m_hat, v_hat
    # END SOLUTION


class Adam(torch.optim.Optimizer):
    """Adam (Kingma & Ba, 2015) with L2-coupled weight decay, as ``torch.optim.Adam``.

    For each parameter, with g = ∇ℓ(w_{t−1}) + λ w_{t−1} (λ = ``weight_decay``; the L2
    term goes *into* the gradient, so it is rescaled by the adaptive denominator):

        m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²
        m̂ = m / (1 − β₁^t),      v̂ = v / (1 − β₂^t)
        w ← w − lr · m̂ / (√v̂ + ε)

    State per parameter: ``"exp_avg"`` (m), ``"exp_avg_sq"`` (v), both zero-initialised
    tensors like the parameter, and ``"step"`` (t, this parameter's update count).
    Parameters whose ``.grad`` is ``None`` are skipped. Hyperparameters are read from each
    parameter group.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        if lr < 0.0 or eps < 0.0 or weight_decay < 0.0:
            raise ValueError("lr, eps and weight_decay must be ≥ 0")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        """One Adam update of every parameter that has a gradient.

        Args:
            closure: optional; re-evaluates the loss and returns it (called with gradients
                enabled, before the update).

        Returns:
            The closure's return value, or ``None`` without a closure.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        # BEGIN SOLUTION q2
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                grad = p.grad
                if group["weight_decay"] != 0:
                    # Coupled L2: λw is part of the gradient the moments see.
                    grad = grad.add(p, alpha=group["weight_decay"])
                state["step"] += 1
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg.mul_(beta1).add_(grad, alpha=1.0 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
                m_hat, v_hat = bias_corrected(exp_avg, exp_avg_sq, beta1, beta2, state["step"])
                p.addcdiv_(m_hat, v_hat.sqrt().add_(group["eps"]), value=-group["lr"])
        # END SOLUTION
        return loss


# ------------------------------------------------------------------------------ q3


class AdamW(torch.optim.Optimizer):
    """AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay.

    For each parameter, with g = ∇ℓ(w_{t−1}) (the gradient at the weights *before* this
    step's decay; nothing is added to it):

        w ← (1 − lr·λ) w                                  (decay, λ = ``weight_decay``)
        m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²
        w ← w − lr · m̂ / (√v̂ + ε)                        (m̂, v̂ bias-corrected as in Adam)

    so w_t = (1 − lr·λ) w_{t−1} − lr · m̂_t / (√v̂_t + ε). Same state as ``Adam``
    (``"exp_avg"``, ``"exp_avg_sq"``, ``"step"``); parameters whose ``.grad`` is ``None``
    are skipped, decay included. Hyperparameters are read from each parameter group.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        if lr < 0.0 or eps < 0.0 or weight_decay < 0.0:
            raise ValueError("lr, eps and weight_decay must be ≥ 0")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        """One AdamW update of every parameter that has a gradient.

        Args:
            closure: optional; re-evaluates the loss and returns it (called with gradients
                enabled, before the update).

        Returns:
            The closure's return value, or ``None`` without a closure.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        # BEGIN SOLUTION q3
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = group["lr"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                grad = p.grad  # taken at w_{t-1}: p.grad is not touched by the decay below
                state["step"] += 1
                # Decoupled decay: shrink the weights directly, outside the adaptive scaling.
                p.mul_(1.0 - lr * group["weight_decay"])
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg.mul_(beta1).add_(grad, alpha=1.0 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
                m_hat, v_hat = bias_corrected(exp_avg, exp_avg_sq, beta1, beta2, state["step"])
                p.addcdiv_(m_hat, v_hat.sqrt().add_(group["eps"]), value=-lr)
        # END SOLUTION
        return loss


# ------------------------------------------------------------------------------ q4


def l2_vs_decoupled(
    w0: Tensor, lr: float, weight_decays: list[float], steps: int
) -> dict[str, Tensor]:
    """Adam with L2 decay vs AdamW on the zero loss ℓ(w) ≡ 0, one run per λ.

    For each λ in ``weight_decays``: clone ``w0`` into a fresh leaf parameter, build your
    ``Adam(params, lr=lr, weight_decay=λ)`` (other hyperparameters at their defaults),
    and take ``steps`` steps, each after setting the parameter's ``.grad`` to zeros (the
    gradient of the zero loss). Then do the same with your ``AdamW(params, lr=lr,
    weight_decay=λ)``.

    Args:
        w0: (d,) floating-point start (not modified).
        lr: the learning rate α.
        weight_decays: the λ values, length k.
        steps: number of optimiser steps T.

    Returns:
        ``{"adam_l2": Tensor (k, T + 1, d), "adamw": Tensor (k, T + 1, d)}``: row [i, t]
        is w_t of the run with λ = weight_decays[i] (row t = 0 is ``w0``); dtype and device
        of ``w0``.
    """
    # BEGIN SOLUTION q4
    result: dict[str, Tensor] = {}
    for key, opt_class in (("adam_l2", Adam), ("adamw", AdamW)):
        runs = []
        for lam in weight_decays:
            w = w0.detach().clone().requires_grad_(True)
            opt = opt_class([w], lr=lr, weight_decay=lam)
            path = [w.detach().clone()]
            for _ in range(steps):
                w.grad = torch.zeros_like(w)  # ∇ of the zero loss: only the decay acts
                opt.step()
                path.append(w.detach().clone())
            runs.append(torch.stack(path))
        result[key] = torch.stack(runs)
    return result
    # END SOLUTION


def plot_l2_vs_decoupled(result: dict[str, Tensor], weight_decays: list[float]) -> Figure:
    """w_t against t for Adam+L2 and AdamW, one panel per coordinate of w.

    Args:
        result: the output of ``l2_vs_decoupled``: ``"adam_l2"`` and ``"adamw"`` of shape
            (k, T + 1, d).
        weight_decays: the k values of λ, in the order of ``result``'s first axis.

    Returns:
        A Figure with d axes (coordinate j on axes j), linear scales, axis labels on every
        axes. On axes j, for each i: a line with x = 0, 1, …, T and
        y = result["adam_l2"][i, :, j], labelled ``f"Adam+L2, λ = {weight_decays[i]:g}"``,
        and one with y = result["adamw"][i, :, j], labelled
        ``f"AdamW, λ = {weight_decays[i]:g}"``.
    """
    # BEGIN SOLUTION q4
    _, n_points, d = result["adamw"].shape
    fig, axes = plt.subplots(1, d, figsize=(5 * d, 3.8), squeeze=False, layout="constrained")
    ts = torch.arange(n_points).numpy()
    for j, ax in enumerate(axes[0]):
        for i, lam in enumerate(weight_decays):
            ax.plot(
                ts, result["adam_l2"][i, :, j].cpu().numpy(), "--", label=f"Adam+L2, λ = {lam:g}"
            )
            ax.plot(ts, result["adamw"][i, :, j].cpu().numpy(), label=f"AdamW, λ = {lam:g}")
        ax.set_xlabel("step t")
        ax.set_ylabel(f"w_t[{j}]")
        ax.set_title(f"coordinate {j}, w_0 = {float(result['adamw'][0, 0, j]):g}")
        ax.legend(fontsize=8)
    return fig
    # END SOLUTION


# ------------------------------------------------------------------------------ q5


def load_digits_split(
    seed: int = 0,
    n_val: int = 297,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """scikit-learn's bundled digits (1797 images of 8×8 pixels, 10 classes), split in two.

    Pixels are divided by 16 so they lie in [0, 1]. The split draws
    ``torch.randperm(1797, generator=torch.Generator().manual_seed(seed))``; its first
    ``n_val`` indices are the validation set, the rest the training set.

    Returns:
        (X_train (1797 − n_val, 64), y_train (1797 − n_val,), X_val (n_val, 64),
        y_val (n_val,)); X in ``dtype``, labels int64, all on ``device``.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = torch.tensor(digits.data, dtype=dtype) / 16.0
    y = torch.tensor(digits.target, dtype=torch.int64)
    perm = torch.randperm(X.shape[0], generator=torch.Generator().manual_seed(seed))
    val, train = perm[:n_val], perm[n_val:]
    return tuple(t.to(device) for t in (X[train], y[train], X[val], y[val]))  # type: ignore[return-value]


def make_mlp(
    sizes: tuple[int, ...],
    generator: torch.Generator,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
) -> nn.Sequential:
    """An MLP Linear → ReLU → … → Linear with layer widths ``sizes`` (input first).

    The initialisation has PyTorch's default distribution, U(−1/√fan_in, 1/√fan_in) for
    weights and biases, but is drawn from ``generator`` so runs are reproducible: for each
    layer in order, ``torch.rand((fan_out, fan_in), generator=generator, dtype=dtype)``
    for the weight, then ``torch.rand((fan_out,), ...)`` for the bias (on the CPU, then
    moved to ``device``). The global random state is not touched.
    """
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        fan_in, fan_out = sizes[i], sizes[i + 1]
        layer = nn.utils.skip_init(nn.Linear, fan_in, fan_out, dtype=dtype, device=device)
        bound = 1.0 / math.sqrt(fan_in)
        w = (2.0 * torch.rand((fan_out, fan_in), generator=generator, dtype=dtype) - 1.0) * bound
        b = (2.0 * torch.rand((fan_out,), generator=generator, dtype=dtype) - 1.0) * bound
        layer.weight = nn.Parameter(w.to(device))
        layer.bias = nn.Parameter(b.to(device))
        layers += [layer, nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def make_optimizer(opt_name: str, params: Iterable[Tensor], hparams: dict) -> torch.optim.Optimizer:
    """The optimiser called ``opt_name``, built on ``params`` with keyword args ``hparams``.

    - ``"sgd"``: ``torch.optim.SGD(params, **hparams)`` with momentum forced to 0;
    - ``"momentum"``: ``torch.optim.SGD(params, **hparams)`` with momentum defaulting to
      0.9 when ``hparams`` does not give it;
    - ``"adagrad"``, ``"adam"``, ``"adamw"``: **your** ``Adagrad``, ``Adam``, ``AdamW``
      with ``**hparams``.

    Raises:
        ValueError: for any other name.
    """
    # BEGIN SOLUTION q5
    if opt_name == "sgd":
        return torch.optim.SGD(params, **{**hparams, "momentum": 0.0})
    if opt_name == "momentum":
        return torch.optim.SGD(params, **{"momentum": 0.9, **hparams})
    classes = {"adagrad": Adagrad, "adam": Adam, "adamw": AdamW}
    if opt_name not in classes:
        raise ValueError(f"unknown optimiser {opt_name!r}")
    return classes[opt_name](params, **hparams)
    # END SOLUTION


def train_classifier(
    opt_name: str,
    hparams: dict,
    steps: int,
    batch_size: int,
    seed: int,
    data: tuple[Tensor, Tensor, Tensor, Tensor],
    eval_every: int = 50,
    hidden: tuple[int, ...] = (128,),
    n_classes: int = 10,
) -> dict[str, list[float]]:
    """Train an MLP classifier with mini-batch steps; evaluate it along the way.

    Exactly this sequence, so that runs can be compared draw for draw:

    1. ``gen = torch.Generator().manual_seed(seed)``;
       ``model = make_mlp((d, *hidden, n_classes), gen, dtype=X_train.dtype,
       device=X_train.device)``; ``opt = make_optimizer(opt_name, model.parameters(),
       hparams)``.
    2. For each step k = 1, …, ``steps``: ``idx = torch.randint(0, n, (batch_size,),
       generator=gen)`` (on the CPU, moved to the data's device; n = len(X_train));
       the loss is ``F.cross_entropy`` (mean) of ``model(X_train[idx])`` against
       ``y_train[idx]``; zero the gradients, backpropagate, ``opt.step()``.
    3. Evaluate (under ``torch.no_grad()``) before the first step and after every step k
       with k % eval_every == 0 or k == steps: record k, the mean cross-entropy on the
       whole training set, the mean cross-entropy on the validation set, and the
       validation accuracy (fraction of argmax predictions equal to the label).

    Args:
        opt_name: ``"sgd"``, ``"momentum"``, ``"adagrad"``, ``"adam"`` or ``"adamw"``.
        hparams: keyword arguments of the optimiser (see ``make_optimizer``).
        steps: number of optimiser steps.
        batch_size: examples per step, drawn with replacement.
        seed: seeds the initialisation and the batches.
        data: (X_train (n, d) float, y_train (n,) int64, X_val (m, d), y_val (m,)).
        eval_every: evaluation period in steps.
        hidden: hidden-layer widths.
        n_classes: number of output classes.

    Returns:
        ``{"step", "train_loss", "val_loss", "val_acc"}``: lists of Python numbers, one
        entry per evaluation (``"step"`` holds ints).
    """
    # BEGIN SOLUTION q5
    X_tr, y_tr, X_val, y_val = data
    gen = torch.Generator().manual_seed(seed)
    model = make_mlp((X_tr.shape[1], *hidden, n_classes), gen, dtype=X_tr.dtype, device=X_tr.device)
    opt = make_optimizer(opt_name, model.parameters(), hparams)
    history: dict[str, list[float]] = {"step": [], "train_loss": [], "val_loss": [], "val_acc": []}

    def evaluate(k: int) -> None:
        with torch.no_grad():
            val_logits = model(X_val)
            history["step"].append(k)
            history["train_loss"].append(F.cross_entropy(model(X_tr), y_tr).item())
            history["val_loss"].append(F.cross_entropy(val_logits, y_val).item())
            history["val_acc"].append((val_logits.argmax(dim=1) == y_val).double().mean().item())

    evaluate(0)
    for k in range(1, steps + 1):
        idx = torch.randint(0, X_tr.shape[0], (batch_size,), generator=gen).to(X_tr.device)
        batch_loss = F.cross_entropy(model(X_tr[idx]), y_tr[idx])
        opt.zero_grad()
        batch_loss.backward()
        opt.step()
        if k % eval_every == 0 or k == steps:
            evaluate(k)
    return history
    # END SOLUTION


def fashion_mnist_path() -> str | None:
    """The local Fashion-MNIST folder named by ``$STAT4830_FASHION_MNIST``, if it exists.

    Nothing is ever downloaded; the optional Fashion-MNIST run is skipped without it.
    """
    path = os.environ.get("STAT4830_FASHION_MNIST")
    return path if path and os.path.isdir(path) else None


def read_idx(path: str) -> Tensor:
    """An IDX file (the MNIST format; gzipped if the name ends in ``.gz``) as uint8.

    Layout: two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions
    k, then k big-endian int32 sizes, then the data in row-major order.
    """
    import gzip

    import numpy as np

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file")
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    return torch.from_numpy(data.reshape(shape).copy())


def load_fashion_mnist(
    folder: str,
    n_train: int = 10_000,
    n_val: int = 2_000,
    device: str | torch.device = "cpu",
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The first ``n_train`` training and ``n_val`` test images of a local Fashion-MNIST.

    ``folder`` holds ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (each optionally ``.gz``).
    Pixels are mapped to [−1, 1] as in the notes (``Normalize((0.5,), (0.5,))``).

    Returns:
        (X_train (n_train, 784) float32, y_train (n_train,) int64, X_val (n_val, 784),
        y_val (n_val,)), on ``device``.
    """

    def part(stem: str, n: int) -> Tensor:
        plain = os.path.join(folder, stem)
        return read_idx(plain if os.path.exists(plain) else plain + ".gz")[:n]

    X_tr = part("train-images-idx3-ubyte", n_train).reshape(-1, 784).float() / 127.5 - 1.0
    X_val = part("t10k-images-idx3-ubyte", n_val).reshape(-1, 784).float() / 127.5 - 1.0
    y_tr = part("train-labels-idx1-ubyte", n_train).long()
    y_val = part("t10k-labels-idx1-ubyte", n_val).long()
    return tuple(t.to(device) for t in (X_tr, y_tr, X_val, y_val))  # type: ignore[return-value]


# ------------------------------------------------------------------------------ q6


def mechanics_data(
    grads: Tensor,
    lr: float = 0.1,
    eps: float = 1e-10,
    beta2s: tuple[float, ...] = (0.9, 0.99, 0.999),
    betas: tuple[float, float] = (0.9, 0.999),
    g_const: float = 1.0,
) -> dict[str, Tensor]:
    """The curves of the lecture's figures 2.1–2.3, from plain recursions (t = 1, …, T).

    Args:
        grads: (T, 2) gradient stream of two coordinates (float64).
        lr, eps: Adagrad's α and ε.
        beta2s: the β₂ values of the EMAs in figure 2.2.
        betas: (β₁, β₂) for figure 2.3.
        g_const: the constant gradient of figure 2.3.

    Returns:
        A dict of tensors in ``grads``' dtype and device:

        - ``"t"``: (T,) the steps 1, …, T;
        - ``"rate"``: (T, 2) Adagrad's effective rate α / (√G_t + ε) per coordinate,
          G_t = Σ_{s≤t} g_s²;
        - ``"G"``: (T,) G_t of coordinate 0;
        - ``"v"``: (len(beta2s), T) v_t = β₂ v_{t−1} + (1 − β₂) g_t² of coordinate 0
          (v_0 = 0), one row per β₂;
        - ``"beta2s"``: (len(beta2s),) the β₂ values;
        - ``"m"``, ``"v_const"``, ``"m_hat"``, ``"v_hat"``: (T,) Adam's m_t, v_t and their
          bias-corrected m̂_t, v̂_t under the constant gradient ``g_const`` with ``betas``.
    """
    # BEGIN SOLUTION q6
    T = grads.shape[0]
    like = {"dtype": grads.dtype, "device": grads.device}
    G_all = torch.cumsum(grads**2, dim=0)
    g0_sq = grads[:, 0] ** 2
    v_rows = []
    for beta2 in beta2s:
        v, row = torch.zeros((), **like), []
        for t in range(T):
            v = beta2 * v + (1.0 - beta2) * g0_sq[t]
            row.append(v)
        v_rows.append(torch.stack(row))
    beta1, beta2 = betas
    m = v = torch.zeros((), **like)
    ms, vs = [], []
    for _ in range(T):
        m = beta1 * m + (1.0 - beta1) * g_const
        v = beta2 * v + (1.0 - beta2) * g_const**2
        ms.append(m)
        vs.append(v)
    t = torch.arange(1, T + 1, **like)
    m_t, v_t = torch.stack(ms), torch.stack(vs)
    return {
        "t": t,
        "rate": lr / (G_all.sqrt() + eps),
        "G": G_all[:, 0],
        "v": torch.stack(v_rows),
        "beta2s": torch.tensor(beta2s, **like),
        "m": m_t,
        "v_const": v_t,
        "m_hat": m_t / (1.0 - beta1**t),
        "v_hat": v_t / (1.0 - beta2**t),
    }
    # END SOLUTION


def plot_adaptive_mechanics(data: dict[str, Tensor]) -> Figure:
    """Three panels mirroring the lecture's figure 2 (from ``mechanics_data``'s output).

    Returns:
        A Figure with three axes, each with axis labels; x = ``data["t"]`` for every line.

        1. Adagrad's effective rates, linear x and **log** y: y = ``data["rate"][:, j]``
           labelled ``f"coordinate {j}"`` for j = 0, 1.
        2. Accumulators, linear x and **log** y: y = ``data["G"]`` labelled
           ``"Adagrad G_t"``, and y = ``data["v"][i]`` labelled ``f"Adam v_t, β₂ = {b:g}"``
           with b = ``data["beta2s"][i]`` as a Python float.
        3. Bias correction, linear scales: ``data["m"]``, ``data["v_const"]``,
           ``data["m_hat"]``, ``data["v_hat"]`` labelled ``"m_t"``, ``"v_t"``,
           ``"m̂_t"``, ``"v̂_t"``.
    """
    # BEGIN SOLUTION q6
    t = data["t"].cpu().numpy()
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4), layout="constrained")
    for j in range(data["rate"].shape[1]):
        ax1.plot(t, data["rate"][:, j].cpu().numpy(), label=f"coordinate {j}")
    ax1.set_yscale("log")
    ax1.set(xlabel="step t", ylabel="α / (√G_t + ε)", title="2.1 Adagrad's effective rate")
    ax2.plot(t, data["G"].cpu().numpy(), color="tab:red", label="Adagrad G_t")
    for i, b in enumerate(data["beta2s"].tolist()):
        ax2.plot(t, data["v"][i].cpu().numpy(), label=f"Adam v_t, β₂ = {b:g}")
    ax2.set_yscale("log")
    ax2.set(xlabel="step t", ylabel="accumulator", title="2.2 Sum vs EMA of g²")
    for key, label, style in (
        ("m", "m_t", "--"),
        ("v_const", "v_t", "--"),
        ("m_hat", "m̂_t", "-"),
        ("v_hat", "v̂_t", "-"),
    ):
        ax3.plot(t, data[key].cpu().numpy(), style, label=label)
    ax3.set(xlabel="step t", ylabel="estimate", title="2.3 Bias correction, constant g")
    for ax in (ax1, ax2, ax3):
        ax.legend(fontsize=8)
    return fig
    # END SOLUTION


def plot_optimizer_comparison(histories: dict[str, dict[str, list[float]]]) -> Figure:
    """Training loss and validation accuracy against step, one line per optimiser.

    Args:
        histories: maps an optimiser's display name to a ``train_classifier`` output.

    Returns:
        A Figure with two axes, each with axis labels. Left: x = ``h["step"]``,
        y = ``h["train_loss"]``, **log** y scale. Right: x = ``h["step"]``,
        y = ``h["val_acc"]``, linear scales. Every line is labelled with its name.
    """
    # BEGIN SOLUTION q6
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    for name, h in histories.items():
        ax_loss.plot(h["step"], h["train_loss"], label=name)
        ax_acc.plot(h["step"], h["val_acc"], label=name)
    ax_loss.set_yscale("log")
    ax_loss.set(xlabel="step", ylabel="training loss (cross-entropy)")
    ax_acc.set(xlabel="step", ylabel="validation accuracy")
    ax_loss.legend()
    ax_acc.legend()
    return fig
    # END SOLUTION
