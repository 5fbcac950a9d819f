import torch

from autograder.testing import T1, probe

F64 = torch.float64


@probe
def update(ns, Q, s, a, r, s_next, done, alpha, gamma):
    new = ns.q_learning_update(Q, s, a, r, s_next, done, alpha, gamma)
    # the input table as the call left it: compared here with the reference's, which does
    # not modify it
    return {"new": new, "Q after the call (unchanged)": Q}


@probe
def learn(ns, P, R, gamma, alpha, epsilon, n_steps, seed, start, terminal):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    return ns.q_learning(P, R, gamma, alpha, epsilon, n_steps, g, start, terminal)


@probe
def learn_run(ns, P, R, gamma, alpha, epsilon, n_steps, seed, start, terminal):
    # wrapped, so that an answer of None is a value the test sees, not a missing case
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    return {"Q": ns.q_learning(P, R, gamma, alpha, epsilon, n_steps, g, start, terminal)}


def _mdp(gen, S, A):
    P = torch.rand(S, A, S, generator=gen, dtype=F64) ** 2
    P = P / P.sum(-1, keepdim=True)
    return P, torch.randn(S, A, S, generator=gen, dtype=F64)


def test_q3_update(grade):
    for i, gen in grade.cases(5):
        S, A = 4, 3
        Q = torch.randn(S, A, generator=gen, dtype=F64)
        s, a, s2 = (int(torch.randint(0, n, (1,), generator=gen)) for n in (S, A, S))
        r = float(torch.randn(1, generator=gen, dtype=F64))
        done = i in (2, 4)
        case = f"s={s}, a={a}, r={r:.3f}, s′={s2}, done={done}, α=0.3, γ=0.9 (case {i})"
        grade.compare(update, Q, s, a, r, s2, done, 0.3, 0.9, case=case, **T1)
    Q = torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=F64)
    grade.compare(
        update,
        Q,
        0,
        0,
        1.0,
        1,
        False,
        0.5,
        0.9,
        case="Q(0,0) ← 0 + 0.5(1 + 0.9·3 − 0) = 1.85",
        **T1,
    )


def test_q3_learning_runs(grade):
    for i, gen in grade.cases(4):
        P, R = _mdp(gen, 4, 2)
        terminal = None
        if i % 2 == 1:  # an absorbing terminal state: episodes restart from the start state
            P[3] = 0.0
            P[3, :, 3] = 1.0
            terminal = torch.tensor([False, False, False, True])
        seed = int(torch.randint(0, 10_000, (1,), generator=gen))
        eps = (0.1, 0.5, 1.0, 0.3)[i]
        case = f"200 steps on a random 4-state MDP, ε={eps}, seed={seed}, terminal={terminal is not None} (case {i})"
        grade.compare(learn, P, R, 0.9, 0.2, eps, 200, seed, 0, terminal, case=case, **T1)


def test_q3_grid_world_converges(grade):
    # deterministic grid: with enough exploration Q-learning reaches Q* exactly
    n = 5
    P = torch.zeros(n, 2, n, dtype=F64)
    R = torch.zeros(n, 2, n, dtype=F64)
    for s in range(n - 1):
        P[s, 0, max(s - 1, 0)] = 1.0
        P[s, 1, s + 1] = 1.0
    R[n - 2, 1, n - 1] = 1.0
    P[n - 1, :, n - 1] = 1.0
    terminal = torch.tensor([False] * (n - 1) + [True])
    case = "grid world (5 states), 2000 steps, ε = 0.5: greedy policy = right everywhere"
    got = grade.run(learn_run, P, R, 0.9, 0.5, 0.5, 2000, 0, 0, terminal, case=case)
    if got is not None:
        got = got["Q"]
        greedy = got[: n - 1].argmax(1).tolist() if isinstance(got, torch.Tensor) else None
        grade.check(
            greedy == [1] * (n - 1),
            case=case,
            message=f"greedy actions {greedy}, expected all 1 (right)",
        )
