import torch

from autograder.testing import T1, probe

F64 = torch.float64


@probe
def evaluate(ns, P, R, pi, gamma):
    torch.set_num_threads(1)
    V = ns.policy_evaluation(P, R, pi, gamma)
    return {"V": V, "Q": ns.q_from_v(P, R, V, gamma)}


@probe
def q_of(ns, P, R, V, gamma):
    torch.set_num_threads(1)
    return ns.q_from_v(P, R, V, gamma)


def _mdp(gen):
    S = int(torch.randint(2, 6, (1,), generator=gen))
    A = int(torch.randint(2, 4, (1,), generator=gen))
    P = torch.rand(S, A, S, generator=gen, dtype=F64) ** 2
    P = P / P.sum(-1, keepdim=True)
    R = torch.randn(S, A, S, generator=gen, dtype=F64)
    pi = torch.rand(S, A, generator=gen, dtype=F64)
    return P, R, pi / pi.sum(-1, keepdim=True)


def test_q1_random_mdps(grade):
    for i, gen in grade.cases(5):
        P, R, pi = _mdp(gen)
        gamma = round(0.5 + 0.45 * float(torch.rand(1, generator=gen)), 3)
        S, A = pi.shape
        grade.compare(
            evaluate, P, R, pi, gamma, case=f"random MDP S={S}, A={A}, γ={gamma} (case {i})", **T1
        )


def test_q1_q_from_any_v(grade):
    for i, gen in grade.cases(3):
        P, R, _ = _mdp(gen)
        V = torch.randn(P.shape[0], generator=gen, dtype=F64)
        grade.compare(
            q_of, P, R, V, 0.7, case=f"Q from an arbitrary V, S={P.shape[0]} (case {i})", **T1
        )


def test_q1_grid_world_lecture_case(grade):
    # the notes' grid: 6 states, the goal absorbing; the uniform policy and "always right"
    n = 6
    P = torch.zeros(n, 2, n, dtype=F64)
    R = torch.zeros(n, 2, n, dtype=F64)
    for s in range(n - 1):
        P[s, 0, max(s - 1, 0)] = 1.0
        P[s, 1, s + 1] = 1.0
    R[n - 2, 1, n - 1] = 1.0
    P[n - 1, :, n - 1] = 1.0
    uniform = torch.full((n, 2), 0.5, dtype=F64)
    right = torch.tensor([[0.0, 1.0]] * n, dtype=F64)
    grade.compare(evaluate, P, R, uniform, 0.9, case="grid world, uniform policy, γ = 0.9", **T1)
    grade.compare(
        evaluate, P, R, right, 0.5, case="grid world, always right, γ = 0.5: V = 0.5^(4−s)", **T1
    )


def test_q1_bellman_properties(grade):
    for i, gen in grade.cases(3):
        P, R, pi = _mdp(gen)
        case = f"property: V = Σ_a π Q and the Bellman residual < 1e-12 (case {i})"
        got = grade.run(evaluate, P, R, pi, 0.8, case=case)
        if got is None:
            continue
        V, Q = got["V"], got["Q"]
        ok = isinstance(V, torch.Tensor) and isinstance(Q, torch.Tensor) and Q.shape == pi.shape
        if ok:
            # both checks computed here from the probe's output, with the true P, R, π
            backup = torch.einsum("sa,sat,sat->s", pi, P, R + 0.8 * V[None, None, :])
            residual = float((V - backup).abs().max())
            consistency = float((V - (pi * Q).sum(1)).abs().max())
            # float64 solves of S <= 5 systems with cond <= (1 + γ)/(1 − γ) = 9: the
            # reference's residuals are <= 4.4e-16 here under all 16 CPU settings, and
            # <= 1.8e-15 over 500 other draws of the inputs
            ok = residual < 1e-12 and consistency < 1e-12
            msg = f"Bellman residual {residual:.2e}, |V − Σ_a πQ| = {consistency:.2e}"
        else:
            msg = "V must be a (S,) tensor and Q a (S, A) tensor"
        grade.check(ok, case=case, message=msg)
