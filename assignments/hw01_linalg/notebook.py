# %% [markdown]
# # Homework 1: Tensors, broadcasting, memory layout, SVD
#
# Lecture 1 of *Optimization in PyTorch* (notes: `section/1/notes.md`, sections
# "Vectors and Tensors" with "Memory Layout", "Matrix Operations" with "Broadcasting",
# "Finding Patterns with SVD", "The Eckart-Young-Mirsky Theorem" and "Pattern Analysis
# Example: Checkerboard"; and the section-1 notebook).
#
# In this homework you will:
#
# 1. measure similarity with inner products, for one pair and for all pairs at once (q1);
# 2. write the matrix product twice: with loops, and vectorised by broadcasting (q2);
# 3. implement PyTorch's broadcasting rule (q3);
# 4. compute strides and offsets, the row-major memory layout behind every tensor (q4);
# 5. build the best rank-$k$ approximation from the SVD (q5);
# 6. draw singular-value spectra and timing plots (q6).
#
# Everything is `float64`. Run `check("qK")` after each question for instant feedback on
# a few public cases; the hidden tests use other inputs.

# %%
import time
from collections.abc import Callable

import matplotlib.pyplot as plt
import torch
from autograde_check import check, check_all
from matplotlib.figure import Figure
from torch import Tensor

torch.set_default_dtype(torch.float64)

# %% [markdown]
# ## q1 (15 pts): Similarity
#
# The inner product $x^\top y = \sum_i x_i y_i = \|x\|\|y\|\cos\theta$ measures how well
# two vectors line up. Dividing by the lengths leaves the **cosine similarity**
# $$\cos\theta = \frac{x^\top y}{\|x\|\,\|y\|} \in [-1, 1],$$
# which ignores scale: two days whose temperatures rise and fall together have cosine
# close to 1 even if one day is warmer. For all pairs of rows of $X \in \mathbb{R}^{m\times n}$
# at once, normalise the rows, $\hat X = D^{-1}X$ with $D = \mathrm{diag}(\|x_i\|)$; then
# $\hat X \hat X^\top$ holds every cosine.
#
# Implement `cosine_similarity` and `pairwise_cosine` (no Python loop in the second).

# %%
#| include: cosine_similarity, pairwise_cosine

# %%
check("q1")

# %%
#| include: load_digit_images

# %%
day1 = torch.tensor([20.0, 22, 25, 23, 21])  # temperatures at five times of day
day2 = torch.tensor([21.0, 22, 26, 24, 20])
print("two temperature days:", round(cosine_similarity(day1, day2).item(), 4))

images, labels = load_digit_images()  # (1797, 64): 8×8 images, one per row
means = torch.stack([images[labels == d].mean(0) for d in range(10)])  # (10, 64)
print("cosine between mean digit images (rows and columns 0..9):")
print((100 * pairwise_cosine(means)).round().int())

# %% [markdown]
# ## q2 (20 pts): Matmul two ways
#
# The product $C = AB$ of $A \in \mathbb{R}^{m\times K}$ and $B \in \mathbb{R}^{K\times n}$ is
# $$c_{ij} = \sum_{k=1}^{K} a_{ik} b_{kj}.$$
# Written with three loops, this runs $mKn$ Python-level multiply-adds. Vectorised, view
# $A$ as $(m, K, 1)$ and $B$ as $(1, K, n)$: broadcasting their elementwise product gives
# the $(m, K, n)$ tensor of all $a_{ik}b_{kj}$, and a sum over the middle dimension gives
# $C$. While q2 is graded, `@`, `torch.matmul`, `einsum` and the other product functions
# are refused.

# %%
#| include: matmul_loops, matmul_broadcast

# %%
check("q2")

# %% [markdown]
# ## q3 (15 pts): Broadcasting rules
#
# PyTorch lines up two shapes at their **trailing** dimensions; a missing dimension
# counts as size 1; two sizes are compatible if they are equal or one is 1, and size 1
# is stretched to the other. So $(3, 1) + (4,)$ gives $(3, 4)$, $(5, 4) + (4,)$ gives
# $(5, 4)$, and $(2, 3) + (3, 2)$ is an error. Implement the rule (returning `None` for
# an error) without `torch.broadcast_shapes`.

# %%
#| include: broadcast_shape

# %%
check("q3")

# %%
for a, b in [((3, 1), (4,)), ((8, 1, 6, 1), (7, 1, 5)), ((2, 3), (3, 2))]:
    try:
        torch_shape = tuple((torch.zeros(a) + torch.zeros(b)).shape)
    except RuntimeError:
        torch_shape = None
    print(f"{a} + {b}: yours {broadcast_shape(a, b)}, torch {torch_shape}")

# %% [markdown]
# ## q4 (15 pts): Memory layout
#
# A tensor is a block of memory (its *storage*) plus a shape and **strides**: moving one
# step along dimension $d$ moves `stride[d]` elements in storage. The element at index
# $(i_0, \dots, i_{D-1})$ sits at offset $\sum_d i_d \cdot \mathrm{stride}[d]$. PyTorch
# stores tensors **row-major**: the last index varies fastest, so a $(3, 4)$ matrix has
# strides $(4, 1)$. A row slice `A[i, :]` is contiguous; a column slice `A[:, j]` jumps
# 4 elements per step. Transposing swaps shape and strides without moving any data, so
# `A.T` has strides $(1, 4)$ and is no longer contiguous.
#
# Implement `row_major_strides`, `flat_offset`, `transpose_layout` and `is_contiguous`
# (without `Tensor.stride()` or `Tensor.is_contiguous()`, which are refused while q4 is
# graded; here in the notebook you can use them to check your answers).

# %%
#| include: row_major_strides, flat_offset, transpose_layout, is_contiguous

# %%
check("q4")

# %%
a_demo = torch.arange(12.0).reshape(3, 4)
print("strides of a_demo:", a_demo.stride(), " yours:", row_major_strides((3, 4)))
print(
    "a_demo.T:",
    a_demo.T.shape,
    a_demo.T.stride(),
    a_demo.T.is_contiguous(),
    " yours:",
    transpose_layout((3, 4), (4, 1)),
    is_contiguous(*transpose_layout((3, 4), (4, 1))),
)
print(
    "a_demo[2, 1] =",
    a_demo[2, 1].item(),
    " storage[flat_offset] =",
    a_demo.reshape(-1)[flat_offset((2, 1), (4, 1))].item(),
)

# %% [markdown]
# ## q5 (20 pts): Low rank
#
# Every matrix has a singular value decomposition $A = U\Sigma V^\top$ with orthonormal
# columns in $U$ and $V$ and $\sigma_1 \ge \sigma_2 \ge \dots \ge 0$. `torch.linalg.svd`
# returns `(U, S, Vh)` with `Vh` $= V^\top$: the right singular vectors are the **rows**
# of `Vh`. (The notes call it `V` and index `V[0]`, which is the first row, i.e. $v_1^\top$.)
#
# Since $\|A\|_F^2 = \sum_i \sigma_i^2$, each $\sigma_i^2$ is a share of the "energy".
# The truncation $A_k = \sum_{i\le k}\sigma_i u_i v_i^\top$ is the best rank-$k$
# approximation in the Frobenius norm (Eckart–Young–Mirsky), with
# $$\|A - A_k\|_F^2 = \sum_{i>k}\sigma_i^2 .$$
# Implement `low_rank_approx`, `relative_error` and `energy`.

# %%
#| include: low_rank_approx, relative_error, energy

# %%
check("q5")

# %% [markdown]
# The lecture's checkerboard: $200$ on the "white" squares and $50$ on the "black" ones is
# $125\cdot\mathbf{1}\mathbf{1}^\top + 75\cdot(\pm 1\text{ pattern})$, two rank-one
# matrices, so $\sigma = 500, 300, 0, 0$ and the energy splits 73.5 % / 26.5 %.

# %%
#| include: checkerboard, low_rank_plus_noise, time_call

# %%
board = checkerboard()
U, S_board, Vh = torch.linalg.svd(board)
print(board)
print("singular values:", S_board)
print("energy (%):", energy(S_board).round(decimals=1))
print("rank-2 relative error:", relative_error(S_board, 2))
print("first right singular vector (a row of Vh):", Vh[0])

# %% [markdown]
# ## q6 (15 pts): Figures
#
# `plot_svd_spectrum` draws, for several matrices, the normalised spectrum
# $\sigma_i/\sigma_1$ and the relative error $\|A - A_k\|_F/\|A\|_F$ of the best rank-$k$
# approximation, both on a log scale. `plot_timing` draws running time against size on
# log-log axes. The grader checks the data of your lines, the scales and that the axes
# are labelled; the styling is yours (timings are never graded).

# %%
#| include: plot_svd_spectrum, plot_timing

# %%
check("q6")

# %% [markdown]
# Observe: the checkerboard drops to rounding level after two values; the low-rank-plus-
# noise matrix has 5 large values and then a noise floor; the digit images have no clean
# cut: the error falls gradually, and k = 20 of 64 components keep about 97 % of the
# energy $\|A\|_F^2$ while the relative error is still about 18 %.

# %%
noisy = low_rank_plus_noise(60, 40, rank=5, noise=0.1, generator=torch.Generator().manual_seed(0))
spectra = {
    "checkerboard": S_board,
    "rank 5 + noise": torch.linalg.svdvals(noisy),
    "digits (1797×64)": torch.linalg.svdvals(images),
}
fig = plot_svd_spectrum(spectra)
plt.show()
print("digits, rank-20 relative error:", round(relative_error(spectra["digits (1797×64)"], 20), 4))

# %% [markdown]
# A digit image rebuilt from its best rank-$k$ approximation of the whole data matrix.

# %%
fig, axes = plt.subplots(1, 4, figsize=(8, 2.2))
for ax, k in zip(axes, (2, 5, 10, 64)):
    ax.imshow(low_rank_approx(images, k)[0].reshape(8, 8), cmap="gray_r")
    ax.set_title(f"k = {k}")
    ax.axis("off")
plt.show()

# %% [markdown]
# Timing. Observe: the loop version is orders of magnitude slower (Python overhead per
# multiply-add, slope ≈ 3 on the log-log plot); the broadcast version is fast but builds
# an $n^3$ intermediate; the built-in product is fastest. For the slices, summing all
# rows of an $n\times n$ matrix touches memory in order, while summing all columns jumps
# by $n$ elements each step: the gap grows once the matrix no longer fits in cache.

# %%
gen = torch.Generator().manual_seed(0)
sizes = [8, 16, 32, 64, 128]
matmul_times = {"loops": [], "broadcast": [], "built-in @": []}
for n in sizes:
    A_n = torch.randn(n, n, generator=gen)
    B_n = torch.randn(n, n, generator=gen)
    # default arguments bind this iteration's matrices to each timed function
    loops = (
        time_call(lambda a=A_n, b=B_n: matmul_loops(a, b), repeats=1) if n <= 32 else float("nan")
    )
    matmul_times["loops"].append(loops)
    matmul_times["broadcast"].append(time_call(lambda a=A_n, b=B_n: matmul_broadcast(a, b)))
    matmul_times["built-in @"].append(time_call(lambda a=A_n, b=B_n: a @ b))
fig = plot_timing(sizes, matmul_times)
plt.show()


# %%
def sum_rows(mat: Tensor) -> list:
    return [mat[i, :].sum() for i in range(mat.shape[0])]


def sum_columns(mat: Tensor) -> list:
    return [mat[:, j].sum() for j in range(mat.shape[1])]


slice_sizes = [256, 512, 1024, 2048]
slice_times = {"row slices A[i, :]": [], "column slices A[:, j]": []}
for n in slice_sizes:
    mat_n = torch.randn(n, n, generator=gen)
    slice_times["row slices A[i, :]"].append(time_call(lambda m=mat_n: sum_rows(m)))
    slice_times["column slices A[:, j]"].append(time_call(lambda m=mat_n: sum_columns(m)))
fig = plot_timing(slice_sizes, slice_times)
plt.show()

# %%
check_all()
