import torch

from autograder.testing import T1, T2, probe


@probe
def closure_trajectory(ns, cls_name, P, groups, ctor, steps):
    torch.set_num_threads(1)
    W = P["W0"].clone().requires_grad_(True)
    b = P["b0"].clone().requires_grad_(True)

    def fix(g):  # tuples arrive as lists
        return {k: (tuple(v) if isinstance(v, list) else v) for k, v in g.items()}

    o = getattr(ns, cls_name)(
        [{"params": [W], **fix(groups[0])}, {"params": [b], **fix(groups[1])}], **fix(ctor)
    )

    def closure():
        o.zero_grad()
        f = (
            0.5 * (P["H"] * (W - P["C"]) ** 2).sum()
            + torch.log(torch.cosh(b - P["d"])).sum()
            + 0.5 * torch.tanh(W[:4, 0] * b).sum()
        )
        f.backward()
        return f

    Ws, bs, fs = [W.detach().clone()], [b.detach().clone()], []
    for _ in range(steps):
        f = o.step(closure)
        fs.append(float(f.detach()))
        Ws.append(W.detach().clone())
        bs.append(b.detach().clone())
    return {"W": torch.stack(Ws), "b": torch.stack(bs), "closure values": torch.tensor(fs)}


@probe
def fed_trajectory(ns, cls_name, W0, b0, GW, Gb, none_every, groups, ctor):
    torch.set_num_threads(1)
    W = W0.clone().requires_grad_(True)
    b = b0.clone().requires_grad_(True)

    def fix(g):
        return {k: (tuple(v) if isinstance(v, list) else v) for k, v in g.items()}

    o = getattr(ns, cls_name)(
        [{"params": [W], **fix(groups[0])}, {"params": [b], **fix(groups[1])}], **fix(ctor)
    )
    Ws, bs = [W.detach().clone()], [b.detach().clone()]
    for t in range(GW.shape[0]):
        W.grad = GW[t].clone()
        b.grad = None if t % none_every == none_every - 1 else Gb[t].clone()
        o.step()
        Ws.append(W.detach().clone())
        bs.append(b.detach().clone())
    return {"W": torch.stack(Ws), "b (no gradient every few steps)": torch.stack(bs)}


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
def resume(ns, cls_name, W0, b0, GW, Gb, groups, k):
    torch.set_num_threads(1)

    def fix(g):
        return {kk: (tuple(v) if isinstance(v, list) else v) for kk, v in g.items()}

    def run(W, b, o, ts):
        out = []
        for t in ts:
            W.grad = GW[t].clone()
            b.grad = None if t % 4 == 3 else Gb[t].clone()
            o.step()
            out.append(torch.cat([W.detach().flatten(), b.detach()]))
        return out

    cls = getattr(ns, cls_name)
    W, b = W0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    o = cls([{"params": [W], **fix(groups[0])}, {"params": [b], **fix(groups[1])}])
    full = run(W, b, o, range(GW.shape[0]))
    W, b = W0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    o = cls([{"params": [W], **fix(groups[0])}, {"params": [b], **fix(groups[1])}])
    run(W, b, o, range(k))
    W2, b2 = W.detach().clone().requires_grad_(True), b.detach().clone().requires_grad_(True)
    # a fresh optimiser with a wrong lr: load_state_dict must restore the hyperparameters too
    o2 = cls([{"params": [W2]}, {"params": [b2]}], lr=123.0)
    o2.load_state_dict(o.state_dict())
    resumed = run(W2, b2, o2, range(k, GW.shape[0]))
    return {"uninterrupted": torch.stack(full[k:]), "resumed": torch.stack(resumed)}


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


def _problem(gen):
    return {
        "W0": torch.randn(5, 3, generator=gen, dtype=torch.float64),
        "b0": torch.randn(4, generator=gen, dtype=torch.float64),
        "H": 10.0 ** (3 * torch.rand(5, 3, generator=gen, dtype=torch.float64) - 1.5),
        "C": torch.randn(5, 3, generator=gen, dtype=torch.float64),
        "d": torch.randn(4, generator=gen, dtype=torch.float64),
    }


def _lr(gen, lo=-2.0, hi=-0.5):
    return round(10 ** (lo + (hi - lo) * float(torch.rand(1, generator=gen))), 4)


def _close(a, b, tol):
    """``a`` (the student's) is a tensor of ``b``'s shape, close to it within ``tol``."""
    return (
        isinstance(a, torch.Tensor)
        and a.shape == b.shape
        and bool(torch.allclose(a, b, rtol=tol["rtol"], atol=tol["atol"]))
    )


def test_q1_matches_reference_on_a_loss(grade):
    # ε = 1e-3 in case 0 separates torch's √G + ε from the notes' √(G + ε)
    settings = [(1e-3, 0.1, 0.0), (1e-10, 0.0, 0.1), (1e-6, 0.05, 0.0)]
    for i, gen in grade.cases(3):
        eps, wd, acc = settings[i]
        groups = [{"lr": _lr(gen)}, {"lr": _lr(gen), "weight_decay": 2 * wd}]
        ctor = {"eps": eps, "weight_decay": wd, "initial_accumulator_value": acc}
        grade.compare(
            closure_trajectory,
            "Adagrad",
            _problem(gen),
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
        _problem(gen),
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
        groups = [{"lr": _lr(gen)}, {"lr": _lr(gen), "eps": 1e-3}]
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
            falls and _close(got, ref, T2),
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
        right = _close(a, ref["uninterrupted"], T2)
        resumes = right and _close(b, a, {"rtol": 1e-10, "atol": 1e-12})
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
            w_stepped = _close(got["w after"], ref["w after"], T2)
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
