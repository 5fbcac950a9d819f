# %% [markdown]
# # Homework 9: Adagrad, Adam, AdamW
#
# Lecture 9 of *Optimization in PyTorch* (notes: `section/9/notes.md`: "Algorithm
# Definitions", "A quick experiment", "Practical Implementation", "A Minimal Working
# Example"; and the lecture's cheat sheet).
#
# Plain SGD uses one step size for every coordinate. When the loss is badly conditioned,
# say $L(w) = \tfrac12 (h_1 w_1^2 + h_2 w_2^2)$ with $h_1 \gg h_2$, a step small enough for
# the steep direction crawls along the flat one. **Adaptive methods** give each coordinate
# its own step, scaled down where gradients have been large. In this homework you write
# the three methods of the lecture as real `torch.optim.Optimizer` subclasses, check them
# against PyTorch's, see why "Adam with weight decay" and AdamW are different algorithms,
# and compare everything on a small image classifier.
#
# Notation: $g_t = \nabla \ell(w_{t-1})$ is the (stochastic) gradient at step $t$; squares,
# square roots and divisions of vectors act coordinate by coordinate.
#
# **Rules.** In q1–q4 and q6 your code may not call `torch.optim.Adagrad`, `Adam`,
# `AdamW` (or their relatives `NAdam`, `RAdam`, `Adamax`, `SparseAdam`), their functional
# forms (`torch.optim._functional`, `torch.optim.adam.adam`, …) or fused kernels: the
# grader refuses those calls while it grades these questions. Autograd is fine. Everything
# the grader compares is float64.

# %%
import math
import os
from collections.abc import Callable, Iterable

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from autograde_check import check, check_all
from matplotlib.figure import Figure
from torch import Tensor, nn

# %% [markdown]
# ## How a `torch.optim.Optimizer` is organised
#
# An optimiser you write yourself only needs two methods:
#
# * `__init__(self, params, **hyperparameters)` packs the hyperparameters into a
#   `defaults` dict and calls `super().__init__(params, defaults)`. The base class then
#   builds `self.param_groups`: a list of dicts, each with a `"params"` list and its own
#   copy of every hyperparameter. A group can override any default, e.g.
#   `Adam([{"params": body}, {"params": head, "lr": 1e-2}], lr=1e-3)`.
# * `step(self, closure=None)` updates every parameter in place, **reading the
#   hyperparameters from the parameter's group**. Anything it must remember between steps
#   (accumulators, moment estimates, a step counter) goes into `self.state[p]`, a dict per
#   parameter that starts out empty. Parameters whose `.grad` is `None` are skipped.
#
# The base class gives you the rest for free: `zero_grad()`, `add_param_group()`, and
# `state_dict()` / `load_state_dict()`, which save and restore the groups'
# hyperparameters and every `self.state[p]`, so that training can stop and resume. The
# `closure` argument (used by line-search methods such as L-BFGS) is a function that
# zeroes the gradients, recomputes the loss, back-propagates and returns the loss; `step`
# calls it first and returns its value. The `step` methods below already do this part,
# and are decorated with `@torch.no_grad()` so the in-place updates are not recorded by
# autograd.
#
# Look at what `torch.optim.SGD` keeps, on a two-group example:

# %%
demo_w = torch.zeros(3, requires_grad=True)
demo_b = torch.zeros(1, requires_grad=True)
demo = torch.optim.SGD(
    [{"params": [demo_w]}, {"params": [demo_b], "lr": 0.5}], lr=0.1, momentum=0.9
)
demo_w.grad, demo_b.grad = torch.ones(3), torch.ones(1)
demo.step()
for i, group in enumerate(demo.param_groups):
    print(
        f"group {i}:", {k: v for k, v in group.items() if k in ("lr", "momentum", "weight_decay")}
    )
print("state of demo_w:", demo.state[demo_w])
print(
    "state_dict keys:",
    list(demo.state_dict()),
    "| state saved for",
    list(demo.state_dict()["state"]),
)

# %% [markdown]
# All three of your optimisers are checked against PyTorch's on a small problem. This
# helper (not graded) runs two optimiser classes on the same loss and reports the largest
# relative difference of their trajectories:


# %%
def max_relative_gap(ours, theirs, hyper: dict, steps: int = 50, seed: int = 0) -> float:
    """Run ``ours`` and ``theirs`` (optimiser classes) on the same float64 loss."""
    rng = torch.Generator().manual_seed(seed)
    start = torch.randn(5, 3, generator=rng, dtype=torch.float64)
    curv = 10.0 ** (3 * torch.rand(5, 3, generator=rng, dtype=torch.float64) - 1.5)
    paths = []
    for cls in (ours, theirs):
        w = start.clone().requires_grad_(True)
        optimizer = cls([w], **hyper)

        def closure(w=w, optimizer=optimizer):
            optimizer.zero_grad()
            f = 0.5 * (curv * (w - 1) ** 2).sum() + torch.tanh(w[:, 0] * w[:, 1]).sum()
            f.backward()
            return f

        iterates = []
        for _step in range(steps):
            optimizer.step(closure)
            iterates.append(w.detach().clone())
        paths.append(torch.stack(iterates))
    return float(((paths[0] - paths[1]).abs() / paths[1].abs().clamp_min(1e-3)).max())


# %% [markdown]
# ## q1 (15 pts): Adagrad
#
# Adagrad (Duchi et al., 2011) divides each coordinate's step by the root of the sum of
# all its squared gradients so far:
# $$G_t = G_{t-1} + g_t^2, \qquad w_t = w_{t-1} - \frac{\alpha}{\sqrt{G_t} + \epsilon}\, g_t .$$
# Coordinates that keep receiving large gradients get small steps; rarely-updated ones
# keep large steps. Because $G_t$ only grows, the **effective rate**
# $\alpha/(\sqrt{G_t}+\epsilon)$ only shrinks, which eventually stalls training.
#
# *A slip in the notes:* the notes write $\sqrt{G_t + \epsilon}$. PyTorch (and this
# homework) puts $\epsilon$ **outside** the square root. With $\epsilon = 10^{-3}$ the two
# trajectories differ by about 1.7 %, far more than the grader's tolerance
# (relative $10^{-6}$).
#
# Implement `Adagrad.step` with PyTorch's conventions: `weight_decay` $\lambda > 0$ adds
# $\lambda w$ to the gradient first (L2 regularisation); the accumulator starts at
# `initial_accumulator_value`; the state of each parameter holds `"sum"` ($G$) and
# `"step"`.

# %%
#| include: Adagrad

# %%
check("q1")

# %%
for hyper in ({"lr": 0.1}, {"lr": 0.3, "eps": 1e-3, "weight_decay": 0.1}):
    print(
        f"Adagrad {hyper}: max relative gap to torch.optim.Adagrad = "
        f"{max_relative_gap(Adagrad, torch.optim.Adagrad, hyper):.2e}"
    )

# %% [markdown]
# ## q2 (25 pts): Adam
#
# RMSProp replaced Adagrad's sum by an exponential moving average (EMA), so old gradients
# are forgotten; Adam (Kingma & Ba, 2015) adds momentum on top. With $m_0 = v_0 = 0$:
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 ,$$
# $$\hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
# w_t = w_{t-1} - \frac{\alpha\, \hat m_t}{\sqrt{\hat v_t} + \epsilon} .$$
# **Why the bias correction.** The EMAs start at 0, so early on they underestimate: with a
# constant gradient $g$, $m_t = (1-\beta_1^t)\, g$ exactly, and dividing by $1-\beta_1^t$
# gives $\hat m_t = g$ from the very first step (the same for $v_t$ and $g^2$). On the
# first step, then, each coordinate moves by $-\alpha\, g/(|g| + \epsilon) \approx -\alpha
# \operatorname{sign}(g)$, whatever the size of $g$.
#
# `torch.optim.Adam`'s `weight_decay` $\lambda$ is **L2 regularisation**: it replaces
# $g_t$ by $g_t + \lambda w_{t-1}$ before the moments are updated. Implement
# `bias_corrected` and `Adam.step`; the state holds `"exp_avg"` ($m$), `"exp_avg_sq"`
# ($v$) and `"step"` ($t$, counted **per parameter**: a parameter that had no gradient on
# some step has taken fewer steps).

# %%
#| include: bias_corrected, Adam

# %%
check("q2")

# %%
for hyper in ({"lr": 0.01}, {"lr": 0.03, "betas": (0.5, 0.9), "eps": 1e-3, "weight_decay": 0.1}):
    print(
        f"Adam {hyper}: max relative gap to torch.optim.Adam = "
        f"{max_relative_gap(Adam, torch.optim.Adam, hyper):.2e}"
    )

# %% [markdown]
# ## q3 (20 pts): AdamW
#
# Loshchilov & Hutter (2019) noticed that for Adam, L2 regularisation and weight decay are
# **not** the same thing (q4 shows why). AdamW *decouples* the decay from the adaptive
# step: the moments see only $g_t = \nabla\ell(w_{t-1})$, and the weights are shrunk
# directly:
# $$w_t = (1 - \alpha\lambda)\, w_{t-1} - \frac{\alpha\, \hat m_t}{\sqrt{\hat v_t} + \epsilon} ,$$
# with $m_t, v_t, \hat m_t, \hat v_t$ exactly as in Adam. PyTorch's default is
# $\lambda = 10^{-2}$.
#
# *A slip in the cheat sheet:* one slide evaluates AdamW's gradient at the already-decayed
# weights $(1-\alpha\lambda) w_{t-1}$. The notes' code and PyTorch take $g_t$ at $w_{t-1}$
# and apply the decay in the same step, as in the formula above; the grader's tolerance
# separates the two.
#
# (Recent PyTorch versions accept `torch.optim.Adam(..., decoupled_weight_decay=True)`,
# which **is** AdamW: that is why `torch.optim.Adam` is refused here too.)

# %%
#| include: AdamW

# %%
check("q3")

# %%
for hyper in (
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.05, "betas": (0.0, 0.99), "weight_decay": 1.0},
):
    print(
        f"AdamW {hyper}: max relative gap to torch.optim.AdamW = "
        f"{max_relative_gap(AdamW, torch.optim.AdamW, hyper):.2e}"
    )

# %% [markdown]
# ## q4 (15 pts): Why Adam + L2 is not AdamW
#
# For SGD the two kinds of decay coincide: a step on $\ell(w) + \tfrac\lambda2\|w\|^2$ is
# $w_t = (1-\alpha\lambda) w_{t-1} - \alpha\nabla\ell(w_{t-1})$. For Adam the L2 term
# $\lambda w$ goes through the adaptive scaling, so coordinate $i$ is decayed by
# $\alpha\lambda w_i/(\sqrt{\hat v_{t,i}}+\epsilon)$: coordinates with a large gradient
# history are barely regularised, the others strongly.
#
# The cleanest way to see it is the **zero loss** $\ell \equiv 0$, where only the decay
# acts:
#
# * **Adam + L2** sees $g_t = \lambda w_{t-1}$. Adam's update is (up to $\epsilon$)
#   invariant to rescaling the gradient, so $\lambda$ cancels: every $\lambda > 0$ gives
#   the same trajectory, and each coordinate first moves by about $\alpha$, whatever its
#   size.
# * **AdamW** sees $g_t = 0$, so $m = v = 0$ and only the decay is left:
#   $w_t = (1-\alpha\lambda)^t w_0$ exactly, a geometric shrinkage that depends on
#   $\lambda$ and is proportional to each weight.
#
# Implement `l2_vs_decoupled` with **your** `Adam` and `AdamW`, and
# `plot_l2_vs_decoupled`.

# %%
#| include: l2_vs_decoupled, plot_l2_vs_decoupled

# %%
check("q4")

# %%
zero_loss_wds = [1e-2, 1e-1]
zero_loss = l2_vs_decoupled(torch.tensor([1.0, 0.05], dtype=torch.float64), 0.01, zero_loss_wds, 50)
gap = (zero_loss["adam_l2"][0] - zero_loss["adam_l2"][1]).abs().max().item()
print(f"Adam+L2, λ = 0.01 vs λ = 0.1: max difference {gap:.1e} (λ drops out)")
print(
    "AdamW after 50 steps:",
    zero_loss["adamw"][:, -1].tolist(),
    " (1 − αλ)^50 =",
    [(1 - 0.01 * lam) ** 50 for lam in zero_loss_wds],
)
fig = plot_l2_vs_decoupled(zero_loss, zero_loss_wds)
plt.show()

# %% [markdown]
# **Your answer (not graded, 1–3 sentences).** In the figure, why do the two Adam+L2
# curves lie on top of each other, and why does the small weight (coordinate 1) reach zero
# after about five steps under Adam+L2 while AdamW shrinks both weights by the same
# factor? What does this imply for regularising a network whose layers see gradients of
# very different sizes?
#
# *Your answer:* …

# %% [markdown]
# ## q5 (15 pts): A training comparison on digits
#
# The notes compare the optimisers on Fashion-MNIST. We use scikit-learn's bundled
# **digits** instead (1797 images of 8×8 pixels, 10 classes; no download), with an MLP
# 64 → 128 → 10. Two helpers are given: `load_digits_split` (a seeded train/validation
# split) and `make_mlp` (an MLP whose initialisation comes from a `torch.Generator`, so
# runs are reproducible). You write:
#
# * `make_optimizer(opt_name, params, hparams)`: `"sgd"` and `"momentum"` are
#   `torch.optim.SGD`, `"adagrad"`, `"adam"`, `"adamw"` are **your** classes;
# * `train_classifier(...)`: mini-batch training with the exact sequence its docstring
#   pins (the grader replays it draw for draw), evaluating the whole training set's loss
#   and the validation loss and accuracy along the way.

# %%
#| include: load_digits_split, make_mlp, make_optimizer, train_classifier

# %%
check("q5")

# %%
digits = load_digits_split(seed=0)
print("train", tuple(digits[0].shape), "validation", tuple(digits[2].shape))
configs = {
    "SGD": ("sgd", {"lr": 0.1}),
    "SGD+momentum": ("momentum", {"lr": 0.05, "momentum": 0.9}),
    "Adagrad": ("adagrad", {"lr": 0.05}),
    "Adam": ("adam", {"lr": 1e-3}),
    "AdamW": ("adamw", {"lr": 1e-3, "weight_decay": 1e-2}),
}
histories = {}
for label, (name, hyper) in configs.items():
    histories[label] = train_classifier(name, hyper, 1500, 64, 0, digits, eval_every=25)
    h = histories[label]
    print(
        f"{label:13s} {hyper}: train loss {h['train_loss'][-1]:.4f}, "
        f"validation accuracy {h['val_acc'][-1]:.3f}"
    )

# %% [markdown]
# Every run starts from the same initialisation and sees the same batches (same seed), so
# the curves differ only through the optimiser. These learning rates are reasonable, not
# tuned: lecture 10 is about how to compare optimisers fairly.
#
# **Optional: Fashion-MNIST.** If the environment variable `STAT4830_FASHION_MNIST` names
# a folder holding the four original IDX files (`train-images-idx3-ubyte`,
# `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each
# optionally `.gz`), the next cell repeats the notes' experiment (784 → 256 → 128 → 10,
# SGD+momentum lr 0.01 with weight decay 1e-4, Adagrad lr 0.01, Adam and AdamW lr 1e-3,
# AdamW weight decay 1e-4) on a subset. Nothing is downloaded, and nothing here is graded.

# %%
#| include: fashion_mnist_path, read_idx, load_fashion_mnist

# %%
fashion = fashion_mnist_path()
if fashion is None:
    print("STAT4830_FASHION_MNIST is not set: skipping the optional Fashion-MNIST run")
else:
    fashion_data = load_fashion_mnist(fashion, n_train=10_000, n_val=2_000)
    fm_configs = {
        "SGD+momentum": ("momentum", {"lr": 0.01, "momentum": 0.9, "weight_decay": 1e-4}),
        "Adagrad": ("adagrad", {"lr": 0.01}),
        "Adam": ("adam", {"lr": 1e-3}),
        "AdamW": ("adamw", {"lr": 1e-3, "weight_decay": 1e-4}),
    }
    fm_histories = {
        label: train_classifier(
            name, hyper, 800, 128, 0, fashion_data, eval_every=50, hidden=(256, 128)
        )
        for label, (name, hyper) in fm_configs.items()
    }
    for label, h in fm_histories.items():
        print(f"Fashion-MNIST {label:13s}: validation accuracy {h['val_acc'][-1]:.3f}")

# %% [markdown]
# ## q6 (10 pts): Figures
#
# * `mechanics_data` computes, with plain tensor recursions (no optimiser objects), the
#   curves of the notes' figures 2.1–2.3; `plot_adaptive_mechanics` draws them:
#   (2.1) Adagrad's effective rate for a coordinate with gradients of scale 1 and one of
#   scale 10; (2.2) Adagrad's $G_t$ against Adam's $v_t$ for three values of $\beta_2$, on
#   the same gradient stream, which has a spike in the middle; (2.3) $m_t, v_t$ against
#   $\hat m_t, \hat v_t$ under a constant gradient.
# * `plot_optimizer_comparison`: the training loss (log scale) and the validation accuracy
#   against the step, one line per optimiser (the notes' `optimizer_comparison.png`).
#
# The grader checks your lines' data, the scales and that the axes are labelled; the
# styling is yours.

# %%
#| include: mechanics_data, plot_adaptive_mechanics, plot_optimizer_comparison

# %%
check("q6")

# %%
gen = torch.Generator().manual_seed(1)
stream = torch.randn(300, 2, generator=gen, dtype=torch.float64) * torch.tensor(
    [1.0, 10.0], dtype=torch.float64
)
stream[150, 0] = 15.0  # a gradient spike
fig = plot_adaptive_mechanics(mechanics_data(stream, lr=0.1, g_const=1.0))
plt.show()

# %% [markdown]
# Observe: (2.1) the effective rates fall like $1/\sqrt t$ and the scale-10 coordinate's
# sits ten times lower; (2.2) $G_t$ grows without bound while each $v_t$ settles near the
# mean of $g^2$: small $\beta_2$ reacts to the spike at once and forgets it fast, large
# $\beta_2$ barely moves; (2.3) without correction $m_t$ and $v_t$ start near zero, while
# $\hat m_t$ and $\hat v_t$ equal $g$ and $g^2$ from the first step.

# %%
fig = plot_optimizer_comparison({k: histories[k] for k in ("SGD", "SGD+momentum", "Adam", "AdamW")})
plt.show()

# %% [markdown]
# Observe how far each method gets in the same number of steps with these (untuned)
# learning rates, and that Adam and AdamW are almost indistinguishable here: with
# $\alpha\lambda = 10^{-5}$ per step, the decoupled decay barely acts in 1500 steps.

# %%
check_all()
