# %% [markdown]
# # Homework 8: SGD in PyTorch
#
# Lecture 8 of *Optimization in PyTorch* (notes: `section/8/notes.md`: "Sampling Without
# Replacement", "Previously Discussed Tweaks", "Weight Decay", "Learning Rate Schedules",
# "Implementation Details in PyTorch", "Implementing EMA", "Minimal Working
# Implementation"; and the lecture's cheat sheet).
#
# A PyTorch training loop is five lines repeated:
# `zero_grad → forward → loss → backward → step`. Around it sit the choices the lecture
# discusses: how mini-batches are drawn, what the optimiser does with the gradient
# (momentum, weight decay), how the learning rate changes over time (schedules), and which
# weights we finally evaluate (an exponential moving average). In this homework you write
# each of these pieces yourself, check them against PyTorch's, and assemble them into the
# notes' minimal working example.
#
# **Rules.** In q2 your code may not call `torch.optim.SGD` (or its functional form); in
# q3 and q6 it may not use `torch.optim.lr_scheduler`; in q4 it may not use
# `torch.optim.swa_utils.AveragedModel`. The grader refuses those calls while it grades
# these questions. Everything the grader compares is float64.

# %%
import math
from collections.abc import Callable, Iterable

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from autograde_check import check, check_all
from matplotlib.figure import Figure
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset

# %% [markdown]
# ## q1. Mini-batches with and without replacement (15 points)
#
# With $n$ examples and batch size $b$, **sampling without replacement** (epoch shuffling)
# draws one random permutation $\pi$ of $\{0,\dots,n-1\}$ per epoch and cuts it into
# $\lceil n/b \rceil$ contiguous batches
# $\pi_{0:b}, \pi_{b:2b}, \dots$, so each example is used exactly once per epoch.
# **Sampling with replacement** draws every batch independently and uniformly, so an
# example may appear several times, or not at all, in $n/b$ batches.
#
# Implement both. Use the generator exactly as the docstrings say: then your batches are
# reproducible and can be compared with the reference's.

# %%
#| include: epoch_batches, replacement_batches

# %%
check("q1")

# %% [markdown]
# `DataLoader(dataset, batch_size=b, shuffle=True, generator=g)` does the same thing:
# every index once per epoch. Its batches are *not* the chunks of
# `torch.randperm(n, generator=g)` though: the loader first draws one number from `g`
# for its worker seed, and only then shuffles. Check both facts:

# %%
n, b = 10, 4
loader = DataLoader(
    TensorDataset(torch.arange(n)),
    batch_size=b,
    shuffle=True,
    generator=torch.Generator().manual_seed(0),
)
dl_batches = [x for (x,) in loader]
mine = epoch_batches(n, b, torch.Generator().manual_seed(0))
print("DataLoader:", [x.tolist() for x in dl_batches])
print("yours:     ", [x.tolist() for x in mine])
print("each index once per epoch:", sorted(torch.cat(dl_batches).tolist()) == list(range(n)))
g = torch.Generator().manual_seed(0)
seen = torch.cat(replacement_batches(1000, 10, 100, g)).unique().numel()
print(
    f"with replacement, 100 batches of 10 out of 1000: {1 - seen / 1000:.3f} of the examples"
    f" never seen (theory: (1 - 1/n)^n ≈ {(1 - 1 / 1000) ** 1000:.3f})"
)

# %% [markdown]
# ## q2. An SGD optimiser class (20 points)
#
# The lecture's update, with momentum $\beta$ and weight decay $\lambda$:
#
# $$g_k = \nabla L(w_k) + \lambda w_k, \qquad m_k = \beta m_{k-1} + g_k \;(m_0 = g_0),
# \qquad w_{k+1} = w_k - \alpha\, m_k .$$
#
# With $\beta = 0$ this is $w_{k+1} = (1 - \alpha\lambda) w_k - \alpha \nabla L(w_k)$:
# weight decay shrinks the weights by the factor $1-\alpha\lambda$ every step.
#
# Write it as a real `torch.optim.Optimizer`. The base class builds `self.param_groups`
# (a list of dicts, each with `"params"` and its own copy of every hyperparameter) and
# `self.state` (a dict per parameter, initially empty); `step` loops over the groups,
# reads `lr`, `momentum`, `weight_decay` **from the group**, skips parameters whose
# `.grad` is `None`, and keeps the momentum buffer in
# `self.state[p]["momentum_buffer"]`, exactly like `torch.optim.SGD`. Then
# `state_dict()` / `load_state_dict()` work for free. A schedule may change a group's
# hyperparameters between steps, so read them at every step; with $\beta = 0$ no buffer is
# kept, so momentum switched on later starts its buffer at that step's $g$.

# %%
#| include: SGD

# %%
check("q2")

# %%
# Your SGD against torch.optim.SGD on a small least-squares problem
gen = torch.Generator().manual_seed(0)
A = torch.randn(20, 5, generator=gen, dtype=torch.float64)
t = torch.randn(20, generator=gen, dtype=torch.float64)
for cls in (SGD, torch.optim.SGD):
    w = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    optimizer = cls([w], lr=0.01, momentum=0.9, weight_decay=1e-2)
    for _ in range(100):
        optimizer.zero_grad()
        objective = 0.5 * ((A @ w - t) ** 2).sum()
        objective.backward()
        optimizer.step()
    print(f"{cls.__module__}.{cls.__name__}: loss {objective.item():.10f}")

# %% [markdown]
# ## q3. Learning-rate schedules (20 points)
#
# A schedule gives the learning rate at step (or epoch) $k$:
#
# | kind | $\alpha_k$ |
# |---|---|
# | step | $\alpha_0 \gamma^{\lfloor k/s \rfloor}$ |
# | exponential | $\alpha_0 \gamma^{k}$ |
# | inverse time | $\alpha_0 / (1 + \beta k)$ |
# | cosine | $\alpha_{\min} + \tfrac12(\alpha_0 - \alpha_{\min})(1 + \cos(\pi k / K))$ for $k \le K$ |
# | linear warm-up + cosine | $\alpha_0 (k+1)/W$ for $k < W$, then cosine in $k - W$ over $K - W$ steps |
#
# Warm-up keeps the first steps small while momentum buffers and (later, in Adam) second
# moment estimates are still unreliable. PyTorch's `StepLR`, `ExponentialLR`,
# `LambdaLR` and `CosineAnnealingLR` compute the first four; you write them as closed
# forms.

# %%
#| include: lr_schedule, schedule_values

# %%
check("q3")

# %% [markdown]
# ## q4. An exponential moving average of the weights (15 points)
#
# The iterates of SGD with a constant step bounce around the minimum in a noise ball.
# Averaging them removes much of that noise without slowing training:
#
# $$e_{k+1} = \mu\, e_k + (1 - \mu)\, w_{k+1}, \qquad
# e_T = \mu^T e_0 + (1-\mu)\sum_{t=0}^{T-1} \mu^{T-1-t} w_{t+1}.$$
#
# The average must not become part of the autograd graph: update it in place under
# `torch.no_grad()`. (PyTorch's `torch.optim.swa_utils.AveragedModel` with
# `get_ema_multi_avg_fn` does the same from its *second* update on; on its first update it
# copies the weights instead of averaging them with $e_0$.)

# %%
#| include: ema_update_, ema_trajectory

# %%
check("q4")

# %% [markdown]
# ## q5. The minimal working example, made deterministic (15 points)
#
# Put q1–q4 together: linear regression with `nn.Linear`, epoch shuffling, SGD with
# momentum and weight decay, a cosine schedule stepped once per epoch, and an EMA of the
# weights updated after every step. The docstring pins every random draw, so your curves
# can be compared with the reference's number for number.
#
# Weight decay also changes the *conditioning*. On a quadratic with curvatures $h_i$,
# adding $\tfrac{\lambda}{2}\|w\|^2$ shifts every $h_i$ to $h_i + \lambda$, so
# $\kappa = (h_{\max} + \lambda)/(h_{\min} + \lambda)$, which falls toward 1 as $\lambda$
# grows (at the price of a biased minimiser).

# %%
#| include: mse, train_linear, wd_condition_number

# %%
check("q5")

# %%
h = torch.tensor([100.0, 10.0, 1.0], dtype=torch.float64)
for lam in [0.0, 0.1, 1.0, 10.0, 100.0]:
    print(f"λ = {lam:6.1f}: κ = {wd_condition_number(h, lam):7.3f}")

# %% [markdown]
# ## q6. Figures (15 points)
#
# Two figures from the lecture. The grader checks your lines' data, the axis scales and
# that the axes are labelled; styling is up to you.

# %%
#| include: make_regression_data, plot_schedules, plot_mwe

# %%
check("q6")

# %%
configs = {
    "step": {"lr0": 0.1, "s": 30, "gamma": 0.5},
    "exponential": {"lr0": 0.1, "gamma": 0.98},
    "inverse_time": {"lr0": 0.1, "beta": 0.05},
    "cosine": {"lr0": 0.1, "T_max": 100, "eta_min": 1e-3},
    "warmup_cosine": {"lr0": 0.1, "warmup": 10, "T_max": 100, "eta_min": 1e-3},
}
fig = plot_schedules(100, configs)
plt.show()

# %% [markdown]
# Observe: the step schedule drops by $\gamma$ at multiples of $s$; the exponential and
# inverse-time schedules decay fastest early on; cosine stays near $\alpha_0$ for a while,
# then falls smoothly to $\alpha_{\min}$; warm-up climbs linearly before following it.
#
# Now the notes' MWE: 1000 samples with $d = 5$, learning rate 0.1, momentum 0.9, weight
# decay $10^{-4}$, cosine to $10^{-3}$ over 50 epochs, EMA decay 0.99 (batch size 32, an
# 800/200 split).

# %%
X, y, w_true = make_regression_data(1000, 5, noise=0.1, seed=0)
history = train_linear(
    X[:800],
    y[:800],
    X[800:],
    y[800:],
    lr=0.1,
    momentum=0.9,
    weight_decay=1e-4,
    epochs=50,
    batch_size=32,
    ema_decay=0.99,
    eta_min=1e-3,
    seed=0,
)
print(
    f"final val loss {history['val_loss'][-1]:.5f}, EMA {history['ema_val_loss'][-1]:.5f}"
    f" (noise variance 0.01)"
)
fig = plot_mwe(history)
plt.show()

# %% [markdown]
# Observe: the losses drop to the noise level $\sigma^2 = 0.01$ within a few epochs. Early
# on the EMA lags behind (it still remembers the zero initialisation); once the learning
# rate has decayed, the raw iterates and the EMA agree. With a *constant* learning rate
# the EMA's validation loss would stay below the raw iterates' (try it: set
# `eta_min=0.1`).

# %%
check_all()
