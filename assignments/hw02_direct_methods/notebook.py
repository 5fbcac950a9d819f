# %% [markdown]
# # Homework 2: Least squares by direct methods
#
# Lecture 2 of *Optimization in PyTorch* (notes: `section/2/notes.md`, sections
# "Finding Optimal Weights", "Direct Solution Methods" with Gaussian elimination and LU,
# "The effect of and remedy for numerical instability", "QR Factorization" and
# "Comparing LU and QR").
#
# We minimise $\|Xw - y\|^2$ over $w \in \mathbb{R}^p$ for $X \in \mathbb{R}^{n\times p}$.
# At the minimum the residual is orthogonal to every column of $X$:
# $$X^\top (Xw - y) = 0 \iff X^\top X\, w = X^\top y \quad\text{(the normal equations).}$$
# In this homework you will:
#
# 1. solve triangular systems by substitution (q1);
# 2. factor $A = LU$ by Gaussian elimination and reuse the factors for many right-hand
#    sides (q2);
# 3. solve least squares twice: through the normal equations and through QR (q3);
# 4. compute condition numbers and the memory cost of $X^\top X$ (q4);
# 5. measure how the error of each method grows with the condition number (q5);
# 6. plot error against $\kappa$ (q6).
#
# The notes call `torch.solve` and `torch.qr`; both are gone from current PyTorch. We use
# `torch.linalg.qr` and write the rest ourselves. Run `check("qK")` after each question
# for instant feedback on a few public cases; the hidden tests use other inputs.

# %%
import math  # noqa: F401  (used by make_problem)
import time

import matplotlib.pyplot as plt
import torch
from autograde_check import check, check_all
from matplotlib.figure import Figure  # noqa: F401  (type hints of the included functions)
from torch import Tensor  # noqa: F401

# %% [markdown]
# ## q1 (15 pts): Triangular solves
#
# A triangular system is solved one unknown at a time. For upper-triangular $U$,
# **back substitution** runs from the bottom:
# $$x_i = \frac{1}{u_{ii}}\Big(c_i - \sum_{j>i} u_{ij} x_j\Big), \quad i = p-1, \dots, 0,$$
# and for lower-triangular $L$, **forward substitution** runs from the top. Each costs
# about $p^2$ operations. Read only the triangle you need: the grader fills the other one
# with NaN. With `unit_diagonal=True` the diagonal of $L$ is taken to be 1 and not read.

# %%
#| include: back_substitution, forward_substitution

# %%
check("q1")

# %% [markdown]
# ## q2 (20 pts): LU without pivoting, reused
#
# Gaussian elimination subtracts multiples of row $j$ from the rows below it to zero out
# column $j$. The multipliers $m_{ij} = a_{ij}/a_{jj}$, collected in a unit lower-triangular
# $L$, record the elimination; what remains is upper triangular $U$, and $A = LU$. This
# costs about $\tfrac23 p^3$ operations. Once factored, each new right-hand side costs
# only two triangular solves, about $2p^2$: factor once, solve many. (The notes'
# `torch.linalg.lu_factor` returns the factors *packed* in one matrix plus pivots, not
# "L, U".) Without pivoting a zero pivot $a_{jj}$ would stop us; for the symmetric
# positive definite $X^\top X$ all pivots are positive.

# %%
#| include: lu_nopivot, lu_solve_many

# %%
check("q2")

# %% [markdown]
# First, your factors on a $150\times150$ SPD matrix with 50 right-hand sides.

# %%
gen = torch.Generator().manual_seed(0)
z_rand = torch.randn(400, 150, generator=gen, dtype=torch.float64)
A_spd = z_rand.T @ z_rand + torch.eye(150, dtype=torch.float64)
rhs = torch.randn(150, 50, generator=gen, dtype=torch.float64)
L_f, U_f = lu_nopivot(A_spd)
solutions = lu_solve_many(L_f, U_f, rhs)
print("‖LU − A‖/‖A‖ =", ((L_f @ U_f - A_spd).norm() / A_spd.norm()).item())
print("‖AX − B‖/‖B‖ =", ((A_spd @ solutions - rhs).norm() / rhs.norm()).item())

# %% [markdown]
# Factor once, solve many. Our Python loops spend most of their time on interpreter
# overhead, so time PyTorch's compiled `lu_factor` / `lu_solve` instead (`lu_factor`
# returns the factors packed in one matrix, plus row-swap pivots). Observe: the
# factorisation ($\approx \tfrac23 p^3$ operations) costs far more than a solve with the
# factors ($\approx 2p^2$), so 50 right-hand sides cost little more than one.

# %%
p_big = 1000
z_big = torch.randn(p_big + 10, p_big, generator=gen, dtype=torch.float64)
A_big = z_big.T @ z_big + torch.eye(p_big, dtype=torch.float64)
b_big = torch.randn(p_big, 1, generator=gen, dtype=torch.float64)
start = time.perf_counter()
LU_packed, pivots = torch.linalg.lu_factor(A_big)
t_factor = time.perf_counter() - start
start = time.perf_counter()
for _ in range(10):
    torch.linalg.lu_solve(LU_packed, pivots, b_big)
t_solve = (time.perf_counter() - start) / 10
print(
    f"p = {p_big}: factor {1e3 * t_factor:.1f} ms (≈ {2 * p_big**3 / 3:.1e} operations), "
    f"one solve {1e3 * t_solve:.2f} ms (≈ {2 * p_big**2:.1e} operations)"
)
print(
    f"50 right-hand sides: factor once {1e3 * (t_factor + 50 * t_solve):.0f} ms, "
    f"refactor every time {1e3 * 50 * (t_factor + t_solve):.0f} ms"
)

# %% [markdown]
# ## q3 (20 pts): Two least-squares solvers
#
# **Normal equations**: form $X^\top X$ ($np^2$ operations, $p^2$ numbers of memory) and
# $X^\top y$, then solve with your LU. **QR**: factor $X = QR$ with $Q$ having orthonormal
# columns and $R$ upper triangular ($p\times p$). Then
# $\|Xw - y\|^2 = \|Rw - Q^\top y\|^2 + \text{const}$, so $\hat w$ solves $Rw = Q^\top y$ by
# back substitution. Use `torch.linalg.qr(X, mode="reduced")`; `lstsq`, `solve` and
# `solve_triangular` are refused while q3 is graded.

# %%
#| include: lstsq_normal, lstsq_qr

# %%
check("q3")

# %% [markdown]
# The diabetes data (442 patients, 10 features, plus an intercept column): compare both
# solvers with `torch.linalg.lstsq`.

# %%
#| include: load_diabetes_data

# %%
X_diab, y_diab = load_diabetes_data()
w_normal, w_qr = lstsq_normal(X_diab, y_diab), lstsq_qr(X_diab, y_diab)
w_torch = torch.linalg.lstsq(X_diab, y_diab[:, None]).solution[:, 0]
print("diabetes: max |normal − lstsq| =", (w_normal - w_torch).abs().max().item())
print("          max |QR − lstsq|     =", (w_qr - w_torch).abs().max().item())

# %% [markdown]
# ## q4 (15 pts): Conditioning and memory
#
# The condition number $\kappa(A) = \sigma_{\max}/\sigma_{\min}$ bounds how much relative
# errors in the data can grow in the solution. With the SVD $X = U\Sigma V^\top$,
# $$X^\top X = V\Sigma^2 V^\top \quad\Rightarrow\quad \kappa(X^\top X) = \kappa(X)^2:$$
# forming the normal equations *squares* the condition number, while QR works with
# $\kappa(X)$. The nearly collinear $\begin{pmatrix}1 & 1\\ 1 & 1.001\end{pmatrix}$ has
# singular values $\approx 2.0005$ and $5.0\times10^{-4}$, so $\kappa \approx 4002$. And
# $X^\top X$ needs $p^2$ numbers: for $p = 100\,000$ in float64 that is $8\times10^{10}$
# bytes = 80 GB (the notes' "80.0 GB" code divides by $1024^3$, which prints 74.5: GiB).
# Implement `condition_number` (without `torch.linalg.cond`) and
# `normal_equations_bytes`.

# %%
#| include: condition_number, normal_equations_bytes

# %%
check("q4")

# %%
nearly = torch.tensor([[1.0, 1.0], [1.0, 1.001]], dtype=torch.float64)
print("singular values:", torch.linalg.svdvals(nearly), " κ =", condition_number(nearly))
print("κ(X_diab) =", condition_number(X_diab), " κ(XᵀX) =", condition_number(X_diab.T @ X_diab))
for p in (1_000, 10_000, 100_000):
    print(f"p = {p:>7}: XᵀX takes {normal_equations_bytes(p, torch.float64) / 1e9:g} GB in float64")

# %% [markdown]
# ## q5 (20 pts): Stability experiment
#
# Build problems with a chosen $\kappa(X)$ and an exact solution $w$ (so $y = Xw$), solve
# them in **float32** ($\varepsilon \approx 1.2\times 10^{-7}$) with both methods, and
# measure $\|\hat w - w\|/\|w\|$. The rule of thumb: the error is about
# $\varepsilon\,\kappa(X^\top X) = \varepsilon\kappa^2$ for the normal equations and about
# $\varepsilon\,\kappa$ for QR. Follow the docstring's random calls exactly.

# %%
#| include: make_problem, stability_errors

# %%
check("q5")

# %% [markdown]
# ## q6 (10 pts): Figure
#
# Plot both errors against $\kappa$ on log-log axes with the guides $\varepsilon\kappa$ and
# $\varepsilon\kappa^2$ (the notes' `stability_comparison.png`). The grader checks the
# data of your lines, the scales and that the axes are labelled; the styling is yours.

# %%
#| include: plot_stability

# %%
check("q6")

# %% [markdown]
# Observe: the normal-equations error follows the $\varepsilon\kappa^2$ guide and reaches
# 100 % near $\kappa = 10^4$, where $\kappa^2 \approx 1/\varepsilon$; QR stays near or below
# $\varepsilon\kappa$.

# %%
kappas = [1e1, 3e1, 1e2, 3e2, 1e3, 3e3, 1e4]
errors = stability_errors(kappas)
for kappa, e_n, e_q in zip(kappas, errors["normal"], errors["qr"]):
    print(f"κ = {kappa:8.0f}: normal {e_n:.2e}   QR {e_q:.2e}")
fig = plot_stability(kappas, errors)
plt.show()

# %%
check_all()
