"""Reference solution for hw06_sgd_basics: SGD for mean estimation, the noise floor.

Lecture 6 (Stat 4830, 2025 notes): the SGD update rule, "Convergence in mean",
"Variance of the estimator", "A curious fact: independence from n", "Mini-batching as a
variance reduction technique".

The problem: L(w) = (1/2n) Σᵢ (xᵢ − w)², minimised by the mean μ = (1/n) Σᵢ xᵢ. With
σ² = (1/n) Σᵢ (xᵢ − μ)² (the population variance, 1/n), a mini-batch of B indices drawn
uniformly **with replacement** gives the gradient estimate w − mean(x[idx]), whose mean
is w − μ and whose variance is σ²/B. All graded computations are float64.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import Tensor

# ----------------------------------------------------------------------------- q1


def sgd_mean(
    x: Tensor, eta: float, n_steps: int, w0: float, batch_size: int, generator: torch.Generator
) -> Tensor:
    """One SGD run on L(w) = (1/2n) Σ (xᵢ − w)²: w ← w − η (w − mean(x[idx])).

    Write the update as w ← (1 − η) w + η·mean(x[idx]), the lecture's form: at η = 1
    it returns the batch mean exactly.

    Each step calls ``torch.randint(0, n, (batch_size,), generator=generator)`` exactly
    once (on the CPU; the indices are then moved to ``x.device``) and uses those indices.

    Args:
        x: (n,) float64 data.
        eta: constant step η.
        n_steps: number of SGD steps.
        w0: start.
        batch_size: B, the number of indices per step (with replacement).
        generator: a CPU ``torch.Generator``.

    Returns:
        (n_steps + 1,) float64: w_0, w_1, …, w_{n_steps}.
    """
    # BEGIN SOLUTION q1
    n = x.shape[0]
    w = torch.tensor(w0, dtype=x.dtype, device=x.device)
    path = [w]
    for _ in range(n_steps):
        idx = torch.randint(0, n, (batch_size,), generator=generator).to(x.device)
        w = (1.0 - eta) * w + eta * x[idx].mean()
        path.append(w)
    return torch.stack(path)
    # END SOLUTION


# ----------------------------------------------------------------------------- q2


def mean_closed_form(w0: float, mu: float, eta: float, k: int) -> float:
    """E[w_k] = μ + (1 − η)^k (w₀ − μ) for SGD with constant step η (any batch size)."""
    # BEGIN SOLUTION q2
    return mu + (1.0 - eta) ** k * (w0 - mu)
    # END SOLUTION


def mse_closed_form(
    w0: float, mu: float, sigma2: float, eta: float, k: int, batch_size: int = 1
) -> float:
    """E[(w_k − μ)²] for SGD with constant step η and batch size B.

    It solves A_{k+1} = (1 − η)² A_k + η²σ²/B with A_0 = (w₀ − μ)²:
    A_k = (1 − η)^{2k} (w₀ − μ)² + ησ²/(B(2 − η)) · (1 − (1 − η)^{2k}).
    """
    # BEGIN SOLUTION q2
    decay = (1.0 - eta) ** (2 * k)
    return decay * (w0 - mu) ** 2 + mse_floor(sigma2, eta, batch_size) * (1.0 - decay)
    # END SOLUTION


def mse_floor(sigma2: float, eta: float, batch_size: int = 1) -> float:
    """The limit of E[(w_k − μ)²] as k → ∞ with a constant step: ησ²/(B(2 − η)).

    At η = 1, B = 1 it is σ² (each iterate is one fresh sample), not σ²/2.
    """
    # BEGIN SOLUTION q2
    return eta * sigma2 / (batch_size * (2.0 - eta))
    # END SOLUTION


# ----------------------------------------------------------------------------- q3


def mse_monte_carlo(
    x: Tensor,
    eta: float,
    n_steps: int,
    w0: float,
    batch_size: int,
    n_runs: int,
    generator: torch.Generator,
) -> Tensor:
    """Monte Carlo estimate of E[(w_k − μ)²], k = 0, …, n_steps, over ``n_runs`` SGD runs.

    All runs advance together (no Python loop over runs): each step calls
    ``torch.randint(0, n, (n_runs, batch_size), generator=generator)`` exactly once (on the
    CPU, then moved to ``x.device``); row r holds run r's indices. μ = x.mean().

    Args:
        x: (n,) float64 data.
        eta, n_steps, w0, batch_size: as in ``sgd_mean``.
        n_runs: number of independent runs.
        generator: a CPU ``torch.Generator``.

    Returns:
        (n_steps + 1,) float64: the average over runs of (w_k − μ)².
    """
    # BEGIN SOLUTION q3
    n = x.shape[0]
    mu = x.mean()
    w = torch.full((n_runs,), float(w0), dtype=x.dtype, device=x.device)
    mse = [((w - mu) ** 2).mean()]
    for _ in range(n_steps):
        batch = torch.randint(0, n, (n_runs, batch_size), generator=generator).to(x.device)
        w = (1.0 - eta) * w + eta * x[batch].mean(dim=1)
        mse.append(((w - mu) ** 2).mean())
    return torch.stack(mse)
    # END SOLUTION


# ----------------------------------------------------------------------------- q4


def minibatch_gradient(x: Tensor, w: float, idx: Tensor) -> Tensor:
    """The mini-batch gradient of L at w: w − mean(x[idx]).

    Args:
        x: (n,) float64 data.
        w: the current iterate.
        idx: (B,) int64 indices into x.

    Returns:
        0-d float64 tensor.
    """
    # BEGIN SOLUTION q4
    return w - x[idx].mean()
    # END SOLUTION


def gradient_variance_theory(x: Tensor, batch_size: int) -> float:
    """Variance σ²/B of ``minibatch_gradient`` over uniform indices with replacement.

    σ² = (1/n) Σ (xᵢ − μ)², the population variance (divide by n, not n − 1).
    """
    # BEGIN SOLUTION q4
    sigma2 = ((x - x.mean()) ** 2).mean()
    return float(sigma2) / batch_size
    # END SOLUTION


# ----------------------------------------------------------------------------- q5


def compare_batch_vs_steps(
    x: Tensor,
    eta: float,
    batch_size: int,
    k: int,
    n_runs: int,
    generator: torch.Generator,
    w0: float = 0.0,
) -> dict[str, float]:
    """Same number of samples, two ways: a batch of B for k steps, or B = 1 for kB steps.

    Calls ``mse_monte_carlo(x, eta, k, w0, batch_size, n_runs, generator)`` first, then
    ``mse_monte_carlo(x, eta / batch_size, k * batch_size, w0, 1, n_runs, generator)``
    with the same generator.

    Returns:
        ``{"batch": final MSE of the first run, "single": final MSE of the second}``
        (Python floats).
    """
    # BEGIN SOLUTION q5
    batch = mse_monte_carlo(x, eta, k, w0, batch_size, n_runs, generator)
    single = mse_monte_carlo(x, eta / batch_size, k * batch_size, w0, 1, n_runs, generator)
    return {"batch": float(batch[-1]), "single": float(single[-1])}
    # END SOLUTION


def sgd_decaying(x: Tensor, n_steps: int, w0: float, generator: torch.Generator) -> Tensor:
    """SGD with B = 1 and the decaying step η_k = 1/(k + 1), k = 0, 1, ….

    w_{k+1} = w_k − η_k (w_k − x_{i_k}); step k calls
    ``torch.randint(0, n, (1,), generator=generator)`` once for i_k. Since η_0 = 1, w₀ is
    forgotten after one step and w_k is the running mean of the k sampled points.

    Returns:
        (n_steps + 1,) float64: w_0, …, w_{n_steps}.
    """
    # BEGIN SOLUTION q5
    n = x.shape[0]
    w = torch.tensor(w0, dtype=x.dtype, device=x.device)
    iterates = [w]
    for step in range(n_steps):
        i = torch.randint(0, n, (1,), generator=generator).to(x.device)
        w = w - (w - x[i][0]) / (step + 1)
        iterates.append(w)
    return torch.stack(iterates)
    # END SOLUTION


# ----------------------------------------------------------------------------- q6


def plot_noise_floor(
    curves: dict[float, Tensor],
    theory: dict[float, Tensor],
    decaying: Tensor | None = None,
) -> Figure:
    """MSE against iteration on log-log axes: Monte Carlo solid, closed form dashed.

    Args:
        curves: maps η to a (K + 1,) Monte Carlo MSE curve (k = 0, …, K).
        theory: maps η to the (K + 1,) closed-form curve.
        decaying: optional (K + 1,) MSE curve for η_k = 1/(k + 1).

    Returns:
        A Figure with one axes, x and y scales ``"log"``, axis labels. Each curve is
        drawn from k = 1 on (log axes have no 0): x = 1, …, K, y = curve[1:]. Labels:
        ``f"η = {eta:g}"`` for Monte Carlo, ``f"η = {eta:g} (theory)"`` for the closed
        form, ``"η_k = 1/(k+1)"`` for ``decaying``.
    """
    # BEGIN SOLUTION q6
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for eta in sorted(curves, reverse=True):
        ks = torch.arange(1, len(curves[eta]))
        (line,) = ax.plot(ks.numpy(), curves[eta][1:].cpu().numpy(), label=f"η = {eta:g}")
        ax.plot(
            ks.numpy(),
            theory[eta][1:].cpu().numpy(),
            "--",
            color=line.get_color(),
            label=f"η = {eta:g} (theory)",
        )
    if decaying is not None:
        ks = torch.arange(1, len(decaying))
        ax.plot(ks.numpy(), decaying[1:].cpu().numpy(), "k", label="η_k = 1/(k+1)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("iteration k")
    ax.set_ylabel("E[(w_k − μ)²]")
    ax.legend(fontsize=8)
    return fig
    # END SOLUTION


def plot_minibatch(curves: dict[int, tuple[float, Tensor]]) -> Figure:
    """MSE against iterations (left) and against samples used (right), per batch size.

    Args:
        curves: maps a batch size B to (η, mse) with mse a (K + 1,) curve, k = 0, …, K.

    Returns:
        A Figure with two axes, both with log x and y scales and axis labels; each B gives
        one line per axes labelled ``f"B = {B}, η = {eta:g}"``, drawn from k = 1 on:
        left x = k, right x = k·B (samples used); y = mse[1:].
    """
    # BEGIN SOLUTION q6
    fig, (by_iter, by_samples) = plt.subplots(1, 2, figsize=(11, 4))
    for B in sorted(curves):
        eta, mse = curves[B]
        ks = torch.arange(1, len(mse))
        label = f"B = {B}, η = {eta:g}"
        by_iter.plot(ks.numpy(), mse[1:].cpu().numpy(), label=label)
        by_samples.plot((ks * B).numpy(), mse[1:].cpu().numpy(), label=label)
    for ax, xlabel in ((by_iter, "iteration k"), (by_samples, "samples used k·B")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("E[(w_k − μ)²]")
        ax.legend()
    return fig
    # END SOLUTION
