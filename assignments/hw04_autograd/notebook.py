# %% [markdown]
# # Homework 4: Autograd by hand
#
# Lecture 4 of *Optimization in PyTorch* (notes: `section/4/notes.md`: "The Computational
# Graph", "Two Methods for Gradient Computation", "Beyond Single Variables: Least
# Squares", "More Complex Loss Functions") with lecture 5's "Autodiff and the chain rule"
# (`section/5/notes.md`).
#
# `loss.backward()` computes every gradient of a model in about the time of one forward
# pass. It does so by **reverse-mode automatic differentiation**: the forward pass
# records a graph of elementary operations and stores each node's value; the backward
# pass walks the graph from the output back to the inputs and applies the chain rule
# once per edge. In this homework you build that machinery, then use it:
#
# 1. a scalar `Value` that records the graph as you compute and walks it back (q1, 25 pts);
# 2. the order in which to walk the graph (q2, 10 pts);
# 3. the least-squares gradient $\nabla_w \tfrac12\|Xw-y\|^2 = X^\top(Xw-y)$, node by node
#    (q3, 20 pts);
# 4. a finite-difference gradient check (q4, 15 pts);
# 5. the lecture's tanh/sigmoid classifier by hand, then the same gradients from
#    `torch.autograd` (q5, 20 pts);
# 6. two figures (q6, 10 pts).
#
# **Rules.** `torch.autograd.grad`, `torch.autograd.backward`, `Tensor.backward()`,
# `torch.autograd.functional.*` and the gradient transforms of `torch.func` are
# **refused** while q1–q5 are graded, except inside `classifier_grads_autograd`, whose
# point is to use them; the feedback names the refused call. Keep every function's name
# and signature. Everything is float64: when you create a tensor, give its dtype (and
# device) explicitly, e.g. `torch.tensor(values, dtype=torch.float64, device=x.device)`,
# since the grader loads your definitions, not the experiment cells of this notebook.

# %%
from __future__ import annotations

import math
import time
from collections.abc import Callable

import matplotlib.pyplot as plt
import torch
from autograde_check import check, check_all
from matplotlib.figure import Figure
from torch import Tensor

torch.set_default_dtype(torch.float64)

# %% [markdown]
# ## q1 (25 pts): a scalar `Value` engine
#
# *Points: 6.25 of the 25 go to one check, that `backward()` called twice on one graph
# gives the same gradients (it resets every `grad` first); the other six tests of q1
# get 3.125 each.*
#
# A `Value` holds a number `data` and, after `backward()`, the derivative `grad` of the
# output with respect to it. Every operation returns a **new** node that remembers its
# inputs (`_prev`) and a closure `_backward` that pushes the node's gradient to its
# inputs by the chain rule. If $z = g(x, y)$ is a node and $f$ the output, then
# $$\bar x \mathrel{+}= \bar z\,\frac{\partial g}{\partial x}, \qquad
#   \bar y \mathrel{+}= \bar z\,\frac{\partial g}{\partial y},
#   \qquad\text{where } \bar v = \frac{\partial f}{\partial v}.$$
#
# * **Accumulate with `+=`, never `=`.** A node used twice (fan-out) receives one
#   contribution per use. In $f(x) = x^3 - 3x$ the leaf $x$ gets $3x^2$ along one path
#   and $-3$ along the other, and $f'(1) = 3 - 3 = 0$.
# * **`backward()`** resets every node's `grad` to 0, seeds the output with
#   $\partial f/\partial f = 1$, and calls each node's `_backward` in **reverse
#   topological order**: a node's gradient is complete before it is passed on. The order
#   comes from `topological_order`, which you write in q2 just below, so finish q2 before
#   running `check("q1")`.
# * Implement `+`, `*`, `**` (a constant int or float exponent), `exp`, `log`, `tanh`,
#   `relu` and `sigmoid`, each with its local derivative (in the docstrings). Subtraction,
#   division, negation and the reflected operators (`2 * x`, `1 - x`, ...) are already
#   written in terms of those.
# * Keep `data` a Python `float` (use `math`, not `torch`), and make `sigmoid` safe for
#   large $|x|$: `math.exp(800)` raises `OverflowError`.
#
# The tests call `backward()`, and some of them also call a node's `_backward` directly,
# with `out.grad` other than 1 and the inputs' `grad` not 0: every operation must set
# `_backward`, multiply by `out.grad`, and add to what the inputs already hold.
# Time and memory are $O(\#\text{nodes})$: each node is visited once.

# %%
#| include: Value

# %% [markdown]
# ## q2 (10 pts): topological order
#
# `topological_order(root)` returns every node the root depends on (following `_prev`),
# **each after all of its inputs**, each exactly once, with the root last. A depth-first
# search that appends a node after its inputs (post-order) does this. Two traps:
#
# * a node can be reached along many paths (in a ladder of $k$ diamonds there are $2^k$
#   paths): remember which nodes you have visited, and visit each once;
# * recursion fails on deep graphs: Python stops at about 1000 nested calls, and a chain
#   of 10 000 additions is an ordinary graph (an RNN unrolled over time, a long sum).
#   Use an explicit stack.

# %%
#| include: topological_order

# %%
check("q1")

# %%
check("q2")

# %% [markdown]
# The lecture's examples. $f(x) = x^3 - 3x$ has $f(1) = -2$ and $f'(1) = 0$ (a critical
# point). $x\cdot x + x$ at $x = 3$ has derivative $2x + 1 = 7$, which only comes out
# right if contributions accumulate. And a chain of 10 000 nodes works, in time
# proportional to its length.

# %%
x = Value(1.0)
f = x**3 - 3 * x
f.backward()
print(f"f(1) = {f.data}, df/dx = {x.grad}")
x = Value(3.0)
g = x * x + x
g.backward()
print(f"d(x·x + x)/dx at 3 = {x.grad}")

for n in (2_500, 5_000, 10_000):
    x = Value(0.5)
    out = x
    for _ in range(n):
        out = out * 0.9999 + 0.001  # four nodes per step: two operations, two constants
    started = time.perf_counter()
    out.backward()
    ms = 1e3 * (time.perf_counter() - started)
    nodes = len(topological_order(out))
    print(
        f"{n:6d} steps, {nodes:6d} nodes: backward {ms:5.1f} ms; d out/dx = {x.grad:.6f} = 0.9999^{n}"
    )

# %% [markdown]
# ## q3 (20 pts): least squares, node by node
#
# The lecture's graph for $f(w) = \tfrac12\|Xw - y\|^2$, with $X \in \mathbb R^{n\times
# p}$:
# $$w \;\longrightarrow\; z_1 = Xw - y \;\longrightarrow\; z_2 = \|z_1\|^2
#   \;\longrightarrow\; f = \tfrac12 z_2 .$$
# The forward pass stores $z_1$, $z_2$ and $f$. The backward pass multiplies **total
# derivatives** (row vectors), from the output back:
# $$\frac{\partial f}{\partial z_2} = \tfrac12, \qquad
#   \frac{\partial f}{\partial z_1} = \frac{\partial f}{\partial z_2}\cdot 2 z_1^\top = z_1^\top,
#   \qquad
#   \frac{\partial f}{\partial w} = \frac{\partial f}{\partial z_1}\, X = z_1^\top X,$$
# so $\nabla_w f = X^\top (Xw - y)$. Lecture 5 reads the same product as
# $J_h\,J_g\,J_f$: the chain rule composes linear maps, and reverse mode evaluates the
# product from the left, as row vector times matrix, never forming a matrix–matrix
# product. Store the row vectors flat, as 1-d tensors.

# %%
#| include: ls_forward, ls_backward

# %%
check("q3")

# %% [markdown]
# The gradient vanishes at the least-squares solution (the normal equations of lecture
# 2), and it is the familiar $X^\top(Xw - y)$:

# %%
gen = torch.Generator().manual_seed(0)
X_ls = torch.randn(30, 4, generator=gen)
y_ls = torch.randn(30, generator=gen)
w_ls = torch.randn(4, generator=gen)
back = ls_backward(X_ls, y_ls, w_ls, ls_forward(X_ls, y_ls, w_ls))
print(
    "max |df_dw − Xᵀ(Xw − y)| =", float((back["df_dw"] - X_ls.T @ (X_ls @ w_ls - y_ls)).abs().max())
)
w_star = torch.linalg.lstsq(X_ls, y_ls[:, None]).solution[:, 0]
back = ls_backward(X_ls, y_ls, w_star, ls_forward(X_ls, y_ls, w_star))
print("‖df_dw‖ at the least-squares solution =", float(back["df_dw"].norm()))

# %% [markdown]
# ## q4 (15 pts): gradient checking
#
# Whenever you write a gradient by hand, check it against central differences:
# $$\hat g_i = \frac{f(x + h e_i) - f(x - h e_i)}{2h} = \partial_i f(x) + \frac{h^2}{6}\,
#   \partial_i^3 f(\xi) .$$
# The error falls like $h^2$ (a tenth of the step, a hundredth of the error), while a
# one-sided difference $(f(x + he_i) - f(x))/h$ only falls like $h$. `numerical_grad`
# must not modify `x` (perturb a copy) and must work for any shape of `x`.
#
# `grad_check` reports
# $$\max_i \frac{|g_i - \hat g_i|}{\max(1, |g_i|, |\hat g_i|)},$$
# a relative error that does not blow up where the gradient is tiny. Below about
# $10^{-6}$, a gradient is right; above about $10^{-3}$, it is wrong.

# %%
#| include: numerical_grad, grad_check

# %%
check("q4")

# %% [markdown]
# Your least-squares gradient from q3 passes; a gradient with a wrong factor of 2 does not:


# %%
def ls_loss(w: Tensor) -> Tensor:
    return ls_forward(X_ls, y_ls, w)["f"]


def ls_grad(w: Tensor) -> Tensor:
    return ls_backward(X_ls, y_ls, w, ls_forward(X_ls, y_ls, w))["df_dw"]


print("q3's gradient:         ", grad_check(ls_loss, ls_grad, w_ls))
print("2 × q3's gradient:     ", grad_check(ls_loss, lambda w: 2 * ls_grad(w), w_ls))

# %% [markdown]
# ## q5 (20 pts): backprop through the classifier, then ask torch
#
# The lecture's binary classifier on inputs $x \in \mathbb R^d$ with $h$ hidden units:
# $$a = W_1 x + b_1,\quad u = \tanh(a),\quad s = w_2^\top u + b_2,\quad p = \sigma(s),$$
# trained on the mean binary cross-entropy
# $L = -\frac1n\sum_i \big[y_i \log p_i + (1-y_i)\log(1-p_i)\big]$.
# Derive the gradients by hand, batched over the $n$ rows of $X$. Three facts do most of
# the work:
#
# * $\partial L/\partial s_i = (p_i - y_i)/n$: the sigmoid's derivative $p(1-p)$ cancels
#   the denominators of the cross-entropy's derivative;
# * $\tanh'(a) = 1 - \tanh^2(a) = 1 - u^2$: the backward pass reuses the forward's $u$;
# * a parameter used for every example (all four of them) sums its contributions over
#   the examples: fan-out again, now along the batch.
#
# Then write `classifier_grads_autograd`, which gets the same gradients from
# `torch.autograd.grad` (allowed there): mark copies of the parameters with
# `requires_grad_(True)`, compute the loss, and ask for its gradient. Torch records the
# same graph you walked by hand.

# %%
#| include: classifier_forward, classifier_backward, classifier_grads_autograd

# %%
check("q5")

# %% [markdown]
# Both ways agree to rounding, and the hand-derived gradient passes q4's check. Torch's
# recorded graph is the one you differentiated: walking `grad_fn` backwards from the loss
# visits the same operations, in reverse.

# %%
gen = torch.Generator().manual_seed(4)
h_units, d_in, n_ex = 5, 3, 16
params = {
    "W1": torch.randn(h_units, d_in, generator=gen),
    "b1": torch.randn(h_units, generator=gen),
    "w2": torch.randn(h_units, generator=gen) / h_units**0.5,
    "b2": torch.randn((), generator=gen),
}
X_demo = torch.randn(n_ex, d_in, generator=gen)
y_demo = (torch.rand(n_ex, generator=gen) > 0.5).double()
by_hand = classifier_backward(params, X_demo, y_demo)
by_torch = classifier_grads_autograd(params, X_demo, y_demo)
for name in params:
    print(
        f"{name:3s} max |by hand − autograd| = {(by_hand[name] - by_torch[name]).abs().max():.1e}"
    )


def bce_of_w1(W1: Tensor) -> Tensor:
    p = classifier_forward({**params, "W1": W1}, X_demo)
    return -(y_demo * torch.log(p) + (1 - y_demo) * torch.log(1 - p)).mean()


print("grad_check of ∂L/∂W1 by hand:", grad_check(bce_of_w1, lambda W: by_hand["W1"], params["W1"]))

leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
p_demo = classifier_forward(leaves, X_demo)
loss = -(y_demo * torch.log(p_demo) + (1 - y_demo) * torch.log(1 - p_demo)).mean()
node, seen = loss.grad_fn, []
while node is not None and len(seen) < 20:  # follow the first input of each node
    seen.append(type(node).__name__)
    inputs = [fn for fn, _ in node.next_functions if fn is not None]
    node = inputs[0] if inputs else None
print(" ← ".join(seen))

# %% [markdown]
# ## q6 (10 pts): figures
#
# First the lecture's picture: $f(x) = x^3 - 3x$ and its derivative three ways, from your
# engine, from the formula $3x^2 - 3$, and from `torch.autograd`. The three derivative
# curves lie on top of each other, and cross zero at the critical points $x = \pm 1$.
# `polynomial_gradients` computes the curves; `plot_polynomial_gradients` draws them
# from that data (the figure is graded through its data: the lines, their labels, the
# scales, and that the axes are labelled).

# %%
#| include: polynomial_gradients, plot_polynomial_gradients

# %%
xs = torch.linspace(-2.0, 2.0, 81)
curves = polynomial_gradients(xs)
fig = plot_polynomial_gradients(xs, curves)
plt.show()

# %% [markdown]
# Then the gradient check's error as the step $h$ shrinks. Truncation error falls like
# $h^2$ (slope 2 on the right of a log–log plot); rounding error grows like
# $\varepsilon/h$, with $\varepsilon \approx 2.2\times10^{-16}$ the float64 machine
# epsilon, since $f(x \pm he_i)$ are each rounded and their difference is divided by
# $2h$ (slope −1 on the left). Together they make a V whose bottom is near
# $h \approx \varepsilon^{1/3} \approx 10^{-5}$, where the two are equal.

# %%
#| include: gradcheck_errors, plot_gradcheck_error

# %%
check("q6")

# %%
hs = [10.0**-k for k in range(1, 13)]
x_check = torch.linspace(-1.0, 1.0, 5)
exact = torch.tanh(x_check) + x_check * (1 - torch.tanh(x_check) ** 2)  # d/dx of Σ x·tanh x
errs = gradcheck_errors(lambda z: (z * torch.tanh(z)).sum(), lambda _: exact, x_check, hs)
fig = plot_gradcheck_error(hs, errs)
plt.show()
best = min(range(len(hs)), key=lambda i: float(errs[i]))
print(f"smallest error {float(errs[best]):.1e} at h = {hs[best]:.0e}")

# %% [markdown]
# Before you submit, run every public check once more:

# %%
check_all()
