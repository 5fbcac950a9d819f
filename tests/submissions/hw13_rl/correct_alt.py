# An independent correct solution, written differently from the reference:
# - policy_evaluation builds P_π and r_π with broadcasting and solves with an LU
#   factorisation (lu_factor / lu_solve) instead of linalg.solve; q_from_v is
#   E[R] + γ P V (a matrix-vector product over s′);
# - value_iteration uses the Bellman operator written the same way, with a while loop;
# - q_learning_update blends (1 − α) Q + α target; q_learning builds the ε-greedy
#   distribution with torch.where;
# - softmax_policy is exp(θ − logsumexp θ); the exact gradient solves the transposed
#   system for the visitation with its own LU; REINFORCE computes the rewards-to-go
#   forward with a discount matrix and scatters the score functions with index_add_;
# - PPO uses the equivalent form A · min(ρ, 1 + ε) (A ≥ 0) / A · max(ρ, 1 − ε) (A < 0);
#   GRPO subtracts sum / G; DPO uses logaddexp(0, −z);
# - the figures use fig.add_subplot and compute the mean over seeds as sum / n.
import matplotlib.pyplot as plt
import torch


def _p_pi_r_pi(P, R, pi):
    P_pi = (pi[:, :, None] * P).sum(dim=1)
    r_pi = (pi * (P * R).sum(dim=2)).sum(dim=1)
    return P_pi, r_pi


def _lu_solve(M, b):
    LU, piv = torch.linalg.lu_factor(M)
    return torch.linalg.lu_solve(LU, piv, b[:, None])[:, 0]


def policy_evaluation(P, R, pi, gamma):
    P_pi, r_pi = _p_pi_r_pi(P, R, pi)
    n = P_pi.shape[0]
    M = torch.eye(n, dtype=P_pi.dtype, device=P_pi.device) - gamma * P_pi
    return _lu_solve(M, r_pi)


def q_from_v(P, R, V, gamma):
    expected_reward = (P * R).sum(dim=-1)
    return expected_reward + gamma * torch.matmul(P, V)


def value_iteration(P, R, gamma, tol=1e-10, max_iter=10_000):
    V = P.new_zeros(P.shape[0])
    it = 0
    while it < max_iter:
        it += 1
        V_next = q_from_v(P, R, V, gamma).amax(dim=1)
        change = (V_next - V).abs().max().item()
        V = V_next
        if change < tol:
            break
    Q = q_from_v(P, R, V, gamma)
    return V, Q, torch.argmax(Q, dim=1)


def q_learning_update(Q, s, a, r, s_next, done, alpha, gamma):
    bootstrap = 0.0 if done else gamma * Q[s_next].max().item()
    out = Q.detach().clone()
    out[s, a] = (1.0 - alpha) * Q[s, a] + alpha * (r + bootstrap)
    return out


def q_learning(P, R, gamma, alpha, epsilon, n_steps, generator, start_state, terminal=None):
    n_s, n_a = P.shape[0], P.shape[1]
    Q = torch.zeros(n_s, n_a, dtype=torch.float64, device=P.device)
    actions = torch.arange(n_a, device=P.device)
    state = start_state
    for _ in range(n_steps):
        u = torch.rand(2, generator=generator, dtype=torch.float64, device=P.device)
        greedy = torch.argmax(Q[state])
        probs = torch.where(
            actions == greedy,
            torch.tensor(epsilon / n_a + (1.0 - epsilon), dtype=torch.float64, device=P.device),
            torch.tensor(epsilon / n_a, dtype=torch.float64, device=P.device),
        )
        action = sample_index(probs, u[0])
        nxt = sample_index(P[state, action], u[1])
        ended = False if terminal is None else bool(terminal[nxt].item())
        Q = q_learning_update(
            Q, state, action, R[state, action, nxt].item(), nxt, ended, alpha, gamma
        )
        state = start_state if ended else nxt
    return Q


def softmax_policy(theta):
    return torch.exp(theta - torch.logsumexp(theta, dim=1, keepdim=True))


def expected_return(theta, P, R, rho0, gamma):
    V = policy_evaluation(P, R, softmax_policy(theta), gamma)
    return (rho0 * V).sum()


def exact_policy_gradient(theta, P, R, rho0, gamma):
    pi = softmax_policy(theta)
    P_pi, r_pi = _p_pi_r_pi(P, R, pi)
    n = P_pi.shape[0]
    M = torch.eye(n, dtype=P_pi.dtype, device=P_pi.device) - gamma * P_pi
    V = _lu_solve(M, r_pi)
    visits = _lu_solve(M.transpose(0, 1).contiguous(), rho0)
    advantage = q_from_v(P, R, V, gamma) - V.unsqueeze(1)
    return visits.unsqueeze(1) * (pi * advantage)


def sample_episodes(theta, P, R, rho0, max_len, n_episodes, generator, terminal):
    pi = softmax_policy(theta.detach())
    kw = {"generator": generator, "dtype": torch.float64, "device": P.device}
    out = []
    for _ in range(n_episodes):
        state = sample_index(rho0, torch.rand(1, **kw))
        steps = []
        for _t in range(max_len):
            if terminal[state]:
                break
            u = torch.rand(2, **kw)
            action = sample_index(pi[state], u[0])
            nxt = sample_index(P[state, action], u[1])
            steps.append((state, action, R[state, action, nxt].item()))
            state = nxt
        out.append(steps)
    return out


def reinforce_gradient(theta, episodes, gamma, baseline=None):
    pi = softmax_policy(theta.detach())
    S, A = pi.shape
    total = torch.zeros(S, A, dtype=torch.float64, device=pi.device)
    for ep in episodes:
        T = len(ep)
        if T == 0:
            continue
        states = torch.tensor([s for s, _, _ in ep], dtype=torch.int64, device=pi.device)
        acts = torch.tensor([a for _, a, _ in ep], dtype=torch.int64, device=pi.device)
        rewards = torch.tensor([r for _, _, r in ep], dtype=torch.float64, device=pi.device)
        t = torch.arange(T, dtype=torch.float64, device=pi.device)
        lag = t[None, :] - t[:, None]  # k − t
        discount = torch.where(lag >= 0, gamma ** lag.clamp_min(0), torch.zeros_like(lag))
        to_go = discount @ rewards  # G_t = Σ_{k ≥ t} γ^{k−t} r_k
        if baseline is not None:
            to_go = to_go - baseline.to(torch.float64)[states]
        weight = gamma**t * to_go
        score = torch.nn.functional.one_hot(acts, A).to(torch.float64) - pi[states]
        total.index_add_(0, states, weight[:, None] * score)
    return total / len(episodes)


def ppo_clip_objective(logp_new, logp_old, adv, eps):
    rho = (logp_new - logp_old).exp()
    capped = torch.where(adv >= 0, rho.clamp(max=1.0 + eps), rho.clamp(min=1.0 - eps))
    return (adv * capped).mean()


def grpo_advantages(rewards):
    return rewards - rewards.sum() / rewards.numel()


def dpo_loss(logp_w, logp_l, ref_logp_w, ref_logp_l, beta):
    z = beta * ((logp_w - logp_l) - (ref_logp_w - ref_logp_l))
    return torch.logaddexp(torch.zeros_like(z), -z).mean()


def plot_grid_q(Q_by_gamma):
    keys = sorted(Q_by_gamma.keys())
    fig = plt.figure(figsize=(4 * len(keys), 3))
    for i, gamma in enumerate(keys):
        ax = fig.add_subplot(1, len(keys), i + 1)
        Q = Q_by_gamma[gamma].detach().cpu().numpy()
        x = list(range(Q.shape[0]))
        ax.plot(x, Q[:, 0], label="left")
        ax.plot(x, Q[:, 1], label="right")
        ax.set_title(f"gamma = {gamma}")
        ax.set_xlabel("state")
        ax.set_ylabel("Q*")
        ax.legend()
    return fig


def plot_learning_curves(returns):
    fig = plt.figure(figsize=(6, 4))
    ax = fig.add_subplot(1, 1, 1)
    for name, runs in returns.items():
        runs = runs.detach().cpu().to(torch.float64)
        n = runs.shape[0]
        mean = runs.sum(dim=0) / n
        std = runs.std(dim=0)
        episodes = torch.arange(1, runs.shape[1] + 1).tolist()
        ax.plot(episodes, mean.tolist(), label=name)
        ax.fill_between(episodes, (mean - std).tolist(), (mean + std).tolist(), alpha=0.25)
    ax.set_xlabel("training episode")
    ax.set_ylabel("discounted return")
    ax.legend()
    return fig
