import torch

from autograder.testing import T2, assignment_helpers, probe

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
def path_without_decay(ns, cls_name, P, lr, betas, steps):
    torch.set_num_threads(1)
    W = P["W0"].clone().requires_grad_(True)
    b = P["b0"].clone().requires_grad_(True)
    o = getattr(ns, cls_name)([W, b], lr=lr, betas=tuple(betas), weight_decay=0.0)

    def closure():
        o.zero_grad()
        f = (
            0.5 * (P["H"] * (W - P["C"]) ** 2).sum()
            + torch.log(torch.cosh(b - P["d"])).sum()
            + 0.5 * torch.tanh(W[:4, 0] * b).sum()
        )
        f.backward()
        return f

    path = []
    for _ in range(steps):
        o.step(closure)
        path.append(torch.cat([W.detach().flatten(), b.detach()]))
    return torch.stack(path)


@probe
def zero_gradient_decay(ns, w0, u0, lr, wd, steps):
    torch.set_num_threads(1)
    w = w0.clone().requires_grad_(True)
    u = u0.clone().requires_grad_(True)
    o = ns.AdamW([{"params": [w]}, {"params": [u], "weight_decay": 0.0}], lr=lr, weight_decay=wd)
    ws = [w.detach().clone()]
    for _ in range(steps):
        w.grad = torch.zeros_like(w)
        u.grad = torch.zeros_like(u)
        o.step()
        ws.append(w.detach().clone())
    # u as it is after the steps: the test compares it with what it sent
    return {"w": torch.stack(ws), "u after": u.detach().clone()}


# AdamW uses q2's bias_corrected by design (m̂, v̂ "as in Adam"): while AdamW runs,
# bias_corrected answers the calls the reference's AdamW makes with the reference's values,
# so a q2 bug costs q2 only.
def _with_q2(grade, probe_, *args):
    """``probe_`` with q2's bias_corrected replayed, and its arguments (replay first)."""
    return grade.replaying(probe_), grade.reference_calls(probe_, ("bias_corrected",), *args), *args


# (betas, eps, weight decay)
ADAMW_SETTINGS = [
    ((0.9, 0.999), 1e-8, 0.1),
    ((0.5, 0.9), 1e-3, 1.0),
    ((0.0, 0.99), 1e-8, 0.5),
    ((0.9, 0.999), 1e-3, 0.0),
    ((0.5, 0.9), 1e-8, 0.1),
]


def test_q3_matches_reference_on_a_loss(grade):
    for i, gen in grade.cases(len(ADAMW_SETTINGS)):
        betas, eps, wd = ADAMW_SETTINGS[i]
        lr0, lr1 = helpers.lr(gen, -2.5, -1.0), helpers.lr(gen, -2.5, -1.0)
        # group 1 overrides the decay: per-group hyperparameters must be read from the group
        groups = [{"lr": lr0}, {"lr": lr1, "weight_decay": 0.3 if i % 2 else 0.0}]
        ctor = {"betas": betas, "eps": eps, "weight_decay": wd}
        grade.compare(
            *_with_q2(grade, closure_trajectory, "AdamW", helpers.problem(gen), groups, ctor, 20),
            case=f"20 steps with a closure, groups {groups}, {ctor} (case {i})",
            **T2,
        )
    gen = torch.Generator().manual_seed(29)
    grade.compare(
        *_with_q2(
            grade, closure_trajectory, "AdamW", helpers.problem(gen), [{}, {"lr": 0.01}], {}, 20
        ),
        case="torch's defaults (lr 1e-3, weight_decay 1e-2) in group 0, lr 0.01 in group 1",
        **T2,
    )


def test_q3_matches_reference_with_fed_gradients(grade):
    for i, gen in grade.cases(2):
        scales = 10.0 ** torch.randint(-2, 3, (3,), generator=gen).double()
        GW = torch.randn(40, 5, 3, generator=gen, dtype=torch.float64) * scales
        Gb = torch.randn(40, 4, generator=gen, dtype=torch.float64)
        groups = [
            {"lr": helpers.lr(gen, -2.5, -1.0)},
            {"lr": helpers.lr(gen, -2.5, -1.0), "betas": (0.0, 0.99)},
        ]
        W0 = torch.randn(5, 3, generator=gen, dtype=torch.float64)
        b0 = torch.randn(4, generator=gen, dtype=torch.float64)
        ctor = {"weight_decay": [0.1, 0.5][i]}
        grade.compare(
            *_with_q2(grade, fed_trajectory, "AdamW", W0, b0, GW, Gb, 3, groups, ctor),
            case=f"40 fed gradients, b has none every 3rd step (no decay then either), groups {groups} (case {i})",
            **T2,
        )


def test_q3_properties(grade):
    gen = next(grade.cases(1))[1]
    # Against the reference's Adam, not the notebook's own: a wrong q2 Adam must not cost
    # q3 points. Two formulations of the same 25 float64 steps: T2, as the trajectory
    # comparisons above.
    case = "weight_decay = 0: the same trajectory as Adam"
    P = helpers.problem(gen)
    got = grade.run(
        *_with_q2(grade, path_without_decay, "AdamW", P, 0.02, (0.9, 0.99), 25), case=case
    )
    if got is not None:
        adam = grade.reference(path_without_decay, "Adam", P, 0.02, (0.9, 0.99), 25)
        ok = isinstance(got, torch.Tensor) and got.shape == adam.shape
        ok = ok and torch.allclose(got, adam, rtol=T2["rtol"], atol=T2["atol"])
        grade.check(
            ok,
            case=case,
            message="with weight_decay = 0, AdamW should follow Adam's trajectory (the expected Adam, not necessarily your q2 class), and it does not",
        )

    w0 = torch.randn(5, generator=gen, dtype=torch.float64)
    u0 = torch.randn(3, generator=gen, dtype=torch.float64)
    case = "zero gradients: w_t = (1 − lr·λ)^t w_0; a group with weight_decay 0 stays put"
    got = grade.run(*_with_q2(grade, zero_gradient_decay, w0, u0, 0.1, 0.3, 30), case=case)
    if got is not None:
        t = torch.arange(31, dtype=torch.float64)[:, None]
        expected = (1 - 0.1 * 0.3) ** t * w0
        try:
            w, u = got["w"], got["u after"]
            ok = helpers.close(w, expected, {"rtol": 1e-12, "atol": 0.0})
            kept = isinstance(u, torch.Tensor) and torch.equal(u, u0)
        except Exception:  # not the probe's dict
            ok = kept = False
        grade.check(
            ok and kept,
            case=case,
            message=f"w_t is not (1 − lr·λ)^t w_0 (at t = 1: {expected[1].tolist()})"
            if not ok
            else "the group with weight_decay 0 moved (zero gradients, no decay: it stays put)",
        )

    W0 = torch.randn(5, 3, generator=gen, dtype=torch.float64)
    b0 = torch.randn(4, generator=gen, dtype=torch.float64)
    GW = torch.randn(20, 5, 3, generator=gen, dtype=torch.float64)
    Gb = torch.randn(20, 4, generator=gen, dtype=torch.float64)
    groups = [{"lr": 0.05, "betas": (0.5, 0.9)}, {"lr": 0.02, "weight_decay": 0.3}]
    case = "state_dict / load_state_dict after 8 steps continues the same trajectory"
    # the resumed run must continue the uninterrupted one, and that one must be the
    # reference's (an optimiser that never moves would resume perfectly)
    got, ref = grade.run_and_reference(
        *_with_q2(grade, resume, "AdamW", W0, b0, GW, Gb, groups, 8), case=case
    )
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
