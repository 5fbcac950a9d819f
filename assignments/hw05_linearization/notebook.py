# %% [markdown]
# # Homework 5: Derivatives as best linear approximations
#
# Lecture 5 of *Optimization in PyTorch* (notes: `section/5/notes.md`: the little-o
# definition, "Jacobian matrix vs. Jacobian-vector products", "Chain Rule: Composition
# of Best Linear Approximations" and the least-squares example).
#
# A function $F:\mathbb{R}^d \to \mathbb{R}^k$ is **differentiable** at $x$ when some
# linear map $J_F(x)$ satisfies
# $$F(x + h) = F(x) + J_F(x)\,h + o(\|h\|) \qquad (h \to 0).$$
# The derivative *is* that linear map, the best linear approximation of $F$ near $x$.
# Autodiff never builds the matrix of $J_F(x)$. It evaluates the map on vectors:
#
# * a **JVP** (Jacobian-vector product, forward mode) $v \mapsto J_F(x)\,v$;
# * a **VJP** (vector-Jacobian product, reverse mode) $u \mapsto J_F(x)^\top u$,
#   equivalently $u^\top J_F(x)$.
#
# In this homework you derive such maps by hand. `torch.autograd` and `torch.func` are
# refused while q1, q3 and q4 are graded; q2 refuses the Jacobian builders. We use them
# ourselves only as oracles, in the cell after q3.

# %%
import math  # noqa: F401  (used by the included functions)
from collections.abc import Callable  # noqa: F401

import matplotlib.pyplot as plt
import torch
from autograde_check import check, check_all
from matplotlib.figure import Figure  # noqa: F401  (type hints of the included functions)
from torch import Tensor

torch.set_default_dtype(torch.float64)

# %% [markdown]
# ## q1 (15 pts): Matrix-function JVPs and VJPs
#
# Expand and keep the part that is linear in the perturbation.
#
# * $F(W) = W^\top W$ maps $\mathbb{R}^{n\times m} \to \mathbb{R}^{m\times m}$ (the notes
#   write the codomain as $n\times m$; it is $m\times m$):
#   $$F(W+V) = W^\top W + \underbrace{W^\top V + V^\top W}_{J_F(W)[V]} + \underbrace{V^\top V}_{\text{remainder}}.$$
# * Its VJP is the adjoint of $V \mapsto W^\top V + V^\top W$ under the inner product
#   $\langle A, B\rangle = \sum_{ij} A_{ij}B_{ij} = \operatorname{tr}(A^\top B)$.
#   Work out $\langle G, W^\top V + V^\top W\rangle = \langle\,?\,, V\rangle$.
#   The answer is $W(G + G^\top)$.
# * $F(U, V) = UV^\top$ maps $\mathbb{R}^{n\times m}\times\mathbb{R}^{n\times m} \to \mathbb{R}^{n\times n}$:
#   $$F(U+H, V+K) = UV^\top + HV^\top + UK^\top + HK^\top .$$

# %%
#| include: jvp_gram, vjp_gram, jvp_outer

# %%
check("q1")

# %% [markdown]
# The remainder of $W^\top W$ is exactly $V^\top V$, so
# $F(W + tV) - F(W) - t\,J_F(W)[V] = t^2 V^\top V$. Check it numerically:

# %%
gen = torch.Generator().manual_seed(0)
W0, V0 = torch.randn(4, 3, generator=gen), torch.randn(4, 3, generator=gen)
for t in (1.0, 0.1, 0.01):
    remainder = (W0 + t * V0).T @ (W0 + t * V0) - W0.T @ W0 - t * jvp_gram(W0, V0)
    print(f"t = {t:5}: max |remainder − t²VᵀV| = {(remainder - t**2 * V0.T @ V0).abs().max():.2e}")

# %% [markdown]
# ## q2 (20 pts): Jacobians from products
#
# "If you can multiply by a matrix, you know every entry": $A_{ij} = (Ae_j)_i$. So
# $\dim(\text{input})$ JVPs give the Jacobian one **column** at a time, and
# $\dim(\text{output})$ VJPs give it one **row** at a time. That is the cost asymmetry
# between the two modes: for a loss $\mathbb{R}^{p}\to\mathbb{R}$, one VJP gives the whole
# gradient, while forward mode needs $p$ JVPs.
#
# Implement both constructions. Inputs and outputs may be matrices: flatten them in
# row-major order (`reshape(-1)`), as `torch` does.

# %%
#| include: jacobian_from_jvp, jacobian_from_vjp

# %%
check("q2")

# %% [markdown]
# ## q3 (20 pts): The chain rule as a composition
#
# For $F = F_L \circ \cdots \circ F_1$ with intermediate points $x_0 = x$ and
# $x_k = F_k(x_{k-1})$, the chain rule composes linear maps:
# $$J_F(x) = J_{F_L}(x_{L-1}) \cdots J_{F_2}(x_1)\,J_{F_1}(x_0).$$
# **Forward mode** applies the product to a tangent $v$ right to left, alongside the
# forward pass. **Reverse mode** applies it to a cotangent $u$ left to right, *after* a
# forward pass that stored every $x_k$. That storage is the memory cost of
# backpropagation.
#
# A layer is a triple `(forward, jvp_at, vjp_at)`: `forward(x)`, `jvp_at(x, v)`
# $= J(x)v$, and `vjp_at(x, u)` $= J(x)^\top u$.

# %%
#| include: Layer, chain_jvp, chain_vjp

# %%
check("q3")

# %% [markdown]
# Here is a small network, $x \mapsto \tfrac12\|\tanh(Ax)\|^2$, written as three layers.
# Reverse mode with $u = 1$ gives the gradient. We compare it with `torch.func`, the
# oracle (allowed here, outside the graded functions).

# %%
A_net = torch.randn(5, 3, generator=gen)
layers_net = [
    (lambda x: A_net @ x, lambda x, v: A_net @ v, lambda x, u: A_net.T @ u),
    (
        torch.tanh,
        lambda x, v: (1 - torch.tanh(x) ** 2) * v,
        lambda x, u: (1 - torch.tanh(x) ** 2) * u,
    ),
    (lambda x: 0.5 * (x @ x), lambda x, v: x @ v, lambda x, u: u * x),
]
x_net = torch.randn(3, generator=gen)
mine = chain_vjp(layers_net, x_net, torch.tensor(1.0))
oracle = torch.func.grad(lambda x: 0.5 * (torch.tanh(A_net @ x) ** 2).sum())(x_net)
print("chain_vjp gradient:", mine.numpy().round(6))
print("torch.func.grad:   ", oracle.numpy().round(6))

# %% [markdown]
# ## q4 (15 pts): Least squares as $h \circ g \circ f$
#
# $L(w) = \tfrac12\|Xw - y\|^2 = h(g(f(w)))$ with $f(w) = Xw - y$, $g(z) = \|z\|^2$ and
# $h(s) = \tfrac12 s$. Their Jacobians are $J_f = X$ ($n\times p$),
# $J_g(z) = 2z^\top$ ($1\times n$) and $J_h = [\tfrac12]$ ($1\times 1$). The chain rule
# multiplies them:
# $$J_L(w) = J_h\,J_g(f(w))\,J_f = (Xw - y)^\top X = \nabla L(w)^\top .$$

# %%
#| include: least_squares_jacobians, compose

# %%
check("q4")

# %% [markdown]
# ## q5 (15 pts): Linearisation error and the counterexample
#
# For a twice-differentiable $f$, the linearisation error along a direction $v$ is
# $$\big|f(x+hv) - f(x) - h\,\nabla f(x)^\top v\big| = \tfrac12 h^2\,|v^\top \nabla^2 f(x)\, v| + O(h^3),$$
# so on a log-log plot it is a line of **slope 2**. Differentiability requires more than
# partial derivatives. The notes' counterexample
# $$f(x, y) = \frac{xy}{x^2 + y^2},\qquad f(0,0) = 0$$
# has $\partial_x f(0,0) = \partial_y f(0,0) = 0$ (it vanishes on both axes). Yet
# $f(t, t) = \tfrac12$ for every $t \neq 0$, so the only candidate linear map, $0$,
# leaves an error of $\tfrac12$ that does not shrink at all.
#
# Implement `linearization_error`, `loglog_slope` (a least-squares line through the
# points $(\log h, \log \text{err})$) and `bad_f` (return $0$ at the origin).

# %%
#| include: linearization_error, loglog_slope, bad_f

# %%
check("q5")


# %%
def smooth_f(x: Tensor) -> Tensor:
    return torch.sin(x).sum() + 0.25 * (x @ x) ** 2


def smooth_grad(x: Tensor) -> Tensor:
    return torch.cos(x) + (x @ x) * x


x_pt, v_dir = torch.tensor([0.3, -1.2, 0.8]), torch.tensor([1.0, 0.5, -0.7])
hs = torch.logspace(-4, -0.5, 15)
err_smooth = linearization_error(smooth_f, smooth_grad, x_pt, v_dir, hs)
zero = torch.zeros(2)
err_bad = linearization_error(bad_f, lambda p: torch.zeros(2), zero, torch.tensor([1.0, 1.0]), hs)
print(f"slope, smooth f: {loglog_slope(hs, err_smooth):.4f}")
print(
    f"slope, counterexample along (1, 1): {loglog_slope(hs, err_bad):.4f} (the error stays {err_bad[0]:.2f})"
)
fd = [(bad_f(1e-6 * e) - bad_f(-1e-6 * e)) / 2e-6 for e in torch.eye(2)]
print("finite-difference partials of bad_f at 0:", [float(d) for d in fd])

# %% [markdown]
# ## q6 (15 pts): Figures
#
# * `plot_tangent`: $f$ and its tangent line $L(x) = f(a) + f'(a)(x-a)$ (the notes'
#   `best_linear_approximation` figure, with $f(x) = 5x^3 - 2x + 7$).
# * `plot_linearization_error`: the errors of q5 against $h$ on log-log axes, with a
#   slope-2 guide.
#
# The grader checks your lines' data, the scales and that the axes are labelled; the
# styling is yours.

# %%
#| include: plot_tangent, plot_linearization_error

# %%
check("q6")

# %%
fig = plot_tangent(
    lambda x: 5 * x**3 - 2 * x + 7, lambda x: 15 * x**2 - 2, 1.0, torch.linspace(-1.0, 2.0, 200)
)
plt.show()

# %%
fig = plot_linearization_error(
    {"smooth f": (hs, err_smooth), "xy/(x²+y²) along (1, 1)": (hs, err_bad)}
)
plt.show()

# %% [markdown]
# Observe: the smooth curve follows the slope-2 guide until $h$ is large. The
# counterexample's error is flat at $\tfrac12$: it is not even $o(h)$, so no linear map
# approximates $f$ at the origin.

# %%
check_all()
