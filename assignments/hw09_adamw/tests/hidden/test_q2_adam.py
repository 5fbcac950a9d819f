import torch

from autograder.testing import T1, T2, assignment_helpers, probe

helpers = assignment_helpers(__file__)


@probe
def closure_trajectory(ns, cls_name, P, groups, ctor, steps):
    return helpers.closure_trajectory(ns, cls_name, P, groups, ctor, steps)


@probe
def fed_trajectory(ns, cls_name, W0, b0, GW, Gb, none_every, groups, ctor):
    return helpers.fed_trajectory(ns, cls_name, W0, b0, GW, Gb, none_every, groups, ctor)


@probe
def resume(ns, cls_name, W0, b0, GW, Gb, groups, k):
    return helpers.resume(ns, cls_name, W0, b0, GW, Gb, groups, k)


@probe
def bias_correction(ns, m, v, beta1, beta2, t):
    torch.set_num_threads(1)
    m_hat, v_hat = ns.bias_corrected(m, v, beta1, beta2, t)
    return {"m_hat": m_hat, "v_hat": v_hat}


@probe
def constant_gradient(ns, w0, g, betas, steps):
    torch.set_num_threads(1)
    w = w0.clone().requires_grad_(True)
    o = ns.Adam([w], lr=1e-3, betas=tuple(betas))
    out = []
    for t in range(1, steps + 1):
        w.grad = g.clone()
        o.step()
        out.append(o.state[w]["exp_avg"] / (1 - betas[0] ** t))
    return torch.stack(out)


@probe
def first_step(ns, w0, g, lr, eps):
    torch.set_num_threads(1)
    w = w0.clone().requires_grad_(True)
    o = ns.Adam([w], lr=lr, eps=eps)
    w.grad = g.clone()
    o.step()
    return w.detach() - w0


# (betas, eps, weight decay): every value of each grid appears in some case
ADAM_SETTINGS = [
    ((0.9, 0.999), 1e-8, 0.1),
    ((0.5, 0.9), 1e-3, 0.0),
    ((0.0, 0.99), 1e-8, 0.0),
    ((0.5, 0.9), 1e-8, 0.1),
    ((0.0, 0.99), 1e-3, 0.1),
]


def test_q2_bias_corrected(grade):
    for i, gen in grade.cases(3):
        shape = (int(torch.randint(1, 5, (1,), generator=gen)), 3)
        m = torch.randn(shape, generator=gen, dtype=torch.float64)
        v = torch.rand(shape, generator=gen, dtype=torch.float64)
        beta1, beta2 = [(0.9, 0.999), (0.5, 0.9), (0.0, 0.99)][i]
        t = int(torch.randint(1, 50, (1,), generator=gen))
        grade.compare(
            bias_correction,
            m,
            v,
            beta1,
            beta2,
            t,
            case=f"shape {shape}, betas ({beta1}, {beta2}), t = {t}",
            **T1,
        )


def test_q2_matches_reference_on_a_loss(grade):
    for i, gen in grade.cases(len(ADAM_SETTINGS)):
        betas, eps, wd = ADAM_SETTINGS[i]
        lr0, lr1 = helpers.lr(gen, -2.5, -1.0), helpers.lr(gen, -2.5, -1.0)
        groups = [{"lr": lr0, "weight_decay": wd}, {"lr": lr1, "betas": (0.9, 0.99)}]
        ctor = {"betas": betas, "eps": eps, "weight_decay": 0.5 * wd}
        grade.compare(
            closure_trajectory,
            "Adam",
            helpers.problem(gen),
            groups,
            ctor,
            20,
            case=f"20 steps with a closure, groups {groups}, {ctor} (case {i})",
            **T2,
        )
    gen = torch.Generator().manual_seed(19)
    grade.compare(
        closure_trajectory,
        "Adam",
        helpers.problem(gen),
        [{}, {"lr": 0.01}],
        {},
        20,
        case="torch's defaults (lr 1e-3, betas (0.9, 0.999), eps 1e-8) in group 0, lr 0.01 in group 1",
        **T2,
    )


def test_q2_matches_reference_with_fed_gradients(grade):
    for i, gen in grade.cases(2):
        scales = 10.0 ** torch.randint(-2, 3, (3,), generator=gen).double()
        GW = torch.randn(40, 5, 3, generator=gen, dtype=torch.float64) * scales
        Gb = torch.randn(40, 4, generator=gen, dtype=torch.float64)
        groups = [
            {"lr": helpers.lr(gen, -2.5, -1.0)},
            {"lr": helpers.lr(gen, -2.5, -1.0), "betas": (0.0, 0.99)},
        ]
        grade.compare(
            fed_trajectory,
            "Adam",
            torch.randn(5, 3, generator=gen, dtype=torch.float64),
            torch.randn(4, generator=gen, dtype=torch.float64),
            GW,
            Gb,
            3,
            groups,
            {"weight_decay": 0.1 * i},
            case=f"40 fed gradients, b has none every 3rd step (its own step count), groups {groups} (case {i})",
            **T2,
        )
    # λ = 1 exactly: the L2 term is added to the gradient for every λ ≠ 0, 1 included
    _, gen = list(grade.cases(3))[-1]
    grade.compare(
        fed_trajectory,
        "Adam",
        torch.randn(5, 3, generator=gen, dtype=torch.float64),
        torch.randn(4, generator=gen, dtype=torch.float64),
        torch.randn(40, 5, 3, generator=gen, dtype=torch.float64),
        torch.randn(40, 4, generator=gen, dtype=torch.float64),
        3,
        [{"lr": 0.02}, {"lr": 0.05, "weight_decay": 0.0}],
        {"weight_decay": 1.0},
        case="40 fed gradients, weight_decay = 1 (λw added to the gradient) in group 0, "
        "0 in group 1",
        **T2,
    )


def test_q2_properties(grade):
    gen = next(grade.cases(1))[1]
    g = torch.randn(4, generator=gen, dtype=torch.float64)
    for betas in ((0.9, 0.999), (0.5, 0.9)):
        case = f"constant gradient, betas {betas}: exp_avg / (1 − β₁^t) = g at every step"
        got = grade.run(
            constant_gradient, torch.zeros(4, dtype=torch.float64), g, betas, 20, case=case
        )
        if got is not None:
            ok = isinstance(got, torch.Tensor) and got.shape == (20, 4)
            ok = ok and torch.allclose(got, g.expand(20, 4), rtol=1e-10, atol=1e-12)
            grade.check(ok, case=case, message="exp_avg / (1 − β₁^t) drifted from g")

    g = torch.tensor([3.0, -1e-3, 0.5, -40.0], dtype=torch.float64)
    case = "the first step moves each coordinate by −lr·g/(|g| + ε) (≈ −lr·sign g)"
    got = grade.run(
        first_step, torch.randn(4, generator=gen, dtype=torch.float64), g, 0.1, 1e-8, case=case
    )
    if got is not None:
        expected = -0.1 * g / (g.abs() + 1e-8)
        ok = isinstance(got, torch.Tensor) and torch.allclose(got, expected, rtol=1e-10, atol=1e-12)
        grade.check(ok, case=case, message=f"moved by {got}, expected {expected}")

    W0 = torch.randn(5, 3, generator=gen, dtype=torch.float64)
    b0 = torch.randn(4, generator=gen, dtype=torch.float64)
    GW = torch.randn(20, 5, 3, generator=gen, dtype=torch.float64)
    Gb = torch.randn(20, 4, generator=gen, dtype=torch.float64)
    groups = [{"lr": 0.05, "betas": (0.5, 0.9)}, {"lr": 0.02, "weight_decay": 0.1}]
    case = "state_dict / load_state_dict after 8 steps continues the same trajectory"
    # the resumed run must continue the uninterrupted one, and that one must be the
    # reference's (an optimiser that never moves would resume perfectly)
    got, ref = grade.run_and_reference(resume, "Adam", W0, b0, GW, Gb, groups, 8, case=case)
    if got is not None:
        a = got.get("uninterrupted") if isinstance(got, dict) else None
        b = got.get("resumed") if isinstance(got, dict) else None
        right = helpers.close(a, ref["uninterrupted"], T2)
        resumes = right and helpers.close(b, a, {"rtol": 1e-10, "atol": 1e-12})
        grade.check(
            resumes,
            case=case,
            message="the resumed run left the uninterrupted one"
            if right
            else "the uninterrupted run is not the expected trajectory (see the trajectory cases)",
        )
