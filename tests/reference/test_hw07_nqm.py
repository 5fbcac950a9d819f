"""hw07_nqm: the reference cross-checked against independent oracles.

Oracles: ``torch.optim.SGD`` (plain, heavy ball, one parameter group per coordinate for
the preconditioner) and ``torch.optim.swa_utils.AveragedModel`` with an EMA for the step
function; an independent Monte Carlo simulation (its own loop, per-run values, 5 standard
errors) for every exact risk; the variance recursion iterated numerically; SciPy's
discrete Lyapunov solver for the EMA and momentum steady states (the exact 2×2
second-moment fixed point); ``numpy.roots`` and the eigenvalues of the iteration matrix
for the momentum roots; a noise floor measured from simulation, whose log-log slopes in α
and B are 1 and −1; a closed-form first-hit step for p = 1 preconditioning; and the
regime numbers measured independently (numpy) in the blueprint's Appendix A.
"""

from __future__ import annotations

import itertools
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import scipy.linalg
import torch
from matplotlib import pyplot as plt
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from autograder.testing import probe_helpers
from solutions import hw07_nqm as ref

F64 = torch.float64


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _config(d=4, seed=0):
    """Random curvatures in [0.2, 1], noise scales in [0.5, 2], start in [−2, 2]."""
    g = torch.Generator().manual_seed(seed)
    h = 0.2 + 0.8 * torch.rand(d, generator=g, dtype=F64)
    c = 0.5 + 1.5 * torch.rand(d, generator=g, dtype=F64)
    w0 = 4 * torch.rand(d, generator=g, dtype=F64) - 2
    return h, c, w0


def _simulate_runs(h, c, alpha, B, w0, n_steps, n_runs, seed, method, hyper=0.0):
    """Independent simulation (not the reference's): per-run risks (n_steps+1, R, d)."""
    g = torch.Generator().manual_seed(seed)
    s = torch.sqrt(c / B)
    w = w0.expand(n_runs, -1).clone()
    m, avg = torch.zeros_like(w), w.clone()
    step = alpha * h ** (-hyper) if method == "precond" else alpha * torch.ones_like(h)
    out = [0.5 * h * w**2]
    for _ in range(n_steps):
        grad = h * w + s * torch.randn(n_runs, len(h), generator=g, dtype=F64)
        if method == "momentum":
            m = hyper * m + grad
            w = w - alpha * m
        else:
            w = w - step * grad
        avg = hyper * avg + (1 - hyper) * w
        out.append(0.5 * h * (avg if method == "ema" else w) ** 2)
    return torch.stack(out)


def _assert_within_se(exact, runs, n_se=5.0):
    mean = runs.mean(1)
    se = runs.std(1) / math.sqrt(runs.shape[1])
    z = (mean - exact).abs() / (se + 1e-300)
    assert exact.shape == mean.shape
    # row 0 is deterministic (se = 0, exact equality)
    torch.testing.assert_close(mean[0], exact[0], rtol=1e-12, atol=0)
    assert float(z[1:].max()) < n_se, f"worst deviation {float(z[1:].max()):.2f} standard errors"


# ----------------------------------------------------------------------------- q1


def _torch_sgd_trajectory(h, c, alpha, B, w, zs, method, hyper):
    """The same runs driven by torch.optim.SGD (one parameter per coordinate)."""
    params = [torch.nn.Parameter(w[:, i].clone()) for i in range(len(h))]
    if method == "precond":
        groups = [
            {"params": [p], "lr": alpha * float(h[i]) ** (-hyper)} for i, p in enumerate(params)
        ]
        opt = torch.optim.SGD(groups, lr=alpha)
    else:
        beta = hyper if method == "momentum" else 0.0
        opt = torch.optim.SGD(params, lr=alpha, momentum=beta)
    model = torch.nn.ParameterList(params)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(hyper))
    ema.update_parameters(model)  # first call copies: w̃₀ = w₀
    out = []
    for z in zs:
        for i, p in enumerate(params):
            p.grad = h[i] * p.detach() + math.sqrt(float(c[i]) / B) * z[:, i]
        opt.step()
        ema.update_parameters(model)
        now = torch.stack([p.detach() for p in params], 1)
        avg = torch.stack([p.detach() for p in ema.module], 1)
        out.append((now.clone(), avg.clone()))
    return out


@pytest.mark.parametrize(
    "method,hyper",
    [("sgd", 0.0), ("momentum", 0.7), ("ema", 0.8), ("precond", 0.5), ("precond", 1.0)],
)
def test_nqm_step_matches_torch_optim(method, hyper):
    h, c, w0 = _config(3, seed=1)
    g = torch.Generator().manual_seed(2)
    w = w0.expand(5, -1).clone() + torch.randn(5, 3, generator=g, dtype=F64)
    zs = [torch.randn(5, 3, generator=g, dtype=F64) for _ in range(12)]
    expected = _torch_sgd_trajectory(h, c, 0.3, 4, w, zs, method, hyper)
    kw = {"beta": hyper, "gamma": hyper, "p": hyper}
    state, cur = {}, w.clone()
    for z, (w_t, avg_t) in zip(zs, expected):
        cur, state = ref.nqm_step(cur, state, h, c, 0.3, 4, z, method, **kw)
        torch.testing.assert_close(cur, w_t, rtol=1e-12, atol=1e-13)
        if method == "ema":
            torch.testing.assert_close(state["ema"], avg_t, rtol=1e-12, atol=1e-13)
    assert set(state) == {"sgd": set(), "precond": set(), "momentum": {"m"}, "ema": {"ema"}}[method]


def test_nqm_step_does_not_mutate_and_rejects_unknown_methods():
    h, c, w0 = _config(3)
    w = w0.expand(2, -1).clone()
    z = torch.ones(2, 3, dtype=F64)
    state = {"m": torch.ones(2, 3, dtype=F64)}
    before = (w.clone(), state["m"].clone())
    ref.nqm_step(w, state, h, c, 0.1, 1, z, "momentum", beta=0.9)
    assert torch.equal(w, before[0]) and torch.equal(state["m"], before[1])
    with pytest.raises(ValueError):
        ref.nqm_step(w, {}, h, c, 0.1, 1, z, "adam")


@pytest.mark.parametrize("method,hyper", [("sgd", 0.0), ("momentum", 0.6), ("ema", 0.9)])
def test_simulate_nqm_follows_the_pinned_draws(method, hyper):
    h, c, w0 = _config(4, seed=3)
    kw = {"beta": hyper, "gamma": hyper}
    got = ref.simulate_nqm(h, c, 0.4, 2, w0, 20, 64, torch.Generator().manual_seed(5), method, **kw)
    runs = _simulate_runs(h, c, 0.4, 2, w0, 20, 64, 5, method, hyper)
    torch.testing.assert_close(got, runs.mean(1), rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("method,hyper", [("sgd", 0.0), ("momentum", 0.5), ("ema", 0.9)])
def test_simulate_nqm_keeps_h_device(method, hyper):
    """On another device than the CPU (meta stands in for a GPU: the hidden tests' case)."""
    h, c, w0 = (t.to("meta") for t in _config(3, seed=6))
    kw = {"beta": hyper, "gamma": hyper}
    got = ref.simulate_nqm(h, c, 0.4, 2, w0, 4, 5, torch.Generator().manual_seed(1), method, **kw)
    assert (got.shape, got.dtype, got.device.type) == ((5, 3), F64, "meta")


def test_simulate_nqm_without_noise_is_deterministic():
    h, _, w0 = _config(5, seed=4)
    got = ref.simulate_nqm(h, torch.zeros(5, dtype=F64), 0.7, 1, w0, 30, 3, torch.Generator())
    k = torch.arange(31, dtype=F64)[:, None]
    expected = (1 - 0.7 * h) ** (2 * k) * 0.5 * h * w0**2
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-15)


def test_measured_noise_floor_scales_linearly_in_alpha_and_inverse_batch():
    """Measure the floor from simulation (not from any formula) and fit log-log slopes."""
    g = torch.Generator().manual_seed(11)
    h = torch.tensor([0.5, 0.7, 0.85, 1.0], dtype=F64)
    c = h.clone()
    rows, floors = [], []
    for alpha, B in itertools.product((0.02, 0.04, 0.08), (1, 4, 16)):
        # from w₀ = 0 the risk rises to the floor; 400 steps leave e^{−8} of the transient
        risk = ref.simulate_nqm(h, c, alpha, B, torch.zeros(4, dtype=F64), 500, 4000, g)
        floors.append(float(risk[400:].sum(1).mean()))  # runs and the last 101 steps
        rows.append([1.0, math.log(alpha), math.log(B)])
    coef = np.linalg.lstsq(np.array(rows), np.log(floors), rcond=None)[0]
    assert coef[1] == pytest.approx(1.0, abs=0.06)  # exact local slope ≈ 1.01–1.03
    assert coef[2] == pytest.approx(-1.0, abs=0.03)
    # and the level: Σ αcᵢ/(4B) for small α, within 5 %
    for (alpha, B), f in zip(itertools.product((0.02, 0.04, 0.08), (1, 4, 16)), floors):
        assert f == pytest.approx(alpha * float(c.sum()) / (4 * B), rel=0.05)


def test_plot_noise_floor_data():
    curves = {
        (0.1, 1): torch.tensor([1.0, 0.5, 0.3], dtype=F64),
        (0.4, 8): torch.tensor([1.0, 0.2, 0.1], dtype=F64),
    }
    fig = ref.plot_noise_floor(curves, {(0.1, 1): 0.25, (0.4, 8): 0.05})
    data = probe_helpers.figure_data(fig)
    plt.close(fig)
    ax = data["axes"][0]
    assert data["n_axes"] == 1 and ax["xscale"] == ax["yscale"] == "log"
    assert ax["has_xlabel"] and ax["has_ylabel"]
    lines = {line["label"]: (line["x"], line["y"]) for line in ax["lines"]}
    assert lines["α = 0.1, B = 1"] == ([1.0, 2.0], [0.5, 0.3])
    assert lines["α = 0.4, B = 8 (floor)"] == ([1.0, 2.0], [0.05, 0.05])


# ----------------------------------------------------------------------------- q2


@pytest.mark.parametrize("alpha,B", [(0.3, 1), (1.5, 4), (1.9, 2), (0.01, 16)])
def test_sgd_risk_equals_the_iterated_variance_recursion(alpha, B):
    h, c, w0 = _config(6, seed=6)
    risk = ref.sgd_risk(h, c, alpha, B, w0, 300)
    second = w0**2
    r = 1 - alpha * h
    for k in range(301):
        torch.testing.assert_close(risk[k], 0.5 * h * second, rtol=1e-10, atol=1e-15)
        second = r**2 * second + alpha**2 * c / B
    torch.testing.assert_close(
        ref.sgd_steady_state(h, c, alpha, B),
        0.5 * h * (alpha**2 * c / B) / (1 - r**2),
        rtol=1e-12,
        atol=0,
    )


@pytest.mark.parametrize("alpha,B", [(0.5, 1), (1.2, 3)])
def test_sgd_risk_matches_monte_carlo(alpha, B):
    h, c, w0 = _config(4, seed=7)
    runs = _simulate_runs(h, c, alpha, B, w0, 60, 4000, 8, "sgd")
    _assert_within_se(ref.sgd_risk(h, c, alpha, B, w0, 60), runs)


def test_sgd_steady_state_theory():
    h, c, _ = _config(5, seed=9)
    s = ref.sgd_steady_state(h, c, 0.3, 4)
    torch.testing.assert_close(ref.sgd_steady_state(h, c, 0.3, 8), s / 2, rtol=1e-15, atol=0)
    small = ref.sgd_steady_state(h, c, 1e-4, 4)
    torch.testing.assert_close(
        ref.sgd_steady_state(h, c, 5e-5, 4) / small, torch.full_like(h, 0.5), rtol=1e-4, atol=0
    )
    torch.testing.assert_close(small, 1e-4 * c / 16, rtol=1e-4, atol=0)  # ≈ αc/(4B)


def test_risk_functions_broadcast_over_a_grid():
    h, c, w0 = _config(4, seed=10)
    alphas = torch.tensor([[0.1], [0.7], [1.3]], dtype=F64)
    hypers = torch.tensor([[0.0], [0.5], [0.9]], dtype=F64)
    for fn in (ref.ema_risk, ref.momentum_risk, ref.precond_risk):
        grid = fn(h, c, alphas, 2, hypers, w0, 25)
        assert grid.shape == (26, 3, 4)
        for j in range(3):
            one = fn(h, c, float(alphas[j]), 2, float(hypers[j]), w0, 25)
            torch.testing.assert_close(grid[:, j], one, rtol=1e-14, atol=0)
    grid = ref.sgd_risk(h, c, alphas, 2, w0, 25)
    torch.testing.assert_close(grid[:, 1], ref.sgd_risk(h, c, 0.7, 2, w0, 25), rtol=1e-14, atol=0)


# ----------------------------------------------------------------------------- q3 and q4


def _lyapunov_risk(A, b, h):
    """½h·E[x₁²] at the fixed point of M = A M Aᵀ + b bᵀ (SciPy's solver)."""
    M = scipy.linalg.solve_discrete_lyapunov(A, np.outer(b, b))
    return 0.5 * h * M


LYAPUNOV_CASES = [(0.1, 1.0, 1), (0.5, 0.3, 4), (1.2, 0.7, 2), (1.9, 1.0, 1), (0.05, 0.2, 8)]


@pytest.mark.parametrize("alpha,h,B", LYAPUNOV_CASES)
@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.9, 0.99])
def test_ema_steady_state_is_the_lyapunov_fixed_point(alpha, h, B, gamma):
    c, r = 1.7, 1 - alpha * h
    s = math.sqrt(c / B)
    A = np.array([[r, 0.0], [(1 - gamma) * r, gamma]])  # state (w, w̃)
    b = np.array([-alpha * s, -(1 - gamma) * alpha * s])
    exact = _lyapunov_risk(A, b, h)[1, 1]
    got = ref.ema_steady_state(
        torch.tensor([h], dtype=F64), torch.tensor([c], dtype=F64), alpha, B, gamma
    )
    assert float(got) == pytest.approx(exact, rel=1e-12)
    sgd = ref.sgd_steady_state(torch.tensor([h], dtype=F64), torch.tensor([c], dtype=F64), alpha, B)
    assert float(got) <= float(sgd) * (1 + 1e-15)  # the EMA never raises the floor


@pytest.mark.parametrize("alpha,h,B", LYAPUNOV_CASES)
@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.99])
def test_momentum_steady_state_is_the_lyapunov_fixed_point(alpha, h, B, beta):
    c = 1.7
    s = math.sqrt(c / B)
    A = np.array([[1 - alpha * h, -alpha * beta], [h, beta]])  # state (w, m)
    b = np.array([-alpha * s, s])
    exact = _lyapunov_risk(A, b, h)[0, 0]
    got = ref.momentum_steady_state(
        torch.tensor([h], dtype=F64), torch.tensor([c], dtype=F64), alpha, B, beta
    )
    assert float(got) == pytest.approx(exact, rel=1e-10)
    # the roots are the eigenvalues of A, ordered by modulus
    z1, z2 = ref.momentum_roots(alpha, h, beta)
    eig = sorted(np.linalg.eigvals(A), key=lambda z: (-abs(z), -z.imag))
    assert abs(z1 - eig[0]) < 1e-7 and abs(z2 - eig[1]) < 1e-7
    assert ref.momentum_rate(alpha, h, beta) == pytest.approx(max(abs(e) for e in eig), rel=1e-7)
    numpy_roots = sorted(np.roots([1.0, -(1 - alpha * h + beta), beta]), key=lambda z: -abs(z))
    assert abs(abs(z1) - abs(numpy_roots[0])) < 1e-7


def test_momentum_roots_ordering_and_regimes():
    z1, z2 = ref.momentum_roots(0.1, 1.0, 0.9)  # underdamped: β > (1 − √0.1)²
    assert z1.imag > 0 and z2 == z1.conjugate()
    assert ref.momentum_rate(0.1, 1.0, 0.9) == pytest.approx(math.sqrt(0.9), rel=1e-14)
    z1, z2 = ref.momentum_roots(2.5, 1.0, 0.01)  # T = −1.49: real roots, both negative
    assert abs(z1) >= abs(z2) and z1.real < 0
    for alpha, h, beta in [(0.01, 1.0, 0.5), (0.002, 0.5, 0.9), (0.001, 1.0, 0.0)]:
        assert beta < (1 - math.sqrt(alpha * h)) ** 2  # overdamped
        approx = 1 - alpha * h / (1 - beta)
        assert abs(ref.momentum_rate(alpha, h, beta) - approx) <= 0.2 * alpha * h / (1 - beta)


@pytest.mark.parametrize("alpha,B,hyper", [(0.4, 1, 0.5), (1.1, 2, 0.9)])
def test_ema_and_momentum_risks_match_monte_carlo(alpha, B, hyper):
    h, c, w0 = _config(4, seed=12)
    for method, fn in (("ema", ref.ema_risk), ("momentum", ref.momentum_risk)):
        runs = _simulate_runs(h, c, alpha, B, w0, 60, 4000, 13, method, hyper)
        _assert_within_se(fn(h, c, alpha, B, hyper, w0, 60), runs)


def test_ema_and_momentum_risks_reach_their_floors_and_reduce_to_sgd():
    h, c, w0 = _config(4, seed=14)
    for fn, floor in (
        (ref.ema_risk, ref.ema_steady_state),
        (ref.momentum_risk, ref.momentum_steady_state),
    ):
        risk = fn(h, c, 0.6, 3, 0.7, w0, 3000)
        torch.testing.assert_close(risk[-1], floor(h, c, 0.6, 3, 0.7), rtol=1e-8, atol=0)
        torch.testing.assert_close(
            fn(h, c, 0.6, 3, 0.0, w0, 40),
            ref.sgd_risk(h, c, 0.6, 3, w0, 40),
            rtol=1e-12,
            atol=1e-15,
        )
    # momentum's floor relative to SGD's tends to 1/(1 − β) as αh → 0 (slip 7 of the notes)
    ratio = ref.momentum_steady_state(h, c, 1e-6, 3, 0.9) / ref.sgd_steady_state(h, c, 1e-6, 3)
    torch.testing.assert_close(ratio, torch.full_like(h, 10.0), rtol=1e-5, atol=0)


# ----------------------------------------------------------------------------- q5


def test_preconditioning():
    h, c, w0 = _config(5, seed=15)
    torch.testing.assert_close(
        ref.precond_risk(h, c, 0.5, 2, 0.0, w0, 30),
        ref.sgd_risk(h, c, 0.5, 2, w0, 30),
        rtol=1e-14,
        atol=0,
    )
    quiet = ref.precond_risk(h, torch.zeros_like(c), 0.3, 2, 1.0, w0, 30)
    torch.testing.assert_close(quiet[1:], quiet[:-1] * 0.7**2, rtol=1e-12, atol=0)
    for p in (0.5, 1.0):
        ratio = ref.precond_steady_state(h, c, 0.3, 2, p) / ref.sgd_steady_state(h, c, 0.3, 2)
        torch.testing.assert_close(
            ratio, h ** (-p) * (2 - 0.3 * h) / (2 - 0.3 * h ** (1 - p)), rtol=1e-13, atol=0
        )
        runs = _simulate_runs(h, c, 0.3, 2, w0, 50, 4000, 16, "precond", p)
        _assert_within_se(ref.precond_risk(h, c, 0.3, 2, p, w0, 50), runs)
        risk = ref.precond_risk(h, c, 0.3, 2, p, w0, 4000)
        torch.testing.assert_close(
            risk[-1], ref.precond_steady_state(h, c, 0.3, 2, p), rtol=1e-9, atol=0
        )


# ----------------------------------------------------------------------------- q6

RISKS = {
    "sgd": ref.sgd_risk,
    "momentum": ref.momentum_risk,
    "ema": ref.ema_risk,
    "precond": ref.precond_risk,
}


def test_steps_to_target_equals_a_loop_over_settings():
    h, c, w0 = _config(4, seed=17)
    target = 0.05 * float((0.5 * h * w0**2).sum())
    grids = {
        "sgd": {"alpha": [0.05, 0.3, 1.0]},
        "momentum": {"alpha": [0.05, 0.3, 1.0], "beta": [0.5, 0.9]},
        "ema": {"alpha": [0.05, 0.3, 1.0], "gamma": [0.5, 0.9, 0.99]},
        "precond": {"alpha": [0.05, 0.3, 1.0], "p": [0.5, 1.0]},
    }
    for method, grid in grids.items():
        for B in (1, 64):
            best, arg = 501, {}
            for setting in itertools.product(*grid.values()):
                args = [h, c, setting[0], B, *setting[1:], w0, 500]
                total = RISKS[method](*args).sum(-1)
                hits = [k for k in range(501) if float(total[k]) <= target]
                if hits and hits[0] < best:
                    best, arg = hits[0], dict(zip(grid, setting))
            assert ref.steps_to_target(method, h, c, B, w0, target, grid, 500) == (best, arg)
    assert ref.steps_to_target("sgd", h, c, 1, w0, 1e-9, {"alpha": [0.01]}, 50) == (51, {})
    assert ref.steps_to_target("sgd", h, c, 1, w0, 100.0, {"alpha": [0.01]}, 50)[0] == 0


def test_steps_to_target_counts_a_tie_and_a_hit_at_k_max():
    """Exact arithmetic (the hidden tests' tie cases): hᵢ = 1, α = 1/2, B = 2, cᵢ = 3/64 give
    the total risk 3.75/4^k + (1 − 4^−k)/64, a short binary fraction at every k."""
    h, c = torch.ones(4, dtype=F64), torch.full((4,), 3 / 64, dtype=F64)
    w0 = torch.tensor([1.0, -2.0, 0.5, 1.5], dtype=F64)
    total = ref.sgd_risk(h, c, 0.5, 2, w0, 6).sum(-1)
    exact = [3.75 / 4**k + (1 - 4**-k) / 64 for k in range(7)]
    assert total.tolist() == exact
    grid = {"alpha": [0.25, 0.5]}
    assert ref.steps_to_target("sgd", h, c, 2, w0, exact[3], grid, 10) == (3, {"alpha": 0.5})
    assert ref.steps_to_target("sgd", h, c, 2, w0, 0.1, grid, 3) == (3, {"alpha": 0.5})
    assert ref.steps_to_target("sgd", h, c, 2, w0, 0.1, grid, 2) == (3, {})


def _suggested():
    d = 20
    h = 1.0 / torch.arange(1, d + 1, dtype=F64)
    alphas = np.logspace(-2.5, np.log10(1.95), 10).tolist()
    grids = {
        "sgd": {"alpha": alphas},
        "momentum": {"alpha": alphas, "beta": [0.5, 0.9]},
        "ema": {"alpha": alphas, "gamma": [0.5, 0.9, 0.99]},
        "precond": {"alpha": alphas, "p": [0.5, 1.0]},
    }
    w0 = torch.ones(d, dtype=F64)
    return h, h.clone(), w0, 0.01 * float((0.5 * h * w0**2).sum()), grids, alphas


@pytest.mark.slow
def test_regime_table_reproduces_the_measured_regimes():
    h, c, w0, target, grids, alphas = _suggested()
    Bs = [1, 16, 256, 4096]
    table = ref.regime_table(Bs, h, c, w0, target, grids, 3000)
    # measured independently in numpy (blueprint Appendix A, d = 20)
    assert table["sgd"] == [2369, 147, 26, 24]
    assert table["momentum"] == [2391, 126, 13, 7]
    assert table["ema"] == [1350, 67, 24, 16]
    assert table["precond"][1:] == [77, 5, 1]
    # precond at B = 1: the best setting is p = 1 at the smallest α (every coordinate then
    # contracts by (1 − α)² and has floor α/(2(2 − α))), whose first hit is in closed form
    a = alphas[0]
    start, floor = 0.5 * float(h.sum()), 20 * a / (2 * (2 - a))
    closed = math.ceil(math.log((target - floor) / (start - floor)) / (2 * math.log(1 - a)))
    assert table["precond"][0] == closed == 1061  # the blueprint's 1200 is not reproduced
    speed = {m: [s / t for s, t in zip(table["sgd"], table[m])] for m in table}
    assert 0.9 <= speed["momentum"][0] <= 1.1 and min(speed["momentum"][2:]) >= 2
    assert min(speed["ema"][:2]) >= 1.5
    assert min(speed["precond"][2:]) >= 2 * max(speed["precond"][:2])
    assert table["sgd"][2] / table["sgd"][3] < 1.2  # SGD plateaus at large batch


def test_plot_steps_vs_batch_data():
    fig = ref.plot_steps_vs_batch([1, 16], {"sgd": [100, 10], "ema": [50, 9]})
    data = probe_helpers.figure_data(fig)
    plt.close(fig)
    ax = data["axes"][0]
    assert data["n_axes"] == 1 and ax["xscale"] == ax["yscale"] == "log"
    assert [(ln["label"], ln["x"], ln["y"]) for ln in ax["lines"]] == [
        ("ema", [1.0, 16.0], [50.0, 9.0]),
        ("sgd", [1.0, 16.0], [100.0, 10.0]),
    ]
