"""hw05_linearization: the reference cross-checked against independent oracles.

Oracles: torch.func.jvp / torch.func.vjp (q1, q3), torch.autograd.functional.jacobian
(q2), torch.autograd.grad (q4, q5), exact expansions (the remainders VᵀV and HKᵀ), a
closed-form second-order term (q5) and numpy.polyfit (the log-log slope).
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from torch.autograd.functional import jacobian

from solutions import hw05_linearization as ref

F64 = torch.float64


def _rand(g, *shape):
    return torch.randn(*shape, generator=g, dtype=F64)


@pytest.mark.parametrize("n,m", [(3, 2), (5, 4), (2, 5)])
def test_gram_jvp_vjp_match_torch_func(n, m):
    g = torch.Generator().manual_seed(n * 10 + m)
    W, V, G = _rand(g, n, m), _rand(g, n, m), _rand(g, m, m)
    _, jvp_out = torch.func.jvp(lambda A: A.T @ A, (W,), (V,))
    torch.testing.assert_close(ref.jvp_gram(W, V), jvp_out, rtol=1e-12, atol=1e-12)
    _, vjp_fn = torch.func.vjp(lambda A: A.T @ A, W)
    torch.testing.assert_close(ref.vjp_gram(W, G), vjp_fn(G)[0], rtol=1e-12, atol=1e-12)
    # the expansion is exact: remainder t²VᵀV
    for t in (0.1, 1.0):
        rem = (W + t * V).T @ (W + t * V) - W.T @ W - t * ref.jvp_gram(W, V)
        torch.testing.assert_close(rem, t * t * V.T @ V, rtol=1e-10, atol=1e-12)


def test_outer_jvp_matches_torch_func():
    g = torch.Generator().manual_seed(3)
    U, V, H, K = (_rand(g, 4, 3) for _ in range(4))
    _, out = torch.func.jvp(lambda A, B: A @ B.T, (U, V), (H, K))
    torch.testing.assert_close(ref.jvp_outer(U, V, H, K), out, rtol=1e-12, atol=1e-12)
    rem = (U + H) @ (V + K).T - U @ V.T - ref.jvp_outer(U, V, H, K)
    torch.testing.assert_close(rem, H @ K.T, rtol=1e-10, atol=1e-12)
    assert ref.jvp_outer(U, V, H, K).shape == (4, 4)  # UVᵀ lands in ℝ^{n×n} (slip 5)


def _maps(g):
    """(name, function, point, in_shape, out_shape) for the maps the hidden tests use."""
    W = _rand(g, 3, 2)
    A = _rand(g, 4, 3)
    x = _rand(g, 5)
    return [
        ("gram", lambda M: M.T @ M, W, (3, 2), (2, 2)),
        ("tanh", torch.tanh, x, (5,), (5,)),
        ("linear", lambda z: A @ z, _rand(g, 3), (3,), (4,)),
    ]


def test_jacobians_from_products_match_autograd():
    g = torch.Generator().manual_seed(0)
    for name, fn, point, in_shape, out_shape in _maps(g):
        expected = jacobian(fn, point).reshape(math.prod(out_shape), math.prod(in_shape))
        calls = {"jvp": 0, "vjp": 0}

        def jvp(t, fn=fn, point=point, calls=calls):
            calls["jvp"] += 1
            return torch.func.jvp(fn, (point,), (t,))[1]

        def vjp(u, fn=fn, point=point, calls=calls):
            calls["vjp"] += 1
            return torch.func.vjp(fn, point)[1](u)[0]

        J1 = ref.jacobian_from_jvp(jvp, in_shape, out_shape)
        J2 = ref.jacobian_from_vjp(vjp, in_shape, out_shape)
        torch.testing.assert_close(J1, expected, rtol=1e-12, atol=1e-12, msg=name)
        torch.testing.assert_close(J2, expected, rtol=1e-12, atol=1e-12, msg=name)
        assert calls == {"jvp": math.prod(in_shape), "vjp": math.prod(out_shape)}


def _d_tanh(x):
    return 1 - torch.tanh(x) ** 2


def _layers(g, kinds, d):
    layers, dims = [], d
    for kind in kinds:
        if kind == "linear":
            A = _rand(g, dims + 1, dims)
            dims += 1
            layers.append(
                (lambda x, A=A: A @ x, lambda x, v, A=A: A @ v, lambda x, u, A=A: A.T @ u)
            )
        elif kind == "tanh":
            layers.append((torch.tanh, lambda x, v: _d_tanh(x) * v, lambda x, u: _d_tanh(x) * u))
        elif kind == "square":
            layers.append((lambda x: x * x, lambda x, v: 2 * x * v, lambda x, u: 2 * x * u))
        elif kind == "halfnorm":
            layers.append((lambda x: 0.5 * (x @ x), lambda x, v: x @ v, lambda x, u: u * x))
    return layers


def _composed(layers):
    def F(x):
        for forward, _, _ in layers:
            x = forward(x)
        return x

    return F


@pytest.mark.parametrize(
    "kinds",
    [
        ["linear", "tanh"],
        ["tanh", "linear", "square"],
        ["linear", "tanh", "linear", "square", "halfnorm"],
        ["square", "halfnorm"],
    ],
)
def test_chain_rule_matches_torch_func(kinds):
    g = torch.Generator().manual_seed(len(kinds))
    layers = _layers(g, kinds, 3)
    F = _composed(layers)
    x, v = _rand(g, 3), _rand(g, 3)
    out, jvp_out = torch.func.jvp(F, (x,), (v,))
    torch.testing.assert_close(ref.chain_jvp(layers, x, v), jvp_out, rtol=1e-12, atol=1e-12)
    u = torch.randn(out.shape, generator=g, dtype=F64)
    _, vjp_fn = torch.func.vjp(F, x)
    torch.testing.assert_close(ref.chain_vjp(layers, x, u), vjp_fn(u)[0], rtol=1e-12, atol=1e-12)


def test_least_squares_chain_is_the_gradient():
    g = torch.Generator().manual_seed(1)
    X, y, w = _rand(g, 6, 3), _rand(g, 6), _rand(g, 3)
    Jf, Jg, Jh = ref.least_squares_jacobians(X, y, w)
    # each Jacobian against autograd's, map by map
    z = X @ w - y
    torch.testing.assert_close(Jf, jacobian(lambda v: X @ v - y, w))
    torch.testing.assert_close(Jg, jacobian(lambda v: (v @ v).reshape(1), z))
    torch.testing.assert_close(Jh, jacobian(lambda s: 0.5 * s, torch.ones(1, dtype=F64)))
    wr = w.clone().requires_grad_()
    (grad,) = torch.autograd.grad(0.5 * ((X @ wr - y) ** 2).sum(), wr)
    torch.testing.assert_close(ref.compose([Jf, Jg, Jh]), grad.reshape(1, -1), rtol=1e-12, atol=0)


def _smooth(x):
    return torch.sin(x).sum() + (x @ x) ** 2


def test_linearization_error_is_second_order():
    g = torch.Generator().manual_seed(2)
    x, v = _rand(g, 4), _rand(g, 4)

    def grad_f(z):
        zr = z.clone().requires_grad_()
        return torch.autograd.grad(_smooth(zr), zr)[0]

    hs = torch.logspace(-3, -1, 9, dtype=F64)
    errs = ref.linearization_error(_smooth, grad_f, x, v, hs)
    direct = torch.stack([(_smooth(x + h * v) - _smooth(x) - h * grad_f(x) @ v).abs() for h in hs])
    torch.testing.assert_close(errs, direct, rtol=1e-12, atol=1e-15)
    # leading term ½h²vᵀ∇²f(x)v, Hessian from autograd
    H = torch.autograd.functional.hessian(_smooth, x)
    torch.testing.assert_close(errs[0], 0.5 * hs[0] ** 2 * (v @ H @ v).abs(), rtol=1e-2, atol=0)
    slope = ref.loglog_slope(hs, errs)
    assert 1.9 <= slope <= 2.1
    assert slope == pytest.approx(np.polyfit(np.log(hs.numpy()), np.log(errs.numpy()), 1)[0])


def test_loglog_slope_of_a_power_law_is_exact():
    hs = torch.logspace(-4, 0, 7, dtype=F64)
    assert ref.loglog_slope(hs, 3.0 * hs**2.5) == pytest.approx(2.5, rel=1e-12)


def test_bad_f_has_partials_but_no_derivative():
    assert float(ref.bad_f(torch.zeros(2, dtype=F64))) == 0.0
    h = 1e-6
    for e in (torch.tensor([1.0, 0.0], dtype=F64), torch.tensor([0.0, 1.0], dtype=F64)):
        fd = (ref.bad_f(h * e) - ref.bad_f(-h * e)) / (2 * h)
        assert float(fd) == 0.0
    for t in (1e-8, 1e-3, 1.0, -2.0):
        assert float(ref.bad_f(torch.tensor([t, t], dtype=F64))) == pytest.approx(0.5, abs=1e-15)
    # with the zero "gradient", the error along (1, 1) stays ½: not o(h)
    hs = torch.logspace(-6, -1, 6, dtype=F64)
    errs = ref.linearization_error(
        ref.bad_f,
        lambda p: torch.zeros(2, dtype=F64),
        torch.zeros(2, dtype=F64),
        torch.ones(2, dtype=F64),
        hs,
    )
    torch.testing.assert_close(errs, torch.full((6,), 0.5, dtype=F64))
    assert abs(ref.loglog_slope(hs, errs)) < 1e-12


def test_figures_carry_their_data():
    from autograder.runtime.probe_helpers import figure_data

    xs = torch.linspace(-2, 2, 5, dtype=F64)
    fig = ref.plot_tangent(lambda x: 5 * x**3 - 2 * x + 7, lambda x: 15 * x**2 - 2, 1.0, xs)
    data = figure_data(fig)["axes"][0]
    lines = {ln["label"]: ln for ln in data["lines"]}
    assert lines["(a, f(a))"]["y"] == [10.0]
    assert lines["tangent at a"]["y"] == pytest.approx([10 + 13 * (x - 1) for x in xs.tolist()])
    hs = torch.tensor([0.1, 0.01], dtype=F64)
    fig = ref.plot_linearization_error({"smooth": (hs, hs**2 / 3), "bad": (hs, 0.5 + 0 * hs)})
    data = figure_data(fig)["axes"][0]
    assert data["xscale"] == data["yscale"] == "log"
    lines = {ln["label"]: ln for ln in data["lines"]}
    assert lines["slope 2"]["y"] == pytest.approx([0.01 / 3, 0.0001 / 3])
