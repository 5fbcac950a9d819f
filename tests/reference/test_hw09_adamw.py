"""Oracle checks for solutions/hw09_adamw.py (Adagrad, Adam, AdamW).

The oracle is PyTorch's own ``torch.optim.Adagrad``, ``Adam`` and ``AdamW`` (float64,
whole trajectories, several hyperparameter settings, two parameter groups), plus closed
forms where an update has one (constant gradient, zero loss). Negative controls show
that the tolerance the graders use (T2: rtol 1e-6) separates torch's conventions from
the notes' slips (ε inside Adagrad's square root; AdamW's gradient at the decayed weights).
"""

from __future__ import annotations

import importlib.util
import math
import sys
import types
from pathlib import Path

import pytest
import torch

import solutions.hw09_adamw as ref
from autograder.runtime.compare import Tolerance, compare
from autograder.spec import load_assignment
from autograder.testing import derive_seed, probe_helpers, roundtrip

torch.set_num_threads(1)
DT = torch.float64
EXACT = {"rtol": 1e-12, "atol": 1e-14}  # same algorithm, different rounding order


# ------------------------------------------------------------------- shared machinery


def _problem(seed: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {
        "W0": torch.randn(5, 3, generator=g, dtype=DT),
        "b0": torch.randn(4, generator=g, dtype=DT),
        # curvatures over three orders of magnitude: the adaptive scaling matters
        "H": 10.0 ** (3 * torch.rand(5, 3, generator=g, dtype=DT) - 1.5),
        "C": torch.randn(5, 3, generator=g, dtype=DT),
        "d": torch.randn(4, generator=g, dtype=DT),
    }


def _loss(W, b, P):
    return (
        0.5 * (P["H"] * (W - P["C"]) ** 2).sum()
        + torch.log(torch.cosh(b - P["d"])).sum()
        + 0.5 * torch.tanh(W[:4, 0] * b).sum()
    )


def _closure_run(opt_class, P, groups, ctor, steps, decay_first: float | None = None):
    """Trajectory of (W, b) and the closure's returned losses.

    ``decay_first`` = lr·λ simulates the cheatsheet's slip: shrink the weights *before*
    evaluating the gradient (then run ``opt_class`` without decay).
    """
    W = P["W0"].clone().requires_grad_(True)
    b = P["b0"].clone().requires_grad_(True)
    opt = opt_class([{"params": [W], **groups[0]}, {"params": [b], **groups[1]}], **ctor)

    def closure():
        opt.zero_grad()
        f = _loss(W, b, P)
        f.backward()
        return f

    Ws, bs, fs = [W.detach().clone()], [b.detach().clone()], []
    for _ in range(steps):
        if decay_first is not None:
            with torch.no_grad():
                W.mul_(1 - decay_first)
                b.mul_(1 - decay_first)
        f = opt.step(closure)
        fs.append(float(f.detach()))
        Ws.append(W.detach().clone())
        bs.append(b.detach().clone())
    return torch.cat([torch.stack(Ws).flatten(1), torch.stack(bs)], dim=1), torch.tensor(fs)


def _fed_run(opt_class, W0, GW, b0, Gb, groups, ctor, none_every=3):
    """Gradients fed through ``.grad``; b has no gradient every ``none_every``-th step."""
    W, b = W0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    opt = opt_class([{"params": [W], **groups[0]}, {"params": [b], **groups[1]}], **ctor)
    out = [torch.cat([W.detach().flatten(), b.detach()])]
    for t in range(GW.shape[0]):
        W.grad = GW[t].clone()
        b.grad = None if t % none_every == none_every - 1 else Gb[t].clone()
        opt.step()
        out.append(torch.cat([W.detach().flatten(), b.detach()]))
    return torch.stack(out), opt


def _assert_close(got, expected, rtol, atol):
    torch.testing.assert_close(got, expected, rtol=rtol, atol=atol)


def _rel_err(a, b):
    return float(((a - b).abs() / b.abs().clamp_min(1e-3)).max())


ADAGRAD_CONFIGS = [
    ([{"lr": 0.05}, {"lr": 0.2}], {}),
    ([{"lr": 0.1, "eps": 1e-3}, {"lr": 0.03, "weight_decay": 0.2}], {}),
    (
        [{"lr": 0.3}, {"lr": 0.01}],
        {"eps": 1e-3, "weight_decay": 0.05, "initial_accumulator_value": 0.1},
    ),
    ([{}, {}], {}),  # torch's defaults: lr 1e-2, eps 1e-10
    ([{"lr": 0.05}, {"lr": 0.1, "weight_decay": 0.0}], {"weight_decay": 1.0}),  # λ = 1 exactly
]

ADAM_CONFIGS = [
    ([{"lr": lr, "betas": betas, "eps": eps, "weight_decay": wd}, {"lr": 2 * lr}], {})
    for lr, betas, eps, wd in [
        (0.01, (0.9, 0.999), 1e-8, 0.0),
        (0.01, (0.9, 0.999), 1e-3, 0.1),
        (0.02, (0.9, 0.99), 1e-8, 1.0),  # λ = 1 exactly
        (0.03, (0.5, 0.9), 1e-8, 0.1),
        (0.03, (0.5, 0.9), 1e-3, 0.0),
        (0.05, (0.0, 0.99), 1e-8, 0.0),
        (0.05, (0.0, 0.99), 1e-3, 0.1),
    ]
] + [
    ([{}, {"lr": 0.02, "weight_decay": 0.5}], {"betas": (0.5, 0.9)}),
    ([{}, {}], {}),  # defaults
]


# ------------------------------------------------------------------------------- q1


@pytest.mark.parametrize("groups, ctor", ADAGRAD_CONFIGS)
def test_adagrad_matches_torch_on_a_loss(groups, ctor):
    P = _problem(1)
    ours, f_ours = _closure_run(ref.Adagrad, P, groups, ctor, 50)
    theirs, f_theirs = _closure_run(torch.optim.Adagrad, P, groups, ctor, 50)
    _assert_close(ours, theirs, **EXACT)
    _assert_close(f_ours, f_theirs, **EXACT)


def test_adagrad_matches_torch_with_fed_gradients_and_state():
    g = torch.Generator().manual_seed(2)
    W0, b0 = torch.randn(5, 3, generator=g, dtype=DT), torch.randn(4, generator=g, dtype=DT)
    GW = torch.randn(40, 5, 3, generator=g, dtype=DT) * torch.tensor([1.0, 10.0, 0.1], dtype=DT)
    Gb = torch.randn(40, 4, generator=g, dtype=DT)
    groups, ctor = [{"lr": 0.1}, {"lr": 0.5, "eps": 1e-3}], {"weight_decay": 0.1}
    ours, o = _fed_run(ref.Adagrad, W0, GW, b0, Gb, groups, ctor)
    theirs, t = _fed_run(torch.optim.Adagrad, W0, GW, b0, Gb, groups, ctor)
    _assert_close(ours, theirs, **EXACT)
    for p_o, p_t in zip(o.param_groups, t.param_groups):
        for a, b in zip(p_o["params"], p_t["params"]):
            _assert_close(o.state[a]["sum"], t.state[b]["sum"], **EXACT)
            assert int(o.state[a]["step"]) == int(t.state[b]["step"])
    # b skipped every third step: its own count, not the optimiser's
    assert int(o.state[o.param_groups[1]["params"][0]]["step"]) == 40 - 40 // 3


def test_adagrad_eps_inside_sqrt_is_caught():
    """The notes' √(G + ε) differs from torch far beyond the graders' T2 (rtol 1e-6)."""

    class NotesAdagrad(torch.optim.Optimizer):
        def __init__(self, params, lr=1e-2, eps=1e-10):
            super().__init__(params, {"lr": lr, "eps": eps})

        @torch.no_grad()
        def step(self, closure=None):
            with torch.enable_grad():
                loss = closure()
            for group in self.param_groups:
                for p in group["params"]:
                    s = self.state[p].setdefault("sum", torch.zeros_like(p))
                    s.add_(p.grad**2)
                    p.sub_(group["lr"] * p.grad / torch.sqrt(s + group["eps"]))
            return loss

    P = _problem(3)
    groups = [{"lr": 0.1}, {"lr": 0.1}]
    notes, _ = _closure_run(NotesAdagrad, P, groups, {"eps": 1e-3}, 40)
    ours, _ = _closure_run(ref.Adagrad, P, groups, {"eps": 1e-3}, 40)
    assert _rel_err(notes, ours) > 1e-3


def test_adagrad_properties():
    g = torch.Generator().manual_seed(4)
    w = torch.randn(6, generator=g, dtype=DT).requires_grad_(True)
    w_none = torch.randn(3, generator=g, dtype=DT).requires_grad_(True)
    before = w_none.detach().clone()
    opt = ref.Adagrad([w, w_none], lr=0.1, eps=1e-10)
    rates = []
    for _ in range(30):
        w.grad = torch.randn(6, generator=g, dtype=DT) * 5
        opt.step()
        rates.append(0.1 / (opt.state[w]["sum"].sqrt() + 1e-10))
    rates = torch.stack(rates)
    assert bool((rates[1:] <= rates[:-1]).all())  # the effective rate never increases
    assert torch.equal(w_none.detach(), before)  # grad None: untouched
    assert opt.step(lambda: torch.tensor(3.5)) == torch.tensor(3.5)  # closure value returned


# ------------------------------------------------------------------------------- q2


def test_bias_corrected_closed_form_and_constant_gradient():
    g = torch.tensor([0.3, -2.0, 1e-4], dtype=DT)
    for beta1, beta2 in [(0.9, 0.999), (0.5, 0.9), (0.0, 0.99)]:
        m = torch.zeros(3, dtype=DT)
        v = torch.zeros(3, dtype=DT)
        for t in range(1, 60):
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g**2
            # closed forms: m_t = (1 − β₁^t) g and v_t = (1 − β₂^t) g²
            _assert_close(m, (1 - beta1**t) * g, rtol=1e-13, atol=0)
            m_hat, v_hat = ref.bias_corrected(m, v, beta1, beta2, t)
            _assert_close(m_hat, g, rtol=1e-12, atol=0)
            _assert_close(v_hat, g**2, rtol=1e-12, atol=0)


@pytest.mark.parametrize("groups, ctor", ADAM_CONFIGS)
def test_adam_matches_torch_on_a_loss(groups, ctor):
    P = _problem(5)
    ours, f_ours = _closure_run(ref.Adam, P, groups, ctor, 50)
    theirs, f_theirs = _closure_run(torch.optim.Adam, P, groups, ctor, 50)
    _assert_close(ours, theirs, **EXACT)
    _assert_close(f_ours, f_theirs, **EXACT)


def test_adam_matches_torch_with_fed_gradients_and_state():
    g = torch.Generator().manual_seed(6)
    W0, b0 = torch.randn(5, 3, generator=g, dtype=DT), torch.randn(4, generator=g, dtype=DT)
    GW = torch.randn(40, 5, 3, generator=g, dtype=DT) * torch.tensor([1.0, 100.0, 0.01], dtype=DT)
    Gb = torch.randn(40, 4, generator=g, dtype=DT)
    groups, ctor = [{"lr": 0.01}, {"lr": 0.1, "betas": (0.0, 0.99)}], {"weight_decay": 0.1}
    ours, o = _fed_run(ref.Adam, W0, GW, b0, Gb, groups, ctor)
    theirs, t = _fed_run(torch.optim.Adam, W0, GW, b0, Gb, groups, ctor)
    _assert_close(ours, theirs, **EXACT)
    for a, b in zip(o.param_groups[1]["params"], t.param_groups[1]["params"]):
        _assert_close(o.state[a]["exp_avg"], t.state[b]["exp_avg"], **EXACT)
        _assert_close(o.state[a]["exp_avg_sq"], t.state[b]["exp_avg_sq"], **EXACT)
        assert int(o.state[a]["step"]) == int(t.state[b]["step"]) == 40 - 40 // 3


def test_adam_first_step_is_sign_like():
    g = torch.tensor([3.0, -1e-3, 0.5], dtype=DT)
    w = torch.zeros(3, dtype=DT, requires_grad=True)
    opt = ref.Adam([w], lr=0.1, eps=1e-8)
    w.grad = g.clone()
    opt.step()
    _assert_close(w.detach(), -0.1 * g / (g.abs() + 1e-8), rtol=1e-12, atol=0)


@pytest.mark.parametrize("cls_name", ["Adagrad", "Adam", "AdamW"])
def test_state_dict_round_trip_continues_identically(cls_name):
    cls = getattr(ref, cls_name)
    g = torch.Generator().manual_seed(7)
    W0, b0 = torch.randn(5, 3, generator=g, dtype=DT), torch.randn(4, generator=g, dtype=DT)
    GW, Gb = torch.randn(20, 5, 3, generator=g, dtype=DT), torch.randn(20, 4, generator=g, dtype=DT)
    groups = [{"lr": 0.05}, {"lr": 0.2, "weight_decay": 0.1}]
    full, _ = _fed_run(cls, W0, GW, b0, Gb, groups, {}, none_every=4)
    first, opt = _fed_run(cls, W0, GW[:8], b0, Gb[:8], groups, {}, none_every=4)
    W1 = first[-1, :15].reshape(5, 3).clone().requires_grad_(True)
    b1 = first[-1, 15:].clone().requires_grad_(True)
    # a fresh optimiser with other hyperparameters: load_state_dict must restore them
    opt2 = cls([{"params": [W1]}, {"params": [b1]}], lr=123.0)
    opt2.load_state_dict(opt.state_dict())
    rest = [torch.cat([W1.detach().flatten(), b1.detach()])]
    for t in range(8, 20):
        W1.grad = GW[t].clone()
        b1.grad = None if t % 4 == 3 else Gb[t].clone()
        opt2.step()
        rest.append(torch.cat([W1.detach().flatten(), b1.detach()]))
    assert torch.equal(torch.stack(rest), full[8:])


# ------------------------------------------------------------------------------- q3


@pytest.mark.parametrize(
    "groups, ctor",
    [
        ([{"lr": 0.01, "weight_decay": 0.1}, {"lr": 0.03}], {}),
        (
            [{"lr": 0.05, "betas": (0.0, 0.99), "eps": 1e-3}, {"weight_decay": 0.0}],
            {"weight_decay": 1.0},
        ),
        ([{"betas": (0.5, 0.9)}, {"lr": 0.02, "weight_decay": 0.5}], {"lr": 0.03}),
        ([{}, {}], {}),  # defaults: lr 1e-3, weight_decay 1e-2
    ],
)
def test_adamw_matches_torch_adamw_and_decoupled_adam(groups, ctor):
    P = _problem(8)
    ours, f_ours = _closure_run(ref.AdamW, P, groups, ctor, 50)
    theirs, f_theirs = _closure_run(torch.optim.AdamW, P, groups, ctor, 50)
    _assert_close(ours, theirs, **EXACT)
    _assert_close(f_ours, f_theirs, **EXACT)
    # slip 8 of the blueprint: Adam(decoupled_weight_decay=True) *is* AdamW (hence forbidden)
    ctor_adam = {"weight_decay": 1e-2, **ctor, "decoupled_weight_decay": True}
    adam_dec, _ = _closure_run(torch.optim.Adam, P, groups, ctor_adam, 50)
    _assert_close(ours, adam_dec, **EXACT)


def test_adamw_negative_controls():
    """T2 separates AdamW from Adam+L2 and from the cheatsheet's decay-then-gradient."""
    P = _problem(9)
    lr, wd = 0.01, 0.1
    groups = [{"lr": lr, "weight_decay": wd}, {"lr": lr, "weight_decay": wd}]
    adamw, _ = _closure_run(ref.AdamW, P, groups, {}, 40)
    adam_l2, _ = _closure_run(ref.Adam, P, groups, {}, 40)
    no_wd = [{"lr": lr, "weight_decay": 0.0}, {"lr": lr, "weight_decay": 0.0}]
    slip, _ = _closure_run(ref.AdamW, P, no_wd, {}, 40, decay_first=lr * wd)
    assert _rel_err(adam_l2, adamw) > 1e-4
    assert _rel_err(slip, adamw) > 1e-5  # > 10× the graders' rtol


def test_adamw_closed_forms():
    w0 = torch.tensor([1.0, -0.25, 3e-3], dtype=DT)
    # weight decay 0: exactly the Adam trajectory
    P = _problem(10)
    g0 = [{"lr": 0.02, "weight_decay": 0.0}, {"lr": 0.05, "weight_decay": 0.0}]
    assert torch.equal(
        _closure_run(ref.AdamW, P, g0, {}, 30)[0], _closure_run(ref.Adam, P, g0, {}, 30)[0]
    )
    # zero gradients: w_t = (1 − αλ)^t w_0 (m = v = 0, the Adam term is 0/ε = 0)
    w = w0.clone().requires_grad_(True)
    keep = torch.randn(2, dtype=DT).requires_grad_(True)
    keep0 = keep.detach().clone()
    opt = ref.AdamW(
        [{"params": [w]}, {"params": [keep], "weight_decay": 0.0}], lr=0.1, weight_decay=0.3
    )
    expected = w0.clone()
    for t in range(1, 41):
        w.grad, keep.grad = torch.zeros(3, dtype=DT), torch.zeros(2, dtype=DT)
        opt.step()
        expected = expected * (1 - 0.1 * 0.3)
        assert torch.equal(w.detach(), expected)
        _assert_close(w.detach(), (1 - 0.03) ** t * w0, rtol=1e-13, atol=0)
    assert torch.equal(keep.detach(), keep0)  # per-group weight decay respected


# ------------------------------------------------------------------------------- q4


def _torch_l2_vs_decoupled(w0, lr, wds, steps):
    out = {}
    for key, cls in (("adam_l2", torch.optim.Adam), ("adamw", torch.optim.AdamW)):
        runs = []
        for lam in wds:
            w = w0.clone().requires_grad_(True)
            opt = cls([w], lr=lr, weight_decay=lam)
            path = [w.detach().clone()]
            for _ in range(steps):
                w.grad = torch.zeros_like(w)
                opt.step()
                path.append(w.detach().clone())
            runs.append(torch.stack(path))
        out[key] = torch.stack(runs)
    return out


def test_l2_vs_decoupled_matches_torch_and_theory():
    w0 = torch.tensor([1.0, 0.05, -0.3], dtype=DT)
    lr, wds, steps = 0.01, [1e-2, 1e-1], 50
    got = ref.l2_vs_decoupled(w0, lr, wds, steps)
    expected = _torch_l2_vs_decoupled(w0, lr, wds, steps)
    assert got["adam_l2"].shape == got["adamw"].shape == (2, steps + 1, 3)
    _assert_close(got["adam_l2"], expected["adam_l2"], **EXACT)
    _assert_close(got["adamw"], expected["adamw"], **EXACT)
    t = torch.arange(steps + 1, dtype=DT)[:, None]
    for i, lam in enumerate(wds):
        _assert_close(got["adamw"][i], (1 - lr * lam) ** t * w0, rtol=1e-12, atol=0)
    # Adam sees g = λw and is scale invariant: λ drops out up to ε (measured 6.7e-7)
    diff = float((got["adam_l2"][0] - got["adam_l2"][1]).abs().max())
    assert diff < 1e-5
    # ... and every coordinate first moves by lr·λ|w|/(λ|w| + ε) ≈ lr, whatever its size
    # (relative shortfall ε/(λ|w|) ≤ 1e-8/(1e-2·0.05) = 2e-5)
    _assert_close(
        (got["adam_l2"][0, 1] - w0).abs(), torch.full((3,), lr, dtype=DT), rtol=3e-5, atol=0
    )


# ------------------------------------------------------------------------------- q5


def _torch_backed_module() -> types.ModuleType:
    """The reference module with its optimiser classes replaced by torch.optim's."""
    spec = importlib.util.spec_from_file_location("hw09_torch_backed", ref.__file__)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.Adagrad, mod.Adam, mod.AdamW = torch.optim.Adagrad, torch.optim.Adam, torch.optim.AdamW

    def bias_corrected(m, v, beta1, beta2, t):  # independent closed form
        return m / (1 - beta1**t), v / (1 - beta2**t)

    mod.bias_corrected = bias_corrected
    return mod


@pytest.fixture(scope="module")
def digits():
    return ref.load_digits_split(seed=0)


def test_load_digits_split(digits):
    X_tr, y_tr, X_val, y_val = digits
    assert X_tr.shape == (1500, 64) and X_val.shape == (297, 64)
    assert X_tr.dtype == torch.float32 and y_tr.dtype == torch.int64
    assert float(X_tr.min()) >= 0.0 and float(X_tr.max()) <= 1.0
    assert set(y_val.tolist()) == set(range(10))
    from sklearn.datasets import load_digits

    total = torch.tensor(load_digits().data, dtype=torch.float32).sum() / 16
    _assert_close(X_tr.sum() + X_val.sum(), total, rtol=1e-5, atol=0)


def test_make_mlp_init_is_torch_default_distribution_and_reproducible():
    state = torch.random.get_rng_state()
    a = ref.make_mlp((64, 128, 10), torch.Generator().manual_seed(3), dtype=DT)
    assert torch.equal(torch.random.get_rng_state(), state)  # global RNG untouched
    b = ref.make_mlp((64, 128, 10), torch.Generator().manual_seed(3), dtype=DT)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    torch_default = torch.nn.Linear(64, 128)
    bound = 1 / math.sqrt(64)
    for w in (a[0].weight.detach(), torch_default.weight.detach()):
        assert float(w.abs().max()) <= bound
        # uniform on [−bound, bound]: std = bound/√3 (8192 draws, 3 % margin)
        assert abs(float(w.std()) - bound / math.sqrt(3)) < 0.03 * bound
    assert [type(m).__name__ for m in a] == ["Linear", "ReLU", "Linear"]


@pytest.mark.parametrize(
    "name, hparams",
    [
        ("sgd", {"lr": 0.1}),
        ("momentum", {"lr": 0.05}),
        ("adagrad", {"lr": 0.05}),
        ("adam", {"lr": 3e-3}),
        ("adamw", {"lr": 3e-3, "weight_decay": 0.05}),
    ],
)
def test_train_classifier_matches_torch_optimisers(name, hparams):
    g = torch.Generator().manual_seed(11)
    data = (
        torch.randn(48, 6, generator=g, dtype=DT),
        torch.randint(0, 3, (48,), generator=g),
        torch.randn(20, 6, generator=g, dtype=DT),
        torch.randint(0, 3, (20,), generator=g),
    )
    kw = {"eval_every": 5, "hidden": (5,), "n_classes": 3}
    ours = ref.train_classifier(name, hparams, 25, 8, 3, data, **kw)
    theirs = _torch_backed_module().train_classifier(name, hparams, 25, 8, 3, data, **kw)
    assert ours["step"] == theirs["step"] == [0, 5, 10, 15, 20, 25]
    for key in ("train_loss", "val_loss", "val_acc"):
        _assert_close(torch.tensor(ours[key]), torch.tensor(theirs[key]), rtol=1e-11, atol=1e-13)


def test_every_optimiser_lowers_the_training_loss_on_digits(digits):
    configs = {
        "sgd": {"lr": 0.1},
        "momentum": {"lr": 0.05, "momentum": 0.9},
        "adagrad": {"lr": 0.05},
        "adam": {"lr": 1e-3},
        "adamw": {"lr": 1e-3, "weight_decay": 1e-2},
    }
    for name, hp in configs.items():
        h = ref.train_classifier(name, hp, 100, 64, 0, digits, eval_every=50)
        assert h["step"] == [0, 50, 100]
        assert h["train_loss"][-1] < 0.8 * h["train_loss"][0], name
        assert h["val_acc"][-1] > 0.5, name


def test_train_classifier_lr_zero_changes_nothing():
    g = torch.Generator().manual_seed(12)
    data = (torch.randn(30, 4, generator=g, dtype=DT), torch.randint(0, 3, (30,), generator=g)) * 2
    for name in ("sgd", "adagrad", "adam", "adamw"):
        h = ref.train_classifier(
            name, {"lr": 0.0}, 6, 4, 0, data, eval_every=2, hidden=(3,), n_classes=3
        )
        assert len(set(h["train_loss"])) == 1, name


def test_train_classifier_evaluates_the_last_step_once():
    g = torch.Generator().manual_seed(14)
    data = (torch.randn(30, 4, generator=g, dtype=DT), torch.randint(0, 3, (30,), generator=g)) * 2
    kw = {"hidden": (3,), "n_classes": 3, "eval_every": 5}
    # 9 steps, period 5: 0, 5 and the last step; 10 steps: the last one is not recorded twice
    for steps, expected in ((9, [0, 5, 9]), (10, [0, 5, 10])):
        h = ref.train_classifier("sgd", {"lr": 0.1}, steps, 4, 0, data, **kw)
        assert h["step"] == expected


def test_make_optimizer_kinds():
    p = [torch.zeros(2, requires_grad=True)]
    assert (
        ref.make_optimizer("sgd", p, {"lr": 0.1, "momentum": 0.5}).param_groups[0]["momentum"]
        == 0.0
    )
    assert ref.make_optimizer("momentum", p, {"lr": 0.1}).param_groups[0]["momentum"] == 0.9
    assert type(ref.make_optimizer("adamw", p, {})) is ref.AdamW
    with pytest.raises(ValueError):
        ref.make_optimizer("lion", p, {})


# ------------------------------------------------------------------------------- q6


def test_mechanics_data_against_torch_adagrad_and_closed_forms():
    g = torch.Generator().manual_seed(13)
    T = 60
    grads = torch.randn(T, 2, generator=g, dtype=DT) * torch.tensor([1.0, 10.0], dtype=DT)
    d = ref.mechanics_data(
        grads, lr=0.1, eps=1e-10, beta2s=(0.9, 0.99), betas=(0.8, 0.95), g_const=2.0
    )
    # 2.1: the effective rate read off torch's Adagrad state
    w = torch.zeros(2, dtype=DT, requires_grad=True)
    opt = torch.optim.Adagrad([w], lr=0.1, eps=1e-10)
    rates = []
    for t in range(T):
        w.grad = grads[t].clone()
        opt.step()
        rates.append(0.1 / (opt.state[w]["sum"].sqrt() + 1e-10))
    _assert_close(d["rate"], torch.stack(rates), **EXACT)
    assert bool((d["rate"][1:] <= d["rate"][:-1]).all())
    # 2.2: v_t = (1 − β₂) Σ_s β₂^{t−s} g_s² (closed form of the EMA), G_t = Σ g_s²
    t_idx = torch.arange(1, T + 1, dtype=DT)
    for i, beta2 in enumerate((0.9, 0.99)):
        weights = (
            (1 - beta2)
            * beta2 ** (t_idx[:, None] - t_idx[None, :])
            * (t_idx[None, :] <= t_idx[:, None])
        )
        _assert_close(d["v"][i], weights @ grads[:, 0] ** 2, rtol=1e-12, atol=1e-14)
    _assert_close(d["G"], torch.cumsum(grads[:, 0] ** 2, 0), **EXACT)
    # 2.3: constant g: m_t = (1 − β₁^t) g, v_t = (1 − β₂^t) g², bias-corrected = g, g²
    _assert_close(d["m"], (1 - 0.8**t_idx) * 2.0, **EXACT)
    _assert_close(d["v_const"], (1 - 0.95**t_idx) * 4.0, **EXACT)
    _assert_close(d["m_hat"], torch.full((T,), 2.0, dtype=DT), **EXACT)
    _assert_close(d["v_hat"], torch.full((T,), 4.0, dtype=DT), **EXACT)
    _assert_close(d["t"], t_idx, rtol=0, atol=0)
    _assert_close(d["beta2s"], torch.tensor([0.9, 0.99], dtype=DT), rtol=0, atol=0)


def test_figures_carry_their_data():
    import matplotlib

    matplotlib.use("Agg")
    grads = torch.randn(12, 2, dtype=DT)
    d = ref.mechanics_data(grads)
    fd = probe_helpers.figure_data(ref.plot_adaptive_mechanics(d))
    assert fd["n_axes"] == 3
    assert [a["yscale"] for a in fd["axes"]] == ["log", "log", "linear"]
    assert all(a["has_xlabel"] and a["has_ylabel"] for a in fd["axes"])
    labels = [[ln["label"] for ln in a["lines"]] for a in fd["axes"]]
    assert labels[0] == ["coordinate 0", "coordinate 1"]
    assert sorted(labels[1]) == sorted(
        ["Adagrad G_t"] + [f"Adam v_t, β₂ = {b:g}" for b in (0.9, 0.99, 0.999)]
    )
    assert sorted(labels[2]) == sorted(["m_t", "v_t", "m̂_t", "v̂_t"])
    assert fd["axes"][0]["lines"][1]["y"] == d["rate"][:, 1].tolist()

    hist = {
        "Adam": {
            "step": [0, 5],
            "train_loss": [2.0, 1.0],
            "val_loss": [2, 1],
            "val_acc": [0.1, 0.5],
        }
    }
    fd = probe_helpers.figure_data(ref.plot_optimizer_comparison(hist))
    assert fd["n_axes"] == 2 and [a["yscale"] for a in fd["axes"]] == ["log", "linear"]
    assert fd["axes"][0]["lines"] == [{"label": "Adam", "x": [0.0, 5.0], "y": [2.0, 1.0]}]
    assert fd["axes"][1]["lines"] == [{"label": "Adam", "x": [0.0, 5.0], "y": [0.1, 0.5]}]

    res = ref.l2_vs_decoupled(torch.tensor([1.0, 0.1], dtype=DT), 0.05, [0.1, 0.5], 6)
    fd = probe_helpers.figure_data(ref.plot_l2_vs_decoupled(res, [0.1, 0.5]))
    assert fd["n_axes"] == 2
    first = {ln["label"]: ln["y"] for ln in fd["axes"][1]["lines"]}
    assert first["AdamW, λ = 0.5"] == res["adamw"][1, :, 1].tolist()
    assert first["Adam+L2, λ = 0.1"] == res["adam_l2"][0, :, 1].tolist()
    import matplotlib.pyplot as plt

    plt.close("all")


# ---------------------------------------------------- the graders' own probes vs torch


class _TorchGrade:
    """Stands in for the ``grade`` fixture: the "student" is the torch-backed module.

    Every ``compare`` of a hidden or public test then checks the reference against
    torch.optim on exactly the graders' inputs; every ``check`` must hold for torch.
    """

    def __init__(self, test_name: str, salt: str, student: types.ModuleType) -> None:
        self.test_name, self.salt, self.student = test_name, salt, student
        self.compared = 0

    def cases(self, n):
        for i in range(n):
            yield i, torch.Generator().manual_seed(derive_seed(self.salt, self.test_name, i))

    def compare(self, probe_, *args, case, rtol=0.0, atol=0.0, allow=()):
        expected = roundtrip(probe_(ref, *roundtrip(list(args))))
        got = roundtrip(probe_(self.student, *roundtrip(list(args))))
        # torch.optim vs the reference: far tighter than the graders' T2
        mismatch = compare(expected, got, Tolerance(min(rtol, 1e-11), min(atol, 1e-13)))
        assert mismatch is None, f"{self.test_name} [{case}]: {mismatch}"
        self.compared += 1
        return True

    def run(self, probe_, *args, case, allow=()):
        return roundtrip(probe_(self.student, *roundtrip(list(args))))

    def reference(self, probe_, *args):
        return roundtrip(probe_(ref, *roundtrip(list(args))))

    def run_and_reference(self, probe_, *args, case, allow=()):
        return self.run(probe_, *args, case=case, allow=allow), self.reference(probe_, *args)

    def check(self, condition, *, case, message):
        assert condition, f"{self.test_name} [{case}]: {message}"
        return True

    forbidden = ()

    def compare_figure(self, probe_, *args, case, rtol=0.0, atol=0.0):
        return True  # figures draw given data: no optimiser to compare

    # No replay here: each side runs its own earlier classes, so that q3–q5's probes still
    # compare the reference's optimisers with torch.optim's.
    def reference_calls(self, probe_, names, *args, torch_classes=None):
        return {"calls": [], "torch": {}, "anchors": []}

    def replaying(self, probe_):
        return lambda ns, replay, *args: probe_(ns, *args)


_ASSIGNMENT = Path(__file__).resolve().parents[2] / "assignments" / "hw09_adamw"


def _test_functions():
    out = []
    for folder in ("hidden", "public"):
        for path in sorted((_ASSIGNMENT / "tests" / folder).glob("test_*.py")):
            if folder == "hidden" and not path.name.startswith(
                ("test_q1", "test_q2", "test_q3", "test_q4", "test_q5")
            ):
                continue  # q6 is figures and plain recursions: no torch.optim to compare with
            out.append((folder, path))
    return out


@pytest.mark.parametrize("folder, path", _test_functions(), ids=lambda x: getattr(x, "name", x))
def test_grader_probes_agree_with_torch_optim(folder, path):
    import matplotlib

    matplotlib.use("Agg")
    spec = importlib.util.spec_from_file_location(f"hw09_{folder}_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    student = _torch_backed_module()
    student.plt = __import__("matplotlib.pyplot").pyplot
    salt = load_assignment(_ASSIGNMENT).salt  # the course's salt: exactly the graded inputs
    ran = 0
    for name in dir(mod):
        if name.startswith("test_") and callable(getattr(mod, name)):
            grade = _TorchGrade(name, salt, student)
            getattr(mod, name)(grade)
            ran += grade.compared
    assert ran > 0


def test_optional_fashion_mnist_reader_on_synthetic_idx_files(tmp_path, monkeypatch):
    """The optional run's IDX reader, on files written here by the format's definition."""
    import gzip

    g = torch.Generator().manual_seed(14)
    images = torch.randint(0, 256, (7, 28, 28), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, 10, (7,), generator=g, dtype=torch.uint8)

    def idx_bytes(t):
        header = bytes([0, 0, 0x08, t.dim()]) + b"".join(s.to_bytes(4, "big") for s in t.shape)
        return header + t.numpy().tobytes()

    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(images))
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images[:3])))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(labels[:3]))
    assert torch.equal(ref.read_idx(str(tmp_path / "train-images-idx3-ubyte")), images)
    X, y, Xv, yv = ref.load_fashion_mnist(str(tmp_path), n_train=5, n_val=2)
    assert X.shape == (5, 784) and Xv.shape == (2, 784) and y.dtype == torch.int64
    _assert_close(X, images[:5].reshape(5, -1).float() / 127.5 - 1, rtol=0, atol=1e-6)
    assert torch.equal(yv, labels[:2].long())
    assert float(X.min()) >= -1.0 and float(X.max()) <= 1.0
    monkeypatch.setenv("STAT4830_FASHION_MNIST", str(tmp_path))
    assert ref.fashion_mnist_path() == str(tmp_path)
    monkeypatch.setenv("STAT4830_FASHION_MNIST", str(tmp_path / "missing"))
    assert ref.fashion_mnist_path() is None
