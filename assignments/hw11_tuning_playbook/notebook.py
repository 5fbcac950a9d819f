# %% [markdown]
# # Homework 11: The tuning playbook
#
# Lecture 11 of *Optimization in PyTorch* (notes: `section/11/notes.md`, "Initial Setup",
# "The Tuning Process" §3.1–3.6 and "Determining Training Duration"; the cheatsheet).
#
# Tuning is a **process**, not a single search. It is organised into *studies*, and each
# study answers one question, for example *does weight decay help our digits MLP?* In
# each round of tuning, every hyperparameter plays one of three roles:
#
# * **scientific**: the hyperparameter whose effect we want to measure (here: weight
#   decay);
# * **nuisance**: hyperparameters that must be optimised away before scientific values
#   can be compared fairly (here: the learning rate; a weight decay that looks bad with
#   the wrong learning rate may be the best one with the right one);
# * **fixed**: held constant; the conclusion is conditional on them (here: the
#   activation, the width, the batch size).
#
# The **isolation plot** shows, for each scientific value, the best validation loss
# *after* tuning the nuisance hyperparameters:
# $$\text{iso}(\lambda) = \min_{\eta \in \text{trials}(\lambda)} \; L_{\text{val}}(\lambda, \eta).$$
# It is only trustworthy if the search for each $\lambda$ was good enough: if the best
# trials sit at the **edge of the search range**, the range must be expanded. While
# exploring, trials are drawn by **quasi-random search** (a scrambled Sobol sequence),
# which covers the range more evenly than a grid or independent random draws.
#
# You will write the bookkeeping of a study (q1, q2), a fixed-budget training run with a
# retrospectively chosen checkpoint (q3), the batch-size scaling curve of the Noisy
# Quadratic Model (q4), answer three written questions (q5, graded by hand), and draw the
# lecture's three figures (q6). Everything is float64.

# %%
import math

import matplotlib.pyplot as plt
import torch
from autograde_check import check, check_all
from matplotlib.figure import Figure  # noqa: F401  (type hints of the included functions)
from torch import Tensor  # noqa: F401

torch.set_default_dtype(torch.float64)

# %% [markdown]
# ## The workload (given)
#
# A one-hidden-layer tanh MLP on 300 training images of scikit-learn's 8×8 digits,
# validated on 500 others. With only 300 examples and no regularisation it can overfit,
# which is what makes weight decay a sensible scientific question. These helpers are
# given; read their docstrings, because `train_fixed_budget` (q3) must use them exactly
# as described.

# %%
#| include: load_digits_split, init_mlp, mlp_forward

# %% [markdown]
# ## q1 (15 pts): The isolation table
#
# A *trial* is a dict of its hyperparameters and its metric, for example
# `{"weight_decay": 1e-2, "lr": 0.03, "val_loss": 0.12}`. Write `isolation_table`, which
# keeps, for each value of the scientific hyperparameter, the best trial: this optimises
# the nuisance hyperparameters away. Ties go to the trial that comes first.

# %%
#| include: isolation_table

# %%
check("q1")

# %% [markdown]
# ## q2 (15 pts): Is the search range wide enough?
#
# The notes' "bad search space" figure: the best learning rates sit at the upper end of
# the range tried, so the true optimum may lie outside it, and the study's conclusion
# could change if the range were expanded. Write `boundary_check`: look at the `top_k`
# best trials and report whether any of them lies within `edge_frac` of an end of the
# range. For a learning rate the position is measured on a log scale:
# $$u = \frac{\log x - \log \text{lo}}{\log \text{hi} - \log \text{lo}} \in [0, 1].$$

# %%
#| include: boundary_check

# %%
check("q2")

# %% [markdown]
# ## q3 (20 pts): A fixed training budget, the checkpoint chosen afterwards
#
# The notes recommend fixing `max_train_steps` for all trials of a study and choosing the
# best checkpoint **retrospectively** from the validation curve, rather than stopping
# early on the fly: the comparison between trials then uses the same budget, and a run
# that overfits still reports its best point. Write `train_fixed_budget`, following its
# docstring exactly (the random draws are pinned so your curve can be compared with the
# reference's), and the two helpers:
#
# * `retrospective_best(val_curve)`: the $(\text{step}, L_\text{val})$ with the lowest
#   loss, the earliest on ties;
# * `trial_variance(values)`: the mean and the sample standard deviation
#   $s = \sqrt{\tfrac{1}{n-1}\sum_i (x_i - \bar x)^2}$ of repeated trials (seeds). You
#   will need it in q5 (c) to decide whether an improvement is larger than the noise.

# %%
#| include: train_fixed_budget, retrospective_best, trial_variance

# %%
check("q3")

# %% [markdown]
# ### The study: does weight decay help?
#
# Scientific: the weight-decay strength $\lambda$ (AdamW's decoupled decay). Nuisance:
# the learning rate, 8 quasi-random values on a log scale in $[10^{-3.5}, 10^{-0.5}]$
# (the same 8 for every $\lambda$). Fixed: width 32, batch size 32, tanh, a budget of 300
# steps, evaluation every 20 steps. Each trial's metric is its retrospectively best
# validation loss. (About 10 s.)

# %%
data = load_digits_split(300, 500, seed=0)
fixed = {"width": 32, "batch_size": 32}
lr_bounds = (10**-3.5, 10**-0.5)
sobol = torch.quasirandom.SobolEngine(1, scramble=True, seed=0)
lrs = (10 ** (-3.5 + 3.0 * sobol.draw(8, dtype=torch.float64)[:, 0])).tolist()
weight_decays = [0.0, 1e-3, 1e-2, 3e-2, 1e-1, 1.0]

trials = []
for wd in weight_decays:
    for lr in lrs:
        run = train_fixed_budget({"lr": lr, "weight_decay": wd, **fixed}, 300, 20, 0, data)
        trials.append(
            {"weight_decay": wd, "lr": lr, "val_loss": run["best_val"], "step": run["best_step"]}
        )

table = isolation_table(trials, "weight_decay", "val_loss")
for wd, t in table.items():
    per_wd = [x for x in trials if x["weight_decay"] == wd]
    edge = boundary_check(per_wd, "lr", "val_loss", lr_bounds)
    print(
        f"λ = {wd:<6g} best lr = {t['lr']:.4f}  best val loss = {t['val_loss']:.4f}"
        f"  at step {t['step']:3d}  lr range: {edge}"
    )

# %% [markdown]
# ## q4 (20 pts): Batch size and steps to a target (the NQM of lecture 7)
#
# Shallue et al. measured the number of steps to reach a target error as a function of
# the batch size $B$, re-tuning the learning rate for every $B$. They found three regimes:
# **perfect scaling** (doubling $B$ halves the steps), **diminishing returns**, and a
# **plateau**. The Noisy Quadratic Model (hw07) reproduces them from a closed form. With
# $r_i = 1 - \alpha h_i$, SGD's exact expected risk is
# $$\mathbb E[L(w_k)] = \sum_i r_i^{2k}\,\tfrac12 h_i w_{0,i}^2
#   + \bigl(1 - r_i^{2k}\bigr)\,\frac{\alpha c_i}{2B(2 - \alpha h_i)} .$$
# Write `steps_to_target_vs_batch`: for each $B$, the step size from the grid that reaches
# the target in the fewest steps, and those steps. Vectorise over $k$ (one tensor of shape
# $(k_\max + 1, d)$ per $\alpha$), not a Python loop over steps.

# %%
#| include: steps_to_target_vs_batch

# %%
check("q4")

# %%
d = 100
h = 1.0 / torch.arange(1, d + 1)
nqm = {"h": h, "c": h.clone(), "w0": torch.ones(d)}
start = float((0.5 * h * nqm["w0"] ** 2).sum())
alphas = torch.logspace(-2.5, math.log10(1.95), 10).tolist()
batch_sizes = [1, 4, 16, 64, 256, 1024, 4096]
scaling = steps_to_target_vs_batch(batch_sizes, alphas, 0.01 * start, nqm, 12_000)
for B, (alpha, steps) in scaling.items():
    print(f"B = {B:5d}: best α = {alpha:.4f}, {steps:6d} steps to 1 % of the initial risk")

# %% [markdown]
# Observe: from $B = 1$ to $B = 16$ each 4× larger batch needs about 4× fewer steps, and
# the best $\alpha$ grows with $B$ (the learning rate **must** be re-tuned for each batch
# size; with a fixed $\alpha$ larger batches would only lower the noise floor). Beyond
# $B \approx 64$ the gain per doubling shrinks: once the noise floor is far below the
# target, the remaining steps are set by the curvature ($\alpha h_{\max} < 2$), which a
# larger batch cannot change.

# %% [markdown]
# ## q6 (10 pts): The three figures
#
# * `plot_isolation`: the isolation plot, best validation loss against $\lambda$ (log x),
#   each point after tuning the learning rate (the notes' `figures/isolation_plot.png`);
# * `plot_axis`: validation loss of every trial against the learning rate, with the search
#   range's bounds marked (`figures/bad_search_space.png`, `good_search_space.png`);
# * `plot_batch_scaling`: steps to target against $B$ on log-log axes, with the
#   perfect-scaling line $\text{steps}(B_0)\,B_0/B$ (`figures/shallue_fig1c.png`).

# %%
#| include: plot_isolation, plot_axis, plot_batch_scaling

# %%
check("q6")

# %%
iso = {wd: t["val_loss"] for wd, t in table.items() if wd > 0}  # a log axis cannot show 0
fig = plot_isolation(iso)
fig.axes[0].axhline(table[0.0]["val_loss"], color="gray", ls=":")  # no decay, for reference
plt.show()

best_wd = min(iso, key=iso.get)
fig = plot_axis([t for t in trials if t["weight_decay"] == best_wd], "lr", lr_bounds)
fig.axes[0].set_title(f"λ = {best_wd:g}")
plt.show()

fig = plot_batch_scaling(scaling)
plt.show()

# %% [markdown]
# ### Seed noise: is the difference real?
#
# Repeat the best trial without decay and the best trial with decay over 3 seeds, at
# their tuned learning rates. (About 2 s.)

# %%
seed_runs = {}
for name, wd in (("no decay", 0.0), (f"λ = {best_wd:g}", best_wd)):
    lr = table[wd]["lr"]
    vals = [
        train_fixed_budget({"lr": lr, "weight_decay": wd, **fixed}, 300, 20, s, data)["best_val"]
        for s in (1, 2, 3)
    ]
    seed_runs[name] = trial_variance(vals)
    print(f"{name:12s} lr = {lr:.4f}: mean {seed_runs[name][0]:.4f} ± {seed_runs[name][1]:.4f}")

# %% [markdown]
# ## q5 (20 pts, graded by hand): Written answers
#
# Answer in the markdown cells below, in a few sentences each, using **your** numbers from
# the experiments above. (This question is graded manually on Gradescope; there is no
# check for it. The function below holds the grading rubric in the instructor's copy
# only: there is nothing to implement.)
#
# **(a)** The study's goal is *does weight decay help the digits MLP?* Label each of the
# learning rate, weight decay on/off, weight-decay strength, batch size, width,
# activation and number of training steps as scientific, nuisance or fixed, with one
# sentence of justification each.
#
# **(b)** Is the conclusion you draw from your isolation plot and the boundary checks
# trustworthy? What, if anything, would you expand before believing it?
#
# **(c)** Given your seed-variance numbers (3 seeds each), would you adopt ("launch")
# weight decay for this workload? Follow the incremental strategy of the notes: adopt a
# change only if the improvement clearly exceeds the trial-to-trial variation *and*
# justifies the added complexity.

# %%
#| include: q5_rubric

# %% [markdown]
# **Your answer to (a):**
#
# **Your answer to (b):**
#
# **Your answer to (c):**

# %% [markdown]
# ## Run all checks

# %%
check_all()
