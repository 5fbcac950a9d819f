"""hw11_tuning_playbook: the reference cross-checked against independent oracles.

Oracles: a brute-force groupby with ``numpy.argmin``/``argmax`` (first index on ties) for
the isolation table; hand-built trial tables whose answers are known, and the lecture's
"a better trial at the edge means expand" property, for the boundary check; the training
run repeated with ``torch.nn.Linear`` modules and an AdamW step written from the
lecture's formulas (not ``torch.optim``); ``numpy.argmin`` and ``statistics`` for the
helpers; the NQM's second-moment recursion iterated numerically (not the closed form) and
the steps-to-target numbers measured independently in the blueprint's Appendix A; the
figures' data read back with ``probe_helpers.figure_data``.
"""

from __future__ import annotations

import math
import statistics

import matplotlib

matplotlib.use("Agg")

import itertools

import numpy as np
import pytest
import torch
from matplotlib import pyplot as plt

from autograder.runtime import probe_helpers
from solutions import hw11_tuning_playbook as ref

F64 = torch.float64


# ----------------------------------------------------------------------------- q1


def _random_trials(rng: np.random.Generator, n: int, values: list[float]) -> list[dict]:
    # losses rounded to 2 decimals so that ties occur and the tie rule is exercised
    return [
        {
            "wd": float(rng.choice(values)),
            "lr": float(10 ** rng.uniform(-4, 0)),
            "val_loss": float(np.round(rng.uniform(0.1, 0.3), 2)),
        }
        for _ in range(n)
    ]


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("seed", range(5))
def test_isolation_table_matches_groupby(seed, mode):
    rng = np.random.default_rng(seed)
    trials = _random_trials(rng, 30, [1e-4, 1e-3, 1e-2, 1e-1])
    got = ref.isolation_table(trials, "wd", "val_loss", mode)
    wds = np.array([t["wd"] for t in trials])
    losses = np.array([t["val_loss"] for t in trials])
    expected = {}
    for v in np.unique(wds):
        idx = np.flatnonzero(wds == v)
        pick = np.argmin(losses[idx]) if mode == "min" else np.argmax(losses[idx])
        expected[float(v)] = trials[idx[pick]]  # argmin/argmax return the first of ties
    assert list(got) == sorted(expected)
    for v in expected:
        assert got[v] is expected[v]


def test_isolation_table_rejects_an_unknown_mode():
    trials = [{"wd": 0.1, "val_loss": 0.3}]
    for mode in ("best", "MIN", ""):
        with pytest.raises(ValueError):
            ref.isolation_table(trials, "wd", "val_loss", mode)


# ----------------------------------------------------------------------------- q2


def _trials(lrs, losses):
    return [{"lr": x, "val_loss": v} for x, v in zip(lrs, losses)]


def test_boundary_check_known_tables():
    bounds = (1e-4, 1.0)
    # the best three in the middle decades
    mid = _trials([1e-4, 1e-3, 1e-2, 3e-2, 1.0], [0.9, 0.4, 0.2, 0.3, 0.8])
    assert ref.boundary_check(mid, "lr", "val_loss", bounds) == "ok"
    # best at the top: log position of 0.5 is 1 − log10(2)/4 ≈ 0.925 ≥ 0.9
    top = _trials([1e-4, 1e-2, 0.5], [0.9, 0.3, 0.1])
    assert ref.boundary_check(top, "lr", "val_loss", bounds, top_k=1) == "expand_high"
    # on a linear scale 0.5 is in the middle
    assert ref.boundary_check(top, "lr", "val_loss", bounds, False, top_k=1) == "ok"
    low = _trials([1.5e-4, 1e-2, 0.5], [0.1, 0.3, 0.9])
    assert ref.boundary_check(low, "lr", "val_loss", bounds, top_k=1) == "expand_low"
    both = _trials([1.5e-4, 1e-2, 0.5], [0.1, 0.3, 0.2])
    assert ref.boundary_check(both, "lr", "val_loss", bounds, top_k=2) == "expand_both"
    assert ref.boundary_check(both, "lr", "val_loss", bounds, top_k=1) == "expand_low"
    # the edge itself counts (u <= edge_frac)
    edge = _trials([10 ** (-4 + 0.4), 1e-2], [0.1, 0.2])
    assert ref.boundary_check(edge, "lr", "val_loss", bounds, top_k=1) == "expand_low"
    # linear positions in (2, 6): 3 is at u = 1/4, 5 at u = 3/4, 4 in the middle (exact)
    lin = _trials([3.0, 5.0, 4.0], [0.1, 0.2, 0.3])
    assert ref.boundary_check(lin, "lr", "val_loss", (2.0, 6.0), False, 1, 0.25) == "expand_low"
    assert ref.boundary_check(lin, "lr", "val_loss", (2.0, 6.0), False, 1, 0.2) == "ok"
    assert ref.boundary_check(lin[1:], "lr", "val_loss", (2.0, 6.0), False, 1, 0.25) == (
        "expand_high"
    )
    assert ref.boundary_check(lin[1:], "lr", "val_loss", (2.0, 6.0), False, 1, 0.2) == "ok"
    assert ref.boundary_check(lin[2:], "lr", "val_loss", (2.0, 6.0), False, 1, 0.25) == "ok"
    assert ref.boundary_check(lin, "lr", "val_loss", (2.0, 6.0), False, 2, 0.25) == "expand_both"


def test_boundary_check_better_trial_at_edge_switches_to_expand():
    rng = np.random.default_rng(3)
    lrs = 10 ** rng.uniform(-3, -1, size=12)  # the middle of (1e-4, 1)
    trials = _trials(lrs.tolist(), rng.uniform(0.2, 0.5, size=12).tolist())
    assert ref.boundary_check(trials, "lr", "val_loss", (1e-4, 1.0)) == "ok"
    trials.append({"lr": 0.9, "val_loss": 0.01})
    assert ref.boundary_check(trials, "lr", "val_loss", (1e-4, 1.0)) == "expand_high"


# ----------------------------------------------------------------------------- q3


def _train_by_hand(config, max_train_steps, eval_every, seed, data):
    """The same workload with nn.Linear layers and AdamW written from the formulas."""
    X, y, Xv, yv = data
    g = torch.Generator().manual_seed(seed)
    W1 = torch.randn(64, config["width"], generator=g, dtype=F64) / 8.0
    W2 = torch.randn(config["width"], 10, generator=g, dtype=F64) / math.sqrt(config["width"])
    net = torch.nn.Sequential(
        torch.nn.Linear(64, config["width"]), torch.nn.Tanh(), torch.nn.Linear(config["width"], 10)
    ).double()
    with torch.no_grad():  # nn.Linear stores the transposed weight
        net[0].weight.copy_(W1.T)
        net[0].bias.zero_()
        net[2].weight.copy_(W2.T)
        net[2].bias.zero_()
    params = list(net.parameters())
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    lr, wd, b1, b2, eps = config["lr"], config["weight_decay"], 0.9, 0.999, 1e-8
    curve = []
    for t in range(1, max_train_steps + 1):
        idx = torch.randint(0, len(y), (config["batch_size"],), generator=g)
        grads = torch.autograd.grad(torch.nn.functional.cross_entropy(net(X[idx]), y[idx]), params)
        with torch.no_grad():
            for p, gr, mi, vi in zip(params, grads, m, v):
                p.mul_(1 - lr * wd)  # decoupled decay at the current weights
                mi.mul_(b1).add_((1 - b1) * gr)
                vi.mul_(b2).add_((1 - b2) * gr * gr)
                mhat, vhat = mi / (1 - b1**t), vi / (1 - b2**t)
                p.sub_(lr * mhat / (vhat.sqrt() + eps))
        if t % eval_every == 0:
            with torch.no_grad():
                curve.append((t, float(torch.nn.functional.cross_entropy(net(Xv), yv))))
    return curve


@pytest.fixture(scope="module")
def digits():
    return ref.load_digits_split(300, 500, seed=0)


@pytest.mark.parametrize(
    "config",
    [
        {"lr": 0.03, "weight_decay": 0.0, "width": 16, "batch_size": 32},
        {"lr": 0.01, "weight_decay": 0.1, "width": 8, "batch_size": 16},
    ],
)
def test_train_fixed_budget_matches_hand_written_adamw(digits, config):
    got = ref.train_fixed_budget(config, 60, 10, 5, digits)
    curve = _train_by_hand(config, 60, 10, 5, digits)
    assert [s for s, _ in got["val_curve"]] == [s for s, _ in curve]
    np.testing.assert_allclose([v for _, v in got["val_curve"]], [v for _, v in curve], rtol=1e-9)
    k = int(np.argmin([v for _, v in curve]))
    assert got["best_step"] == curve[k][0]
    assert got["best_val"] == pytest.approx(curve[k][1], rel=1e-9)
    assert got["final_val"] == pytest.approx(curve[-1][1], rel=1e-9)


def test_train_fixed_budget_properties(digits):
    overfit = ref.train_fixed_budget(
        {"lr": 0.03, "weight_decay": 0.0, "width": 64, "batch_size": 32}, 300, 20, 0, digits
    )
    assert overfit["best_val"] <= overfit["final_val"]
    assert overfit["best_step"] % 20 == 0
    # the 300-example subset without weight decay overfits: the best checkpoint is early
    assert overfit["best_step"] < 300 and overfit["best_val"] < overfit["final_val"]
    slow = ref.train_fixed_budget(
        {"lr": 1e-3, "weight_decay": 0.0, "width": 16, "batch_size": 32}, 40, 10, 0, digits
    )
    assert slow["best_step"] == 40  # a small step does not overfit in 40 steps


def test_helpers_match_numpy_and_statistics():
    rng = np.random.default_rng(0)
    for _ in range(5):
        vals = np.round(rng.uniform(0, 1, size=8), 1)  # rounded: ties occur
        curve = [(10 * (i + 1), float(v)) for i, v in enumerate(vals)]
        k = int(np.argmin(vals))
        assert ref.retrospective_best(curve) == (10 * (k + 1), float(vals[k]))
        xs = rng.normal(size=rng.integers(2, 6)).tolist()
        mean, std = ref.trial_variance(xs)
        assert mean == pytest.approx(statistics.fmean(xs), rel=1e-12)
        assert std == pytest.approx(statistics.stdev(xs), rel=1e-12)


# ----------------------------------------------------------------------------- q4


def _steps_by_recursion(h, c, w0, alpha, B, target, k_max):
    """First k with Σ ½hᵢE[wᵢ²] ≤ target, iterating E[w²] ← r²E[w²] + α²c/B in numpy."""
    h, c = h.numpy(), c.numpy()
    m2 = w0.numpy() ** 2
    for k in range(k_max + 1):
        if (0.5 * h * m2).sum() <= target:
            return k
        m2 = (1 - alpha * h) ** 2 * m2 + alpha**2 * c / B
    return k_max + 1


def test_steps_to_target_matches_recursion():
    gen = torch.Generator().manual_seed(0)
    h = 0.05 + torch.rand(5, generator=gen, dtype=F64)
    c = torch.rand(5, generator=gen, dtype=F64)
    w0 = 1 + torch.rand(5, generator=gen, dtype=F64)
    start = float((0.5 * h * w0**2).sum())
    alphas = [0.01, 0.05, 0.2, 0.8, 1.5]
    got = ref.steps_to_target_vs_batch([1, 4, 32], alphas, 0.05 * start, dict(h=h, c=c, w0=w0), 800)
    for B, (alpha, steps) in got.items():
        each = [_steps_by_recursion(h, c, w0, a, B, 0.05 * start, 800) for a in alphas]
        best = int(np.argmin(each))
        assert steps == each[best] and alpha == alphas[best]
    none = ref.steps_to_target_vs_batch([1], [0.01], 1e-9, dict(h=h, c=c, w0=w0), 50)
    assert math.isnan(none[1][0]) and none[1][1] == 51


def _best_by_recursion(h, c, w0, alphas, B, target, k_max):
    each = [_steps_by_recursion(h, c, w0, a, B, target, k_max) for a in alphas]
    best = int(np.argmin(each))
    return (math.nan, k_max + 1) if each[best] > k_max else (alphas[best], each[best])


def _same(got, expected):
    """The same ``{B: (alpha, steps)}`` table, in the same order, NaN equal to NaN."""

    def same_alpha(a, b):
        return a == b or (math.isnan(a) and math.isnan(b))

    return list(got) == list(expected) and all(
        got[B][1] == e[1] and same_alpha(got[B][0], e[0]) for B, e in expected.items()
    )


def test_steps_to_target_ends_of_the_k_range_and_a_risk_equal_to_the_target():
    t = lambda v: torch.tensor([v], dtype=F64)  # noqa: E731
    # k = k_max counts, k = k_max + 1 does not
    h, c, w0, alphas = t(1.0), t(0.75), t(1.0), [0.25, 0.5]
    for k_max in (1, 2, 3):
        got = ref.steps_to_target_vs_batch([1, 4], alphas, 0.15, dict(h=h, c=c, w0=w0), k_max)
        expected = {B: _best_by_recursion(h, c, w0, alphas, B, 0.15, k_max) for B in (1, 4)}
        assert _same(got, expected), (k_max, got, expected)
    assert _same(
        ref.steps_to_target_vs_batch([1, 4], alphas, 0.15, dict(h=h, c=c, w0=w0), 2),
        {1: (0.5, 2), 4: (0.5, 1)},
    )
    assert _same(
        ref.steps_to_target_vs_batch([1, 4], alphas, 0.15, dict(h=h, c=c, w0=w0), 1),
        {1: (math.nan, 2), 4: (0.5, 1)},
    )
    # αh = 1: the risk is exactly the noise floor α·c/(2B) = 0.5/B from k = 1 on, and a risk
    # equal to the target counts as reached
    h, c, w0, alphas = t(2.0), t(2.0), t(1.0), [0.125, 0.5]
    got = ref.steps_to_target_vs_batch([1, 2], alphas, 0.5, dict(h=h, c=c, w0=w0), 20)
    expected = {B: _best_by_recursion(h, c, w0, alphas, B, 0.5, 20) for B in (1, 2)}
    assert _same(got, expected) and _same(got, {1: (0.5, 1), 2: (0.5, 1)})


def test_steps_to_target_alpha_h_exactly_two_never_counts():
    # αh = 2 (r = -1) is outside the stable range: it never counts, even for a target met at k = 0
    h = torch.tensor([1.0, 0.5], dtype=F64)
    nqm = {"h": h, "c": h.clone(), "w0": torch.ones(2, dtype=F64)}
    got = ref.steps_to_target_vs_batch([1], [2.0], 10.0, nqm, 10)
    assert math.isnan(got[1][0]) and got[1][1] == 11


def test_steps_to_target_reproduces_appendix_a_and_scaling_regimes():
    d = 100
    h = 1.0 / torch.arange(1, d + 1, dtype=F64)
    nqm = {"h": h, "c": h.clone(), "w0": torch.ones(d, dtype=F64)}
    start = float((0.5 * h).sum())
    alphas = torch.logspace(-2.5, math.log10(1.95), 10).tolist()  # hw07's grid
    bs = [1, 4, 16, 64, 256, 1024, 4096]
    got = ref.steps_to_target_vs_batch(bs, alphas, 0.01 * start, nqm, 12_000)
    # measured independently (numpy) in the blueprint's Appendix A
    assert [got[b][1] for b in bs] == [10_523, 2595, 653, 211, 113, 85, 56]
    # perfect scaling at small B (ratio ≈ 4 per 4×), diminishing returns at large B
    assert 3.4 <= got[1][1] / got[4][1] <= 4.6
    assert got[1024][1] / got[4096][1] < 1.6
    best = [got[b][0] for b in bs]
    assert all(a <= b for a, b in itertools.pairwise(best))  # the tuned lr grows with B


# ----------------------------------------------------------------------------- q6


def test_figures_carry_their_data():
    fig = ref.plot_isolation({1e-2: 0.3, 1e-4: 0.5, 1e-3: 0.2})
    data = probe_helpers.figure_data(fig)
    plt.close(fig)
    (ax,) = data["axes"]
    assert ax["xscale"] == "log" and ax["has_xlabel"] and ax["has_ylabel"]
    assert ax["lines"] == [{"label": "best over lr", "x": [1e-4, 1e-3, 1e-2], "y": [0.5, 0.2, 0.3]}]

    trials = [{"lr": 0.1, "val_loss": 0.4}, {"lr": 0.001, "val_loss": 0.9}]
    fig = ref.plot_axis(trials, "lr", (1e-4, 1.0))
    data = probe_helpers.figure_data(fig)
    plt.close(fig)
    lines = {ln["label"]: (ln["x"], ln["y"]) for ln in data["axes"][0]["lines"]}
    assert lines["trials"] == ([0.001, 0.1], [0.9, 0.4])
    assert lines["lower bound"] == ([1e-4, 1e-4], [0.4, 0.9])
    assert lines["upper bound"] == ([1.0, 1.0], [0.4, 0.9])

    fig = ref.plot_batch_scaling({4: (0.1, 100), 1: (0.05, 400), 16: (0.4, 40)})
    data = probe_helpers.figure_data(fig)
    plt.close(fig)
    (ax,) = data["axes"]
    assert (ax["xscale"], ax["yscale"]) == ("log", "log")
    lines = {ln["label"]: (ln["x"], ln["y"]) for ln in ax["lines"]}
    assert lines["NQM, lr re-tuned per B"] == ([1, 4, 16], [400, 100, 40])
    assert lines["perfect scaling"] == ([1, 4, 16], [400, 100, 25])

    # B₀ = 8: the guide is steps(B₀)·B₀/B
    fig = ref.plot_batch_scaling({32: (0.1, 260), 8: (0.05, 900), 128: (0.3, 90)})
    data = probe_helpers.figure_data(fig)
    plt.close(fig)
    lines = {ln["label"]: (ln["x"], ln["y"]) for ln in data["axes"][0]["lines"]}
    assert lines["perfect scaling"] == ([8, 32, 128], [900, 225, 56.25])


# ------------------------------------------------------- planted bugs and provided cells
