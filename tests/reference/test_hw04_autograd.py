"""hw04's reference against independent oracles, and its hidden tests against mistakes.

Oracles: ``torch.autograd`` (every gradient the reference computes, including those of the
least-squares graph's intermediate nodes), torch's own BCE-with-logits and ``nn`` layers
(the classifier), closed forms (lecture cases, grad_check with a known error) and the
h² law of central differences. The second half runs the hidden tests themselves: with the
reference as the student under several course salts (full marks: the property checks'
tolerances hold whatever the cases drawn), and with deliberately broken engines (each
loses points exactly where it should: every property check can fail).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import random
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from autograder.grading.runner import ReferenceBackend, collect_tests, run_tests
from autograder.spec import load_assignment
from solutions import hw04_autograd as ref

torch.set_num_threads(1)
F64 = torch.float64
ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "assignments" / "hw04_autograd"


def _hidden(stem: str):
    """A hidden test module, imported from its file (its generators and probes)."""
    name = f"_hw04_hidden_{stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, FOLDER / "tests" / "hidden" / f"{stem}.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


# ------------------------------------------------------------------ q1: Value vs autograd


TORCH_OPS = {
    "exp": lambda x, y, c: torch.exp(0.5 * x),
    "log": lambda x, y, c: torch.log(x * x + 0.5),
    "tanh": lambda x, y, c: torch.tanh(x),
    "relu": lambda x, y, c: torch.relu(x + c),
    "sigmoid": lambda x, y, c: torch.sigmoid(c * x),
    "neg": lambda x, y, c: -x,
    "square": lambda x, y, c: x**2,
    "cube": lambda x, y, c: x**3,
    "sqrt": lambda x, y, c: torch.sqrt(x * x + 1.0),
    "pow_frac": lambda x, y, c: (x * x + 0.5) ** 1.5,
    "inv": lambda x, y, c: 1.0 / (x * x + 1.0),
    "add": lambda x, y, c: x + y,
    "sub": lambda x, y, c: x - y,
    "mul": lambda x, y, c: x * y,
    "div": lambda x, y, c: x / (y * y + 0.5),
    "add_c": lambda x, y, c: x + c,
    "c_add": lambda x, y, c: c + x,
    "sub_c": lambda x, y, c: x - c,
    "c_sub": lambda x, y, c: c - x,
    "mul_c": lambda x, y, c: x * c,
    "c_mul": lambda x, y, c: c * x,
    "div_c": lambda x, y, c: x / c,
    "c_div": lambda x, y, c: c / (x * x + 1.0),
}


def torch_program(leaves, program, n_out):
    """The hidden grammar's program on 0-d float64 tensors: an independent interpreter."""
    nodes = [torch.tensor(v, dtype=F64, requires_grad=True) for v in leaves]
    for op, a, b, c in program:
        nodes.append(TORCH_OPS[op](nodes[a], nodes[b], c))
    out = nodes[-1]
    for extra in nodes[len(nodes) - n_out : -1]:
        out = out + extra
    grads = torch.autograd.grad(out, nodes, allow_unused=True)
    return {
        "output": float(out.detach()),
        "data": [float(v.detach()) for v in nodes],
        "grads": [0.0 if g is None else float(g) for g in grads],
    }


def test_the_oracle_knows_every_operation_of_the_grammar():
    q1 = _hidden("test_q1_value")
    assert set(TORCH_OPS) == set(q1.UNARY + q1.BINARY + q1.WITH_NUMBER)


@pytest.mark.parametrize("seed", range(60))
def test_value_engine_matches_torch_autograd_on_the_hidden_grammar(seed):
    q1 = _hidden("test_q1_value")
    leaves, program, n_out = q1._program(random.Random(seed))
    mine = q1.run_program(ref, leaves, program, n_out)
    oracle = torch_program(leaves, program, n_out)
    # programs are not filtered for size here, so compare relative to their magnitude
    scale = max(1.0, *map(abs, oracle["data"]), *map(abs, oracle["grads"]))
    assert math.isclose(mine["output"], oracle["output"], rel_tol=1e-12, abs_tol=1e-13 * scale)
    for key in ("data", "grads"):
        for got, want in zip(mine[key], oracle[key], strict=True):
            assert math.isclose(got, want, rel_tol=1e-10, abs_tol=1e-12 * scale), (key, got, want)


def test_the_hidden_grammar_has_fan_out_and_depth_at_most_five():
    q1 = _hidden("test_q1_value")
    for seed in range(200):
        leaves, program, _ = q1._program(random.Random(seed))
        depth = [0] * len(leaves)
        for op, a, b, _c in program:
            depth.append(1 + max(depth[a], depth[b] if op in q1.BINARY else 0))
        assert max(depth) <= 5 and 2 <= len(leaves) <= 4
        assert all(-2 <= v <= 2 for v in leaves)
    # the tame filter keeps only programs with a reused node; most programs have one
    reused = sum(max(q1._uses(q1._program(random.Random(s))[1]).values()) >= 2 for s in range(200))
    assert reused > 150


def _torch_operation(op, a, b):
    x = torch.tensor(a, dtype=F64, requires_grad=True)
    y = torch.tensor(b, dtype=F64, requires_grad=True)
    table = {
        "x + y": (lambda: x + y, [x, y]),
        "x + b": (lambda: x + b, [x]),
        "a + y": (lambda: a + y, [y]),
        "x - y": (lambda: x - y, [x, y]),
        "x - b": (lambda: x - b, [x]),
        "a - y": (lambda: a - y, [y]),
        "x * y": (lambda: x * y, [x, y]),
        "x * b": (lambda: x * b, [x]),
        "a * y": (lambda: a * y, [y]),
        "x / y": (lambda: x / y, [x, y]),
        "x / b": (lambda: x / b, [x]),
        "a / y": (lambda: a / y, [y]),
        "-x": (lambda: -x, [x]),
        "x ** 3": (lambda: x**3, [x]),
        "x ** 2.5": (lambda: x**2.5, [x]),
        "x ** -2": (lambda: x**-2, [x]),
        "x ** -0.5": (lambda: x**-0.5, [x]),
        "x.exp()": (lambda: torch.exp(x), [x]),
        "x.log()": (lambda: torch.log(x), [x]),
        "x.tanh()": (lambda: torch.tanh(x), [x]),
        "x.relu()": (lambda: torch.relu(x), [x]),
        "x.sigmoid()": (lambda: torch.sigmoid(x), [x]),
        "x * x": (lambda: x * x, [x]),
        "x + x": (lambda: x + x, [x]),
    }
    build, operands = table[op]
    out = build()
    grads = torch.autograd.grad(out, operands)
    return float(out.detach()), [float(g) for g in grads]


@pytest.mark.parametrize("case", _hidden("test_q1_value").OPERATION_CASES)
def test_each_operation_matches_torch_autograd(case):
    op, a, b = case
    got = _hidden("test_q1_value").one_operation(ref, op, a, b)
    data, grads = _torch_operation(op, a, b)
    assert math.isclose(got["data"], data, rel_tol=1e-14, abs_tol=1e-300)
    for g, e in zip(got["grads"], grads, strict=True):
        assert math.isclose(g, e, rel_tol=1e-13, abs_tol=1e-300)


@pytest.mark.parametrize("case", _hidden("test_q1_value").LOCAL_CASES)
def test_local_derivatives_times_the_upstream_gradient(case):
    op, a, b = case
    got = _hidden("test_q1_value").local_derivatives(ref, op, a, b, 0.37)
    data, grads = _torch_operation(op, a, b)
    assert math.isclose(got["data"], data, rel_tol=1e-14)
    # the leaves start at 0.25: _backward adds upstream × local derivative to it
    assert math.isclose(got["x.grad"], 0.25 + 0.37 * grads[0], rel_tol=1e-13)
    y_grad = 0.25 + 0.37 * grads[1] if "y" in op else 0.0  # y is not in the graph
    assert math.isclose(got["y.grad"], y_grad, rel_tol=1e-13)


def test_sigmoid_does_not_overflow():
    for x0 in (800.0, -800.0, 30.0, -30.0, 0.0):
        v = ref.Value(x0)
        s = v.sigmoid()
        s.backward()
        leaf = torch.tensor(x0, dtype=F64, requires_grad=True)
        expected = torch.sigmoid(leaf)
        (grad,) = torch.autograd.grad(expected, leaf)
        assert math.isclose(s.data, float(expected.detach()), rel_tol=1e-15, abs_tol=0.0)
        assert math.isclose(v.grad, float(grad), rel_tol=1e-14, abs_tol=0.0)


def test_lecture_cases():
    x = ref.Value(1.0)
    f = x**3 - 3 * x
    f.backward()
    assert (f.data, x.grad) == (-2.0, 0.0)  # x = 1 is a critical point of x³ − 3x
    x = ref.Value(3.0)
    g = x * x + x
    g.backward()
    assert (g.data, x.grad) == (12.0, 7.0)  # 2x + 1: fan-out accumulates


def test_engine_properties_hold_for_the_reference():
    got = _hidden("test_q1_value").engine_properties(ref, 0.8, -1.3, 4)
    assert got["data types"] == ["float"]
    assert got["twice"][0] == got["twice"][1] and got["rebuilt"][0] == got["rebuilt"][1]
    a, b = (torch.tensor(v, dtype=F64, requires_grad=True) for v in (0.8, -1.3))
    out = (a * b + torch.tanh(a)) * a - torch.sigmoid(2 * b) + torch.log(a * a + 1) / b + 3 * a
    expected = [float(g) for g in torch.autograd.grad(out, [a, b])]
    assert all(math.isclose(g, e, rel_tol=1e-12) for g, e in zip(got["twice"][0], expected))
    assert got["sum of k copies"] == 4.0
    assert math.isclose(got["product of k copies"], 4 * 0.8**3, rel_tol=1e-13)


# ------------------------------------------------------------------ q2: topological order


def _oracle_problem(order, n_leaves, inputs, root):
    """An independent validity check: Kahn-style, each node's inputs already placed."""
    parents = {k + n_leaves: list(ins) for k, ins in enumerate(inputs)}
    reach, stack = set(), [root]
    while stack:
        v = stack.pop()
        if v not in reach:
            reach.add(v)
            stack.extend(parents.get(v, []))
    placed = set()
    for v in order:
        if v in placed or v not in reach or not all(p in placed for p in parents.get(v, [])):
            return False
        placed.add(v)
    return placed == reach and order[-1] == root


def test_topological_order_on_the_hidden_tests_graphs():
    q2 = _hidden("test_q2_topological_order")
    graphs = [q2._random_dag(random.Random(s)) for s in range(100)]
    n = 10_000
    graphs += [(1, [[k] for k in range(n)], n), (1, [[k, 0] for k in range(n)], n)]
    for n_leaves, inputs, root in graphs:
        order = q2.order_of_graph(ref, n_leaves, inputs, root)
        assert _oracle_problem(order, n_leaves, inputs, root)
        assert q2._problem_with(order, n_leaves, inputs, root) is None


def test_the_order_checker_rejects_wrong_orders():
    # The hidden test's checker against orders that break each rule.
    q2 = _hidden("test_q2_topological_order")
    # nodes 0, 1 are leaves; 2 = f(0, 1), 3 = f(2, 0), 4 = f(3, 2), 5 = f(1); 4 is the root
    n_leaves, inputs, root = 2, [[0, 1], [2, 0], [3, 2], [1]], 4
    good = q2.order_of_graph(ref, n_leaves, inputs, root)
    assert q2._problem_with(good, n_leaves, inputs, root) is None
    bad = {
        "reversed": good[::-1],
        "duplicate": [*good[:-1], good[0], good[-1]],
        "missing": good[1:],
        "unreachable node": [5, *good],
        "not a node": [-1, *good],
        "root first": [root, *good[:-1]],
        "not a list": tuple(good),
    }
    for what, order in bad.items():
        assert q2._problem_with(order, n_leaves, inputs, root) is not None, what
        if isinstance(order, list) and -1 not in order:
            assert not _oracle_problem(order, n_leaves, inputs, root), what


# ------------------------------------------------------------------ q3: least squares


@pytest.mark.parametrize("n, p", [(2, 1), (5, 2), (12, 4), (20, 6)])
def test_least_squares_nodes_match_autograd(n, p):
    g = torch.Generator().manual_seed(n)
    X = torch.randn(n, p, generator=g, dtype=F64)
    y = torch.randn(n, generator=g, dtype=F64)
    w = torch.randn(p, generator=g, dtype=F64)
    cache = ref.ls_forward(X, y, w)
    back = ref.ls_backward(X, y, w, cache)
    leaf = w.clone().requires_grad_(True)
    z1 = X @ leaf - y
    z2 = (z1**2).sum()
    f = z2 / 2
    # autograd's derivatives with respect to the intermediate nodes, too
    df_dz1, df_dz2, df_dw = torch.autograd.grad(f, [z1, z2, leaf])
    for key, want in (("z1", z1), ("z2", z2), ("f", f)):
        torch.testing.assert_close(cache[key], want.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(back["df_dz2"], df_dz2, rtol=0, atol=0)
    torch.testing.assert_close(back["df_dz1"], df_dz1, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(back["df_dw"], df_dw, rtol=1e-10, atol=1e-12)
    assert back["df_dz2"].shape == () and cache["z2"].shape == () and cache["f"].shape == ()


def test_least_squares_gradient_vanishes_at_lstsq():
    g = torch.Generator().manual_seed(3)
    X = torch.randn(15, 4, generator=g, dtype=F64)
    y = torch.randn(15, generator=g, dtype=F64)
    w_star = torch.linalg.lstsq(X, y[:, None]).solution[:, 0]
    back = ref.ls_backward(X, y, w_star, ref.ls_forward(X, y, w_star))
    assert float(back["df_dw"].norm()) < 1e-12


# ------------------------------------------------------------------ q4: gradient checking

A = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], dtype=F64)
B = torch.tensor([0.5, -2.0], dtype=F64)
FUNCS = {
    "cubic": lambda x: (x**3 - 3 * x).sum(),
    "least_squares": lambda x: 0.5 * ((A @ x - B) ** 2).sum(),
    "logsumexp": lambda x: torch.logsumexp(x.reshape(-1), 0),
    "x_tanh": lambda x: (x * torch.tanh(x)).sum(),
}


def _autograd(f, x):
    leaf = x.clone().requires_grad_(True)
    return torch.autograd.grad(f(leaf), leaf)[0]


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_numerical_grad_agrees_with_autograd_and_leaves_x_alone(name):
    f = FUNCS[name]
    x = torch.linspace(-1.5, 1.3, 3, dtype=F64)
    before = x.clone()
    exact = _autograd(f, x)
    for h in (1e-4, 1e-5, 1e-6):
        approx = ref.numerical_grad(f, x, h)
        # truncation h²/6·|f‴| plus rounding ε|f|/h
        torch.testing.assert_close(approx, exact, rtol=0, atol=5 * h**2 + 1e-15 / h * 10)
    assert torch.equal(x, before)
    assert ref.grad_check(f, lambda _: exact, x) < 1e-8


def test_numerical_grad_keeps_the_shape_and_uses_h_1e6_by_default():
    x = torch.randn(2, 3, generator=torch.Generator().manual_seed(1), dtype=F64)
    f = FUNCS["x_tanh"]
    approx = ref.numerical_grad(f, x)
    assert approx.shape == x.shape and approx.dtype == F64
    torch.testing.assert_close(approx, _autograd(f, x), rtol=0, atol=1e-9)
    assert torch.equal(approx, ref.numerical_grad(f, x, 1e-6))


@pytest.mark.parametrize("shift", [1e-3, 0.5, 20.0])
def test_grad_check_is_the_relative_error_with_a_floor_of_one(shift):
    x = torch.tensor([-1.0, 0.3, 0.9, 1.7], dtype=F64)
    f = FUNCS["x_tanh"]
    exact = _autograd(f, x)
    off = torch.zeros(4, dtype=F64)
    off[2] = shift
    got = ref.grad_check(f, lambda _: exact + off, x)
    # closed form with the exact gradient standing in for the central differences
    g = exact + off
    expected = max(
        float(abs(g[i] - exact[i]) / max(1.0, abs(g[i]), abs(exact[i]))) for i in range(4)
    )
    assert math.isclose(got, expected, rel_tol=1e-6)
    assert isinstance(got, float)


def test_central_difference_error_falls_like_h_squared():
    a = 0.8
    x = torch.linspace(-1, 1, 4, dtype=F64)
    f = lambda z: torch.exp(a * z).sum()  # noqa: E731
    exact = a * torch.exp(a * x)
    errs = [float((ref.numerical_grad(f, x, h) - exact).abs().max()) for h in (1e-2, 1e-3)]
    assert 95 < errs[0] / errs[1] < 105
    # and the leading term is h²/6 · f‴
    assert math.isclose(errs[0], 1e-4 / 6 * float((a**3 * torch.exp(a * x)).max()), rel_tol=1e-3)


# ------------------------------------------------------------------ q5: the classifier


def _classifier_problem(seed, n, d, h):
    g = torch.Generator().manual_seed(seed)
    params = {
        "W1": torch.randn(h, d, generator=g, dtype=F64),
        "b1": torch.randn(h, generator=g, dtype=F64),
        "w2": torch.randn(h, generator=g, dtype=F64),
        "b2": torch.randn((), generator=g, dtype=F64),
    }
    X = torch.randn(n, d, generator=g, dtype=F64)
    y = (torch.rand(n, generator=g, dtype=F64) > 0.5).to(F64)
    return params, X, y


@pytest.mark.parametrize(
    "seed, n, d, h", [(0, 1, 1, 1), (1, 7, 3, 4), (2, 16, 5, 8), (3, 10, 2, 6)]
)
def test_classifier_matches_torch_nn_and_bce_with_logits(seed, n, d, h):
    params, X, y = _classifier_problem(seed, n, d, h)
    # torch's own layers and loss: an implementation independent of the reference's
    net = torch.nn.Sequential(
        torch.nn.Linear(d, h), torch.nn.Tanh(), torch.nn.Linear(h, 1)
    ).double()
    with torch.no_grad():
        net[0].weight.copy_(params["W1"])
        net[0].bias.copy_(params["b1"])
        net[2].weight.copy_(params["w2"][None, :])
        net[2].bias.copy_(params["b2"].reshape(1))
    logits = net(X)[:, 0]
    loss = F.binary_cross_entropy_with_logits(logits, y)
    grads = torch.autograd.grad(loss, list(net.parameters()))
    oracle = {"W1": grads[0], "b1": grads[1], "w2": grads[2][0], "b2": grads[3][0]}
    torch.testing.assert_close(ref.classifier_forward(params, X), torch.sigmoid(logits.detach()))
    by_hand = ref.classifier_backward(params, X, y)
    via_autograd = ref.classifier_grads_autograd(params, X, y)
    for k in params:
        assert by_hand[k].shape == params[k].shape
        torch.testing.assert_close(by_hand[k], oracle[k], rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(via_autograd[k], oracle[k], rtol=1e-10, atol=1e-12)
        assert not via_autograd[k].requires_grad


def test_classifier_backward_passes_grad_check():
    params, X, y = _classifier_problem(5, 9, 3, 4)

    def bce(W1):
        p = ref.classifier_forward({**params, "W1": W1}, X)
        return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()

    g = ref.classifier_backward(params, X, y)["W1"]
    assert ref.grad_check(bce, lambda _: g, params["W1"]) < 1e-8


# ------------------------------------------------------------------ q6: figures


def test_polynomial_gradients_three_ways_agree_with_the_formula():
    xs = torch.linspace(-2, 2, 9, dtype=F64)
    curves = ref.polynomial_gradients(xs)
    torch.testing.assert_close(curves["f"], xs**3 - 3 * xs, rtol=1e-14, atol=1e-14)
    for key in ("engine", "analytic", "autograd"):
        torch.testing.assert_close(curves[key], 3 * xs**2 - 3, rtol=1e-14, atol=1e-14)
    assert curves["engine"][2].item() == 0.0 and curves["engine"][6].item() == 0.0  # x = ∓1


def test_figures_draw_exactly_their_data():
    from autograder.runtime.probe_helpers import figure_data

    xs = torch.linspace(-2, 2, 5, dtype=F64)
    curves = {k: xs * i for i, k in enumerate(("f", "engine", "analytic", "autograd"))}
    data = figure_data(ref.plot_polynomial_gradients(xs, curves))
    (ax,) = data["axes"]
    assert data["n_axes"] == 1 and ax["xscale"] == ax["yscale"] == "linear"
    assert ax["has_xlabel"] and ax["has_ylabel"]
    assert {line["label"]: line["y"] for line in ax["lines"]} == {
        k: v.tolist() for k, v in curves.items()
    }
    assert all(line["x"] == xs.tolist() for line in ax["lines"])
    hs = [1e-1, 1e-3, 1e-5]
    errs = torch.tensor([1e-2, 1e-6, 1e-9], dtype=F64)
    data = figure_data(ref.plot_gradcheck_error(hs, errs))
    (ax,) = data["axes"]
    assert ax["xscale"] == ax["yscale"] == "log" and ax["has_xlabel"] and ax["has_ylabel"]
    assert ax["lines"] == [{"label": "grad_check", "x": hs, "y": errs.tolist()}]


def test_gradcheck_errors_make_the_v():
    hs = [10.0**-k for k in range(1, 13)]
    x = torch.linspace(-1, 1, 5, dtype=F64)
    f = FUNCS["x_tanh"]
    errs = ref.gradcheck_errors(f, lambda _: _autograd(f, x), x, hs)
    assert errs.shape == (12,) and errs.dtype == F64
    assert 90 < float(errs[1] / errs[2]) < 110  # truncation: slope 2
    best = int(errs.argmin())
    assert hs[best] in (1e-4, 1e-5, 1e-6)  # near ε^(1/3)
    assert float(errs[-1]) > 1e4 * float(errs[best])  # rounding ∝ ε/h on the left


# ------------------------------------------------------------------ the hidden tests


def _run_hidden(student, salt=None, only=None):
    """The hidden tests (those named in ``only``, default all) with ``student`` graded."""
    a = load_assignment(FOLDER)
    if salt is not None:
        a = dataclasses.replace(a, salt=salt)
    tests = [t for t in collect_tests(a) if only is None or t.name in only]
    results = run_tests(a, tests, ref, ReferenceBackend(student))
    return {r.name: r for r in results}


@pytest.mark.slow
@pytest.mark.parametrize("salt", ["another course secret", "hw04-spring"])
def test_hidden_tests_give_the_reference_full_marks_whatever_the_salt(salt):
    results = _run_hidden(ref, salt)
    failed = [
        f"{r.name}: {c.case}: {c.message}"
        for r in results.values()
        for c in r.records
        if not c.passed
    ]
    assert not failed, failed[:5]
    assert math.isclose(sum(r.score for r in results.values()), 100.0)


def test_tame_programs_skip_candidates_that_overflow():
    # Under this salt, a candidate program of test_q1_random_expressions overflows exp()
    # in the reference itself; the test used to crash (a lost case for every student).
    results = _run_hidden(ref, "salt-37", only={"test_q1_random_expressions"})
    (r,) = results.values()
    assert all(c.passed for c in r.records) and r.records, [c.message for c in r.records]


def _mutant(edit):
    """The reference with its source edited by ``edit``: a plausible student mistake."""
    source = Path(ref.__file__).read_text(encoding="utf-8")
    edited = edit(source)
    assert edited != source, "the edit changed nothing"
    module = type(sys)("hw04_mutant")
    exec(compile(edited, "<mutant>", "exec"), module.__dict__)
    return module


def _replace(**pairs):
    """An edit replacing each old text by the new one (both given in ``pairs`` values)."""

    def edit(source):
        for old, new in pairs.values():
            assert old in source, old
            source = source.replace(old, new)
        return source

    return edit


def _recursive_order(source):
    start = source.index("    order: list[Value] = []\n    visited: set[int] = set()\n    stack")
    end = source.index("    # END SOLUTION\n", start)
    recursive = """    order: list[Value] = []
    visited: set[int] = set()

    def visit(node):
        if id(node) not in visited:
            visited.add(id(node))
            for child in node._prev:
                visit(child)
            order.append(node)

    visit(root)
    return order
"""
    return source[:start] + recursive + source[end:]


MUTANTS = {
    # "=" for "+=": fan-out loses contributions
    "overwrite instead of accumulate": (
        _replace(
            add=("self.grad += out.grad\n", "self.grad = out.grad\n"),
            mul=("self.grad += other.data * out.grad", "self.grad = other.data * out.grad"),
        ),
        {"test_q1_lecture_cases", "test_q1_local_derivatives", "test_q1_engine_properties"},
    ),
    "data not converted to float": (
        _replace(data=("self.data = float(data)", "self.data = data")),
        {"test_q1_engine_properties"},
    ),
    "add derivative doubled": (
        _replace(add=("self.grad += out.grad\n", "self.grad += 2.0 * out.grad\n")),
        {"test_q1_random_expressions", "test_q1_gradients_match_finite_differences"},
    ),
    "root first": (
        _replace(
            root=(
                "    return order\n    # END SOLUTION",
                "    return order[::-1]\n    # END SOLUTION",
            )
        ),
        {"test_q2_random_graphs", "test_q2_shared_nodes", "test_q2_a_chain_of_ten_thousand_nodes"},
    ),
    "least squares residual with + y": (
        _replace(residual=("z1 = X @ w - y", "z1 = X @ w + y")),
        {
            "test_q3_forward_and_backward_nodes",
            "test_q3_gradient_matches_finite_differences",
            "test_q3_gradient_vanishes_at_the_least_squares_solution",
        },
    ),
    "no reset in backward": (
        _replace(reset=("            node.grad = 0.0\n", "            pass\n")),
        {"test_q1_engine_properties"},
    ),
    "seed 1 without calling _backward in order": (
        _replace(order=("for node in reversed(order):", "for node in order:")),
        # the local-rule tests order the graph themselves (a q2 bug is not charged there);
        # the tests of backward() itself catch it
        {"test_q1_backward_twice", "test_q1_engine_properties"},
    ),
    "naive sigmoid": (
        _replace(
            naive=("        if self.data >= 0:  # two forms", "        if True:  # two forms")
        ),
        {"test_q1_each_operation"},
    ),
    "tanh derivative 1 - tanh": (
        _replace(tanh=("(1.0 - t * t) * out.grad", "(1.0 - t) * out.grad")),
        {"test_q1_each_operation", "test_q1_local_derivatives"},
    ),
    "recursive topological order": (_recursive_order, {"test_q2_a_chain_of_ten_thousand_nodes"}),
    "no visited check when popping": (
        _replace(visited=("        if id(node) in visited:\n            continue\n", "")),
        {"test_q2_shared_nodes"},
    ),
    "ls gradient off by 2": (
        _replace(two=("df_dz1 = df_dz2 * 2.0 * z1", "df_dz1 = 2.0 * z1")),
        {
            "test_q3_forward_and_backward_nodes",
            "test_q3_gradient_matches_finite_differences",
        },
    ),
    "forward differences": (
        _replace(
            down=("down = f((flat - step).reshape(x.shape))", "down = f(flat.reshape(x.shape))"),
            quotient=("grad[i] = (up - down) / (2.0 * h)", "grad[i] = (up - down) / h"),
        ),
        {"test_q4_numerical_grad", "test_q4_truncation_error_is_quadratic"},
    ),
    # perturbs x itself and never puts it back
    "x modified in place": (
        _replace(
            view=("flat = x.detach().clone().reshape(-1)", "flat = x.detach().reshape(-1)"),
            up=("up = f((flat + step)", "flat += step\n        up = f((flat)"),
            down=("down = f((flat - step)", "down = f((flat - 2 * step)"),
        ),
        {"test_q4_truncation_error_is_quadratic", "test_q4_numerical_grad"},
    ),
    "absolute error in grad_check": (
        _replace(abs=("((g - g_hat).abs() / scale).max()", "(g - g_hat).abs().max()")),
        {"test_q4_grad_check"},
    ),
    "classifier without tanh'": (
        _replace(tanh=("dz1 = d_hidden * (1.0 - hidden**2)", "dz1 = d_hidden")),
        {"test_q5_backward_by_hand", "test_q5_backward_passes_a_gradient_check"},
    ),
    "autograd version modifies params": (
        _replace(
            leaves=("{k: v.detach().clone().requires_grad_(True)", "{k: v.requires_grad_(True)")
        ),
        {"test_q5_gradients_with_autograd"},
    ),
    "figure draws one key for all": (
        _replace(key=("y = curves[key].detach()", 'y = curves["analytic"].detach()')),
        {"test_q6_polynomial_figure"},
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_hidden_tests_catch_each_mistake(name):
    edit, must_fail = MUTANTS[name]
    results = _run_hidden(_mutant(edit), only=must_fail)
    lost = {n for n, r in results.items() if r.score < r.max_score - 1e-9}
    assert must_fail <= lost, (must_fail - lost, lost)


# A second, independently written solution: other formulas for the same derivatives
# (sech² for tanh', σ(1 − σ) from the output, the BCE gradient through ∂L/∂p), Kahn's
# algorithm for the order, F.binary_cross_entropy + backward() for the autograd contrast.
# The hidden tests must give it full marks: their tolerances leave room for equivalent
# code, not only for the reference's own arithmetic.
ALTERNATIVE = """
from __future__ import annotations

import math
from collections.abc import Callable

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import Tensor


class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._backward = lambda: None

    @staticmethod
    def _lift(o):
        return o if isinstance(o, Value) else Value(o)

    def __add__(self, other):
        other = self._lift(other)
        out = Value(other.data + self.data, (self, other), "+")

        def bw():
            other.grad += 1.0 * out.grad
            self.grad += 1.0 * out.grad

        out._backward = bw
        return out

    def __mul__(self, other):
        other = self._lift(other)
        out = Value(self.data * other.data, (self, other), "*")

        def bw():
            self.grad = self.grad + out.grad * other.data
            other.grad = other.grad + out.grad * self.data

        out._backward = bw
        return out

    def __pow__(self, p):
        out = Value(self.data**p, (self,), "pow")

        def bw():
            self.grad += out.grad * (p * self.data ** (p - 1))

        out._backward = bw
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def bw():
            self.grad += math.exp(self.data) * out.grad

        out._backward = bw
        return out

    def log(self):
        out = Value(math.log(self.data), (self,), "log")

        def bw():
            self.grad += (1.0 / self.data) * out.grad

        out._backward = bw
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), (self,), "tanh")

        def bw():
            self.grad += out.grad / math.cosh(self.data) ** 2

        out._backward = bw
        return out

    def relu(self):
        out = Value(max(0.0, self.data), (self,), "relu")

        def bw():
            self.grad += float(self.data > 0) * out.grad

        out._backward = bw
        return out

    def sigmoid(self):
        z = math.exp(-abs(self.data))
        s = 1 / (1 + z) if self.data >= 0 else z / (1 + z)
        out = Value(s, (self,), "sigmoid")

        def bw():
            self.grad += out.data * (1 - out.data) * out.grad

        out._backward = bw
        return out

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __truediv__(self, other):
        return self * self._lift(other) ** -1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return self._lift(other) + (-self)

    def __rtruediv__(self, other):
        return self._lift(other) * self**-1

    def backward(self):
        order = topological_order(self)
        for v in order:
            v.grad = 0
        self.grad = 1
        for v in order[::-1]:
            v._backward()


def topological_order(root):
    # Kahn's algorithm on the reachable subgraph
    nodes, stack, seen = [], [root], {id(root)}
    while stack:
        v = stack.pop()
        nodes.append(v)
        for c in v._prev:
            if id(c) not in seen:
                seen.add(id(c))
                stack.append(c)
    indeg = {id(v): len(set(map(id, v._prev))) for v in nodes}
    users = {id(v): [] for v in nodes}
    for v in nodes:
        for c in {id(c): c for c in v._prev}.values():
            users[id(c)].append(v)
    ready = [v for v in nodes if indeg[id(v)] == 0]
    order = []
    while ready:
        v = ready.pop()
        order.append(v)
        for u in users[id(v)]:
            indeg[id(u)] -= 1
            if indeg[id(u)] == 0:
                ready.append(u)
    return order


def ls_forward(X, y, w):
    z1 = torch.mv(X, w) - y
    z2 = (z1**2).sum()
    return {"z1": z1, "z2": z2, "f": z2 / 2}


def ls_backward(X, y, w, cache):
    df_dz2 = torch.tensor(0.5, dtype=X.dtype)
    df_dz1 = cache["z1"].clone()
    return {"df_dz2": df_dz2, "df_dz1": df_dz1, "df_dw": df_dz1 @ X}


def numerical_grad(f, x, h=1e-6):
    g = torch.zeros_like(x)
    for idx in range(x.numel()):
        i = tuple(int(v) for v in torch.unravel_index(torch.tensor(idx), x.shape))
        xp, xm = x.clone(), x.clone()
        xp[i] += h
        xm[i] -= h
        g[i] = (f(xp) - f(xm)) / 2 / h
    return g


def grad_check(f, grad_f, x, h=1e-6):
    g = grad_f(x).flatten().tolist()
    gh = numerical_grad(f, x, h).flatten().tolist()
    return max(abs(a - b) / max(1.0, abs(a), abs(b)) for a, b in zip(g, gh))


def classifier_forward(params, X):
    u = torch.tanh(torch.einsum("hd,nd->nh", params["W1"], X) + params["b1"])
    return torch.sigmoid(u @ params["w2"] + params["b2"])


def classifier_backward(params, X, y):
    n = len(y)
    u = torch.tanh(X @ params["W1"].T + params["b1"])
    p = torch.sigmoid(u @ params["w2"] + params["b2"])
    dL_dp = -(y / p - (1 - y) / (1 - p)) / n
    ds = dL_dp * p * (1 - p)
    da = torch.outer(ds, params["w2"]) * (1 - u * u)
    return {"W1": da.T @ X, "b1": da.sum(0), "w2": u.T @ ds, "b2": ds.sum()}


def classifier_grads_autograd(params, X, y):
    leaves = {k: v.detach().clone().requires_grad_() for k, v in params.items()}
    p = classifier_forward(leaves, X)
    F.binary_cross_entropy(p, y).backward()
    return {k: v.grad for k, v in leaves.items()}


def polynomial_gradients(xs):
    f, eng = [], []
    for v in xs:
        x = Value(float(v))
        y = x * x * x - 3 * x
        y.backward()
        f.append(y.data)
        eng.append(x.grad)
    t = xs.clone().requires_grad_()
    (t**3 - 3 * t).sum().backward()
    return {"f": torch.tensor(f, dtype=torch.float64), "engine": torch.tensor(eng, dtype=torch.float64), "analytic": 3 * xs * xs - 3, "autograd": t.grad}


def plot_polynomial_gradients(xs, curves):
    fig = plt.figure()
    ax = fig.add_subplot()
    for k in ["autograd", "analytic", "engine", "f"]:
        ax.plot(xs, curves[k], label=k)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return fig


def gradcheck_errors(f, grad_f, x, hs):
    return torch.tensor([grad_check(f, grad_f, x, h) for h in hs], dtype=torch.float64)


def plot_gradcheck_error(hs, errs):
    fig, ax = plt.subplots()
    ax.loglog(hs, errs, label="grad_check")
    ax.set_xlabel("h")
    ax.set_ylabel("error")
    ax.text(0.1, 0.1, "V")
    return fig
"""


@pytest.mark.slow
def test_hidden_tests_give_an_independent_solution_full_marks():
    module = type(sys)("hw04_alternative")
    exec(compile(ALTERNATIVE, "<alternative>", "exec"), module.__dict__)
    results = _run_hidden(module)
    failed = [
        f"{r.name}: {c.case}: {c.message}"
        for r in results.values()
        for c in r.records
        if not c.passed
    ]
    assert not failed, failed[:5]
