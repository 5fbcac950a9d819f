"""Reference solution for hw02_direct_methods: least squares by direct methods.

Lecture 2 (Stat 4830, 2025 notes): "Finding Optimal Weights", "Direct Solution Methods"
(Gaussian elimination and LU), "The effect of and remedy for numerical instability",
"QR Factorization", "Comparing LU and QR". The notes' `torch.solve` and `torch.qr` are
gone from PyTorch; we use `torch.linalg.qr` and write the solvers ourselves.
Graded computations are float64, except the stability experiment, where float32's
rounding is the point.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import Tensor

# ----------------------------------------------------------------------------- data


def load_diabetes_data(device: str = "cpu") -> tuple[Tensor, Tensor]:
    """scikit-learn's bundled diabetes data (no download), with an intercept column.

    scikit-learn is imported here, not at the top of the notebook, so that grading
    (which loads only definitions and imports) does not pay for importing it.

    Returns:
        ``(X, y)``: (442, 11) float64 (10 standardised features, then a column of ones)
        and (442,) float64 disease progression, on ``device``.
    """
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    X = torch.tensor(data.data, dtype=torch.float64)
    X = torch.cat([X, torch.ones(X.shape[0], 1, dtype=torch.float64)], dim=1)
    return X.to(device), torch.tensor(data.target, dtype=torch.float64, device=device)


# ----------------------------------------------------------------------------- q1


def back_substitution(U: Tensor, c: Tensor) -> Tensor:
    """Solve Ux = c for upper-triangular U, from the last unknown up.

    x_i = (c_i − Σ_{j>i} u_ij x_j) / u_ii for i = p−1, …, 0. Only the upper triangle of
    U (diagonal included) is read: whatever is below the diagonal is ignored.

    Args:
        U: (p, p) with a non-zero diagonal (any float dtype).
        c: (p,) of the same dtype.

    Returns:
        (p,) tensor x of c's dtype and device.
    """
    # BEGIN SOLUTION q1
    p = U.shape[0]
    x = torch.zeros_like(c)
    for i in range(p - 1, -1, -1):
        known = (U[i, i + 1 :] * x[i + 1 :]).sum()
        x[i] = (c[i] - known) / U[i, i]
    return x
    # END SOLUTION


def forward_substitution(L: Tensor, b: Tensor, unit_diagonal: bool = True) -> Tensor:
    """Solve Lx = b for lower-triangular L, from the first unknown down.

    x_i = (b_i − Σ_{j<i} l_ij x_j) / l_ii for i = 0, …, p−1. Only the strict lower
    triangle of L is read, plus the diagonal when ``unit_diagonal`` is False. With
    ``unit_diagonal=True`` the diagonal is taken to be 1 and never read (so L may hold
    something else there, e.g. U's diagonal in a packed LU).

    Args:
        L: (p, p) lower triangular (any float dtype).
        b: (p,) of the same dtype.
        unit_diagonal: whether l_ii = 1 is assumed.

    Returns:
        (p,) tensor x of b's dtype and device.
    """
    # BEGIN SOLUTION q1
    p = L.shape[0]
    x = torch.zeros_like(b)
    for i in range(p):
        rhs = b[i] - (L[i, :i] * x[:i]).sum()
        x[i] = rhs if unit_diagonal else rhs / L[i, i]
    return x
    # END SOLUTION


# ----------------------------------------------------------------------------- q2


def lu_nopivot(A: Tensor) -> tuple[Tensor, Tensor]:
    """LU factorisation A = LU by Gaussian elimination without pivoting.

    At stage j = 0, …, p−2, for each row i > j the multiplier m_ij = a_ij / a_jj (with
    a the current, partly eliminated matrix) is stored in L[i, j], and m_ij times row j
    is subtracted from row i. What remains is U. Without pivoting this needs non-zero
    pivots a_jj; symmetric positive definite matrices always have them.

    Args:
        A: (p, p), e.g. XᵀX + I (any float dtype).

    Returns:
        ``(L, U)``: (p, p) each, of A's dtype and device; L unit lower triangular
        (ones on the diagonal), U upper triangular (exact zeros below the diagonal).
    """
    # BEGIN SOLUTION q2
    p = A.shape[0]
    U = A.clone()
    L = torch.eye(p, dtype=A.dtype, device=A.device)
    for j in range(p - 1):
        multipliers = U[j + 1 :, j] / U[j, j]
        L[j + 1 :, j] = multipliers
        U[j + 1 :, j:] -= multipliers[:, None] * U[j, j:][None, :]
        U[j + 1 :, j] = 0.0  # exactly zero, not a rounding residue
    return L, U
    # END SOLUTION


def lu_solve_many(L: Tensor, U: Tensor, B: Tensor) -> Tensor:
    """Solve AX = B for every column of B, given A = LU from ``lu_nopivot``.

    Factor once, solve many: each column costs two triangular solves, O(p²), instead of
    a new O(p³) elimination. Use ``forward_substitution`` (Lz = b) then
    ``back_substitution`` (Ux = z) on each column.

    Args:
        L: (p, p) unit lower triangular.
        U: (p, p) upper triangular.
        B: (p, r) right-hand sides.

    Returns:
        (p, r): column k solves A x = B[:, k].
    """
    # BEGIN SOLUTION q2
    columns = []
    for k in range(B.shape[1]):
        z = forward_substitution(L, B[:, k], unit_diagonal=True)
        columns.append(back_substitution(U, z))
    return torch.stack(columns, dim=1)
    # END SOLUTION


# ----------------------------------------------------------------------------- q3


def lstsq_normal(X: Tensor, y: Tensor) -> Tensor:
    """Least squares min_w ‖Xw − y‖² through the normal equations XᵀXw = Xᵀy.

    Form XᵀX (p × p) and Xᵀy, factor XᵀX with ``lu_nopivot`` and solve with
    ``lu_solve_many``. All arithmetic in X's dtype.

    Args:
        X: (n, p) with full column rank.
        y: (n,) of the same dtype.

    Returns:
        (p,) the minimiser ŵ.
    """
    # BEGIN SOLUTION q3
    gram = X.T @ X
    rhs = X.T @ y
    L, U = lu_nopivot(gram)
    return lu_solve_many(L, U, rhs[:, None])[:, 0]
    # END SOLUTION


def lstsq_qr(X: Tensor, y: Tensor) -> Tensor:
    """Least squares through the reduced QR factorisation X = QR: solve Rw = Qᵀy.

    Use ``torch.linalg.qr(X, mode="reduced")`` and ``back_substitution``. Since Q has
    orthonormal columns, ‖Xw − y‖² = ‖Rw − Qᵀy‖² + const, and the error depends on κ(X)
    instead of κ(XᵀX) = κ(X)².

    Args:
        X: (n, p) with full column rank, n ≥ p.
        y: (n,) of the same dtype.

    Returns:
        (p,) the minimiser ŵ.
    """
    # BEGIN SOLUTION q3
    Q, R = torch.linalg.qr(X, mode="reduced")
    return back_substitution(R, Q.T @ y)
    # END SOLUTION


# ----------------------------------------------------------------------------- q4


def condition_number(A: Tensor) -> float:
    """The 2-norm condition number κ(A) = σ_max / σ_min of a matrix.

    σ are the singular values (``torch.linalg.svdvals``), min(m, n) of them; κ = inf
    when σ_min = 0.

    Args:
        A: (m, n) float tensor.

    Returns:
        A Python float ≥ 1.
    """
    # BEGIN SOLUTION q4
    sigma = torch.linalg.svdvals(A)
    return float(sigma.max() / sigma.min())
    # END SOLUTION


def normal_equations_bytes(p: int, dtype: torch.dtype) -> int:
    """Bytes needed to store the p × p matrix XᵀX in ``dtype``: p² · (bytes per element).

    Args:
        p: number of features.
        dtype: e.g. ``torch.float64`` (8 bytes per element) or ``torch.float32`` (4).

    Returns:
        A Python int (exact: p = 100 000 in float64 gives 8·10¹⁰ bytes = 80 GB).
    """
    # BEGIN SOLUTION q4
    itemsize = torch.empty((), dtype=dtype).element_size()
    return p * p * itemsize
    # END SOLUTION


# ----------------------------------------------------------------------------- q5


def make_problem(
    kappa: float, n: int, p: int, seed: int, device: str = "cpu"
) -> tuple[Tensor, Tensor, Tensor]:
    """A least-squares problem with κ(X) = ``kappa`` exactly and a zero residual.

    X = U diag(s) Vᵀ with s = ``torch.logspace(0, -log10(kappa), p)`` (from 1 down to
    1/κ), and y = X w_true. Random calls, all float64 on the CPU, in this order, with
    ``g = torch.Generator().manual_seed(seed)``:
    ``U, _ = torch.linalg.qr(torch.randn(n, p, generator=g, dtype=torch.float64))``,
    ``V, _ = torch.linalg.qr(torch.randn(p, p, generator=g, dtype=torch.float64))``,
    ``w_true = torch.randn(p, generator=g, dtype=torch.float64)``.

    Args:
        kappa: the condition number, ≥ 1.
        n, p: the shape of X (n ≥ p).
        seed: the generator's seed.
        device: where the results are put.

    Returns:
        ``(X, y, w_true)``: (n, p), (n,), (p,), float64 on ``device``.
    """
    # BEGIN SOLUTION q5
    g = torch.Generator().manual_seed(seed)
    U, _ = torch.linalg.qr(torch.randn(n, p, generator=g, dtype=torch.float64))
    V, _ = torch.linalg.qr(torch.randn(p, p, generator=g, dtype=torch.float64))
    w_true = torch.randn(p, generator=g, dtype=torch.float64)
    s = torch.logspace(0, -math.log10(kappa), p, dtype=torch.float64)
    X = (U * s) @ V.T
    y = X @ w_true
    return X.to(device), y.to(device), w_true.to(device)
    # END SOLUTION


def stability_errors(
    kappas: list[float],
    n: int = 200,
    p: int = 5,
    seeds: range = range(5),
    dtype: torch.dtype = torch.float32,
    device: str = "cpu",
) -> dict[str, Tensor]:
    """Median relative error of the normal equations and of QR as κ grows.

    For each κ and each seed: ``X, y, w = make_problem(κ, n, p, seed, device)``, cast
    X and y to ``dtype``, solve with ``lstsq_normal`` and ``lstsq_qr``, and measure
    ‖ŵ − w‖ / ‖w‖ in float64. Take the median over the seeds (``torch.median``).

    Args:
        kappas: condition numbers κ(X).
        n, p, seeds: problem size and seeds.
        dtype: the precision of the solvers (float32 shows the effect at small κ).
        device: where the problems are solved.

    Returns:
        ``{"normal": (len(kappas),), "qr": (len(kappas),)}``, float64 on the CPU.
    """
    # BEGIN SOLUTION q5
    out = {"normal": [], "qr": []}
    for kappa in kappas:
        errs = {"normal": [], "qr": []}
        for seed in seeds:
            X, y, w = make_problem(kappa, n, p, seed, device)
            Xd, yd = X.to(dtype), y.to(dtype)
            for name, solver in (("normal", lstsq_normal), ("qr", lstsq_qr)):
                w_hat = solver(Xd, yd).to(torch.float64)
                errs[name].append(float(torch.linalg.vector_norm(w_hat - w) / w.norm()))
        for name in out:
            out[name].append(float(torch.median(torch.tensor(errs[name], dtype=torch.float64))))
    return {name: torch.tensor(v, dtype=torch.float64) for name, v in out.items()}
    # END SOLUTION


# ----------------------------------------------------------------------------- q6


def plot_stability(kappas: list[float], errors: dict[str, Tensor]) -> Figure:
    """Relative error against κ(X) on log-log axes: normal equations vs QR.

    Args:
        kappas: the condition numbers (x values).
        errors: ``stability_errors``' output.

    Returns:
        A Figure with one axes and four lines, x = ``kappas`` for all of them:
        ``"normal equations"`` (y = errors["normal"]), ``"QR"`` (y = errors["qr"]),
        and two dashed guides with ε = ``torch.finfo(torch.float32).eps``:
        ``"ε·κ"`` (y = ε·κ) and ``"ε·κ²"`` (y = ε·κ²). Both scales logarithmic; x and y
        labels set.
    """
    # BEGIN SOLUTION q6
    k = torch.tensor(kappas, dtype=torch.float64)
    eps = torch.finfo(torch.float32).eps
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.plot(k.numpy(), errors["normal"].cpu().numpy(), "o-", label="normal equations")
    ax.plot(k.numpy(), errors["qr"].cpu().numpy(), "s-", label="QR")
    ax.plot(k.numpy(), (eps * k).numpy(), "k--", lw=0.8, label="ε·κ")
    ax.plot(k.numpy(), (eps * k**2).numpy(), "k:", lw=0.8, label="ε·κ²")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("condition number κ(X)")
    ax.set_ylabel("relative error ‖ŵ − w‖ / ‖w‖")
    ax.legend()
    fig.tight_layout()
    return fig
    # END SOLUTION
