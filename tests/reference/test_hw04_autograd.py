"""hw04's reference against torch.autograd (the oracle) and finite differences."""

from __future__ import annotations

import math
import random

import pytest
import torch
import torch.nn.functional as F

from solutions import hw04_autograd as ref

torch.set_num_threads(1)

UNARY = ["exp", "tanh", "relu", "sigmoid", "log_safe", "neg", "pow2", "pow_frac"]
BINARY = ["add", "mul", "sub", "div_safe", "radd", "rmul", "rsub", "rdiv_safe"]


def build(expr_ops, leaves, V, lib):
    """Apply the same program to Value leaves or to torch scalars."""
    nodes = list(leaves)
    for op, a, b, c in expr_ops:
        x, y = nodes[a], nodes[b]
        if op == "exp":
            r = lib["exp"](x * 0.5)
        elif op == "tanh":
            r = lib["tanh"](x)
        elif op == "relu":
            r = lib["relu"](x)
        elif op == "sigmoid":
            r = lib["sigmoid"](x)
        elif op == "log_safe":
            r = lib["log"](x * x + 1.0)
        elif op == "neg":
            r = -x
        elif op == "pow2":
            r = x**2
        elif op == "pow_frac":
            r = (x * x + 1.0) ** 1.5
        elif op == "add":
            r = x + y
        elif op == "mul":
            r = x * y
        elif op == "sub":
            r = x - y
        elif op == "div_safe":
            r = x / (y * y + 1.0)
        elif op == "radd":
            r = c + x
        elif op == "rmul":
            r = c * x
        elif op == "rsub":
            r = c - x
        else:  # rdiv_safe
            r = c / (x * x + 1.0)
        nodes.append(r)
    return nodes


def random_program(rng: random.Random, n_leaves: int, n_ops: int):
    ops = []
    for k in range(n_ops):
        size = n_leaves + k
        op = rng.choice(UNARY + BINARY)
        ops.append((op, rng.randrange(size), rng.randrange(size), rng.uniform(-2, 2)))
    return ops


VALUE_LIB = {
    "exp": lambda v: v.exp(),
    "tanh": lambda v: v.tanh(),
    "relu": lambda v: v.relu(),
    "sigmoid": lambda v: v.sigmoid(),
    "log": lambda v: v.log(),
}
TORCH_LIB = {
    "exp": torch.exp,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "log": torch.log,
}


@pytest.mark.parametrize("seed", range(25))
def test_value_engine_matches_torch_autograd_on_random_graphs(seed):
    rng = random.Random(seed)
    n_leaves = rng.randint(2, 4)
    program = random_program(rng, n_leaves, rng.randint(3, 12))
    xs = [rng.uniform(-2, 2) for _ in range(n_leaves)]
    # Sum a few late nodes so fan-out is common.
    v_nodes = build(program, [ref.Value(x) for x in xs], ref.Value, VALUE_LIB)
    v_out = sum(v_nodes[-3:], ref.Value(0.0))
    v_out.backward()
    t_leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    t_nodes = build(program, t_leaves, None, TORCH_LIB)
    t_out = sum(t_nodes[-3:])
    grads = torch.autograd.grad(t_out, t_leaves, allow_unused=True)
    assert math.isclose(v_out.data, float(t_out.detach()), rel_tol=1e-12, abs_tol=1e-12)
    for leaf, g in zip(v_nodes[:n_leaves], grads):
        expected = 0.0 if g is None else float(g)
        assert math.isclose(leaf.grad, expected, rel_tol=1e-10, abs_tol=1e-12)
        assert type(leaf.data) is float


def test_lecture_cases():
    x = ref.Value(1.0)
    f = x**3 - 3 * x
    f.backward()
    assert x.grad == 0.0  # x = 1 is a critical point of x³ − 3x
    x = ref.Value(3.0)
    g = x * x + x
    g.backward()
    assert x.grad == 7.0  # 2x + 1: fan-out accumulates


def test_backward_twice_on_a_rebuilt_graph_gives_the_same_gradients():
    def grads():
        a, b = ref.Value(0.3), ref.Value(-1.2)
        out = (a * b + a.tanh()) * a
        out.backward()
        return a.grad, b.grad

    assert grads() == grads()


def test_topological_order_properties_and_a_long_chain():
    a, b = ref.Value(1.0), ref.Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = ref.topological_order(e)
    pos = {id(n): i for i, n in enumerate(order)}
    assert len(order) == len(pos) == 5 and order[-1] is e
    for node in order:
        assert all(pos[id(p)] < pos[id(node)] for p in node._prev)
    node = ref.Value(0.0)
    for _ in range(10_000):
        node = ref.Value(node.data + 1.0, (node,), "+1")
    chain = ref.topological_order(node)
    assert len(chain) == 10_001 and chain[-1] is node and not chain[0]._prev


@pytest.mark.parametrize("n, p", [(5, 2), (12, 4), (20, 6)])
def test_least_squares_nodes_match_autograd(n, p):
    g = torch.Generator().manual_seed(n)
    X = torch.randn(n, p, generator=g, dtype=torch.float64)
    y = torch.randn(n, generator=g, dtype=torch.float64)
    w = torch.randn(p, generator=g, dtype=torch.float64, requires_grad=True)
    cache = ref.ls_forward(X, y, w.detach())
    back = ref.ls_backward(X, y, w.detach(), cache)
    z1 = X @ w - y
    f = 0.5 * (z1 @ z1)
    (df_dw,) = torch.autograd.grad(f, w)
    torch.testing.assert_close(cache["f"], f.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(back["df_dw"], df_dw, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(back["df_dw"], X.T @ (X @ w.detach() - y), rtol=1e-10, atol=1e-12)
    assert float(back["df_dz2"]) == 0.5


FUNCS = {
    "cubic": lambda x: (x**3 - 3 * x).sum(),
    "logsumexp": lambda x: torch.logsumexp(x, 0),
    "x_tanh": lambda x: (x * torch.tanh(x)).sum(),
}


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_numerical_grad_agrees_with_autograd_and_leaves_x_alone(name):
    f = FUNCS[name]
    x = torch.linspace(-1.5, 1.3, 6, dtype=torch.float64)
    before = x.clone()
    leaf = x.clone().requires_grad_(True)
    (exact,) = torch.autograd.grad(f(leaf), leaf)
    approx = ref.numerical_grad(f, x, 1e-6)
    torch.testing.assert_close(approx, exact, rtol=1e-7, atol=1e-8)
    assert torch.equal(x, before)
    grad_f = lambda _: exact  # noqa: E731
    assert ref.grad_check(f, grad_f, x) < 1e-7


def test_grad_check_truncation_regime_is_quadratic_in_h():
    f = FUNCS["x_tanh"]
    x = torch.linspace(-1.0, 1.0, 5, dtype=torch.float64)
    leaf = x.clone().requires_grad_(True)
    (exact,) = torch.autograd.grad(f(leaf), leaf)
    errs = ref.gradcheck_errors(f, lambda _: exact, x, [1e-2, 1e-3])
    assert 60 < float(errs[0] / errs[1]) < 140  # ≈ 100: error ∝ h²


@pytest.mark.parametrize("seed", range(4))
def test_classifier_backward_matches_autograd_on_torch_bce(seed):
    g = torch.Generator().manual_seed(seed)
    n, d, h = 7 + seed, 3 + seed % 2, 4 + seed
    params = {
        "W1": torch.randn(h, d, generator=g, dtype=torch.float64),
        "b1": torch.randn(h, generator=g, dtype=torch.float64),
        "w2": torch.randn(h, generator=g, dtype=torch.float64),
        "b2": torch.randn((), generator=g, dtype=torch.float64),
    }
    X = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = (torch.rand(n, generator=g, dtype=torch.float64) > 0.5).double()
    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    logits = torch.tanh(X @ leaves["W1"].T + leaves["b1"]) @ leaves["w2"] + leaves["b2"]
    loss = F.binary_cross_entropy_with_logits(logits, y)  # torch's own BCE: independent
    oracle = dict(zip(leaves, torch.autograd.grad(loss, list(leaves.values()))))
    mine = ref.classifier_backward(params, X, y)
    via_autograd = ref.classifier_grads_autograd(params, X, y)
    for k in params:
        torch.testing.assert_close(mine[k], oracle[k], rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(via_autograd[k], oracle[k], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(ref.classifier_forward(params, X), torch.sigmoid(logits.detach()))


def test_polynomial_gradients_three_ways_agree():
    xs = torch.linspace(-2, 2, 9, dtype=torch.float64)
    curves = ref.polynomial_gradients(xs)
    for key in ("engine", "autograd"):
        torch.testing.assert_close(curves[key], 3 * xs**2 - 3, rtol=1e-12, atol=1e-12)
    fig = ref.plot_polynomial_gradients(xs, curves)
    assert len(fig.axes[0].get_lines()) == 4
