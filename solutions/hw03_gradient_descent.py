"""Reference solution for hw03_gradient_descent: gradient descent for least squares.

Lecture 3 (Stat 4830, 2025 notes): "The Memory Wall", "A Memory-Efficient Alternative",
"The Direction of Steepest Descent", "The Algorithm", "Implementation".
All graded computations are float64.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import Tensor

# ----------------------------------------------------------------------------- q1


def ls_loss(X: Tensor, y: Tensor, w: Tensor) -> Tensor:
    """Least-squares loss f(w) = ½‖Xw − y‖².

    Args:
        X: (n, p) float64 design matrix.
        y: (n,) float64 targets.
        w: (p,) float64 weights.

    Returns:
        A 0-d float64 tensor.
    """
    # BEGIN SOLUTION q1
    residual = X @ w - y
    return 0.5 * (residual @ residual)
    # END SOLUTION


def ls_gradient(X: Tensor, y: Tensor, w: Tensor) -> Tensor:
    """Gradient ∇f(w) = Xᵀ(Xw − y) of the least-squares loss, without forming XᵀX.

    Two matrix-vector products: O(np) time and O(n + p) extra memory. XᵀX would cost
    O(np²) time and O(p²) memory: for p = 40 000 that is 12.8 GB in float64.

    Args:
        X: (n, p) float64 design matrix.
        y: (n,) float64 targets.
        w: (p,) float64 weights.

    Returns:
        (p,) float64 gradient.
    """
    # BEGIN SOLUTION q1
    residual = X @ w - y
    return X.T @ residual
    # END SOLUTION


# ----------------------------------------------------------------------------- q2


def gradient_descent(
    X: Tensor, y: Tensor, step_size: float, n_steps: int, w0: Tensor | None = None
) -> dict:
    """Run ``n_steps`` of gradient descent w ← w − α∇f(w) on f(w) = ½‖Xw − y‖².

    Args:
        X: (n, p) float64 design matrix.
        y: (n,) float64 targets.
        step_size: the step α (a Python float).
        n_steps: number of updates.
        w0: (p,) float64 start; ``None`` means zeros (same dtype and device as ``X``).

    Returns:
        A dict with
        ``"w"``: (p,) the last iterate w_{n_steps};
        ``"iterates"``: (n_steps + 1, p), row k is w_k (row 0 is w0);
        ``"loss"``: (n_steps + 1,), f(w_k);
        ``"rel_loss"``: (n_steps + 1,), (f(w_k) − f*) / (f(w_0) − f*), where
        f* = f(w*) with w* from ``torch.linalg.lstsq`` (allowed for f* only).
    """
    # BEGIN SOLUTION q2
    p = X.shape[1]
    w = torch.zeros(p, dtype=X.dtype, device=X.device) if w0 is None else w0.clone()
    iterates = [w]
    for _ in range(n_steps):
        w = w - step_size * ls_gradient(X, y, w)
        iterates.append(w)
    iterates_t = torch.stack(iterates)
    losses = torch.stack([ls_loss(X, y, wk) for wk in iterates])
    w_star = torch.linalg.lstsq(X, y.unsqueeze(-1)).solution.squeeze(-1)
    f_star = ls_loss(X, y, w_star)
    rel = (losses - f_star) / (losses[0] - f_star)
    return {"w": w, "iterates": iterates_t, "loss": losses, "rel_loss": rel}
    # END SOLUTION


# ----------------------------------------------------------------------------- q3


def lambda_max_power(
    X: Tensor, n_iter: int = 200, generator: torch.Generator | None = None
) -> float:
    """Largest eigenvalue of XᵀX by power iteration on v ↦ Xᵀ(Xv) (never forming XᵀX).

    Start from ``v = torch.randn(p, generator=generator, dtype=X.dtype)`` (one call,
    on the CPU, then moved to ``X.device``), normalise it, then repeat ``n_iter`` times
    v ← Xᵀ(Xv) / ‖Xᵀ(Xv)‖. Return the Rayleigh quotient vᵀXᵀXv = ‖Xv‖² of the last v.

    Args:
        X: (n, p) float64.
        n_iter: number of power-iteration steps.
        generator: the CPU generator for the start vector (``None``: the global one).

    Returns:
        λ_max(XᵀX) as a Python float.
    """
    # BEGIN SOLUTION q3
    p = X.shape[1]
    v = torch.randn(p, generator=generator, dtype=X.dtype).to(X.device)
    v = v / torch.sqrt(v @ v)
    for _ in range(n_iter):
        u = X.T @ (X @ v)
        v = u / torch.sqrt(u @ u)
    Xv = X @ v
    return float(Xv @ Xv)
    # END SOLUTION


def max_stable_step(
    X: Tensor, n_iter: int = 200, generator: torch.Generator | None = None
) -> float:
    """The largest stable step 2/λ_max(XᵀX) for gradient descent on ½‖Xw − y‖².

    Uses ``lambda_max_power(X, n_iter, generator)``.

    Args:
        X: (n, p) float64.
        n_iter, generator: passed on to ``lambda_max_power``.

    Returns:
        2/λ_max as a Python float.
    """
    # BEGIN SOLUTION q3
    lam = lambda_max_power(X, n_iter=n_iter, generator=generator)
    return 2.0 / lam
    # END SOLUTION


# ----------------------------------------------------------------------------- q4


def make_quadratic(
    kappa: float, lam_max: float = 1.0, theta: float = 0.5236, device: str = "cpu"
) -> Tensor:
    """The matrix A of the 2-D quadratic f(w) = ½wᵀAw with condition number ``kappa``.

    A = Q diag(lam_max, lam_max/kappa) Qᵀ with Q = [[cos θ, −sin θ], [sin θ, cos θ]]:
    the first column of Q is the top eigenvector (eigenvalue lam_max), the second the
    bottom one (eigenvalue lam_max/kappa).

    Returns:
        (2, 2) float64 symmetric positive definite matrix on ``device``.
    """
    # BEGIN SOLUTION q4
    c, s = math.cos(theta), math.sin(theta)
    Q = torch.tensor([[c, -s], [s, c]], dtype=torch.float64, device=device)
    D = torch.diag(torch.tensor([lam_max, lam_max / kappa], dtype=torch.float64, device=device))
    return Q @ D @ Q.T
    # END SOLUTION


def gd_path_2d(A: Tensor, w0: Tensor, step_size: float, n_steps: int) -> Tensor:
    """Gradient descent w ← w − αAw on f(w) = ½wᵀAw.

    Args:
        A: (2, 2) float64 symmetric positive definite.
        w0: (2,) float64 start.
        step_size: α.
        n_steps: number of updates.

    Returns:
        (n_steps + 1, 2) float64; row k is w_k (row 0 is w0).
    """
    # BEGIN SOLUTION q4
    path = [w0.clone()]
    for _ in range(n_steps):
        path.append(path[-1] - step_size * (A @ path[-1]))
    return torch.stack(path)
    # END SOLUTION


def contraction_factor(A: Tensor, step_size: float) -> float:
    """maxᵢ |1 − αλᵢ| over the eigenvalues λᵢ of the symmetric matrix A.

    Gradient descent multiplies the i-th eigen-coordinate of w by (1 − αλᵢ) each step,
    so this is the worst-case per-step contraction of ‖w‖ (it converges iff < 1).

    Args:
        A: (p, p) float64 symmetric.
        step_size: α.

    Returns:
        A Python float.
    """
    # BEGIN SOLUTION q4
    eigenvalues = torch.linalg.eigvalsh(A)
    return float(torch.max(torch.abs(1.0 - step_size * eigenvalues)))
    # END SOLUTION


# ----------------------------------------------------------------------------- q5


def iterations_to_tol(
    kappa: float, step_scale: float, tol: float = 1e-6, max_iter: int = 100_000
) -> int:
    """Number of gradient-descent steps on ``make_quadratic(kappa)`` to reach ``tol``.

    The problem: A = make_quadratic(kappa) (λ₁ = 1, λ₂ = 1/kappa, default θ), step
    α = step_scale/λ₁, start w₀ = Q diag(λ₁^{-1/2}, λ₂^{-1/2}) (1, 1)ᵀ, i.e. eigen-
    coordinates c = (λ₁^{-1/2}, λ₂^{-1/2}): the start whose loss is split evenly between
    the two eigendirections. Since f* = 0, the relative loss is f(w_k)/f(w₀).

    Returns:
        The smallest k ≥ 0 with f(w_k) ≤ tol · f(w₀), or ``max_iter`` if no
        k ≤ max_iter reaches it (for instance when step_scale ≥ 2), as a Python int.
    """
    # BEGIN SOLUTION q5
    lams = (1.0, 1.0 / kappa)
    factors = [(1.0 - step_scale * lam) ** 2 for lam in lams]
    # each eigendirection holds half the initial loss and shrinks by (1 − αλᵢ)² per step
    rel, k = 1.0, 0
    powers = [1.0, 1.0]
    while rel > tol:
        if k >= max_iter:
            return max_iter
        powers = [pw * fac for pw, fac in zip(powers, factors)]
        rel = 0.5 * (powers[0] + powers[1])
        k += 1
    return k
    # END SOLUTION


# ----------------------------------------------------------------------------- q6


def plot_zigzag(paths: dict[tuple[float, float], Tensor]) -> Figure:
    """Contours of f(w) = ½wᵀAw with gradient-descent paths, one panel per (κ, scale).

    Args:
        paths: maps (kappa, step_scale) to an (n_steps + 1, 2) path, run on
            ``make_quadratic(kappa)`` with α = step_scale/λ_max.

    Returns:
        A Figure with a grid of axes: one row per κ (ascending), one column per scale
        (ascending). Each axes shows the contours of f (drawn with ``contour``), the
        path as one line labelled ``"GD path"`` (x = w₁, y = w₂), axis labels and a
        title naming κ and α.
    """
    # BEGIN SOLUTION q6
    kappas = sorted({k for k, _ in paths})
    scales = sorted({s for _, s in paths})
    fig, axes = plt.subplots(
        len(kappas),
        len(scales),
        figsize=(4 * len(scales), 3.6 * len(kappas)),
        squeeze=False,
        layout="constrained",  # laid out when drawn: cheap to build, e.g. for grading
    )
    for i, kappa in enumerate(kappas):
        A = make_quadratic(kappa).cpu()
        for j, scale in enumerate(scales):
            ax = axes[i][j]
            path = paths[(kappa, scale)].detach().cpu()
            r = float(path.abs().max()) * 1.1
            grid = torch.linspace(-r, r, 101, dtype=torch.float64)
            W1, W2 = torch.meshgrid(grid, grid, indexing="xy")
            F = 0.5 * (A[0, 0] * W1**2 + 2 * A[0, 1] * W1 * W2 + A[1, 1] * W2**2)
            ax.contour(W1.numpy(), W2.numpy(), F.numpy(), levels=15, linewidths=0.6)
            ax.plot(path[:, 0].numpy(), path[:, 1].numpy(), "o-", ms=2, label="GD path")
            ax.set_xlabel("$w_1$")
            ax.set_ylabel("$w_2$")
            ax.set_title(f"κ = {kappa:g}, α = {scale:g}/λ_max")
            ax.set_aspect("equal")
    return fig
    # END SOLUTION


def plot_convergence(by_step: dict[float, Tensor], by_kappa: dict[float, Tensor]) -> Figure:
    """Relative loss vs iteration on a log y-axis, in two panels.

    Args:
        by_step: maps step_scale (α = step_scale/λ_max) to a (K,) relative-loss curve,
            all for one κ (left panel; lines labelled ``f"α = {s:g}/λ_max"``).
        by_kappa: maps κ to a (K,) relative-loss curve at one step (right panel; lines
            labelled ``f"κ = {kappa:g}"``).

    Returns:
        A Figure with two axes (left, right), y-scale ``"log"``, x = iteration
        0, 1, …, K − 1, axis labels set.
    """
    # BEGIN SOLUTION q6
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    for ax, curves, name in ((left, by_step, "α = {:g}/λ_max"), (right, by_kappa, "κ = {:g}")):
        for key in sorted(curves):
            curve = curves[key].detach().cpu()
            ax.plot(range(len(curve)), curve.numpy(), label=name.format(key))
        ax.set_yscale("log")
        ax.set_xlabel("iteration k")
        ax.set_ylabel("(f(w_k) − f*) / (f(w_0) − f*)")
        ax.legend()
    left.set_title("one κ, several steps")
    right.set_title("one step, several κ")
    return fig
    # END SOLUTION


# ------------------------------------------------------- notebook helper (not graded)


def make_ls_problem(
    n: int, p: int, kappa: float, generator: torch.Generator, noise: float = 0.1
) -> tuple[Tensor, Tensor]:
    """A least-squares problem whose XᵀX has condition number exactly ``kappa``.

    X = U diag(s) Vᵀ with orthonormal U (n, p), V (p, p) from QR of Gaussian matrices and
    singular values s spaced so that s² runs geometrically from 9 down to 9/kappa
    (so λ_max(XᵀX) = 9);
    y = X w_true + noise · ε.

    Returns:
        X: (n, p) float64, y: (n,) float64 (on the CPU).
    """
    U, _ = torch.linalg.qr(torch.randn(n, p, generator=generator, dtype=torch.float64))
    V, _ = torch.linalg.qr(torch.randn(p, p, generator=generator, dtype=torch.float64))
    s = 3.0 * torch.logspace(0, -0.5 * math.log10(kappa), p, dtype=torch.float64)
    X = U @ torch.diag(s) @ V.T
    w_true = torch.randn(p, generator=generator, dtype=torch.float64)
    y = X @ w_true + noise * torch.randn(n, generator=generator, dtype=torch.float64)
    return X, y
