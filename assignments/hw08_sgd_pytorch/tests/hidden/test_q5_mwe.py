import math

import torch

from autograder.testing import T1, T2, Tolerance, compare, probe


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


# train_linear uses q1–q4 by design. While it runs, SGD is torch.optim.SGD (the same
# update, and not forbidden here), and epoch_batches, lr_schedule and ema_update_ answer the
# calls the reference makes with the reference's values (ema_update_ writes the expected
# averages), so a bug in q1–q4 costs that question only.
EARLIER = ("epoch_batches", "lr_schedule", "ema_update_")


def _with_earlier(grade, probe_, *args):
    """``probe_`` with q1–q4 replayed (SGD: torch's), and its arguments (replay first)."""
    replay = grade.reference_calls(probe_, EARLIER, *args, torch_classes={"SGD": "torch.optim.SGD"})
    return grade.replaying(probe_), replay, *args


def _diagnosis(got, ref):
    """Words for a history that is not the expected one: where it first leaves it, and the
    causes that fit that place."""
    try:
        mismatch = compare(ref, got, Tolerance(**T2))
    except Exception:  # whatever the student returned
        return "the history could not be read: return the dict of four lists of floats"
    if mismatch is None:
        return ""
    path = str(mismatch.path or "")
    if not isinstance(got, dict) or set(got) != set(ref):
        return f"wrong result: {mismatch.message} (expected the keys {sorted(ref)})"
    if "lr" in path:
        return (
            "the recorded learning rates differ: set every group's lr to "
            "lr_schedule('cosine', k, lr, T_max=epochs, eta_min=eta_min) at the start of "
            "epoch k, and record that value"
        )
    first = {}
    for key in ("train_loss", "val_loss", "ema_val_loss"):
        try:
            a, b = list(got[key]), list(ref[key])
            first[key] = next(
                (i for i, (x, y) in enumerate(zip(a, b)) if abs(x - y) > 1e-6 * (1 + abs(y))),
                None if len(a) == len(b) else min(len(a), len(b)),
            )
        except Exception:  # not a list of numbers
            first[key] = 0
    if first["train_loss"] is None and first["val_loss"] is None:
        return (
            f"the training is right but ema_val_loss differs (epoch {first['ema_val_loss'] + 1}): "
            "start the EMA copies as clones of the zero parameters, call ema_update_ after "
            "each opt.step(), and evaluate the validation loss with the EMA weights"
        )
    epoch = min(i for i in first.values() if i is not None) + 1
    return (
        f"the losses differ from epoch {epoch} on (the learning rates agree): are the "
        "gradients reset before each backward() (opt.zero_grad())? Are the batches "
        "X_train[idx] for idx in epoch_batches(n, batch_size, g), with one generator g "
        "seeded once? Does the model start at zero? (first difference"
        f" in {escape(path)}: {escape(mismatch.message)})"
    )


def escape(text):
    """Text that came from the student's values, shown as plain text."""
    return str(text).replace("`", "'").replace("*", "\\*").replace("_", "\\_")[:300]


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
        case = f"n=64, d=3, 3 epochs, batch 16, {cfg}"
        got, ref = grade.run_and_reference(
            *_with_earlier(grade, train, X, y, Xv, yv, cfg), case=case
        )
        if got is not None:
            message = _diagnosis(got, ref)
            grade.check(not message, case=case, message=message)


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
    got = grade.run(*_with_earlier(grade, train_run, X, y, Xv, yv, cfg), case=case)
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
    got = grade.run(*_with_earlier(grade, train_run, X, y, Xv, yv, cfg), case=case)
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
