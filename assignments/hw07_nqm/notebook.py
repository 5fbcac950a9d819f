# %% [markdown]
# # Homework 7: SGD on the Noisy Quadratic Model
#
# Lecture 7 of *Optimization in PyTorch* (notes: `section/7/notes.md`), with lecture 6's
# noise floor (`section/6/notes.md`) and lecture 8's table of tweaks
# (`section/8/notes.md`, "Previously Discussed Tweaks").
#
# The **Noisy Quadratic Model** (NQM; Zhang et al. 2019, *Which algorithmic choices matter
# at which batch sizes?*) is the smallest model that still shows how step size, batch
# size, momentum, averaging and preconditioning interact. The loss is a diagonal
# quadratic,
# $$L(w) = \tfrac12 \sum_{i=1}^d h_i w_i^2 ,$$
# and a mini-batch of size $B$ gives the gradient plus noise whose variance shrinks as
# $1/B$:
# $$g = h \odot w + \xi, \qquad \xi = \sqrt{c/B} \odot z, \quad z \sim \mathcal N(0, I).$$
# In the default configuration $c_i = h_i$: directions of high curvature are also the noisy
# ones, as for the Hessian and gradient covariance of a real network near a minimum.
#
# Because the coordinates do not interact, every question reduces to $d$ one-dimensional
# problems, and every expected risk has an **exact** formula. You will write a Monte Carlo
# simulator (q1), derive and code the exact risks (q2–q5), check them against each other,
# and then use the exact risks to ask which tweak helps at which batch size (q6).
#
# Conventions used throughout (the tests rely on them):
# * the risk of coordinate $i$ is $\ell_i(w) = \tfrac12 h_i w_i^2$ and the total risk is
#   $\sum_i \ell_i$;
# * momentum is heavy ball as in `torch.optim.SGD`: $m \leftarrow \beta m + g$,
#   $w \leftarrow w - \alpha m$, with $m_0 = 0$;
# * the EMA is $\tilde w_{k+1} = \gamma \tilde w_k + (1-\gamma) w_{k+1}$ with
#   $\tilde w_0 = w_0$, and its risk is measured at $\tilde w$;
# * preconditioning uses the step $\alpha h_i^{-p}$ on coordinate $i$.
#
# Everything is float64. Functions that draw random numbers take a `torch.Generator` and
# must call it exactly as their docstrings say.

# %%
import cmath
import itertools
import math

import matplotlib.pyplot as plt
import torch
from autograde_check import check, check_all
from matplotlib.figure import Figure  # noqa: F401  (type hints of the included functions)
from torch import Tensor  # noqa: F401

torch.set_default_dtype(torch.float64)

# the configuration of the experiments: 20 coordinates, h_i = c_i = 1/i, w_0 = 1 (your
# functions take their sizes from their arguments, never from these globals)
h = 1.0 / torch.arange(1, 21, dtype=torch.float64)
c = h.clone()
w0 = torch.ones(20)

# %% [markdown]
# ## q1 (15 pts): A vectorised simulator
#
# Write one step of each method for $R$ independent runs at once (a tensor of shape
# $(R, d)$), and a simulator that averages the per-coordinate risk over the runs. The
# noise draw `z` is an argument of `nqm_step`, so that the step itself is deterministic;
# `simulate_nqm` draws it, once per step, exactly as its docstring says. Do not use
# `torch.optim` here (it is refused while q1 is graded): the update *is* the exercise.
#
# `plot_noise_floor` draws the figure of the next section; it belongs to q1 (3 of its
# points).

# %%
#| include: nqm_step, simulate_nqm, plot_noise_floor

# %%
check("q1")

# %% [markdown]
# ## q2 (20 pts): SGD's exact risk, and the noise floor
#
# Write $r_i = 1 - \alpha h_i$. One SGD step is
# $w_{k+1} = r_i w_k - \alpha\sqrt{c_i/B}\, z_k$ on coordinate $i$, and $z_k$ is independent
# of $w_k$, so the second moment obeys
# $$\mathbb E[w_{k+1}^2] = r_i^2\, \mathbb E[w_k^2] + \frac{\alpha^2 c_i}{B}.$$
# Solve this linear recursion and multiply by $\tfrac12 h_i$:
# $$\mathbb E[\ell_i(w_k)] = r_i^{2k}\,\ell_i(w_0) + \big(1 - r_i^{2k}\big)\,
# \frac{\alpha c_i}{2B(2 - \alpha h_i)} .$$
# * The first term is gradient descent's: it needs $|r_i| < 1$, i.e. $\alpha < 2/h_{\max}$,
#   and at $\alpha = 1/h_{\max}$ the slowest coordinate decays like $(1 - 1/\kappa)^{2k}$
#   with $\kappa = h_{\max}/h_{\min}$.
# * The second term does not vanish: the **noise floor**
#   $\frac{\alpha c_i}{2B(2-\alpha h_i)} \approx \frac{\alpha c_i}{4B}$ is proportional
#   to $\alpha/B$ for small $\alpha$: lecture 6's floor, once per coordinate.
#
# **Broadcasting.** q6 evaluates many settings at once, so `alpha` may be a float *or* a
# tensor that broadcasts against `h`: with `alpha` of shape $(G, 1)$ and `h` of shape
# $(d,)$, `sgd_risk` returns shape $(K+1, G, d)$. Plain elementwise torch code does this
# for free; `torch.stack` over $k$ (rather than `torch.arange(K + 1)[:, None]`) keeps it
# shape-agnostic. The same holds for the exact risks of q3–q5.

# %%
#| include: sgd_risk, sgd_steady_state

# %%
check("q2")

# %% [markdown]
# The closed form against your simulator: the Monte Carlo mean of 2000 runs should agree
# with the exact curve to a few percent (its sampling error).

# %%
gen = torch.Generator().manual_seed(0)
exact = sgd_risk(h, c, 0.4, 8, w0, 200).sum(1)
mc = simulate_nqm(h, c, 0.4, 8, w0, 200, 2000, gen).sum(1)
for k in (0, 10, 50, 200):
    print(f"k = {k:3}: exact {exact[k].item():.5f}   Monte Carlo {mc[k].item():.5f}")

# %% [markdown]
# ### Figure F1: the noise floor is proportional to α/B
#
# Total risk against iteration for $(\alpha, B) \in \{(0.1, 1), (0.1, 8), (0.4, 8),
# (0.4, 32)\}$, simulated, with each floor $\sum_i \frac{\alpha c_i}{2B(2-\alpha h_i)}$
# dashed.

# %%
settings = [(0.1, 1), (0.1, 8), (0.4, 8), (0.4, 32)]
curves = {(a, B): simulate_nqm(h, c, a, B, w0, 1000, 500, gen).sum(1) for a, B in settings}
floors = {(a, B): sgd_steady_state(h, c, a, B).sum().item() for a, B in settings}
fig = plot_noise_floor(curves, floors)
plt.show()

# %% [markdown]
# Observe: a larger step gets down faster and stalls higher; a larger batch lowers the floor
# at no cost in speed. $(0.1, 8)$ and $(0.4, 32)$ have the same $\alpha/B$ and end at
# (nearly) the same floor, but the second gets there four times sooner: for a fixed floor,
# a bigger batch buys a bigger step (the linear scaling rule), as long as $\alpha h_{\max}$
# stays below 2.

# %% [markdown]
# ## q3 (15 pts): Iterate averaging (EMA)
#
# Keep running SGD, but report the exponential moving average
# $\tilde w_{k+1} = \gamma \tilde w_k + (1-\gamma) w_{k+1}$. Per coordinate, the pair
# $(w, \tilde w)$ is a linear system driven by noise,
# $$\begin{pmatrix} w_{k+1} \\ \tilde w_{k+1} \end{pmatrix} =
# \begin{pmatrix} r & 0 \\ (1-\gamma) r & \gamma \end{pmatrix}
# \begin{pmatrix} w_k \\ \tilde w_k \end{pmatrix} - \alpha\sqrt{c/B}\,
# \begin{pmatrix} 1 \\ 1-\gamma \end{pmatrix} z_k ,$$
# so its three second moments $\mathbb E[w^2]$, $\mathbb E[w\tilde w]$,
# $\mathbb E[\tilde w^2]$ follow an exact linear recursion (expand the squares; the noise
# is independent of the past). `ema_risk` iterates it. Its fixed point gives the EMA's
# floor: SGD's floor times
# $$\frac{(1-\gamma)(1 + r\gamma)}{(1+\gamma)(1 - r\gamma)} \le 1,$$
# (the two sides differ by $2\gamma(r - 1) \le 0$), while the transient decays like
# $\max(r, \gamma)^k$: averaging with $\gamma < r$ keeps SGD's rate and lowers the floor.

# %%
#| include: ema_risk, ema_steady_state

# %%
check("q3")

# %%
for gamma in (0.0, 0.5, 0.9, 0.99):
    ratio = ema_steady_state(h, c, 0.4, 1, gamma).sum() / sgd_steady_state(h, c, 0.4, 1).sum()
    print(f"γ = {gamma:4}: EMA floor / SGD floor = {ratio.item():.3f}")

# %% [markdown]
# ## q4 (20 pts): Heavy-ball momentum
#
# With $m \leftarrow \beta m + g$ and $w \leftarrow w - \alpha m$, the noiseless iteration on
# one coordinate is linear in $(w, m)$, and its modes are the roots of
# $$z^2 - (1 - \alpha h + \beta)\, z + \beta = 0 .$$
# * If $\beta < (1 - \sqrt{\alpha h})^2$ the roots are real (overdamped) and, for small
#   $\alpha h$, the rate is $\approx 1 - \frac{\alpha h}{1-\beta}$: momentum acts like a
#   step $\alpha/(1-\beta)$.
# * Otherwise the roots are a complex pair (underdamped) and both have modulus
#   $\sqrt\beta$, whatever $h$: the rate no longer depends on the curvature.
#
# With noise, the second moments of $(w, m)$ follow an exact recursion as in q3, and the
# floor is
# $$\frac{(1+\beta)\,\alpha c}{2B\,(2\beta + 2 - \alpha h)(1-\beta)} .$$
# *Slip in the notes:* lecture 7 quotes the amplification over SGD as $\approx 1/(1-\beta)$
# and lecture 8 as $(1+\beta)/(1-\beta)$. Neither is exact; the formula above is (it is
# the fixed point of the recursion). Relative to SGD at the same $\alpha$ it tends to
# $1/(1-\beta)$ as $\alpha h \to 0$.

# %%
#| include: momentum_roots, momentum_rate, momentum_risk, momentum_steady_state

# %%
check("q4")

# %%
for beta in (0.0, 0.5, 0.9):
    print(
        f"β = {beta}: rate on h_min at α = 0.5: {momentum_rate(0.5, h[-1].item(), beta):.4f};"
        f" floor × B: {momentum_steady_state(h, c, 0.5, 1, beta).sum().item():.3f}"
    )

# %% [markdown]
# Momentum speeds up the slow coordinates (the rate on $h_{\min}$ drops) but raises the
# floor by about $1/(1-\beta)$: it helps only where noise is not the bottleneck.

# %% [markdown]
# ## q5 (10 pts): Diagonal preconditioning
#
# Scale coordinate $i$'s step by $h_i^{-p}$: $w_i \leftarrow w_i - \alpha h_i^{-p} g_i$.
# Each coordinate is then plain SGD with step $\alpha h_i^{-p}$, so its rate is
# $1 - \alpha h_i^{1-p}$ (at $p = 1$ all coordinates contract by $(1-\alpha)^2$ per step:
# the conditioning is gone) and its floor is
# $$\frac{\alpha c_i h_i^{-p}}{2B(2 - \alpha h_i^{1-p})} .$$
# The preconditioner also multiplies the *noise* by $h_i^{-p}$: with $c_i = h_i$ the
# low-curvature coordinates, whose floors were tiny, now have floors as large as the
# others.

# %%
#| include: precond_risk, precond_steady_state

# %%
check("q5")

# %%
for p in (0.0, 0.5, 1.0):
    floor = precond_steady_state(h, c, 0.1, 1, p)
    print(f"p = {p}: floor of h_max {floor[0].item():.4f}, of h_min {floor[-1].item():.4f}")

# %% [markdown]
# ## q6 (20 pts): Which tweak at which batch size
#
# Now compare the methods the way Zhang et al. do: for each batch size $B$, tune each
# method's hyperparameters on a grid and count the **steps** it needs to bring the exact
# total risk down to a target (1 % of the initial risk). Use the exact risks from q2–q5,
# so the answer has no Monte Carlo noise. Pass the whole grid to your risk function at
# once, as tensors of shape $(G, 1)$ (see q2's broadcasting note), instead of looping
# over settings.
#
# `plot_steps_vs_batch` draws steps-to-target against $B$ on log-log axes, one line per
# method (5 of q6's points).

# %%
#| include: steps_to_target, regime_table, plot_steps_vs_batch

# %%
check("q6")

# %%
alphas = torch.logspace(-2.5, math.log10(1.95), 10).tolist()
grids = {
    "sgd": {"alpha": alphas},
    "momentum": {"alpha": alphas, "beta": [0.5, 0.9]},
    "ema": {"alpha": alphas, "gamma": [0.5, 0.9, 0.99]},
    "precond": {"alpha": alphas, "p": [0.5, 1.0]},
}
batch_sizes = [1, 16, 256, 4096]
target = 0.01 * (0.5 * h * w0**2).sum().item()
table = regime_table(batch_sizes, h, c, w0, target, grids, 3000)
for name, counts in table.items():
    print(
        f"{name:9}",
        counts,
        " speed-up over SGD:",
        [round(s / t, 2) for s, t in zip(table["sgd"], counts)],
    )
fig = plot_steps_vs_batch(batch_sizes, table)
plt.show()

# %% [markdown]
# Observe (these are the lecture's conclusions):
# * **SGD** needs fewer steps as $B$ grows, until the noise no longer matters and the
#   step count plateaus at gradient descent's: past that *critical batch size*, more
#   samples per step buy nothing.
# * **Momentum** gives no gain at small $B$ (there the floor, which momentum raises, is the
#   bottleneck) and a large one at large $B$ (there conditioning is, and momentum fixes
#   it).
# * **EMA** helps most at small-to-moderate $B$: it lowers the floor without slowing the
#   transient. At large $B$ its smaller gain has another source: with $\alpha$ close to
#   $2/h_{\max}$ the stiff coordinates oscillate ($r \approx -1$), and the average
#   smooths the oscillation out.
# * **Preconditioning** helps at every $B$, and most at large $B$; at small $B$ the noise
#   it amplifies on the flat coordinates eats much of its gain.

# %%
check_all()
