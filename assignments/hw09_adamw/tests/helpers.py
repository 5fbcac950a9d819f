"""hw09's probe helpers: what the optimiser questions q1-q3 share.

Shipped to the sandbox with every probe (``helpers.name``) and visible to the tests as
``helpers``: nothing here is secret (the build checks it). The trajectory functions are
probe bodies: ``fn(ns, ...)`` runs the student's optimiser class ``ns.<cls_name>``.
"""

import torch


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


def problem(gen):
    return {
        "W0": torch.randn(5, 3, generator=gen, dtype=torch.float64),
        "b0": torch.randn(4, generator=gen, dtype=torch.float64),
        "H": 10.0 ** (3 * torch.rand(5, 3, generator=gen, dtype=torch.float64) - 1.5),
        "C": torch.randn(5, 3, generator=gen, dtype=torch.float64),
        "d": torch.randn(4, generator=gen, dtype=torch.float64),
    }


def lr(gen, lo=-2.0, hi=-0.5):
    return round(10 ** (lo + (hi - lo) * float(torch.rand(1, generator=gen))), 4)


def close(a, b, tol):
    """``a`` (the student's) is a tensor of ``b``'s shape, close to it within ``tol``."""
    return (
        isinstance(a, torch.Tensor)
        and a.shape == b.shape
        and bool(torch.allclose(a, b, rtol=tol["rtol"], atol=tol["atol"]))
    )
