# %% [markdown]
# # Homework 4: Autograd by hand
#
# Lecture 4 of *Optimization in PyTorch* ("The Computational Graph", "Two Methods for
# Gradient Computation", "Beyond Single Variables: Least Squares") with lecture 5's
# "Autodiff and the chain rule".
#
# PyTorch computes gradients by **reverse-mode automatic differentiation**. In this
# homework you build that machinery yourself, then use it:
#
# 1. the order in which to walk a computational graph backwards (q1);
# 2. a scalar `Value` that records the graph as you compute, and walks it back (q2);
# 3. the least-squares gradient $\nabla_w \tfrac12\|Xw-y\|^2 = X^\top(Xw-y)$, node by
#    node (q3);
# 4. a finite-difference gradient check (q4);
# 5. the lecture's tanh/sigmoid classifier by hand, then the same with `torch.autograd`
#    (q5);
# 6. two figures (q6).
#
# `torch.autograd`, `torch.func` and `Tensor.backward()` are **refused** while q1–q5 are
# graded (except in `classifier_grads_autograd`, whose point is to use them): the
# feedback names the refused call.

# %%
from __future__ import annotations

import math
from collections.abc import Callable

import matplotlib.pyplot as plt
import torch
from autograde_check import check, check_all
from matplotlib.figure import Figure
from torch import Tensor

torch.set_default_dtype(torch.float64)

# %% [markdown]
# ## q1 (10 pts) and q2 (25 pts): the engine
#
# **q2, a scalar `Value`.** Each operation creates a new node that remembers its inputs
# (`_prev`) and a closure `_backward` that pushes the node's gradient to its inputs with
# the chain rule: if $z = g(x, y)$ then
# $$\frac{\partial f}{\partial x} \mathrel{+}= \frac{\partial f}{\partial z}\,\frac{\partial g}{\partial x},
# \qquad \frac{\partial f}{\partial y} \mathrel{+}= \frac{\partial f}{\partial z}\,\frac{\partial g}{\partial y}.$$
# Use `+=`, not `=`: a node used twice (fan-out) receives one contribution per use. In
# $f(x) = x^3 - 3x$ the leaf $x$ gets $3x^2$ from one path and $-3$ from the other.
# Subtraction, division, negation and the reflected operators are already written in
# terms of the others.
#
# **q1, topological order.** `backward()` seeds $\partial f/\partial f = 1$, resets every
# other node's `grad` to 0, and calls each node's `_backward` in **reverse topological
# order**, so a node's gradient is complete before it is passed on.
# `topological_order(root)` returns every node the root depends on, each **after all of
# its inputs**, with the root last. Use an explicit stack rather than recursion: a chain
# of 10 000 additions must not hit Python's recursion limit. Time and memory are
# $O(\#\text{nodes})$.

# %%
#| include: Value, topological_order

# %%
check("q1")

# %%
check("q2")

# %% [markdown]
# The lecture's example: $f(x) = x^3 - 3x$ has $f'(1) = 0$. And $x\cdot x + x$ at $x=3$
# has derivative $2x + 1 = 7$, which only comes out right if contributions accumulate.

# %%
x = Value(1.0)
f = x**3 - 3 * x
f.backward()
print("f(1) =", f.data, " df/dx =", x.grad)
x = Value(3.0)
g = x * x + x
g.backward()
print("d(x·x + x)/dx at 3 =", x.grad)

# %% [markdown]
# ## q3 (20 pts): least squares, node by node
#
# The lecture's graph for $f(w) = \tfrac12\|Xw - y\|^2$:
# $$w \xrightarrow{\;z_1 = Xw - y\;} z_1 \xrightarrow{\;z_2 = \|z_1\|^2\;} z_2 \xrightarrow{\;f = z_2/2\;} f.$$
# Going backwards multiplies total derivatives:
# $\frac{\partial f}{\partial z_2} = \tfrac12$, $\frac{\partial f}{\partial z_1} = \tfrac12\cdot 2z_1^\top = z_1^\top$,
# $\frac{\partial f}{\partial w} = z_1^\top X$, so $\nabla_w f = X^\top(Xw - y)$. Lecture 5
# reads the same product as $J_h J_g J_f$: the chain rule composes linear maps.

# %%
#| include: ls_forward, ls_backward

# %%
check("q3")

# %% [markdown]
# ## q4 (15 pts): gradient checking
#
# Central differences approximate each partial derivative:
# $$\hat g_i = \frac{f(x + h e_i) - f(x - h e_i)}{2h} = \partial_i f(x) + O(h^2).$$
# `grad_check` reports $\max_i |g_i - \hat g_i| / \max(1, |g_i|, |\hat g_i|)$, a relative
# error that does not blow up where the gradient is tiny.

# %%
#| include: numerical_grad, grad_check

# %%
check("q4")

# %% [markdown]
# ## q5 (20 pts): backprop through the classifier, then ask torch
#
# The lecture's classifier on inputs $x \in \mathbb{R}^d$:
# $h = \tanh(W_1 x + b_1)$, $p = \sigma(w_2^\top h + b_2)$, trained on the mean binary
# cross-entropy $L = -\frac1n\sum_i [y_i \log p_i + (1-y_i)\log(1-p_i)]$.
# Derive the gradients by hand. Two facts do most of the work:
# $\partial L/\partial(\text{logit}_i) = (p_i - y_i)/n$, and $\tanh' = 1 - \tanh^2$.
# Then compute the same gradients with `torch.autograd.grad` (allowed there) and compare.

# %%
#| include: classifier_forward, classifier_backward, classifier_grads_autograd

# %%
check("q5")

# %%
gen = torch.Generator().manual_seed(4)
params = {
    "W1": torch.randn(5, 3, generator=gen),
    "b1": torch.randn(5, generator=gen),
    "w2": torch.randn(5, generator=gen),
    "b2": torch.randn((), generator=gen),
}
X_demo = torch.randn(16, 3, generator=gen)
y_demo = (torch.rand(16, generator=gen) > 0.5).double()
by_hand = classifier_backward(params, X_demo, y_demo)
by_torch = classifier_grads_autograd(params, X_demo, y_demo)
for name in params:
    print(f"{name}: max |by hand − autograd| = {(by_hand[name] - by_torch[name]).abs().max():.2e}")

# %% [markdown]
# ## q6 (10 pts): figures
#
# First the lecture's picture: $f(x) = x^3 - 3x$ and its derivative three ways. The three
# gradient curves must lie on top of each other.

# %%
#| include: polynomial_gradients, plot_polynomial_gradients

# %%
xs = torch.linspace(-2.0, 2.0, 41)
fig = plot_polynomial_gradients(xs, polynomial_gradients(xs))
plt.show()

# %% [markdown]
# Then the gradient check's error as the step shrinks. Truncation error falls like $h^2$
# (slope 2 on the right of the plot); rounding error grows like $\varepsilon/h$ (the left).
# The best $h$ is near $\varepsilon^{1/3} \approx 10^{-5}$.

# %%
#| include: gradcheck_errors, plot_gradcheck_error

# %%
check("q6")

# %%
hs = [10.0**-k for k in range(1, 12)]
x_check = torch.linspace(-1.0, 1.0, 5)
exact = torch.tanh(x_check) + x_check * (1 - torch.tanh(x_check) ** 2)  # d/dx Σ x·tanh x
errs = gradcheck_errors(lambda z: (z * torch.tanh(z)).sum(), lambda _: exact, x_check, hs)
fig = plot_gradcheck_error(hs, errs)
plt.show()

# %% [markdown]
# Before you submit, run every public check once more:

# %%
check_all()
