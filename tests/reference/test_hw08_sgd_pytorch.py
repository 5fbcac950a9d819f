"""Oracle cross-checks for solutions/hw08_sgd_pytorch.py.

Oracles: torch.utils.data (DataLoader's once-per-epoch property), torch.optim.SGD,
torch.optim.lr_scheduler (StepLR, ExponentialLR, LambdaLR, CosineAnnealingLR, LinearLR +
SequentialLR), torch.optim.swa_utils.AveragedModel (from its second update on), the
EMA closed form, and the eigenvalues of the regularised Hessian.
"""

import math

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from solutions import hw08_sgd_pytorch as ref

DT = torch.float64


# ---------------------------------------------------------------------------- q1


@pytest.mark.parametrize("n,b", [(10, 3), (16, 4), (7, 7), (5, 8)])
def test_epoch_batches_is_a_partition_like_dataloader(n, b):
    g = torch.Generator().manual_seed(n * 100 + b)
    batches = ref.epoch_batches(n, b, g)
    # the same chunks as torch.randperm from the same seed
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(n * 100 + b))
    assert torch.equal(torch.cat(batches), perm)
    assert [len(x) for x in batches] == [len(x) for x in torch.arange(n).split(b)]
    # DataLoader(shuffle=True) has the same once-per-epoch property and batch sizes
    dl = DataLoader(
        TensorDataset(torch.arange(n)),
        batch_size=b,
        shuffle=True,
        generator=torch.Generator().manual_seed(1),
    )
    dl_batches = [x for (x,) in dl]
    assert sorted(torch.cat(dl_batches).tolist()) == list(range(n))
    assert [len(x) for x in dl_batches] == [len(x) for x in batches]
    dl_drop = DataLoader(TensorDataset(torch.arange(n)), batch_size=b, shuffle=True, drop_last=True)
    assert [len(x) for (x,) in dl_drop] == [
        len(x) for x in ref.epoch_batches(n, b, g, drop_last=True)
    ]


def test_replacement_batches_match_randint_stream():
    g = torch.Generator().manual_seed(3)
    got = ref.replacement_batches(9, 4, 5, g)
    g2 = torch.Generator().manual_seed(3)
    for x in got:
        assert torch.equal(x, torch.randint(9, (4,), generator=g2))


# ---------------------------------------------------------------------------- q2


def _quadratic_run(cls, steps=30, **kw):
    gen = torch.Generator().manual_seed(0)
    H = torch.rand(4, 3, generator=gen, dtype=DT) * 5 + 0.1
    W = torch.randn(4, 3, generator=gen, dtype=DT).requires_grad_(True)
    b = torch.randn(2, generator=gen, dtype=DT).requires_grad_(True)
    opt = cls([{"params": [W]}, {"params": [b], "lr": kw["lr"] * 0.3}], **kw)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 * (H * W**2).sum() + torch.log(torch.cosh(b - 1)).sum() + (W[0, 0] * b[0]) ** 2
        loss.backward()
        opt.step()
        out.append(torch.cat([W.detach().flatten(), b.detach()]))
    return torch.stack(out), opt, W


@pytest.mark.parametrize(
    "kw",
    [
        {"lr": 0.05},
        {"lr": 0.05, "momentum": 0.9},
        {"lr": 0.03, "momentum": 0.5, "weight_decay": 0.1},
        {"lr": 0.1, "weight_decay": 0.01},
        {"lr": 0.05, "momentum": 0.5, "weight_decay": 1.0},
    ],
)
def test_sgd_matches_torch(kw):
    ours, opt, W = _quadratic_run(ref.SGD, **kw)
    theirs, topt, tW = _quadratic_run(torch.optim.SGD, **kw)
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-14)
    if kw.get("momentum", 0) > 0:
        torch.testing.assert_close(
            opt.state[W]["momentum_buffer"], topt.state[tW]["momentum_buffer"], rtol=1e-12, atol=0
        )


@pytest.mark.parametrize(
    "hypers",
    [
        [(0.1, 0.0, 0.01)] * 3 + [(0.1, 0.9, 0.01)] * 3,  # momentum switched on
        [(0.1, 0.5, 0.0)] * 3 + [(0.05, 0.5, 0.3)] * 3,  # lr and weight decay changed
        [(0.1, 0.9, 0.0)] * 3 + [(0.1, 0.0, 0.0)] * 2 + [(0.1, 0.9, 0.0)] * 2,  # off, on again
    ],
)
def test_sgd_reads_the_group_at_every_step_like_torch(hypers):
    gen = torch.Generator().manual_seed(4)
    w0 = torch.randn(5, generator=gen, dtype=DT)
    G = torch.randn(len(hypers), 5, generator=gen, dtype=DT)
    runs = []
    for cls in (ref.SGD, torch.optim.SGD):
        w = w0.clone().requires_grad_(True)
        lr, momentum, wd = hypers[0]
        opt = cls([w], lr=lr, momentum=momentum, weight_decay=wd)
        out = []
        for t, (lr, momentum, wd) in enumerate(hypers):
            opt.param_groups[0].update(lr=lr, momentum=momentum, weight_decay=wd)
            w.grad = G[t].clone()
            opt.step()
            out.append(w.detach().clone())
        runs.append(torch.stack(out))
    torch.testing.assert_close(runs[0], runs[1], rtol=1e-12, atol=1e-14)


def test_sgd_first_momentum_step_with_weight_decay():
    w = torch.tensor([1.0, -2.0], dtype=DT, requires_grad=True)
    o = ref.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.5)
    w.grad = torch.tensor([0.3, 0.4], dtype=DT)
    o.step()
    expected = torch.tensor([1.0, -2.0], dtype=DT) - 0.1 * (
        torch.tensor([0.3, 0.4], dtype=DT) + 0.5 * torch.tensor([1.0, -2.0], dtype=DT)
    )
    torch.testing.assert_close(w.detach(), expected, rtol=0, atol=1e-15)


# ---------------------------------------------------------------------------- q3


def _torch_lrs(make_sched, n, lr0):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr0)
    sched = make_sched(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return torch.tensor(out, dtype=DT)


S = torch.optim.lr_scheduler


@pytest.mark.parametrize(
    "kind,kw,make",
    [
        ("step", {"s": 7, "gamma": 0.5}, lambda o: S.StepLR(o, step_size=7, gamma=0.5)),
        ("exponential", {"gamma": 0.93}, lambda o: S.ExponentialLR(o, gamma=0.93)),
        (
            "inverse_time",
            {"beta": 0.2},
            lambda o: S.LambdaLR(o, lambda k: 1.0 / (1.0 + 0.2 * k)),
        ),
        (
            "cosine",
            {"T_max": 40, "eta_min": 1e-3},
            lambda o: S.CosineAnnealingLR(o, T_max=40, eta_min=1e-3),
        ),
        (
            "warmup_cosine",
            {"warmup": 5, "T_max": 40, "eta_min": 1e-3},
            lambda o: S.SequentialLR(
                o,
                [
                    S.LinearLR(o, start_factor=1 / 5, end_factor=1.0, total_iters=4),
                    S.CosineAnnealingLR(o, T_max=35, eta_min=1e-3),
                ],
                milestones=[5],
            ),
        ),
    ],
)
def test_schedules_match_torch_lr_scheduler(kind, kw, make):
    n, lr0 = 41, 0.1  # k = 0..T_max (CosineAnnealingLR is periodic beyond T_max)
    ours = ref.schedule_values(kind, n, lr0, **kw)
    theirs = _torch_lrs(make, n, lr0)
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-15)


def test_cosine_properties():
    v = ref.schedule_values("cosine", 51, 0.2, T_max=50, eta_min=0.01)
    assert v[0] == 0.2 and abs(float(v[50]) - 0.01) < 1e-15
    assert bool((v[1:] <= v[:-1]).all())


# ---------------------------------------------------------------------------- q4


def test_ema_closed_form_and_averaged_model():
    gen = torch.Generator().manual_seed(5)
    T, d, decay = 12, 3, 0.8
    hist = torch.randn(T, d, generator=gen, dtype=DT)
    init = torch.randn(d, generator=gen, dtype=DT)
    traj = ref.ema_trajectory(hist, decay, init)
    closed = decay**T * init + (1 - decay) * sum(decay ** (T - 1 - t) * hist[t] for t in range(T))
    torch.testing.assert_close(traj[-1], closed, rtol=1e-12, atol=1e-14)
    # AveragedModel copies on its first update: it is an oracle from the second update on
    lin = torch.nn.Linear(d, 1, bias=False, dtype=DT)
    avg = torch.optim.swa_utils.AveragedModel(
        lin, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(decay)
    )
    ours = ref.ema_trajectory(hist[1:], decay, hist[0])
    for t in range(T):
        with torch.no_grad():
            lin.weight.copy_(hist[t].unsqueeze(0))
        avg.update_parameters(lin)
        torch.testing.assert_close(
            avg.module.weight.detach().squeeze(0), ours[t], rtol=1e-12, atol=1e-14
        )


def test_ema_update_no_grad():
    p = torch.randn(4, dtype=DT, requires_grad=True)
    e = torch.zeros(4, dtype=DT)
    ref.ema_update_([e], [p * 2], 0.9)
    assert e.grad_fn is None
    torch.testing.assert_close(e, 0.1 * 2 * p.detach())


# ---------------------------------------------------------------------------- q5


def test_wd_condition_number_is_eigenvalue_ratio():
    gen = torch.Generator().manual_seed(2)
    A = torch.randn(6, 6, generator=gen, dtype=DT)
    Hm = A @ A.T + 0.01 * torch.eye(6, dtype=DT)
    h = torch.linalg.eigvalsh(Hm)
    for lam in [0.0, 0.1, 10.0]:
        kappa = torch.linalg.cond(Hm + lam * torch.eye(6, dtype=DT))
        assert math.isclose(ref.wd_condition_number(h, lam), float(kappa), rel_tol=1e-8)


def test_train_linear_matches_torch_pipeline():
    """The same loop written with torch.optim.SGD, CosineAnnealingLR and randperm batches."""
    X, y, _ = ref.make_regression_data(96, 4, 0.1, seed=0)
    Xt, yt, Xv, yv = X[:64], y[:64], X[64:], y[64:]
    kw = dict(lr=0.05, momentum=0.9, weight_decay=1e-3, epochs=6, batch_size=16)
    hist = ref.train_linear(Xt, yt, Xv, yv, ema_decay=0.9, eta_min=1e-3, seed=7, **kw)

    w = torch.zeros(4, dtype=DT, requires_grad=True)
    b = torch.zeros(1, dtype=DT, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=0.05, momentum=0.9, weight_decay=1e-3)
    sched = S.CosineAnnealingLR(opt, T_max=6, eta_min=1e-3)
    g = torch.Generator().manual_seed(7)
    ew, eb = torch.zeros(4, dtype=DT), torch.zeros(1, dtype=DT)
    tl, vl, el, lrs = [], [], [], []
    for _ in range(6):
        lrs.append(opt.param_groups[0]["lr"])
        for idx in torch.randperm(64, generator=g).split(16):
            opt.zero_grad()
            ((Xt[idx] @ w + b - yt[idx]) ** 2).mean().backward()
            opt.step()
            with torch.no_grad():
                ew = 0.9 * ew + 0.1 * w
                eb = 0.9 * eb + 0.1 * b
        with torch.no_grad():
            tl.append(float(((Xt @ w + b - yt) ** 2).mean()))
            vl.append(float(((Xv @ w + b - yv) ** 2).mean()))
            el.append(float(((Xv @ ew + eb - yv) ** 2).mean()))
        sched.step()
    for key, theirs in [("train_loss", tl), ("val_loss", vl), ("ema_val_loss", el), ("lr", lrs)]:
        torch.testing.assert_close(
            torch.tensor(hist[key]), torch.tensor(theirs), rtol=1e-10, atol=1e-12
        )
    # training works: far below the loss of the zero initialisation
    assert hist["val_loss"][-1] < 0.1 * float((yv**2).mean())
