import torch

from autograder.testing import T0, T1, Tolerance, compare, probe

F64 = torch.float64


@probe
def policy(ns, theta):
    return ns.softmax_policy(theta)


# expected_return and exact_policy_gradient call q1's policy_evaluation and q_from_v by
# design. So that a q1 bug is charged on q1 alone, the probes below swap them, in the
# notebook's namespace and for the duration of the call, for the reference's values on
# this MDP (values, not code): V^π and its Jacobian in π at the reference's π_θ (so that
# autograd still differentiates J through π_θ), and Q(V) = Q0 + M V, affine in V. Calls
# on other inputs go to the notebook's own functions.
@probe
def q1_values(ns, theta, P, R, gamma):
    pi0 = ns.softmax_policy(theta)
    V0 = ns.policy_evaluation(P, R, pi0, gamma)
    J = torch.autograd.functional.jacobian(lambda pi: ns.policy_evaluation(P, R, pi, gamma), pi0)
    S = P.shape[0]
    Q0 = ns.q_from_v(P, R, torch.zeros(S, dtype=P.dtype), gamma)
    M = torch.stack(
        [ns.q_from_v(P, R, torch.eye(S, dtype=P.dtype)[j], gamma) - Q0 for j in range(S)], -1
    )
    return [pi0, V0, J, Q0, M]


@probe
def ret_and_grad(ns, theta, P, R, rho0, gamma, q1):
    torch.set_num_threads(1)
    scope = getattr(ns.expected_return, "__globals__", None)
    scope = scope if isinstance(scope, dict) else {}
    own = {k: scope.get(k) for k in ("policy_evaluation", "q_from_v")}
    pi0, V0, J, Q0, M = q1

    def same(P_, R_, gamma_):
        return (
            isinstance(P_, torch.Tensor)
            and isinstance(R_, torch.Tensor)
            and P_.shape == P.shape
            and R_.shape == R.shape
            and float(gamma_) == float(gamma)
            and torch.equal(P_.detach(), P)
            and torch.equal(R_.detach(), R)
        )

    def policy_evaluation(P_, R_, pi_, gamma_):
        near = (
            same(P_, R_, gamma_)
            and isinstance(pi_, torch.Tensor)
            and pi_.shape == pi0.shape
            and float((pi_.detach() - pi0).abs().max()) < 1e-9
        )
        if not near:
            return own["policy_evaluation"](P_, R_, pi_, gamma_)
        # V^π to first order around the reference's π: exact at π = π0, and differentiable
        return V0 + torch.einsum("tsa,sa->t", J, pi_ - pi0)

    def q_from_v(P_, R_, V_, gamma_):
        if not same(P_, R_, gamma_):
            return own["q_from_v"](P_, R_, V_, gamma_)
        return Q0 + torch.einsum("sat,t->sa", M, V_)

    for k, f in (("policy_evaluation", policy_evaluation), ("q_from_v", q_from_v)):
        if own[k] is not None:
            scope[k] = f
    try:
        th = theta.clone().requires_grad_(True)
        J_theta = ns.expected_return(th, P, R, rho0, gamma)
        (g,) = torch.autograd.grad(J_theta, th)
    finally:
        for k, f in own.items():
            if f is not None:
                scope[k] = f
    return {"J": J_theta.detach(), "autograd": g}


@probe
def exact(ns, theta, P, R, rho0, gamma, q1):
    torch.set_num_threads(1)
    scope = getattr(ns.exact_policy_gradient, "__globals__", None)
    scope = scope if isinstance(scope, dict) else {}
    own = {k: scope.get(k) for k in ("policy_evaluation", "q_from_v")}
    pi0, V0, J, Q0, M = q1

    def same(P_, R_, gamma_):
        return (
            isinstance(P_, torch.Tensor)
            and isinstance(R_, torch.Tensor)
            and P_.shape == P.shape
            and R_.shape == R.shape
            and float(gamma_) == float(gamma)
            and torch.equal(P_.detach(), P)
            and torch.equal(R_.detach(), R)
        )

    def policy_evaluation(P_, R_, pi_, gamma_):
        near = (
            same(P_, R_, gamma_)
            and isinstance(pi_, torch.Tensor)
            and pi_.shape == pi0.shape
            and float((pi_.detach() - pi0).abs().max()) < 1e-9
        )
        if not near:
            return own["policy_evaluation"](P_, R_, pi_, gamma_)
        # V^π to first order around the reference's π: exact at π = π0, and differentiable
        return V0 + torch.einsum("tsa,sa->t", J, pi_ - pi0)

    def q_from_v(P_, R_, V_, gamma_):
        if not same(P_, R_, gamma_):
            return own["q_from_v"](P_, R_, V_, gamma_)
        return Q0 + torch.einsum("sat,t->sa", M, V_)

    for k, f in (("policy_evaluation", policy_evaluation), ("q_from_v", q_from_v)):
        if own[k] is not None:
            scope[k] = f
    try:
        return ns.exact_policy_gradient(theta, P, R, rho0, gamma)
    finally:
        for k, f in own.items():
            if f is not None:
                scope[k] = f


@probe
def episodes(ns, theta, P, R, rho0, n, seed, terminal, max_len=50):
    g = torch.Generator().manual_seed(seed)
    eps = ns.sample_episodes(theta, P, R, rho0, max_len, n, g, terminal)
    return [[[int(s), int(a), float(r)] for s, a, r in ep] for ep in eps]


@probe
def reinforce(ns, theta, eps, gamma, baseline):
    torch.set_num_threads(1)
    eps = [[(int(s), int(a), float(r)) for s, a, r in ep] for ep in eps]
    return ns.reinforce_gradient(theta, eps, gamma, baseline)


@probe
def mc_mean(ns, theta, P, R, rho0, gamma, terminal, n, baseline):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    eps = ns.sample_episodes(theta, P, R, rho0, 50, n, g, terminal)
    # every estimate: their mean and standard error are computed on the trusted side
    return torch.stack([ns.reinforce_gradient(theta, [e], gamma, baseline) for e in eps])


def _episodic(gen, S=4, A=2):
    """A random MDP whose last state is an absorbing, zero-reward terminal; every step ends
    the episode with probability ≥ 0.3, so the 50-step cap is hit with probability < 1e-7."""
    P = torch.rand(S, A, S, generator=gen, dtype=F64)
    P[:, :, S - 1] = 0.0
    P = 0.7 * P / P.sum(-1, keepdim=True)
    P[:, :, S - 1] += 0.3
    P[S - 1] = 0.0
    P[S - 1, :, S - 1] = 1.0
    R = torch.randn(S, A, S, generator=gen, dtype=F64)
    R[S - 1] = 0.0
    rho0 = torch.rand(S, generator=gen, dtype=F64)
    rho0[S - 1] = 0.0
    terminal = torch.zeros(S, dtype=torch.bool)
    terminal[S - 1] = True
    return P, R, rho0 / rho0.sum(), terminal


def test_q4_softmax(grade):
    for i, gen in grade.cases(3):
        theta = 3 * torch.randn(3 + i, 2 + i % 2, generator=gen, dtype=F64)
        grade.compare(policy, theta, case=f"random logits {tuple(theta.shape)} (case {i})", **T1)
    big = torch.tensor([[1000.0, 0.0, -1000.0], [-800.0, -800.0, -801.0]], dtype=F64)
    grade.compare(policy, big, case="logits of ±1000 (needs the max-subtraction trick)", **T1)


@probe
def q1_functions(ns, P, R, pi, gamma):
    # q1's answers on one input, for the note below: a failure is a value here, not a case
    try:
        V = ns.policy_evaluation(P, R, pi, gamma)
        return {"V": V, "Q": ns.q_from_v(P, R, V, gamma)}
    except Exception as exc:
        return f"raised {type(exc).__name__}"


def _q1_note(grade, P, R, gamma):
    """Where q1 fails, a note for the cases whose functions use it (by design, J = ρ₀ᵀV^π
    and the exact gradient go through policy_evaluation and q_from_v)."""
    pi = torch.full(P.shape[:2], 1.0 / P.shape[1], dtype=F64)
    mine, ref = grade.run_and_reference(
        q1_functions, P, R, pi, gamma, case="q1's functions, which this question uses"
    )
    if mine is not None and compare(ref, mine, Tolerance(**T1)) is None:
        return ""
    return (
        " (note: q1 fails and this question uses it, through policy_evaluation and "
        "q_from_v: fix q1 first)"
    )


def test_q4_expected_return_and_exact_gradient(grade):
    P, R, _, _ = _episodic(torch.Generator().manual_seed(0))
    note = _q1_note(grade, P, R, 0.9)
    for i, gen in grade.cases(4):
        P, R, rho0, _ = _episodic(gen, S=3 + i % 3, A=2 + i % 2)
        theta = torch.randn(P.shape[:2], generator=gen, dtype=F64)
        q1 = grade.reference(q1_values, theta, P, R, 0.9)
        case = f"random MDP S={P.shape[0]}, A={P.shape[1]}, γ=0.9 (case {i})"
        ok = grade.compare(
            ret_and_grad,
            theta,
            P,
            R,
            rho0,
            0.9,
            q1,
            case=case + ": J and its autograd gradient",
            allow=("torch.autograd.*",),
            **T1,
        )
        if not ok:
            grade.records[-1].message += note
        ok = grade.compare(
            exact, theta, P, R, rho0, 0.9, q1, case=case + ": exact_policy_gradient", **T1
        )
        if not ok:
            grade.records[-1].message += note


def test_q4_sample_episodes(grade):
    for i, gen in grade.cases(3):
        P, R, rho0, terminal = _episodic(gen)
        theta = torch.randn(P.shape[:2], generator=gen, dtype=F64)
        seed = int(torch.randint(0, 10_000, (1,), generator=gen))
        grade.compare(
            episodes,
            theta,
            P,
            R,
            rho0,
            8,
            seed,
            terminal,
            case=f"8 episodes, seed {seed}, pinned draws (case {i})",
            **T0,
        )
    # max_len = 1: every episode that does not start at the terminal stops after one step
    grade.compare(
        episodes,
        theta,
        P,
        R,
        rho0,
        10,
        seed,
        terminal,
        1,
        case=f"10 episodes of at most 1 step, seed {seed}",
        **T0,
    )


def test_q4_reinforce_fixed_episodes(grade):
    for i, gen in grade.cases(4):
        P, R, rho0, terminal = _episodic(gen)
        theta = torch.randn(P.shape[:2], generator=gen, dtype=F64)
        eps = grade.reference(episodes, theta, P, R, rho0, 6, i, terminal)
        baseline = torch.randn(P.shape[0], generator=gen, dtype=F64) if i % 2 else None
        gamma = (0.9, 0.5, 0.99, 0.7)[i]
        case = f"6 fixed episodes, γ={gamma}, baseline={'random b(s)' if baseline is not None else 'None'} (case {i})"
        grade.compare(reinforce, theta, eps, gamma, baseline, case=case, **T1)
    eps = [[[0, 1, 1.0], [1, 0, 2.0]]]
    theta = torch.zeros(2, 2, dtype=F64)
    grade.compare(
        reinforce,
        theta,
        eps,
        0.5,
        None,
        case="one episode (0,1,r=1), (1,0,r=2), γ = 0.5: the γ^t factor",
        **T1,
    )


def test_q4_reinforce_is_unbiased(grade):
    gen = torch.Generator().manual_seed(13)
    P, R, rho0, terminal = _episodic(gen)
    theta = torch.randn(P.shape[:2], generator=gen, dtype=F64)
    # γ = 0.5: dropping γ^t (the notes' slip) is then ≈ 10 standard errors off
    q1 = grade.reference(q1_values, theta, P, R, 0.5)
    true = grade.reference(exact, theta, P, R, rho0, 0.5, q1)
    for label, baseline in (
        ("no baseline", None),
        ("baseline 0.5", torch.full((4,), 0.5, dtype=F64)),
    ):
        case = f"property (T3): mean of 1500 REINFORCE estimates within 5 standard errors of the exact gradient, γ = 0.5, {label}"
        per = grade.run(mc_mean, theta, P, R, rho0, 0.5, terminal, 1500, baseline, case=case)
        if per is None:
            continue
        if not (isinstance(per, torch.Tensor) and per.shape == (1500, *true.shape)):
            grade.check(
                False,
                case=case,
                message=f"expected 1500 gradient estimates of shape {tuple(true.shape)} each",
            )
            continue
        got = {"mean": per.mean(0), "se": per.std(0) / 1500**0.5}
        # float64 and pinned draws: the reference gives max |z| = 1.83 (no baseline) and 1.61
        # (baseline 0.5) under all 16 CPU settings; without γ^t it is ≈ 10
        z = ((got["mean"] - true).abs() / got["se"].clamp_min(1e-12))[:3]
        grade.check(
            bool(z.max() < 5),
            case=case,
            message=f"max |z| = {float(z.max()):.1f} (is the γ^t factor there?); mean {got['mean'][:3].tolist()}, exact {true[:3].tolist()}",
        )
