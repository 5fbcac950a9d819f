"""Reference solution for hw13_rl: MDPs, Bellman equations and policy gradients (lecture 13).

A tabular MDP is given by tensors ``P`` (S, A, S) with ``P[s, a, s′] = P(s′ | s, a)`` and
``R`` (S, A, S), the reward of the transition s → s′ under a. A stochastic policy is a
(S, A) tensor of probabilities. The discounted return is G₀ = Σ_t γ^t r_t.

* q1: policy evaluation solves the Bellman expectation equation as a linear system,
  V^π = (I − γP_π)^{−1} r_π;
* q2: value iteration iterates the Bellman optimality operator to V*, Q*, π*;
* q3: tabular Q-learning with an ε-greedy behaviour policy;
* q4: the policy gradient of a tabular softmax policy, exactly and by REINFORCE. The
  notes write REINFORCE as ∇log π(a_t|s_t)·G_t; for γ < 1 the unbiased estimator of
  ∇E[G₀] needs the factor γ^t, which is used here;
* q5: the objectives of §7 (PPO's clipped surrogate, GRPO's group advantage, DPO's loss);
* q6: the figures.

Randomness: every random draw is one ``torch.rand`` from an explicit generator, turned into
an index by ``sample_index`` (inverse CDF), so trajectories can be compared exactly. All
computations are float64.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import Tensor

# ----------------------------------------------------------------------------- given


def sample_index(p: Tensor, u: Tensor | float) -> int:
    """Inverse-CDF sampling (given): the first i with u < p[0] + … + p[i].

    Args:
        p: (n,) float64 probabilities summing to 1.
        u: a uniform number in [0, 1) (a 0-d or 1-element tensor, or a float).

    Returns:
        An int in {0, …, n − 1} (clamped, in case rounding leaves the total below u).
    """
    cdf = torch.cumsum(p, 0)
    u = torch.as_tensor(u, dtype=cdf.dtype, device=cdf.device).reshape(1)
    return min(int(torch.searchsorted(cdf, u, right=True)[0]), len(p) - 1)


def grid_world(n: int = 6, device: str | torch.device = "cpu") -> tuple[Tensor, Tensor]:
    """The notes' 1-D grid world (given): states 0 … n−1, actions 0 = left, 1 = right.

    Moves are deterministic and clipped at the ends. Entering the goal n−1 from another
    state pays 1; the goal is absorbing (both actions stay, reward 0).

    Returns:
        ``(P, R)``, each (n, 2, n) float64.
    """
    P = torch.zeros(n, 2, n, dtype=torch.float64, device=device)
    R = torch.zeros(n, 2, n, dtype=torch.float64, device=device)
    for s in range(n - 1):
        P[s, 0, max(s - 1, 0)] = 1.0
        P[s, 1, s + 1] = 1.0
    R[n - 2, 1, n - 1] = 1.0
    P[n - 1, :, n - 1] = 1.0
    return P, R


def chain_mdp(
    n: int = 4, p_advance: float = 0.8, quit_reward: float = 0.1, device: str | torch.device = "cpu"
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """An episodic chain (given): states 0 … n−1 and an absorbing terminal state n.

    In state s < n, action 0 ("quit") ends the episode with reward ``quit_reward``;
    action 1 ("advance") moves to s + 1 with probability ``p_advance`` (reward 0) and
    otherwise ends the episode (reward 0); advancing from s = n − 1 succeeds with reward 1.
    Every step ends the episode with probability ≥ 1 − p_advance, so episodes are short.

    Returns:
        ``(P (n+1, 2, n+1), R (n+1, 2, n+1), rho0 (n+1,), terminal (n+1,) bool)``, with
        the start state 0.
    """
    S, T = n + 1, n
    P = torch.zeros(S, 2, S, dtype=torch.float64, device=device)
    R = torch.zeros(S, 2, S, dtype=torch.float64, device=device)
    for s in range(n):
        P[s, 0, T] = 1.0
        R[s, 0, T] = quit_reward
        P[s, 1, s + 1] += p_advance
        P[s, 1, T] += 1.0 - p_advance
    R[n - 1, 1, T] = 1.0  # only the successful advance from the last state pays 1
    P[T, :, T] = 1.0
    rho0 = torch.zeros(S, dtype=torch.float64, device=device)
    rho0[0] = 1.0
    terminal = torch.zeros(S, dtype=torch.bool, device=device)
    terminal[T] = True
    return P, R, rho0, terminal


# ----------------------------------------------------------------------------- q1


def policy_evaluation(P: Tensor, R: Tensor, pi: Tensor, gamma: float) -> Tensor:
    """V^π by solving the Bellman expectation equation exactly.

    V^π = r_π + γ P_π V^π, with P_π[s, s′] = Σ_a π(a|s) P(s′|s, a) and
    r_π[s] = Σ_a π(a|s) Σ_s′ P(s′|s, a) R(s, a, s′); hence V^π = (I − γP_π)^{−1} r_π.

    Args:
        P, R: (S, A, S) float64. pi: (S, A) float64, rows summing to 1.
        gamma: discount in [0, 1).

    Returns:
        (S,) float64 (differentiable with respect to ``pi``, ``P`` and ``R``).
    """
    # BEGIN SOLUTION q1
    P_pi = torch.einsum("sa,sat->st", pi, P)
    r_pi = torch.einsum("sa,sat,sat->s", pi, P, R)
    eye = torch.eye(P.shape[0], dtype=P.dtype, device=P.device)
    return torch.linalg.solve(eye - gamma * P_pi, r_pi)
    # END SOLUTION


def q_from_v(P: Tensor, R: Tensor, V: Tensor, gamma: float) -> Tensor:
    """Q(s, a) = Σ_s′ P(s′|s, a) [R(s, a, s′) + γ V(s′)].

    Args:
        P, R: (S, A, S) float64. V: (S,) float64. gamma: discount.

    Returns:
        (S, A) float64.
    """
    # BEGIN SOLUTION q1
    return (P * (R + gamma * V[None, None, :])).sum(-1)
    # END SOLUTION


# ----------------------------------------------------------------------------- q2


def value_iteration(
    P: Tensor, R: Tensor, gamma: float, tol: float = 1e-10, max_iter: int = 10_000
) -> tuple[Tensor, Tensor, Tensor]:
    """V*, Q* and a greedy optimal policy by value iteration.

    Start from V = 0 and repeat V ← max_a Q(s, a) with Q = ``q_from_v(P, R, V, gamma)``
    until max_s |V_new − V| < tol (or ``max_iter`` sweeps). Then Q* = ``q_from_v`` of the
    final V, and π*(s) = argmax_a Q*(s, a) (the first maximiser on ties, as
    ``torch.argmax``).

    Returns:
        ``(V* (S,) float64, Q* (S, A) float64, π* (S,) int64)``.
    """
    # BEGIN SOLUTION q2
    V = torch.zeros(P.shape[0], dtype=P.dtype, device=P.device)
    for _ in range(max_iter):
        V_new = q_from_v(P, R, V, gamma).max(dim=1).values
        done = float((V_new - V).abs().max()) < tol
        V = V_new
        if done:
            break
    Q = q_from_v(P, R, V, gamma)
    return V, Q, Q.argmax(dim=1)
    # END SOLUTION


# ----------------------------------------------------------------------------- q3


def q_learning_update(
    Q: Tensor, s: int, a: int, r: float, s_next: int, done: bool, alpha: float, gamma: float
) -> Tensor:
    """One Q-learning update, returned as a new table (``Q`` itself is not modified).

    Q(s, a) ← Q(s, a) + α [r + γ max_a′ Q(s′, a′) − Q(s, a)], where the bootstrap term
    γ max_a′ Q(s′, a′) is dropped when ``done`` (s′ is terminal).

    Returns:
        (S, A) float64.
    """
    # BEGIN SOLUTION q3
    target = r + (0.0 if done else gamma * float(Q[s_next].max()))
    new = Q.clone()
    new[s, a] = Q[s, a] + alpha * (target - Q[s, a])
    return new
    # END SOLUTION


def q_learning(
    P: Tensor,
    R: Tensor,
    gamma: float,
    alpha: float,
    epsilon: float,
    n_steps: int,
    generator: torch.Generator,
    start_state: int,
    terminal: Tensor | None = None,
) -> Tensor:
    """Tabular Q-learning from Q = 0 with an ε-greedy behaviour policy (off-policy).

    Each step, in state s:
    ``u = torch.rand(2, generator=generator, dtype=torch.float64, device=P.device)``;
    the behaviour policy gives probability ε/A to every action plus 1 − ε to the greedy
    one (``argmax`` of Q[s], first on ties), and ``a = sample_index(behaviour, u[0])``;
    then ``s′ = sample_index(P[s, a], u[1])``, ``r = R[s, a, s′]``,
    ``done = terminal[s′]`` (False if ``terminal`` is None), Q ← ``q_learning_update``.
    The next state is s′, or ``start_state`` after a terminal s′.

    Returns:
        The (S, A) float64 table after ``n_steps`` steps.
    """
    # BEGIN SOLUTION q3
    S, A, _ = P.shape
    Q = torch.zeros(S, A, dtype=torch.float64, device=P.device)
    s = start_state
    for _ in range(n_steps):
        u = torch.rand(2, generator=generator, dtype=torch.float64, device=P.device)
        behaviour = torch.full((A,), epsilon / A, dtype=torch.float64, device=P.device)
        behaviour[int(Q[s].argmax())] += 1.0 - epsilon
        a = sample_index(behaviour, u[0])
        s_next = sample_index(P[s, a], u[1])
        done = bool(terminal[s_next]) if terminal is not None else False
        Q = q_learning_update(Q, s, a, float(R[s, a, s_next]), s_next, done, alpha, gamma)
        s = start_state if done else s_next
    return Q
    # END SOLUTION


# ----------------------------------------------------------------------------- q4


def softmax_policy(theta: Tensor) -> Tensor:
    """π(a|s) = exp θ_{s,a} / Σ_b exp θ_{s,b}, row by row (numerically stable).

    Args:
        theta: (S, A) float64 logits.

    Returns:
        (S, A) float64, rows summing to 1 (differentiable).
    """
    # BEGIN SOLUTION q4
    z = theta - theta.max(dim=1, keepdim=True).values
    e = torch.exp(z)
    return e / e.sum(dim=1, keepdim=True)
    # END SOLUTION


def expected_return(theta: Tensor, P: Tensor, R: Tensor, rho0: Tensor, gamma: float) -> Tensor:
    """J(θ) = E[G₀] = Σ_s ρ₀(s) V^{π_θ}(s): a 0-d float64 tensor, differentiable in θ."""
    # BEGIN SOLUTION q4
    return rho0 @ policy_evaluation(P, R, softmax_policy(theta), gamma)
    # END SOLUTION


def exact_policy_gradient(
    theta: Tensor, P: Tensor, R: Tensor, rho0: Tensor, gamma: float
) -> Tensor:
    """∇_θ J exactly, without autograd: ∂J/∂θ_{s,a} = d(s) π(a|s) A^π(s, a).

    Here d = ρ₀ᵀ(I − γP_π)^{−1} is the (unnormalised) discounted state visitation, and
    A^π(s, a) = Q^π(s, a) − V^π(s) is the advantage.

    Returns:
        (S, A) float64.
    """
    # BEGIN SOLUTION q4
    pi = softmax_policy(theta)
    V = policy_evaluation(P, R, pi, gamma)
    Q = q_from_v(P, R, V, gamma)
    P_pi = torch.einsum("sa,sat->st", pi, P)
    eye = torch.eye(P.shape[0], dtype=P.dtype, device=P.device)
    d = torch.linalg.solve((eye - gamma * P_pi).T, rho0)
    return d[:, None] * pi * (Q - V[:, None])
    # END SOLUTION


def sample_episodes(
    theta: Tensor,
    P: Tensor,
    R: Tensor,
    rho0: Tensor,
    max_len: int,
    n_episodes: int,
    generator: torch.Generator,
    terminal: Tensor,
) -> list[list[tuple[int, int, float]]]:
    """Roll out ``n_episodes`` episodes of the softmax policy π_θ.

    Each episode: ``s = sample_index(rho0, torch.rand(1, generator=generator,
    dtype=torch.float64, device=P.device))``; then, while s is not terminal and fewer
    than ``max_len`` steps were taken: ``u = torch.rand(2, generator=generator,
    dtype=torch.float64, device=P.device)``, ``a = sample_index(π_θ[s], u[0])``,
    ``s′ = sample_index(P[s, a], u[1])``, record ``(s, a, R[s, a, s′])``, s ← s′.

    Returns:
        A list of episodes, each a list of ``(state: int, action: int, reward: float)``
        (empty if the start state is terminal).
    """
    # BEGIN SOLUTION q4
    pi = softmax_policy(theta).detach()
    episodes = []
    for _ in range(n_episodes):
        u0 = torch.rand(1, generator=generator, dtype=torch.float64, device=P.device)
        s = sample_index(rho0, u0)
        episode: list[tuple[int, int, float]] = []
        while not bool(terminal[s]) and len(episode) < max_len:
            u = torch.rand(2, generator=generator, dtype=torch.float64, device=P.device)
            a = sample_index(pi[s], u[0])
            s_next = sample_index(P[s, a], u[1])
            episode.append((s, a, float(R[s, a, s_next])))
            s = s_next
        episodes.append(episode)
    return episodes
    # END SOLUTION


def reinforce_gradient(
    theta: Tensor,
    episodes: list[list[tuple[int, int, float]]],
    gamma: float,
    baseline: Tensor | None = None,
) -> Tensor:
    """The REINFORCE estimate of ∇_θ J, averaged over the episodes (no autograd).

    ĝ = (1/N) Σ_episodes Σ_t γ^t (G_t − b(s_t)) ∇_θ log π_θ(a_t|s_t), with the
    reward-to-go G_t = Σ_{k≥t} γ^{k−t} r_k and, for the softmax policy,
    ∂ log π(a|s)/∂θ_{s′,b} = 1[s′ = s] (1[b = a] − π(b|s)). The factor γ^t makes the
    estimator unbiased for ∇E[G₀] (the notes omit it). ``baseline`` is a (S,) tensor
    b(s), or None for b = 0.

    Returns:
        (S, A) float64, the same shape as ``theta``.
    """
    # BEGIN SOLUTION q4
    pi = softmax_policy(theta).detach()
    grad = torch.zeros_like(pi)
    for episode in episodes:
        G = 0.0
        for t in range(len(episode) - 1, -1, -1):  # backwards, accumulating reward-to-go
            s, a, r = episode[t]
            G = r + gamma * G
            weight = gamma**t * (G - (float(baseline[s]) if baseline is not None else 0.0))
            grad[s] -= weight * pi[s]
            grad[s, a] += weight
    return grad / len(episodes)
    # END SOLUTION


def reinforce_training(
    P: Tensor,
    R: Tensor,
    rho0: Tensor,
    terminal: Tensor,
    gamma: float,
    lr: float,
    n_episodes: int,
    seed: int,
    use_baseline: bool,
    max_len: int = 50,
) -> Tensor:
    """REINFORCE from θ = 0, one episode per update (given; uses your q1 and q4 functions).

    With a baseline, b = V^{π_θ} of the current policy (computed exactly by
    ``policy_evaluation``: an idealised critic, to isolate the baseline's effect).

    Returns:
        (n_episodes,) float64: the discounted return G₀ of each training episode.
    """
    g = torch.Generator(device=P.device).manual_seed(seed)
    theta = torch.zeros(P.shape[0], P.shape[1], dtype=torch.float64, device=P.device)
    returns = torch.zeros(n_episodes, dtype=torch.float64)
    for i in range(n_episodes):
        (episode,) = sample_episodes(theta, P, R, rho0, max_len, 1, g, terminal)
        returns[i] = sum(gamma**t * r for t, (_, _, r) in enumerate(episode))
        b = policy_evaluation(P, R, softmax_policy(theta), gamma) if use_baseline else None
        theta = theta + lr * reinforce_gradient(theta, [episode], gamma, b)
    return returns


# ----------------------------------------------------------------------------- q5


def ppo_clip_objective(logp_new: Tensor, logp_old: Tensor, adv: Tensor, eps: float) -> Tensor:
    """PPO's clipped surrogate (to be maximised), a 0-d tensor.

    mean_t min(ρ_t A_t, clip(ρ_t, 1 − ε, 1 + ε) A_t), with ρ_t = exp(logp_new − logp_old).

    Args:
        logp_new, logp_old, adv: (T,) float64 (differentiable in ``logp_new``).
    """
    # BEGIN SOLUTION q5
    ratio = torch.exp(logp_new - logp_old)
    clipped = torch.clamp(ratio, 1.0 - eps, 1.0 + eps)
    return torch.minimum(ratio * adv, clipped * adv).mean()
    # END SOLUTION


def grpo_advantages(rewards: Tensor) -> Tensor:
    """GRPO's group-relative advantages as in the notes: r − mean(r) (no std scaling).

    Args:
        rewards: (G,) float64, the rewards of G answers to the same prompt.

    Returns:
        (G,) float64.
    """
    # BEGIN SOLUTION q5
    return rewards - rewards.mean()
    # END SOLUTION


def dpo_loss(
    logp_w: Tensor, logp_l: Tensor, ref_logp_w: Tensor, ref_logp_l: Tensor, beta: float
) -> Tensor:
    """DPO's loss, mean over N preference pairs, computed stably (a 0-d tensor).

    −log σ(β[(log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))]), averaged;
    since −log σ(z) = softplus(−z), use ``torch.nn.functional.softplus`` so that large
    margins neither overflow nor round to log 0.

    Args:
        logp_w, logp_l, ref_logp_w, ref_logp_l: (N,) float64; beta > 0.
    """
    # BEGIN SOLUTION q5
    margin = (logp_w - ref_logp_w) - (logp_l - ref_logp_l)
    return torch.nn.functional.softplus(-beta * margin).mean()
    # END SOLUTION


# ----------------------------------------------------------------------------- q6


def plot_grid_q(Q_by_gamma: dict[float, Tensor]) -> Figure:
    """Q*(s, left) and Q*(s, right) along the 1-D grid, one axes per γ.

    Args:
        Q_by_gamma: ``{gamma: Q* (S, 2)}``.

    Returns:
        A Figure with one axes per γ (in increasing γ), each with linear scales, axis
        labels, a title naming γ, and two lines labelled ``"left"`` and ``"right"``:
        x = 0, …, S − 1 and y = Q*[:, 0] and Q*[:, 1].
    """
    # BEGIN SOLUTION q6
    gammas = sorted(Q_by_gamma)
    fig, axes = plt.subplots(1, len(gammas), figsize=(4 * len(gammas), 3.5), squeeze=False)
    for ax, gamma in zip(axes[0], gammas):
        Q = Q_by_gamma[gamma].detach().cpu()
        states = list(range(Q.shape[0]))
        ax.plot(states, Q[:, 0].tolist(), "o-", label="left")
        ax.plot(states, Q[:, 1].tolist(), "s-", label="right")
        ax.set_xlabel("state s")
        ax.set_ylabel("Q*(s, a)")
        ax.set_title(f"γ = {gamma:g}")
        ax.legend()
    fig.tight_layout()
    return fig
    # END SOLUTION


def plot_learning_curves(returns: dict[str, Tensor]) -> Figure:
    """Mean return against episode, ±1 standard deviation over seeds shaded.

    Args:
        returns: ``{name: (n_seeds, n_episodes) float64}``, the return of every training
            episode of every seed.

    Returns:
        A Figure with one axes (linear scales), axis labels, and for each name a line
        labelled ``name`` with x = 1, …, n_episodes and y = the mean over seeds; the band
        mean ± std (the sample standard deviation, ``torch.std`` defaults) is drawn with
        ``fill_between``.
    """
    # BEGIN SOLUTION q6
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, curves in returns.items():
        curves = curves.detach().cpu()
        mean, std = curves.mean(0), curves.std(0)
        x = list(range(1, curves.shape[1] + 1))
        (line,) = ax.plot(x, mean.tolist(), label=name)
        ax.fill_between(
            x, (mean - std).tolist(), (mean + std).tolist(), alpha=0.2, color=line.get_color()
        )
    ax.set_xlabel("episode")
    ax.set_ylabel("return G₀")
    ax.legend()
    return fig
    # END SOLUTION
