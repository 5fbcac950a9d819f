"""Reference solution for hw01_linalg: tensors, broadcasting, memory layout, SVD.

Lecture 1 (Stat 4830, 2025 notes): "Vectors and Tensors" (incl. "Memory Layout"),
"Matrix Operations" (incl. "Broadcasting"), "Finding Patterns with SVD", "The
Eckart-Young-Mirsky Theorem", "Pattern Analysis Example: Checkerboard"; the section-1
notebook (stride inspection). All graded computations are float64.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import Tensor

# ----------------------------------------------------------------------------- q1


def cosine_similarity(x: Tensor, y: Tensor) -> Tensor:
    """Cosine of the angle between two vectors: xᵀy / (‖x‖ ‖y‖).

    Args:
        x: (n,) float64, not zero.
        y: (n,) float64, not zero.

    Returns:
        0-d float64 tensor in [−1, 1].
    """
    # BEGIN SOLUTION q1
    dot = (x * y).sum()
    return dot / (torch.linalg.vector_norm(x) * torch.linalg.vector_norm(y))
    # END SOLUTION


def pairwise_cosine(X: Tensor) -> Tensor:
    """Cosine similarity of every pair of rows of X, without a Python loop.

    Normalise each row to unit length, then one matrix product gives every inner product.

    Args:
        X: (m, n) float64, no zero row.

    Returns:
        (m, m) float64; entry (i, j) is ``cosine_similarity(X[i], X[j])``.
    """
    # BEGIN SOLUTION q1
    unit = X / torch.linalg.vector_norm(X, dim=1, keepdim=True)
    return unit @ unit.T
    # END SOLUTION


# ----------------------------------------------------------------------------- q2


def matmul_loops(A: Tensor, B: Tensor) -> Tensor:
    """The product AB from its definition c_ij = Σ_k a_ik b_kj, with three Python loops.

    Accumulate each c_ij in the order k = 0, 1, …, K − 1.

    Args:
        A: (m, K) float64.
        B: (K, n) float64.

    Returns:
        (m, n) float64 on A's device.
    """
    # BEGIN SOLUTION q2
    m, K = A.shape
    n = B.shape[1]
    C = torch.zeros(m, n, dtype=A.dtype, device=A.device)
    for i in range(m):
        for j in range(n):
            total = torch.zeros((), dtype=A.dtype, device=A.device)
            for k in range(K):
                total = total + A[i, k] * B[k, j]
            C[i, j] = total
    return C
    # END SOLUTION


def matmul_broadcast(A: Tensor, B: Tensor) -> Tensor:
    """The product AB as one broadcast elementwise product and one sum over k.

    View A as (m, K, 1) and B as (1, K, n); their product has shape (m, K, n) with
    entry (i, k, j) = a_ik b_kj; summing over the middle dimension gives c_ij.
    (This uses O(mKn) memory: fine for teaching, not for large matrices.)

    Args:
        A: (m, K) float64.
        B: (K, n) float64.

    Returns:
        (m, n) float64.
    """
    # BEGIN SOLUTION q2
    products = A[:, :, None] * B[None, :, :]
    return products.sum(dim=1)
    # END SOLUTION


# ----------------------------------------------------------------------------- q3


def broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """The shape of ``x + y`` for tensors of shapes ``a`` and ``b``, or None if they clash.

    The broadcasting rule: align the shapes at their trailing (rightmost) dimensions;
    a missing dimension counts as size 1; two sizes are compatible when they are equal
    or one of them is 1, and the result takes the other one.

    Args:
        a, b: shapes as tuples of non-negative ints (``()`` is a scalar's shape).

    Returns:
        The broadcast shape as a tuple of ints, or ``None`` if the shapes are incompatible.
    """
    # BEGIN SOLUTION q3
    ndim = max(len(a), len(b))
    padded_a = (1,) * (ndim - len(a)) + tuple(a)
    padded_b = (1,) * (ndim - len(b)) + tuple(b)
    merged = []
    for da, db in zip(padded_a, padded_b):
        if da != db and da != 1 and db != 1:
            return None
        merged.append(db if da == 1 else da)
    return tuple(merged)
    # END SOLUTION


# ----------------------------------------------------------------------------- q4


def row_major_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Strides (in elements) of a contiguous row-major tensor of this shape.

    The last dimension has stride 1, and each earlier one the product of the sizes after
    it: shape (2, 3, 4) has strides (12, 4, 1).

    Args:
        shape: a tuple of positive ints (``()`` for a scalar).

    Returns:
        A tuple of ints of the same length.
    """
    # BEGIN SOLUTION q4
    strides = []
    step = 1
    for size in reversed(shape):
        strides.append(step)
        step *= size
    return tuple(reversed(strides))
    # END SOLUTION


def flat_offset(index: tuple[int, ...], strides: tuple[int, ...]) -> int:
    """Position in storage of the element at ``index``: Σ_d index[d] · strides[d].

    Args:
        index: a tuple of non-negative ints, one per dimension.
        strides: a tuple of ints of the same length.

    Returns:
        A Python int.
    """
    # BEGIN SOLUTION q4
    return sum(i * s for i, s in zip(index, strides))
    # END SOLUTION


def transpose_layout(
    shape: tuple[int, int], strides: tuple[int, int]
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Shape and strides of the transpose ``t.T`` of a 2-D tensor ``t``: a view, no copy.

    Transposing swaps the sizes and swaps the strides; the data stay where they are.

    Args:
        shape: (m, n).
        strides: the strides of ``t``.

    Returns:
        ``(shape_of_transpose, strides_of_transpose)``, two tuples of two ints.
    """
    # BEGIN SOLUTION q4
    (m, n), (s0, s1) = shape, strides
    return (n, m), (s1, s0)
    # END SOLUTION


def is_contiguous(shape: tuple[int, ...], strides: tuple[int, ...]) -> bool:
    """Whether a tensor with this shape and these strides is row-major contiguous.

    It is when its strides equal ``row_major_strides(shape)`` in every dimension whose
    size is not 1 (the stride of a size-1 dimension is never used, as in PyTorch).

    Args:
        shape: a tuple of positive ints.
        strides: a tuple of ints of the same length.

    Returns:
        A Python bool.
    """
    # BEGIN SOLUTION q4
    expected = row_major_strides(shape)
    return all(size == 1 or s == e for size, s, e in zip(shape, strides, expected))
    # END SOLUTION


# ----------------------------------------------------------------------------- q5


def low_rank_approx(A: Tensor, k: int) -> Tensor:
    """The best rank-k approximation A_k = Σ_{i ≤ k} σᵢ uᵢ vᵢᵀ of A (Eckart–Young–Mirsky).

    Use ``torch.linalg.svd(A, full_matrices=False)``, which returns ``(U, S, Vh)``:
    the rows of ``Vh`` (not its columns) are the right singular vectors vᵢᵀ.

    Args:
        A: (m, n) float64.
        k: 0 ≤ k ≤ min(m, n).

    Returns:
        (m, n) float64.
    """
    # BEGIN SOLUTION q5
    U, S, Vh = torch.linalg.svd(A, full_matrices=False)
    return (U[:, :k] * S[:k]) @ Vh[:k]
    # END SOLUTION


def relative_error(S: Tensor, k: int) -> float:
    """Relative Frobenius error of the rank-k truncation: √(Σ_{i>k} σᵢ² / Σᵢ σᵢ²).

    By Eckart–Young–Mirsky, ‖A − A_k‖_F² = Σ_{i>k} σᵢ², and ‖A‖_F² = Σᵢ σᵢ².

    Args:
        S: (r,) float64 singular values in decreasing order, not all zero.
        k: 0 ≤ k ≤ r.

    Returns:
        A Python float in [0, 1].
    """
    # BEGIN SOLUTION q5
    squares = S**2
    return float(torch.sqrt(squares[k:].sum() / squares.sum()))
    # END SOLUTION


def energy(S: Tensor) -> Tensor:
    """Share of ‖A‖_F² carried by each singular value, in percent: 100 σᵢ² / Σⱼ σⱼ².

    Args:
        S: (r,) float64 singular values, not all zero.

    Returns:
        (r,) float64 summing to 100.
    """
    # BEGIN SOLUTION q5
    squares = S**2
    return 100.0 * squares / squares.sum()
    # END SOLUTION


# ----------------------------------------------------------------------------- data


def checkerboard(high: float = 200.0, low: float = 50.0, device: str = "cpu") -> Tensor:
    """A 4×4 checkerboard with entries ``high`` where i + j is even and ``low`` elsewhere.

    It is (high + low)/2 · (all ones) + (high − low)/2 · (±1 checkerboard), two rank-1
    matrices with singular value 4 · coefficient each: with the defaults σ = 500 and 300,
    then two zeros (the lecture's example, energy 73.5 % and 26.5 %).

    Returns:
        (4, 4) float64 on ``device``.
    """
    i = torch.arange(4, device=device)
    even = ((i[:, None] + i[None, :]) % 2 == 0).to(torch.float64)
    return low + (high - low) * even


def low_rank_plus_noise(
    m: int, n: int, rank: int, noise: float, generator: torch.Generator
) -> Tensor:
    """A rank-``rank`` (m, n) matrix plus Gaussian noise of standard deviation ``noise``.

    Calls, in order: ``torch.randn(m, rank, generator=generator, dtype=torch.float64)``,
    ``torch.randn(rank, n, ...)``, ``torch.randn(m, n, ...)``.

    Returns:
        (m, n) float64 on the CPU.
    """
    left = torch.randn(m, rank, generator=generator, dtype=torch.float64)
    right = torch.randn(rank, n, generator=generator, dtype=torch.float64)
    return left @ right + noise * torch.randn(m, n, generator=generator, dtype=torch.float64)


def load_digit_images(device: str = "cpu") -> tuple[Tensor, Tensor]:
    """scikit-learn's bundled digits (no download): 1797 images of 8×8 pixels.

    scikit-learn is imported here, not at the top of the notebook, so that grading
    (which loads only definitions and imports) does not pay for importing it.

    Returns:
        ``(images, labels)``: (1797, 64) float64 pixel intensities 0..16, one image per
        row, and (1797,) int64 digits 0..9, on ``device``.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.tensor(digits.data, dtype=torch.float64, device=device)
    return images, torch.tensor(digits.target, dtype=torch.int64, device=device)


def time_call(fn: Callable[[], object], repeats: int = 3) -> float:
    """Fastest of ``repeats`` wall-clock timings of ``fn()`` in seconds (for the figures)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


# ----------------------------------------------------------------------------- q6


def plot_svd_spectrum(spectra: dict[str, Tensor]) -> Figure:
    """Singular-value spectra of several matrices, in two panels.

    Args:
        spectra: maps a matrix's name to its (r,) singular values S (decreasing, S[0] > 0).

    Returns:
        A Figure with two axes, each with one line per matrix, labelled with its name:
        left, σᵢ/σ₁ against i = 1, …, r; right, ``relative_error(S, k)`` against
        k = 0, 1, …, r − 1. Both y-axes are logarithmic (``set_yscale("log")``), the
        x-axes linear; every axes has an x label and a y label.
    """
    # BEGIN SOLUTION q6
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for name, S in spectra.items():
        S = S.detach().to("cpu", torch.float64)
        r = S.shape[0]
        left.plot(range(1, r + 1), (S / S[0]).numpy(), "o-", ms=3, label=name)
        errors = [relative_error(S, k) for k in range(r)]
        right.plot(range(r), errors, "o-", ms=3, label=name)
    left.set_yscale("log")
    right.set_yscale("log")
    left.set_xlabel("index i")
    left.set_ylabel("σ_i / σ_1")
    right.set_xlabel("rank k")
    right.set_ylabel("relative error ‖A − A_k‖_F / ‖A‖_F")
    left.legend()
    right.legend()
    fig.tight_layout()
    return fig
    # END SOLUTION


def plot_timing(sizes: list[int], times: dict[str, list[float]]) -> Figure:
    """Running time against problem size on log-log axes.

    Args:
        sizes: the sizes n (x values).
        times: maps a method's name to its times in seconds, one per size (``nan`` where
            a method was not run at that size).

    Returns:
        A Figure with one axes: one line per method, labelled with its name,
        x = ``sizes``, y = its times; both scales logarithmic; x and y labels set.
    """
    # BEGIN SOLUTION q6
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, values in times.items():
        ax.plot(list(sizes), list(values), "o-", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("size n")
    ax.set_ylabel("time (s)")
    ax.legend()
    fig.tight_layout()
    return fig
    # END SOLUTION
