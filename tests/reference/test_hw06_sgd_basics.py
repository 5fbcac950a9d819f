"""hw06_sgd_basics: the reference cross-checked against independent oracles.

Oracles: a direct re-implementation of the update with the pinned random calls, the
variance recursion iterated numerically, Monte Carlo within 5 standard errors (an
independent simulation, not the reference's), torch.var, exact running means, and the
lecture's theory (floor σ² at η = 1, ∝ 1/B, → ησ²/(2B) as η → 0).
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import pytest
import torch

from solutions import hw06_sgd_basics as ref

F64 = torch.float64


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _data(seed=0, n=200):
    g = torch.Generator().manual_seed(seed)
    x = 1.5 + 2.0 * torch.randn(n, generator=g, dtype=F64)
    mu = float(x.mean())
    return x, mu, float(((x - mu) ** 2).mean())


def _simulate(x, eta, n_steps, w0, B, n_runs, seed):
    """Independent simulation: all (w_k − μ)² per run, shape (n_steps + 1, n_runs)."""
    g = torch.Generator().manual_seed(seed)
    mu = x.mean()
    w = torch.full((n_runs,), w0, dtype=F64)
    out = [(w - mu) ** 2]
    for _ in range(n_steps):
        xbar = x[torch.randint(0, len(x), (n_runs * B,), generator=g)].view(n_runs, B).mean(1)
        w = (1 - eta) * w + eta * xbar
        out.append((w - mu) ** 2)
    return torch.stack(out)


@pytest.mark.parametrize("B", [1, 3])
def test_sgd_mean_matches_the_pinned_update(B):
    x, _, _ = _data()
    path = ref.sgd_mean(x, 0.3, 20, -1.0, B, torch.Generator().manual_seed(4))
    g = torch.Generator().manual_seed(4)
    w, expected = -1.0, [-1.0]
    for _ in range(20):
        w = (1 - 0.3) * w + 0.3 * float(x[torch.randint(0, len(x), (B,), generator=g)].mean())
        expected.append(w)
    torch.testing.assert_close(path, torch.tensor(expected, dtype=F64), rtol=1e-12, atol=1e-12)


def test_sgd_mean_properties():
    x, _, _ = _data()
    path = ref.sgd_mean(x, 1.0, 30, 5.0, 1, torch.Generator().manual_seed(1))
    assert all(bool((x == v).any()) for v in path[1:])  # η = 1: fresh samples
    const = torch.full((7,), 2.5, dtype=F64)
    path = ref.sgd_mean(const, 0.2, 15, -1.0, 2, torch.Generator().manual_seed(1))
    expected = 2.5 + 0.8 ** torch.arange(16, dtype=F64) * (-1.0 - 2.5)
    torch.testing.assert_close(path, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("eta,B", [(0.5, 1), (0.1, 4), (1.0, 1), (0.03, 2)])
def test_closed_forms_match_the_recursion(eta, B):
    w0, mu, s2 = 3.0, -0.5, 1.7
    A, m = (w0 - mu) ** 2, w0
    for k in range(300):
        assert ref.mse_closed_form(w0, mu, s2, eta, k, B) == pytest.approx(A, rel=1e-11, abs=1e-15)
        assert ref.mean_closed_form(w0, mu, eta, k) == pytest.approx(m, rel=1e-12, abs=1e-14)
        A = (1 - eta) ** 2 * A + eta**2 * s2 / B
        m = mu + (1 - eta) * (m - mu)
    if (1 - eta) ** 600 < 1e-14:  # converged: the recursion's limit is the floor
        assert pytest.approx(ref.mse_floor(s2, eta, B), rel=1e-9) == A


def test_floor_facts():
    s2 = 2.3
    assert ref.mse_floor(s2, 1.0, 1) == pytest.approx(s2)  # σ², not σ²/2 (slip 6)
    assert ref.mse_floor(s2, 0.3, 8) == pytest.approx(ref.mse_floor(s2, 0.3, 4) / 2)
    assert ref.mse_floor(s2, 1e-3, 5) == pytest.approx(1e-3 * s2 / 10, rel=1e-3)


@pytest.mark.parametrize("eta,B", [(0.2, 1), (0.5, 3), (1.0, 1)])
def test_closed_form_matches_independent_monte_carlo(eta, B):
    x, mu, s2 = _data(1)
    sq = _simulate(x, eta, 40, 4.0, B, 20_000, seed=11)
    mc, se = sq.mean(1), sq.std(1) / math.sqrt(sq.shape[1])
    cf = torch.tensor([ref.mse_closed_form(4.0, mu, s2, eta, k, B) for k in range(41)], dtype=F64)
    assert bool(((mc - cf).abs() <= 5 * se + 1e-12).all())
    means = sq.new_tensor([ref.mean_closed_form(4.0, mu, eta, k) for k in range(41)])
    assert means[0] == 4.0 and means[-1] == pytest.approx(mu + (1 - eta) ** 40 * (4.0 - mu))


def test_mse_monte_carlo_with_one_run_is_sgd_mean():
    # a (1, B) randint consumes the generator exactly like a (B,) one
    x, mu, _ = _data(2)
    mc = ref.mse_monte_carlo(x, 0.3, 25, 1.0, 3, 1, torch.Generator().manual_seed(9))
    path = ref.sgd_mean(x, 0.3, 25, 1.0, 3, torch.Generator().manual_seed(9))
    torch.testing.assert_close(mc, (path - mu) ** 2, rtol=1e-10, atol=1e-14)


def test_mse_monte_carlo_within_standard_errors():
    x, mu, s2 = _data(3)
    eta, B = 0.3, 2
    mc = ref.mse_monte_carlo(x, eta, 40, 0.0, B, 4000, torch.Generator().manual_seed(5))
    sq = _simulate(x, eta, 40, 0.0, B, 4000, seed=6)  # independent run, for the SE only
    se = sq.std(1) / math.sqrt(4000)
    cf = torch.tensor([ref.mse_closed_form(0.0, mu, s2, eta, k, B) for k in range(41)], dtype=F64)
    assert bool(((mc - cf).abs() <= 5 * se + 1e-12).all())


@pytest.mark.parametrize("B", [1, 5, 20])
def test_gradient_estimator_is_unbiased_with_variance_sigma2_over_B(B):
    x, mu, s2 = _data(4)
    assert ref.gradient_variance_theory(x, B) == pytest.approx(
        float(torch.var(x, correction=0)) / B, rel=1e-12
    )
    g = torch.Generator().manual_seed(B)
    w = 0.7
    draws = torch.stack(
        [
            ref.minibatch_gradient(x, w, torch.randint(0, len(x), (B,), generator=g))
            for _ in range(20_000)
        ]
    )
    sd = math.sqrt(s2 / B)
    assert abs(float(draws.mean()) - (w - mu)) < 5 * sd / math.sqrt(20_000)
    assert float(draws.var()) == pytest.approx(s2 / B, rel=0.1)


def test_batch_vs_steps_no_free_lunch():
    x, _, s2 = _data(5)
    out = ref.compare_batch_vs_steps(x, 0.1, 10, 100, 2000, torch.Generator().manual_seed(0))
    assert 0.7 <= out["batch"] / out["single"] <= 1.4
    for v in out.values():
        assert v == pytest.approx(ref.mse_floor(s2, 0.1, 10), rel=0.15)


def test_decaying_step_is_the_running_mean():
    x, _, _ = _data(6)
    for w0 in (0.0, 100.0):
        path = ref.sgd_decaying(x, 30, w0, torch.Generator().manual_seed(2))
        g = torch.Generator().manual_seed(2)
        picks = torch.stack([x[torch.randint(0, len(x), (1,), generator=g)][0] for _ in range(30)])
        running = picks.cumsum(0) / torch.arange(1, 31, dtype=F64)
        assert path[0] == w0
        torch.testing.assert_close(path[1:], running, rtol=1e-12, atol=1e-12)


def test_figures_carry_their_data():
    from autograder.runtime.probe_helpers import figure_data

    c = torch.tensor([1.0, 0.5, 0.25, 0.2], dtype=F64)
    data = figure_data(ref.plot_noise_floor({0.1: c}, {0.1: c / 2}, decaying=c / 4))
    ax = data["axes"][0]
    assert (ax["xscale"], ax["yscale"]) == ("log", "log")
    lines = {ln["label"]: ln for ln in ax["lines"]}
    assert set(lines) == {"η = 0.1", "η = 0.1 (theory)", "η_k = 1/(k+1)"}
    assert lines["η = 0.1"]["x"] == [1.0, 2.0, 3.0] and lines["η = 0.1"]["y"] == [0.5, 0.25, 0.2]
    data = figure_data(ref.plot_minibatch({1: (5e-4, c), 100: (5e-2, c)}))
    right = {ln["label"]: ln for ln in data["axes"][1]["lines"]}
    assert right["B = 100, η = 0.05"]["x"] == [100.0, 200.0, 300.0]
