# %% [markdown]
# # Homework 6: SGD for mean estimation, and the noise floor
#
# Lecture 6 of *Optimization in PyTorch* (notes: `section/6/notes.md`: the SGD update
# rule, "Convergence in mean", "Variance of the estimator", "A curious fact: independence
# from n", "Mini-batching as a variance reduction technique").
#
# The simplest problem on which to see SGD at work is estimating a mean:
# $$L(w) = \frac{1}{2n}\sum_{i=1}^n (x_i - w)^2, \qquad \nabla L(w) = w - \mu,\quad
# \mu = \frac1n\sum_i x_i .$$
# SGD replaces the full gradient by the gradient on a mini-batch of $B$ indices drawn
# uniformly **with replacement**:
# $$w_{k+1} = w_k - \eta\,\big(w_k - \bar x_{\text{batch}}\big) = (1-\eta)\,w_k + \eta\,\bar x_{\text{batch}} .$$
# Throughout, $\sigma^2 = \frac1n\sum_i (x_i - \mu)^2$ is the population variance
# (divide by $n$). Graded functions take a `torch.Generator` and must call it exactly as
# their docstrings say, so that your runs can be compared with ours draw for draw.

# %%
import matplotlib.pyplot as plt
import torch
from autograde_check import check, check_all
from matplotlib.figure import Figure  # noqa: F401  (type hints of the included functions)
from torch import Tensor  # noqa: F401

torch.set_default_dtype(torch.float64)

# %% [markdown]
# ## q1 (15 pts): An SGD trajectory
#
# Implement one SGD run. With $\eta = 1$ and $B = 1$, each iterate is a fresh sample
# $x_{i_k}$: SGD has forgotten everything it saw before.

# %%
#| include: sgd_mean

# %%
check("q1")

# %%
gen = torch.Generator().manual_seed(0)
x_data = 2.0 + torch.randn(1000, generator=gen)  # n = 1000 points, μ ≈ 2, σ ≈ 1
mu = x_data.mean().item()
sigma2 = ((x_data - mu) ** 2).mean().item()
print(f"μ = {mu:.4f}, σ² = {sigma2:.4f}")
for eta in (1.0, 0.5, 0.1, 0.01):
    run = sgd_mean(x_data, eta, 300, 0.0, 1, gen)
    print(f"η = {eta:5}: w_300 = {run[-1].item():.4f}")

# %% [markdown]
# ## q2 (20 pts): Closed forms
#
# **Convergence in mean.** Since $\mathbb{E}[\bar x_{\text{batch}}] = \mu$,
# $\mathbb{E}[w_{k+1}] - \mu = (1-\eta)(\mathbb{E}[w_k] - \mu)$, so
# $$\mathbb{E}[w_k] = \mu + (1-\eta)^k (w_0 - \mu).$$
#
# **Mean squared error.** The batch mean is independent of $w_k$ and has variance
# $\sigma^2/B$, so $A_k = \mathbb{E}[(w_k-\mu)^2]$ obeys
# $$A_{k+1} = (1-\eta)^2 A_k + \frac{\eta^2\sigma^2}{B},$$
# whose solution is
# $$A_k = (1-\eta)^{2k}(w_0-\mu)^2 + \frac{\eta\,\sigma^2}{B(2-\eta)}\Big(1 - (1-\eta)^{2k}\Big).$$
# The second term does not vanish: with a constant step, SGD stalls at the **noise
# floor** $\eta\sigma^2/(B(2-\eta))$, proportional to $\eta/B$ for small $\eta$. Nothing
# here depends on $n$.
#
# *A slip in the notes:* at $\eta = 1$, $B = 1$ the floor is $\sigma^2/(2-1) = \sigma^2$,
# not $\sigma^2/2$ as the text says. The text's own argument agrees: each iterate is then
# one fresh sample, whose squared error has mean $\sigma^2$.

# %%
#| include: mean_closed_form, mse_closed_form, mse_floor

# %%
check("q2")

# %% [markdown]
# ## q3 (20 pts): Vectorised Monte Carlo
#
# Estimate $A_k$ by averaging $(w_k - \mu)^2$ over many independent runs. Advance all runs
# **together**: keep a tensor of `n_runs` iterates and draw one `(n_runs, batch_size)`
# index tensor per step. A Python loop over runs is far too slow. The grader runs
# 20 000 runs × 200 steps within its 10 s limit per call; the vectorised version takes
# a few hundredths of a second.

# %%
#| include: mse_monte_carlo

# %%
check("q3")

# %%
K = 1000
etas = (0.5, 0.1, 0.01)
mc = {eta: mse_monte_carlo(x_data, eta, K, 0.0, 1, 2000, gen) for eta in etas}
theory = {
    eta: torch.tensor([mse_closed_form(0.0, mu, sigma2, eta, k) for k in range(K + 1)])
    for eta in etas
}
for eta in etas:
    print(
        f"η = {eta:5}: MSE at k = {K}: Monte Carlo {mc[eta][-1].item():.5f}, floor {mse_floor(sigma2, eta):.5f}"
    )

# %% [markdown]
# ## q4 (15 pts): The gradient estimator
#
# The mini-batch gradient $g = w - \bar x_{\text{batch}}$ is **unbiased**,
# $\mathbb{E}[g] = w - \mu = \nabla L(w)$, and its variance is $\sigma^2/B$: $B$ times
# more samples per step buy $B$ times less noise.

# %%
#| include: minibatch_gradient, gradient_variance_theory

# %%
check("q4")

# %%
for B in (1, 10, 100):
    draws = torch.stack(
        [
            minibatch_gradient(x_data, 0.0, torch.randint(0, len(x_data), (B,), generator=gen))
            for _ in range(3000)
        ]
    )
    print(
        f"B = {B:3}: mean {draws.mean().item():+.4f} (w − μ = {-mu:+.4f}),"
        f" variance {draws.var().item():.5f} (σ²/B = {gradient_variance_theory(x_data, B):.5f})"
    )

# %% [markdown]
# ## q5 (15 pts): No free lunch, and decaying steps
#
# A batch of $B$ with step $\eta$ for $k$ steps and a batch of $1$ with step $\eta/B$ for
# $kB$ steps use the same number of samples and reach about the same floor,
# $\tfrac{\eta\sigma^2}{B(2-\eta)} \approx \tfrac{(\eta/B)\sigma^2}{2 - \eta/B}$.
# Mini-batching buys fewer *steps* (parallel hardware), not fewer *samples*.
#
# A **decaying** step removes the floor. With $\eta_k = 1/(k+1)$,
# $w_{k+1} = \tfrac{k}{k+1} w_k + \tfrac{1}{k+1} x_{i_k}$, so $w_k$ is the running mean of
# the $k$ samples seen so far. Its MSE is $\sigma^2/k \to 0$.

# %%
#| include: compare_batch_vs_steps, sgd_decaying

# %%
check("q5")

# %%
print(compare_batch_vs_steps(x_data, 0.1, 10, 100, 2000, gen), " floor", mse_floor(sigma2, 0.1, 10))

# %% [markdown]
# ## q6 (15 pts): Figures
#
# * `plot_noise_floor`: MSE vs $k$ on log-log axes, for $\eta \in \{0.5, 0.1, 0.01\}$,
#   Monte Carlo solid and the closed form dashed, plus the decaying step (the notes'
#   `error_vs_iteration.png`).
# * `plot_minibatch`: MSE vs iterations and vs samples used, for $B = 1$ ($\eta = 5\cdot
#   10^{-4}$) and $B = 100$ ($\eta = 5\cdot 10^{-2}$) (the notes' `s5_minibatch_k.png`
#   and `s5_minibatch_samples.png`; the notes' $B = 1000$, $\eta = 5\cdot10^{-5}$ is
#   scaled down to fit the time budget).
#
# The grader checks your lines' data, the scales and that the axes are labelled; the
# styling is yours.

# %%
#| include: plot_noise_floor, plot_minibatch

# %%
check("q6")

# %% [markdown]
# The decaying-step curve is averaged over 2000 runs of the same recursion, advanced
# together (an experiment, not graded).

# %%
n_runs = 2000
w_runs = torch.zeros(n_runs)
decaying_mse = [(w_runs - mu).pow(2).mean()]
for step in range(K):
    picks = x_data[torch.randint(0, len(x_data), (n_runs,), generator=gen)]
    w_runs = w_runs + (picks - w_runs) / (step + 1)
    decaying_mse.append((w_runs - mu).pow(2).mean())
fig = plot_noise_floor(mc, theory, torch.stack(decaying_mse))
plt.show()

# %% [markdown]
# Observe: each constant step first follows $(1-\eta)^{2k}(w_0-\mu)^2$ down, then flattens
# at its floor $\eta\sigma^2/(2-\eta)$; smaller $\eta$ is slower but ends lower. The
# decaying step keeps falling as $\sigma^2/k$.

# %%
# the same samples budget (30 000) both ways: B = 1 needs 100 times more steps
mini = {
    1: (5e-4, mse_monte_carlo(x_data, 5e-4, 30_000, 0.0, 1, 200, gen)),
    100: (5e-2, mse_monte_carlo(x_data, 5e-2, 300, 0.0, 100, 200, gen)),
}
fig = plot_minibatch(mini)
plt.show()

# %% [markdown]
# Observe: per iteration, $B = 100$ is about 100 times faster. Per sample used, the two
# curves coincide and reach the same floor: there is no free lunch.

# %%
check_all()
