import torch

from autograder.testing import T2, probe


@probe
def trajectory(ns, P, lrs, ctor, steps):
    torch.set_num_threads(1)
    W = P["W0"].clone().requires_grad_(True)
    b = P["b0"].clone().requires_grad_(True)
    o = ns.SGD([{"params": [W], "lr": lrs[0]}, {"params": [b], "lr": lrs[1]}], **ctor)
    out = []
    for _ in range(steps):
        o.zero_grad()
        f = (
            0.5 * (P["H"] * (W - P["C"]) ** 2).sum()
            + torch.log(torch.cosh(b - P["d"])).sum()
            + 0.5 * torch.tanh(W[:2, 0] * b).sum()
        )
        f.backward()
        o.step()
        out.append(torch.cat([W.detach().flatten(), b.detach()]))
    return torch.stack(out)


@probe
def first_buffer(ns, w0, g, lr, momentum, wd):
    w = w0.clone().requires_grad_(True)
    o = ns.SGD([w], lr=lr, momentum=momentum, weight_decay=wd)
    w.grad = g.clone()
    o.step()
    return {"w": w.detach().clone(), "momentum_buffer": o.state[w]["momentum_buffer"].clone()}


@probe
def plain_step(ns, w0, g, lr, wd):
    w = w0.clone().requires_grad_(True)
    v = w0.clone().requires_grad_(True)
    o = ns.SGD([w, v], lr=lr, weight_decay=wd)
    w.grad = g.clone()
    o.step()
    return {"w": w.detach().clone(), "v": v.detach().clone()}


@probe
def scheduled(ns, w0, G, hypers):
    # hypers[t] = (lr, momentum, weight_decay), written into the group before step t
    torch.set_num_threads(1)
    w = w0.clone().requires_grad_(True)
    lr, momentum, wd = hypers[0]
    o = ns.SGD([w], lr=lr, momentum=momentum, weight_decay=wd)
    out = []
    for t, (lr, momentum, wd) in enumerate(hypers):
        o.param_groups[0].update(lr=lr, momentum=momentum, weight_decay=wd)
        w.grad = G[t].clone()
        o.step()
        out.append(w.detach().clone())
    return torch.stack(out)


@probe
def resume(ns, w0, G, lr, momentum, wd, k):
    torch.set_num_threads(1)
    w = w0.clone().requires_grad_(True)
    o = ns.SGD([w], lr=lr, momentum=momentum, weight_decay=wd)
    full = []
    for t in range(G.shape[0]):
        w.grad = G[t].clone()
        o.step()
        full.append(w.detach().clone())
    w = w0.clone().requires_grad_(True)
    o = ns.SGD([w], lr=lr, momentum=momentum, weight_decay=wd)
    for t in range(k):
        w.grad = G[t].clone()
        o.step()
    w2 = w.detach().clone().requires_grad_(True)
    o2 = ns.SGD([w2], lr=99.0)
    o2.load_state_dict(o.state_dict())
    resumed = []
    for t in range(k, G.shape[0]):
        w2.grad = G[t].clone()
        o2.step()
        resumed.append(w2.detach().clone())
    return {"uninterrupted": torch.stack(full[k:]), "resumed": torch.stack(resumed)}


def _problem(gen):
    f = torch.float64
    return {
        "H": torch.rand(3, 2, generator=gen, dtype=f) * 4 + 0.2,
        "C": torch.randn(3, 2, generator=gen, dtype=f),
        "d": torch.randn(2, generator=gen, dtype=f),
        "W0": torch.randn(3, 2, generator=gen, dtype=f),
        "b0": torch.randn(2, generator=gen, dtype=f),
    }


def test_q2_trajectories(grade):
    configs = [
        {"lr": 0.1, "momentum": 0.9},
        {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.05},
        {"lr": 0.1},
        {"lr": 0.1, "weight_decay": 0.2},
        {"lr": 0.1, "momentum": 0.95, "weight_decay": 1e-3},
    ]
    for i, gen in grade.cases(5):
        P = _problem(gen)
        lr = round(float(torch.rand(1, generator=gen)) * 0.2 + 0.02, 4)
        ctor = dict(configs[i], lr=lr)
        lrs = [lr, round(lr * 0.5, 5)]
        grade.compare(
            trajectory, P, lrs, ctor, 30, case=f"30 steps, 2 groups, lr {lrs}, {ctor}", **T2
        )


def test_q2_first_momentum_step(grade):
    # lecture fact: the buffer equals g (+ λw) on the first step, w ← w − α(g + λw)
    w0 = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    g = torch.tensor([0.3, 0.4, -1.0], dtype=torch.float64)
    grade.compare(first_buffer, w0, g, 0.1, 0.9, 0.5, case="first step, β=0.9, λ=0.5", **T2)
    # β = 1 is a momentum too (the buffer sums every gradient): it keeps a buffer
    grade.compare(first_buffer, w0, g, 0.1, 1.0, 0.0, case="first step, β=1, λ=0", **T2)
    # λ = 1 is a weight decay like any other: g = ∇L + w
    grade.compare(first_buffer, w0, g, 0.1, 0.5, 1.0, case="first step, β=0.5, λ=1", **T2)


def test_q2_plain_step_property(grade):
    w0 = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    g = torch.tensor([0.3, 0.4, -1.0], dtype=torch.float64)
    lr, wd = 0.2, 0.1
    case = "β=0: w ← (1−αλ)w − α∇L, and a parameter without grad is skipped"
    got = grade.run(plain_step, w0, g, lr, wd, case=case)
    if got is not None:
        want = (1 - lr * wd) * w0 - lr * g
        ok_w = torch.allclose(got["w"], want, rtol=1e-12, atol=1e-14)
        ok_v = torch.equal(got["v"], w0)
        msg = (
            f"w = {got['w'].tolist()}, expected (1−αλ)w − αg = {want.tolist()}"
            if not ok_w
            else "a parameter whose .grad is None was changed"
        )
        grade.check(ok_w and ok_v, case=case, message=msg)


def test_q2_group_changed_between_steps(grade):
    # a schedule writes new hyperparameters into the group between steps: step() reads
    # them afresh, and momentum switched on later starts its buffer at that step's g
    # (no buffer is kept while β = 0), as in torch.optim.SGD
    w0 = torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64)
    G = torch.tensor(
        [[0.3, 0.4, -1.0, 0.2], [-0.5, 0.1, 0.7, -0.3], [0.2, -0.6, 0.4, 0.9]] * 2,
        dtype=torch.float64,
    )
    hypers = [[0.1, 0.0, 0.01]] * 3 + [[0.1, 0.9, 0.01]] * 3
    grade.compare(
        scheduled,
        w0,
        G,
        hypers,
        case="6 steps, momentum β set from 0 to 0.9 in the group before step 4 (λ=0.01)",
        **T2,
    )
    hypers = [[0.1, 0.5, 0.0]] * 3 + [[0.05, 0.5, 0.3]] * 3
    grade.compare(
        scheduled,
        w0,
        G,
        hypers,
        case="6 steps, β=0.5, lr 0.1 → 0.05 and λ 0 → 0.3 set in the group before step 4",
        **T2,
    )


def test_q2_state_dict_resume(grade):
    for i, gen in grade.cases(2):
        w0 = torch.randn(4, generator=gen, dtype=torch.float64)
        G = torch.randn(10, 4, generator=gen, dtype=torch.float64)
        case = f"state_dict round trip after 4 steps continues the same trajectory ({i + 1})"
        # the resumed run must continue the uninterrupted one, and that one must be SGD's
        # (an optimiser that never moves would resume perfectly)
        got, ref = grade.run_and_reference(resume, w0, G, 0.05, 0.9, 0.01, 4, case=case)
        if got is not None:
            try:
                a, b, want = got["resumed"], got["uninterrupted"], ref["uninterrupted"]
                resumes = a.shape == b.shape and torch.allclose(a, b, rtol=1e-12, atol=1e-14)
                right = b.shape == want.shape and torch.allclose(
                    b, want, rtol=T2["rtol"], atol=T2["atol"]
                )
            except Exception:  # not the probe's dict of tensors
                resumes = right = False
            grade.check(
                resumes and right,
                case=case,
                message="resuming from state_dict() diverges: keep the buffer in "
                "self.state[p]['momentum_buffer'] and read lr from the param group"
                if not resumes
                else "the uninterrupted run is not the expected SGD trajectory "
                "(see the trajectory cases)",
            )
