# %% [markdown]
# # Homework 3: Gradient descent for least squares
#
# Lecture 3 of *Optimization in PyTorch* (notes: `section/3/notes.md`, sections
# "The Memory Wall", "A Memory-Efficient Alternative", "The Direction of Steepest
# Descent", "The Algorithm" and "Implementation").
#
# We minimise the least-squares loss
# $$f(w) = \tfrac12\|Xw - y\|_2^2, \qquad X \in \mathbb{R}^{n\times p},\ y \in \mathbb{R}^n .$$
# The direct methods of lecture 2 form $X^\top X$, which costs $O(np^2)$ time and
# $O(p^2)$ memory. Gradient descent needs only the gradient, which costs two
# matrix-vector products. In this homework you will:
#
# 1. compute the loss and gradient without ever forming $X^\top X$ (q1);
# 2. implement gradient descent and track the relative loss (q2);
# 3. estimate the largest eigenvalue $\lambda_{\max}(X^\top X)$ by power iteration,
#    which gives the largest stable step $2/\lambda_{\max}$ (q3);
# 4. watch gradient descent zigzag on an ill-conditioned 2-D quadratic (q4);
# 5. count iterations as a function of the condition number $\kappa$ (q5);
# 6. draw the lecture's figures (q6).
#
# Every function works in `float64`. Run `check("qK")` after each question for instant
# feedback on a few public cases; the hidden tests use other inputs.

# %%
import math

import matplotlib.pyplot as plt
import torch
from autograde_check import check, check_all
from matplotlib.figure import Figure  # noqa: F401  (type hints of the included functions)
from torch import Tensor  # noqa: F401

torch.set_default_dtype(torch.float64)

# %% [markdown]
# ## q1 (15 pts): Loss and gradient without $X^\top X$
#
# Expanding $f(w+h) = f(w) + (Xw-y)^\top X h + \tfrac12\|Xh\|^2$ shows that the gradient is
# $$\nabla f(w) = X^\top (Xw - y).$$
# Computed right to left, this is two matrix-vector products: first the residual
# $r = Xw - y$ ($O(np)$), then $X^\top r$ ($O(np)$). Computed as $X^\top X w - X^\top y$,
# it needs the $p\times p$ matrix $X^\top X$. For $p = 40\,000$ that matrix holds
# $1.6\times 10^9$ float64 numbers: $1.28\times 10^{10}$ bytes = 12.8 GB. (The notes print
# "80.0 GB" for $p = 100\,000$; that code divides by $1024^3$ and the number is really
# 74.5 GiB = 80 GB.) The grader runs your gradient on such an $X$ with a 3 GB memory
# limit, so form nothing of size $p\times p$.
#
# Implement `ls_loss` and `ls_gradient`.

# %%
#| include: ls_loss, ls_gradient

# %%
check("q1")

# %% [markdown]
# Among all unit vectors $d$, the directional derivative $\nabla f(w)^\top d$ is smallest
# for $d = -\nabla f(w)/\|\nabla f(w)\|$ (Cauchy–Schwarz): the negative gradient is the
# direction of steepest descent. A quick sanity check of your gradient: a central
# difference along a random direction $v$ should match $\nabla f(w)^\top v$.

# %%
gen = torch.Generator().manual_seed(0)
X_demo = torch.randn(50, 8, generator=gen)
y_demo = torch.randn(50, generator=gen)
w_demo = torch.randn(8, generator=gen)
v_demo = torch.randn(8, generator=gen)
h = 1e-5
central = (
    ls_loss(X_demo, y_demo, w_demo + h * v_demo) - ls_loss(X_demo, y_demo, w_demo - h * v_demo)
) / (2 * h)
print(
    f"central difference {central.item():.10f}   gradient·v {(ls_gradient(X_demo, y_demo, w_demo) @ v_demo).item():.10f}"
)

# %% [markdown]
# ## q2 (25 pts): Gradient descent
#
# Gradient descent repeats
# $$w_{k+1} = w_k - \alpha \nabla f(w_k) = w_k - \alpha X^\top (X w_k - y).$$
# Track the loss and the **relative loss**
# $$\frac{f(w_k) - f^*}{f(w_0) - f^*},$$
# where $f^* = \min_w f(w)$. Compute $f^*$ from `torch.linalg.lstsq`; that is the only
# place where a direct solver is allowed (`torch.optim` and autograd are refused while
# q2 is graded). Reuse your `ls_gradient` and `ls_loss`.

# %%
#| include: gradient_descent

# %%
check("q2")

# %% [markdown]
# ## q3 (15 pts): $\lambda_{\max}$ from matrix-vector products
#
# Write $H = X^\top X$ with eigenvalues $\lambda_1 \ge \dots \ge \lambda_p \ge 0$ and
# eigenvectors $u_i$. In the eigenbasis, the error $w_k - w^*$ evolves coordinate by
# coordinate:
# $$u_i^\top (w_{k+1} - w^*) = (1 - \alpha\lambda_i)\, u_i^\top (w_k - w^*).$$
# So gradient descent converges from every start iff $|1-\alpha\lambda_i| < 1$ for all
# $i$, that is $0 < \alpha < 2/\lambda_{\max}$.
#
# We need $\lambda_{\max}$ without forming $H$ or calling an eigensolver. **Power
# iteration** repeats $v \leftarrow Hv/\|Hv\|$: the component along $u_1$ grows fastest,
# by a factor $\lambda_1/\lambda_2$ per step relative to the next one. And
# $Hv = X^\top(Xv)$ costs two matrix-vector products, like the gradient.
#
# Implement `lambda_max_power` (follow the docstring's random call exactly) and
# `max_stable_step`. While q3 is graded, the eigenvalue, SVD and norm functions of
# `torch.linalg` are refused: take norms as `torch.sqrt(v @ v)`.

# %%
#| include: lambda_max_power, max_stable_step

# %%
check("q3")

# %% [markdown]
# ## q4 (20 pts): The 2-D quadratic lab
#
# On $f(w) = \tfrac12 w^\top A w$ with $A = Q\,\mathrm{diag}(\lambda_{\max},
# \lambda_{\max}/\kappa)\,Q^\top$, the level sets are ellipses whose axes have length ratio
# $\sqrt{\kappa}$. Gradient descent multiplies the $i$-th eigen-coordinate by
# $1 - \alpha\lambda_i$ each step. Its worst-case contraction is
# $$\rho(\alpha) = \max_i |1 - \alpha\lambda_i|.$$
# With $\alpha = 1.8/\lambda_{\max}$ the top factor is $1 - 1.8 = -0.8$, so the coordinate
# along the steep direction flips sign every step: the **zigzag**. With $\kappa = 50$
# the flat direction contracts only by $1 - 1.8/50 = 0.964$ per step.
#
# Implement `make_quadratic`, `gd_path_2d` and `contraction_factor`.

# %%
#| include: make_quadratic, gd_path_2d, contraction_factor

# %%
check("q4")

# %% [markdown]
# Late in the run the slowest eigendirection dominates, so $\|w_{k+1}\|/\|w_k\|$ should
# approach $\rho(\alpha)$. Check it, and watch the sign flips along the top eigenvector.

# %%
A50 = make_quadratic(50.0)
path50 = gd_path_2d(A50, torch.tensor([1.0, 1.0]), 1.8, 80)
norms = path50.norm(dim=1)
print(
    "late ratio",
    (norms[-1] / norms[-2]).item(),
    "  contraction factor",
    contraction_factor(A50, 1.8),
)
top = torch.tensor([math.cos(0.5236), math.sin(0.5236)])
print("top-eigenvector coordinate, first 8 steps:", (path50[:8] @ top).numpy().round(3))

# %% [markdown]
# ## q5 (15 pts): Iterations vs $\kappa$
#
# Start from the point whose loss is split evenly between the two eigendirections. Then
# the relative loss after $k$ steps is
# $\tfrac12\big[(1-\alpha\lambda_1)^{2k} + (1-\alpha\lambda_2)^{2k}\big]$.
# At $\alpha = 1/\lambda_{\max}$ the first term vanishes after one step, and the second
# is $(1 - 1/\kappa)^{2k} \approx e^{-2k/\kappa}$. Reaching a tolerance $\varepsilon$
# therefore takes about $\tfrac{\kappa}{2}\ln\tfrac{1}{2\varepsilon}$ steps: the count
# grows **linearly** in $\kappa$.
#
# Implement `iterations_to_tol` (simulate with `gd_path_2d`, or use the formula above).

# %%
#| include: iterations_to_tol

# %%
check("q5")

# %%
for scale in (0.5, 1.0, 1.8):
    counts = [iterations_to_tol(k, scale) for k in (2, 10, 100, 1000)]
    print(f"α = {scale}/λ_max:  iterations for κ = 2, 10, 100, 1000 →", counts)

# %% [markdown]
# ## q6 (10 pts): Figures
#
# `plot_zigzag` draws the level sets of the 2-D quadratic and the gradient-descent path
# in a grid of panels: rows $\kappa \in \{2, 50\}$, columns
# $\alpha \in \{0.1, 1.8\}/\lambda_{\max}$ (the notes' `zigzag_visualization.png`).
# `plot_convergence` draws the relative loss on a log scale: for one $\kappa$ and several
# steps, and for one step and several $\kappa$ (the notes' `convergence_factors.png`).
# The grader checks the data of your lines, the scales and that the axes are labelled;
# the styling is yours.

# %%
#| include: plot_zigzag, plot_convergence

# %%
check("q6")

# %%
w_start = torch.tensor([-0.2, 1.0])  # on both eigendirections
paths = {
    (kappa, scale): gd_path_2d(make_quadratic(kappa), w_start, scale, 30)
    for kappa in (2.0, 50.0)
    for scale in (0.1, 1.8)
}
fig = plot_zigzag(paths)
plt.show()

# %% [markdown]
# Now a real least-squares problem: $X$ is $200\times 20$ with $\kappa(X^\top X)$ chosen
# exactly. The step comes from your power iteration.
# Observe: each relative-loss curve is a straight line on the log scale (linear
# convergence), its slope is $2\log\rho(\alpha)$, and larger $\kappa$ gives a flatter line.
# (The $\kappa = 2$ curve bottoms out near $10^{-16}$: float64 rounding of $f(w_k) - f^*$.)

# %%
#| include: make_ls_problem

# %%
gen = torch.Generator().manual_seed(3)
X10, y10 = make_ls_problem(200, 20, 10.0, gen)
lam10 = lambda_max_power(X10, generator=torch.Generator().manual_seed(0))
print(
    f"λ_max = {lam10:.6f}, largest stable step 2/λ_max = {max_stable_step(X10, generator=gen):.6f}"
)
by_step = {s: gradient_descent(X10, y10, s / lam10, 60)["rel_loss"] for s in (0.1, 1.0, 1.8)}

by_kappa = {}
for kappa in (2.0, 10.0, 100.0):
    Xk, yk = make_ls_problem(200, 20, kappa, gen)
    lam = lambda_max_power(Xk, generator=torch.Generator().manual_seed(0))
    by_kappa[kappa] = gradient_descent(Xk, yk, 1.0 / lam, 60)["rel_loss"]
fig = plot_convergence(by_step, by_kappa)
plt.show()

# %% [markdown]
# What happens above $2/\lambda_{\max}$? Try $\alpha = 2.2/\lambda_{\max}$: the loss grows
# geometrically, by about $(1.2)^2$ per step.

# %%
diverging = gradient_descent(X10, y10, 2.2 / lam10, 20)["loss"]
print("loss ratio over the last step:", (diverging[-1] / diverging[-2]).item())

# %%
check_all()
