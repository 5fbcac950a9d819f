# %% [markdown]
# # Homework 13: MDPs, Bellman equations and policy gradients
#
# Lecture 13 of *Optimization in PyTorch* (draft notes: `section/13/notes.md`). The
# lecture introduces reinforcement learning briefly, so this homework stays small: every
# MDP has at most a handful of states, and every answer can be checked exactly.
#
# A **Markov decision process** $(\mathcal S, \mathcal A, P, R, \gamma)$ is stored as two
# float64 tensors of shape $(S, A, S)$: `P[s, a, s2]` $= P(s' \mid s, a)$ and
# `R[s, a, s2]` $= R(s, a, s')$. A stochastic policy is an $(S, A)$ tensor `pi` whose rows
# sum to one. The agent maximises the expected discounted **return**
# $$G_0 = \sum_{t \ge 0} \gamma^t r_t, \qquad
#   V^\pi(s) = \mathbb E_\pi[G_0 \mid s_0 = s], \qquad
#   Q^\pi(s, a) = \mathbb E_\pi[G_0 \mid s_0 = s, a_0 = a].$$
#
# Randomness: every random draw is one `torch.rand` from an explicit generator, turned into
# an index by the given `sample_index` (inverse CDF), in the order the docstrings pin, so
# that your trajectories can be compared exactly with the reference's.

# %%
import matplotlib.pyplot as plt
import torch
from autograde_check import check, check_all
from matplotlib.figure import Figure  # noqa: F401  (type hints of the included functions)
from torch import Tensor  # noqa: F401

torch.set_default_dtype(torch.float64)

# %% [markdown]
# ## Given: sampling and two small MDPs
#
# * `grid_world(n)`: the notes' 1-D grid; moving right into the goal (the last state)
#   pays 1, and the goal is absorbing.
# * `chain_mdp()`: an episodic chain. In each state the agent can *quit* (reward 0.1,
#   the episode ends) or *advance* (with probability 0.8 to the next state, otherwise the
#   episode ends with nothing); advancing from the last state pays 1. Every episode ends
#   within a few steps.

# %%
#| include: sample_index, grid_world, chain_mdp

# %% [markdown]
# ## q1 (20 pts): Policy evaluation is a linear solve
#
# The Bellman expectation equation for a fixed policy $\pi$,
# $$V^\pi(s) = \sum_a \pi(a\mid s) \sum_{s'} P(s'\mid s,a)\,\bigl[R(s,a,s') + \gamma V^\pi(s')\bigr],$$
# is linear in $V^\pi$. With $P_\pi[s,s'] = \sum_a \pi(a\mid s)P(s'\mid s,a)$ and
# $r_\pi[s] = \sum_a \pi(a\mid s)\sum_{s'}P(s'\mid s,a)R(s,a,s')$ it reads
# $V^\pi = r_\pi + \gamma P_\pi V^\pi$, so
# $$V^\pi = (I - \gamma P_\pi)^{-1} r_\pi .$$
# Solve it with `torch.linalg.solve` (never form the inverse). Then write `q_from_v`,
# $Q(s,a) = \sum_{s'} P(s'\mid s,a)[R(s,a,s') + \gamma V(s')]$; a useful self-check is
# $V^\pi(s) = \sum_a \pi(a\mid s) Q^\pi(s,a)$.

# %%
#| include: policy_evaluation, q_from_v

# %%
check("q1")

# %% [markdown]
# ## q2 (15 pts): Value iteration
#
# The Bellman *optimality* equation $V^*(s) = \max_a \sum_{s'}P(s'\mid s,a)[R + \gamma
# V^*(s')]$ is not linear, but its right-hand side is a $\gamma$-contraction, so iterating
# it from $V = 0$ converges to $V^*$ (planning: the model $P, R$ is known). Acting greedily
# on $Q^*$ is optimal.

# %%
#| include: value_iteration

# %%
check("q2")

# %%
P_grid, R_grid = grid_world(6)
Q_by_gamma = {}
for gamma in (0.0, 0.5, 0.9):
    V_star, Q_star, pi_star = value_iteration(P_grid, R_grid, gamma)
    Q_by_gamma[gamma] = Q_star
    print(f"γ = {gamma}: π* = {pi_star.tolist()}, V* = {[round(v, 3) for v in V_star.tolist()]}")
# the optimal policy's value is V*: policy evaluation and value iteration agree
onehot = torch.nn.functional.one_hot(pi_star, 2).to(torch.float64)
print(
    "max |V^π* − V*| =",
    float((policy_evaluation(P_grid, R_grid, onehot, 0.9) - V_star).abs().max()),
)

# %% [markdown]
# Observe: with $\gamma = 0$ only the state next to the goal values moving right; with
# larger $\gamma$ the reward propagates back as $Q^*(s, \text{right}) = \gamma^{d-1}$,
# where $d$ is the distance to the goal (figure in q6).
#
# ## q3 (15 pts): Q-learning
#
# Without the model, the agent learns $Q^*$ from transitions $(s, a, r, s')$:
# $$Q(s,a) \leftarrow Q(s,a) + \alpha\bigl[r + \gamma \max_{a'} Q(s', a') - Q(s,a)\bigr],$$
# dropping the bootstrap term when $s'$ is terminal. The behaviour policy is
# $\varepsilon$-greedy, but the target uses the max: Q-learning is **off-policy**.

# %%
#| include: q_learning_update, q_learning

# %%
check("q3")

# %%
terminal_grid = torch.zeros(6, dtype=torch.bool)
terminal_grid[5] = True
gen = torch.Generator().manual_seed(0)
Q_learned = q_learning(P_grid, R_grid, 0.9, 0.5, 0.5, 20_000, gen, 0, terminal_grid)
print(
    "greedy policy of the learned Q:", Q_learned[:5].argmax(1).tolist(), "π*:", pi_star[:5].tolist()
)
print("max |Q − Q*| over non-goal states:", float((Q_learned - Q_star)[:5].abs().max()))

# %% [markdown]
# ## q4 (25 pts): Policy gradients, exact and sampled
#
# Parametrise the policy by logits, $\pi_\theta(a\mid s) = \operatorname{softmax}(\theta_{s,\cdot})_a$,
# and maximise $J(\theta) = \sum_s \rho_0(s) V^{\pi_\theta}(s)$.
#
# **Exact gradient.** For the tabular softmax policy the policy-gradient theorem gives
# $$\frac{\partial J}{\partial \theta_{s,a}} = d(s)\,\pi(a\mid s)\,A^\pi(s,a), \qquad
#   d^\top = \rho_0^\top (I - \gamma P_\pi)^{-1}, \quad A^\pi = Q^\pi - V^\pi ,$$
# where $d$ is the discounted state visitation. This is the oracle for the sampled
# estimate. (`expected_return` is differentiable, so autograd would give the same answer,
# but autograd is refused while q4 is graded: write the formula.)
#
# **REINFORCE.** From sampled episodes,
# $$\hat g = \frac1N \sum_{\text{episodes}} \sum_t \gamma^t \bigl(G_t - b(s_t)\bigr)
#    \nabla_\theta \log \pi_\theta(a_t\mid s_t), \qquad G_t = \sum_{k\ge t}\gamma^{k-t} r_k ,$$
# and for the softmax policy
# $\partial \log\pi(a\mid s)/\partial\theta_{s',b} = \mathbb 1[s'=s]\,(\mathbb 1[b=a] - \pi(b\mid s))$.
# **Careful:** the notes write $\nabla\log\pi(a_t\mid s_t)\,G_t$ without $\gamma^t$. For
# $\gamma < 1$ that estimates a different vector; the factor $\gamma^t$ is what makes
# $\hat g$ unbiased for $\nabla_\theta \mathbb E[G_0]$. A baseline $b(s_t)$ does not change
# the mean (since $\mathbb E_{a\sim\pi}[\nabla\log\pi(a\mid s)] = 0$) but can reduce the
# variance a lot; $b = V^\pi$ is the classic choice.

# %%
#| include: softmax_policy, expected_return, exact_policy_gradient, sample_episodes, reinforce_gradient

# %%
check("q4")

# %%
P_ch, R_ch, rho0, terminal = chain_mdp()
gamma = 0.9
theta = torch.randn(5, 2, generator=torch.Generator().manual_seed(3))
exact = exact_policy_gradient(theta, P_ch, R_ch, rho0, gamma)
episodes = sample_episodes(
    theta, P_ch, R_ch, rho0, 50, 5000, torch.Generator().manual_seed(1), terminal
)
V_pi = policy_evaluation(P_ch, R_ch, softmax_policy(theta), gamma)
for name, b in (("no baseline", None), ("b = V^π", V_pi)):
    per_episode = torch.stack([reinforce_gradient(theta, [e], gamma, b) for e in episodes])
    mean, se = per_episode.mean(0), per_episode.std(0) / len(episodes) ** 0.5
    z = ((mean - exact).abs() / se.clamp_min(1e-12))[:4]
    print(
        f"{name:12s}: max |z| = {float(z.max()):.2f}, summed variance {float(per_episode.var(0).sum()):.5f}"
    )
print("exact gradient (advance − quit, per state):", (exact[:4, 1] - exact[:4, 0]).tolist())

# %% [markdown]
# Observe: both estimates agree with the exact gradient within a few standard errors
# (they are unbiased), and the baseline lowers the variance. Dropping $\gamma^t$ would
# bias the estimate away from the exact gradient; try it.
#
# Now train with REINFORCE from $\theta = 0$ (one episode per update, step 0.5), with and
# without the baseline, over 5 seeds. `reinforce_training` is given; it uses your
# functions. (About 2 s.)

# %%
#| include: reinforce_training

# %%
curves = {
    name: torch.stack(
        [
            reinforce_training(P_ch, R_ch, rho0, terminal, gamma, 0.5, 300, s, use_b)
            for s in range(5)
        ]
    )
    for name, use_b in (("REINFORCE", False), ("REINFORCE + baseline V^π", True))
}
J_star = float(value_iteration(P_ch, R_ch, gamma)[0][0])
print(
    f"optimal J* = {J_star:.3f}; J at θ = 0: {float(expected_return(torch.zeros(5, 2), P_ch, R_ch, rho0, gamma)):.3f}"
)

# %% [markdown]
# ## q5 (15 pts): The objectives of §7
#
# * **PPO** maximises the clipped surrogate
#   $\frac1T\sum_t \min\bigl(\rho_t A_t, \operatorname{clip}(\rho_t, 1-\varepsilon, 1+\varepsilon) A_t\bigr)$,
#   $\rho_t = \exp(\log\pi_{\text{new}} - \log\pi_{\text{old}})$: once the ratio has moved
#   by more than $\varepsilon$ in the profitable direction, the gradient is zero.
# * **GRPO** replaces the critic by the group mean: $A_i = r_i - \bar r$ over $G$ answers to
#   one prompt (as in the notes, without dividing by the standard deviation).
# * **DPO** minimises $-\log\sigma\bigl(\beta[(\log\pi(y_w) - \log\pi_{\text{ref}}(y_w)) -
#   (\log\pi(y_l) - \log\pi_{\text{ref}}(y_l))]\bigr)$; write it with
#   $-\log\sigma(z) = \operatorname{softplus}(-z)$ so that large margins are stable.

# %%
#| include: ppo_clip_objective, grpo_advantages, dpo_loss

# %%
check("q5")

# %%
adv = torch.tensor([1.0, -1.0, 2.0])
old = torch.log(torch.tensor([0.5, 0.5, 0.5]))
new = torch.log(torch.tensor([0.8, 0.3, 0.52])).requires_grad_(True)
obj = ppo_clip_objective(new, old, adv, 0.2)
obj.backward()
print(
    "PPO objective",
    float(obj.detach()),
    "gradient",
    new.grad.tolist(),
    "(0 where the ratio is clipped)",
)
print("GRPO advantages", grpo_advantages(torch.tensor([1.0, 0.0, 0.0, 1.0])).tolist())
z = torch.zeros(1)
print("DPO at the reference: ", float(dpo_loss(z, z, z, z, 0.1)), "= log 2")

# %% [markdown]
# ## q6 (10 pts): Figures
#
# * `plot_grid_q`: $Q^*(s,\text{left})$ and $Q^*(s,\text{right})$ along the grid, one panel
#   per $\gamma$ (the notes' `figures/grid_world_qvals.png`);
# * `plot_learning_curves`: the mean return of each training episode over the seeds,
#   $\pm 1$ standard deviation shaded.

# %%
#| include: plot_grid_q, plot_learning_curves

# %%
check("q6")

# %%
fig = plot_grid_q(Q_by_gamma)
plt.show()
fig = plot_learning_curves(curves)
fig.axes[0].axhline(J_star, color="gray", ls=":", label="optimal J*")
fig.axes[0].legend()
plt.show()

# %% [markdown]
# Observe: both learners approach $J^*$; the return of a single episode is noisy (the
# chain pays 0, 0.1 or a discounted 1), so the band is wide. With the baseline the
# updates are less noisy, which shows most in the early episodes.

# %%
check_all()
