import math

import torch

from autograder.testing import T1, T2, probe


@probe
def train(ns, X, y, Xv, yv, cfg):
    torch.set_num_threads(1)
    return ns.train_linear(X, y, Xv, yv, **cfg)


@probe
def train_run(ns, X, y, Xv, yv, cfg):
    # wrapped, so that an answer of None is a value the test sees, not a missing case
    torch.set_num_threads(1)
    return {"history": ns.train_linear(X, y, Xv, yv, **cfg)}


@probe
def kappa(ns, h, lams):
    return [float(ns.wd_condition_number(h, lam)) for lam in lams]


def _data(gen, n=64, m=32, d=3):
    X = torch.randn(n + m, d, generator=gen, dtype=torch.float64)
    w = torch.randn(d, generator=gen, dtype=torch.float64)
    y = X @ w + 0.1 * torch.randn(n + m, generator=gen, dtype=torch.float64)
    return X[:n], y[:n], X[n:], y[n:]


def test_q5_train_linear(grade):
    for i, gen in grade.cases(3):
        X, y, Xv, yv = _data(gen)
        cfg = {
            "lr": [0.05, 0.1, 0.02][i],
            "momentum": [0.9, 0.0, 0.5][i],
            "weight_decay": [1e-3, 0.0, 0.05][i],
            "epochs": 3,
            "batch_size": 16,
            "ema_decay": [0.9, 0.5, 0.99][i],
            "eta_min": 1e-3,
            "seed": int(torch.randint(0, 10**6, (1,), generator=gen)),
        }
        grade.compare(train, X, y, Xv, yv, cfg, case=f"n=64, d=3, 3 epochs, batch 16, {cfg}", **T2)


def test_q5_properties(grade):
    gen = torch.Generator().manual_seed(11)
    X, y, Xv, yv = _data(gen)
    cfg = {
        "lr": 0.0,
        "momentum": 0.9,
        "weight_decay": 0.1,
        "epochs": 3,
        "batch_size": 16,
        "ema_decay": 0.9,
        "eta_min": 0.0,
        "seed": 1,
    }
    case = "lr = 0 changes nothing (losses stay at the zero model's)"
    got = grade.run(train_run, X, y, Xv, yv, cfg, case=case)
    if got is not None:
        got, zero_val = got["history"], float((yv**2).mean())
        try:
            if not isinstance(got, dict):
                raise TypeError(type(got).__name__)
            losses = list(got["val_loss"]) + list(got["ema_val_loss"])
            ok = len(losses) == 6 and all(abs(float(v) - zero_val) < 1e-12 for v in losses)
            ok = ok and len(got["lr"]) == 3 and all(v == 0.0 for v in got["lr"])
        except Exception:  # not the history's dict of lists
            ok = False
        grade.check(ok, case=case, message=f"with lr=0 every val loss should be {zero_val:.6g}")
    cfg = dict(cfg, lr=0.2, eta_min=0.01, epochs=4)
    case = "the recorded lr is the cosine schedule over the epochs"
    got = grade.run(train_run, X, y, Xv, yv, cfg, case=case)
    if got is not None:
        got = got["history"]
        want = [0.01 + 0.5 * 0.19 * (1 + math.cos(math.pi * k / 4)) for k in range(4)]
        try:
            if not isinstance(got, dict):
                raise TypeError(type(got).__name__)
            ok = len(got["lr"]) == 4 and all(abs(a - b) < 1e-12 for a, b in zip(got["lr"], want))
        except Exception:  # not the history's dict of lists
            ok = False
        grade.check(ok, case=case, message=f"lr per epoch should be {want}")


def test_q5_condition_number(grade):
    for _, gen in grade.cases(3):
        d = int(torch.randint(2, 8, (1,), generator=gen))
        h = torch.rand(d, generator=gen, dtype=torch.float64) * 10 + 0.01
        lams = [0.0, 1e-3, 0.1, 1.0, 100.0]
        grade.compare(kappa, h, lams, case=f"d={d}, λ in {lams}", **T1)
    h = torch.tensor([100.0, 1.0], dtype=torch.float64)
    case = "κ = 100 at λ=0 decreases toward 1 as λ grows"
    got = grade.run(kappa, h, [0.0, 1.0, 10.0, 1e4], case=case)
    if got is not None:
        ok = (
            abs(got[0] - 100.0) < 1e-9
            and all(got[j] > got[j + 1] for j in range(len(got) - 1))
            and got[-1] < 1.01
        )
        grade.check(ok, case=case, message="expected κ = 100, then decreasing toward 1")
