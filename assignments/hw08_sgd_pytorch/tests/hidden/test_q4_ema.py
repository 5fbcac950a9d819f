import torch

from autograder.testing import T1, probe


@probe
def traj(ns, hist, decay, init):
    return ns.ema_trajectory(hist, decay, init)


@probe
def update(ns, es, ps, decay):
    es = [e.clone() for e in es]
    ps = [p.clone().requires_grad_(True) for p in ps]
    ns.ema_update_(es, [2.0 * p for p in ps], decay)
    # raw observations, judged here against the reference's (no graph: all False)
    return {"ema": es, "has a grad_fn": [e.grad_fn is not None for e in es]}


@probe
def traj_run(ns, hist, decay, init):
    # wrapped, so that an answer of None is a value the test sees, not a missing case
    return {"ema": ns.ema_trajectory(hist, decay, init)}


def test_q4_ema_trajectory(grade):
    for _, gen in grade.cases(4):
        T = int(torch.randint(3, 20, (1,), generator=gen))
        d = int(torch.randint(1, 5, (1,), generator=gen))
        decay = round(float(torch.rand(1, generator=gen)) * 0.98, 3)
        hist = torch.randn(T, d, generator=gen, dtype=torch.float64)
        init = torch.randn(d, generator=gen, dtype=torch.float64)
        grade.compare(traj, hist, decay, init, case=f"T={T}, d={d}, decay={decay}", **T1)


def test_q4_ema_update(grade):
    for _, gen in grade.cases(3):
        shapes = [(3, 2), (4,)]
        es = [torch.randn(*s, generator=gen, dtype=torch.float64) for s in shapes]
        ps = [torch.randn(*s, generator=gen, dtype=torch.float64) for s in shapes]
        decay = round(float(torch.rand(1, generator=gen)), 3)
        grade.compare(update, es, ps, decay, case=f"in place on 2 tensors, decay={decay}", **T1)


def test_q4_properties(grade):
    # closed form e_T = decay^T e0 + (1-decay) sum decay^(T-1-t) p_t; constants are fixed points
    hist = torch.tensor([[1.0, -1.0], [2.0, 0.5], [0.0, 3.0], [-1.0, 1.0]], dtype=torch.float64)
    init = torch.tensor([0.5, 0.5], dtype=torch.float64)
    decay, T = 0.9, 4
    case = "closed form after 4 steps, decay 0.9"
    got = grade.run(traj_run, hist, decay, init, case=case)
    if got is not None:
        got = got["ema"]
        want = decay**T * init + (1 - decay) * sum(decay ** (T - 1 - t) * hist[t] for t in range(T))
        ok = isinstance(got, torch.Tensor) and got.shape == (T + 1, 2)
        ok = ok and torch.allclose(got[-1], want, rtol=1e-12, atol=1e-14)
        grade.check(ok, case=case, message=f"last row should be {want.tolist()}")
    c = torch.tensor([1.5, -0.25], dtype=torch.float64)
    case = "a constant trajectory started at that constant stays there"
    got = grade.run(traj_run, c.repeat(6, 1), 0.7, c, case=case)
    if got is not None:
        got = got["ema"]
        ok = (
            isinstance(got, torch.Tensor)
            and got.shape == (7, 2)
            and torch.allclose(got, c.repeat(7, 1), rtol=1e-14, atol=0)
        )
        grade.check(ok, case=case, message="constant parameters must be fixed points of the EMA")
