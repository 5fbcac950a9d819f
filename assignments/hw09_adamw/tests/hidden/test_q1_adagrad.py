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
def adagrad_rates(ns, w0, G, lr, eps):
    torch.set_num_threads(1)
    w = w0.clone().requires_grad_(True)
    o = ns.Adagrad([w], lr=lr, eps=eps)
    rates = []
    for t in range(G.shape[0]):
        w.grad = G[t].clone()
        o.step()
        rates.append(lr / (o.state[w]["sum"].sqrt() + eps))
    return torch.stack(rates)


@probe
def skips_and_returns(ns, w0, v0, g):
    torch.set_num_threads(1)
    w = w0.clone().requires_grad_(True)
    v = v0.clone().requires_grad_(True)
    o = ns.Adagrad([w, v], lr=0.1)
    w.grad = g.clone()
    returned = o.step(lambda: torch.tensor(2.5, dtype=torch.float64))
    # raw values: the test compares them with what it sent and with the reference's
    return {
        "closure value returned": float(returned),
        "v after": v.detach().clone(),
        "w after": w.detach().clone(),
    }


@probe
def step_counts(ns, G, none_every):
    # state["step"] of a parameter fed every step and of one skipped every few steps
    torch.set_num_threads(1)
    w = torch.zeros(G.shape[1], dtype=G.dtype, requires_grad=True)
    v = torch.zeros(G.shape[1], dtype=G.dtype, requires_grad=True)
    o = ns.Adagrad([w, v], lr=0.1)
    counts = []
    for t in range(G.shape[0]):
        w.grad = G[t].clone()
        v.grad = None if t % none_every == none_every - 1 else G[t].clone()
        o.step()
        counts.append([float(o.state[w]["step"]), float(o.state[v]["step"])])
    return torch.tensor(counts, dtype=torch.float64)


def test_q1_matches_reference_on_a_loss(grade):
    # ε = 1e-3 in case 0 separates torch's √G + ε from the notes' √(G + ε)
    settings = [(1e-3, 0.1, 0.0), (1e-10, 0.0, 0.1), (1e-6, 0.05, 0.0)]
    for i, gen in grade.cases(3):
        eps, wd, acc = settings[i]
        groups = [{"lr": helpers.lr(gen)}, {"lr": helpers.lr(gen), "weight_decay": 2 * wd}]
        ctor = {"eps": eps, "weight_decay": wd, "initial_accumulator_value": acc}
        grade.compare(
            closure_trajectory,
            "Adagrad",
            helpers.problem(gen),
            groups,
            ctor,
            20,
            case=f"20 steps with a closure, groups {groups}, {ctor} (case {i})",
            **T2,
        )
    gen = torch.Generator().manual_seed(9)
    grade.compare(
        closure_trajectory,
        "Adagrad",
        helpers.problem(gen),
        [{}, {"lr": 0.1}],
        {},
        20,
        case="torch's defaults (lr 1e-2, eps 1e-10) in group 0, lr 0.1 in group 1",
        **T2,
    )


def test_q1_matches_reference_with_fed_gradients(grade):
    for i, gen in grade.cases(2):
        scales = 10.0 ** torch.randint(-2, 3, (3,), generator=gen).double()
        GW = torch.randn(40, 5, 3, generator=gen, dtype=torch.float64) * scales
        Gb = torch.randn(40, 4, generator=gen, dtype=torch.float64)
        groups = [{"lr": helpers.lr(gen)}, {"lr": helpers.lr(gen), "eps": 1e-3}]
        grade.compare(
            fed_trajectory,
            "Adagrad",
            torch.randn(5, 3, generator=gen, dtype=torch.float64),
            torch.randn(4, generator=gen, dtype=torch.float64),
            GW,
            Gb,
            3,
            groups,
            {"weight_decay": 0.1 * i},
            case=f"40 fed gradients, b has none every 3rd step, groups {groups} (case {i})",
            **T2,
        )
    # λ = 1 exactly: a decay that is applied for every λ ≠ 0, 1 included
    _, gen = list(grade.cases(3))[-1]
    grade.compare(
        fed_trajectory,
        "Adagrad",
        torch.randn(5, 3, generator=gen, dtype=torch.float64),
        torch.randn(4, generator=gen, dtype=torch.float64),
        torch.randn(40, 5, 3, generator=gen, dtype=torch.float64),
        torch.randn(40, 4, generator=gen, dtype=torch.float64),
        3,
        [{"lr": 0.05}, {"lr": 0.1, "weight_decay": 0.0}],
        {"weight_decay": 1.0},
        case="40 fed gradients, weight_decay = 1 (λw added to the gradient) in group 0, "
        "0 in group 1",
        **T2,
    )


def test_q1_properties(grade):
    gen = next(grade.cases(1))[1]
    G = torch.randn(30, 6, generator=gen, dtype=torch.float64) * 5
    case = "the effective rate lr / (√sum + ε) never increases"
    w0 = torch.randn(6, generator=gen, dtype=torch.float64)
    # credited with the rates themselves (T2): rates that never change never increase
    got, ref = grade.run_and_reference(adagrad_rates, w0, G, 0.1, 1e-10, case=case)
    if got is not None:
        falls = isinstance(got, torch.Tensor) and bool((got[1:] <= got[:-1]).all())
        grade.check(
            falls and helpers.close(got, ref, T2),
            case=case,
            message="the effective rate grew at some step"
            if not falls
            else "the rates never increase, but they are not lr / (√sum + ε) of the "
            "accumulated squared gradients",
        )

    W0 = torch.randn(5, 3, generator=gen, dtype=torch.float64)
    b0 = torch.randn(4, generator=gen, dtype=torch.float64)
    GW = torch.randn(20, 5, 3, generator=gen, dtype=torch.float64)
    Gb = torch.randn(20, 4, generator=gen, dtype=torch.float64)
    groups = [{"lr": 0.05}, {"lr": 0.2, "weight_decay": 0.1}]
    case = "state_dict / load_state_dict after 8 steps continues the same trajectory"
    # the resumed run must continue the uninterrupted one, and that one must be the
    # reference's (an optimiser that never moves would resume perfectly)
    got, ref = grade.run_and_reference(resume, "Adagrad", W0, b0, GW, Gb, groups, 8, case=case)
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

    case = "step(closure) returns the closure's value; a parameter without .grad is untouched"
    w0 = torch.randn(3, generator=gen, dtype=torch.float64)
    v0 = torch.randn(2, generator=gen, dtype=torch.float64)
    g = torch.randn(3, generator=gen, dtype=torch.float64)
    got, ref = grade.run_and_reference(skips_and_returns, w0, v0, g, case=case)
    if got is not None:
        try:
            returned = got["closure value returned"] == 2.5
            v_kept = isinstance(got["v after"], torch.Tensor) and torch.equal(got["v after"], v0)
            w_stepped = helpers.close(got["w after"], ref["w after"], T2)
        except Exception:  # not the probe's dict
            returned = v_kept = w_stepped = False
        problems = [
            *([] if returned else ["step(closure) did not return the closure's value (2.5)"]),
            *([] if v_kept else ["the parameter without .grad changed"]),
            *([] if w_stepped else ["the parameter with a gradient did not take Adagrad's step"]),
        ]
        grade.check(not problems, case=case, message="; ".join(problems))


def test_q1_state(grade):
    for i, gen in grade.cases(2):
        G = torch.randn(15, 4, generator=gen, dtype=torch.float64)
        grade.compare(
            adagrad_rates,
            torch.randn(4, generator=gen, dtype=torch.float64),
            G,
            0.1,
            1e-10,
            case=f"state['sum'] after each of 15 steps, as lr / (√sum + ε) (case {i})",
            **T1,
        )
    G = torch.randn(7, 3, generator=gen, dtype=torch.float64)
    grade.compare(
        step_counts,
        G,
        3,
        case="state['step'] counts each parameter's updates (one skipped every 3rd step)",
        **T1,
    )
