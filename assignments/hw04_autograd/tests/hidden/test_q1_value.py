"""q1: the scalar Value engine.

The local rules (every operation's data and _backward) are graded without q2: those
probes order the graph themselves and call each node's ``_backward``, so they earn credit
even while ``topological_order`` is unfinished or wrong. ``backward()`` itself, which uses
``topological_order`` by design, is graded in the tests that call it
(``test_q1_backward_twice``, ``test_q1_engine_properties``); where q2 is the cause of a
failure there, the feedback says so.
"""

import math
import random
import re

import pytest

from autograder.testing import T1, Tolerance, assignment_helpers, compare, probe
from autograder.untrusted_text import escape_markdown

helpers = assignment_helpers(__file__)

# The random expressions' operations (see ``helpers.apply`` for what each one builds).
UNARY = ["exp", "log", "tanh", "relu", "sigmoid", "neg", "square", "cube", "sqrt", "pow_frac"]
UNARY += ["inv"]
BINARY = ["add", "sub", "mul", "div"]
WITH_NUMBER = ["add_c", "c_add", "sub_c", "c_sub", "mul_c", "c_mul", "div_c", "c_div"]
MAX_DEPTH = 5


@probe
def run_program(ns, leaves, program, n_out):
    # A straight-line program over Value leaves (helpers.run); gradients by hand
    nodes, out = helpers.run(ns, leaves, program, n_out)
    helpers.backward_by_hand(out)
    return {
        "output": float(out.data),
        "data": [float(v.data) for v in nodes],
        "grads": [float(v.grad) for v in nodes],
    }


@probe
def program_finite_differences(ns, leaves, program, n_out, h):
    # The student's gradients, and the student's own forward values at leaves ± h.
    nodes, out = helpers.run(ns, leaves, program, n_out)
    helpers.backward_by_hand(out)
    grads = [float(v.grad) for v in nodes[: len(leaves)]]
    up, down = [], []
    for j in range(len(leaves)):
        shifted = list(leaves)
        shifted[j] = leaves[j] + h
        up.append(float(helpers.run(ns, shifted, program, n_out)[1].data))
        shifted[j] = leaves[j] - h
        down.append(float(helpers.run(ns, shifted, program, n_out)[1].data))
    return {"grads": grads, "up": up, "down": down}


@probe
def one_operation(ns, op, a, b):
    # One operation; a Value on either side or a number on one side. Returns the result
    # and the gradient of every Value operand (x first, then y).
    x, y = ns.Value(a), ns.Value(b)
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
        "x.exp()": (lambda: x.exp(), [x]),
        "x.log()": (lambda: x.log(), [x]),
        "x.tanh()": (lambda: x.tanh(), [x]),
        "x.relu()": (lambda: x.relu(), [x]),
        "x.sigmoid()": (lambda: x.sigmoid(), [x]),
    }
    build, operands = table[op]
    out = build()
    helpers.backward_by_hand(out)  # not backward(): it uses q2's topological_order
    return {"data": float(out.data), "grads": [float(v.grad) for v in operands]}


@probe
def local_derivatives(ns, op, a, b, upstream):
    # Independent of topological_order and backward: order the graph here, seed the
    # output with `upstream`, and call each node's _backward once, outputs first. The
    # leaves start at 0.25, not 0: _backward must add to a gradient, not overwrite it.
    x, y = ns.Value(a), ns.Value(b)
    table = {
        "x + y": lambda: x + y,
        "x * y": lambda: x * y,
        "x * x": lambda: x * x,
        "x + x": lambda: x + x,
        "x ** 3": lambda: x**3,
        "x ** -0.5": lambda: x**-0.5,
        "x.exp()": lambda: x.exp(),
        "x.log()": lambda: x.log(),
        "x.tanh()": lambda: x.tanh(),
        "x.relu()": lambda: x.relu(),
        "x.sigmoid()": lambda: x.sigmoid(),
    }
    out = table[op]()
    helpers.backward_by_hand(out, upstream=upstream, leaf_grad=0.25)
    return {"data": float(out.data), "x.grad": float(x.grad), "y.grad": float(y.grad)}


@probe
def lecture_examples(ns, x0):
    x = ns.Value(x0)
    f = x**3 - 3 * x
    z = ns.Value(x0)
    g = z * z + z
    for root in (f, g):
        # backward by hand, not root.backward(): backward() uses topological_order (q2),
        # which is not charged here; backward() itself is tested in the tests that call it
        order, seen, stack = [], set(), [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        for node in order:
            node.grad = 0.0
        root.grad = 1.0
        for node in reversed(order):
            node._backward()
    return {"f": float(f.data), "df/dx": float(x.grad), "g": float(g.data), "dg/dx": float(z.grad)}


@probe
def engine_properties(ns, a, b, k):
    def expression(x, y):
        # ints on purpose: Value(3) and the constant 2 must still hold floats
        three = ns.Value(3)
        return (x * y + x.tanh()) * x - (y * 2).sigmoid() + (x * x + 1).log() / y + three * x

    found = {}
    # 1. data is a Python float in every node of a graph (walk it here, via _prev).
    x, y = ns.Value(a), ns.Value(b)
    out = expression(x, y)
    out.backward()
    types, stack, seen = set(), [out], set()
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            types.add(type(node.data).__name__)
            stack.extend(node._prev)
    found["data types"] = sorted(types)
    first = [x.grad, y.grad]
    # 2. backward twice on the same graph: the reset makes it idempotent.
    out.backward()
    found["twice"] = [first, [x.grad, y.grad]]
    # 3. a fresh graph of the same expression: no state shared between graphs.
    x2, y2 = ns.Value(a), ns.Value(b)
    expression(x2, y2).backward()
    found["rebuilt"] = [first, [x2.grad, y2.grad]]
    # 4. a leaf used k times gets k contributions.
    s = ns.Value(a)
    total = s
    for _ in range(k - 1):
        total = total + s
    total.backward()
    p = ns.Value(a)
    prod = p
    for _ in range(k - 1):
        prod = prod * p
    prod.backward()
    found["sum of k copies"] = float(s.grad)
    found["product of k copies"] = float(p.grad)
    # for the feedback only: topological_order (q2) on a fixed graph, by node name
    try:
        a, b = ns.Value(1.0), ns.Value(2.0)
        c = a * b
        d = c + a
        e = d * c
        names = {id(a): "a", id(b): "b", id(c): "c", id(d): "d", id(e): "e"}
        found["q2 order"] = [names.get(id(node), "?") for node in ns.topological_order(e)]
    except Exception:
        found["q2 order"] = None
    return found


@probe
def backward_twice(ns, x0, y0):
    # x³ − 3x and tanh(uv + u)·v, each with backward() called twice on the same graph
    x = ns.Value(x0)
    f = x**3 - 3 * x
    u, v = ns.Value(x0), ns.Value(y0)
    g = (u * v + u).tanh() * v
    calls = []
    for _ in range(2):
        f.backward()
        g.backward()
        calls.append({"df/dx": float(x.grad), "dg/du": float(u.grad), "dg/dv": float(v.grad)})
    # for the feedback only: topological_order (q2) on a fixed graph, by node name
    try:
        a, b = ns.Value(1.0), ns.Value(2.0)
        c = a * b
        d = c + a
        e = d * c
        names = {id(a): "a", id(b): "b", id(c): "c", id(d): "d", id(e): "e"}
        q2 = [names.get(id(node), "?") for node in ns.topological_order(e)]
    except Exception:
        q2 = None
    return {"first": calls[0], "second": calls[1], "q2 order": q2}


@probe
def long_chain(ns, n):
    x = ns.Value(0.25)
    out = x
    for _ in range(n):
        out = out + 0.001
    out.backward()
    return {"data": float(out.data), "grad": float(x.grad)}


def _program(rng):
    """A random program: 2–4 leaves in [−2, 2], depth ≤ MAX_DEPTH, with fan-out."""
    n_leaves = rng.randint(2, 4)
    leaves = [rng.uniform(-2.0, 2.0) for _ in range(n_leaves)]
    depth = [0] * n_leaves
    program = []
    for _ in range(rng.randint(6, 12)):
        usable = [i for i, d in enumerate(depth) if d < MAX_DEPTH]
        recent = usable[-3:]
        # Prefer recent nodes, so nodes are reused (fan-out) and the graph gets deep.
        a = rng.choice(recent) if rng.random() < 0.6 else rng.choice(usable)
        b = rng.choice(usable)
        kind = rng.random()
        op = rng.choice(UNARY if kind < 0.45 else BINARY if kind < 0.75 else WITH_NUMBER)
        c = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 2.0)
        program.append([op, a, b, c])
        depth.append(1 + max(depth[a], depth[b] if op in BINARY else 0))
    return leaves, program, rng.randint(1, 3)


def _uses(program):
    counts = {}
    for op, a, b, _ in program:
        for i in [a, b] if op in BINARY else [a]:
            counts[i] = counts.get(i, 0) + 1
    return counts


def _tame_program(grade, rng):
    """A program whose values and gradients stay moderate and that reuses some node.

    Moderate magnitudes keep the float64 comparisons (and the finite differences of
    ``test_q1_gradients_match_finite_differences``) far from rounding trouble. The
    reference evaluates each candidate; candidates are drawn until one fits.
    """
    for _ in range(50):
        leaves, program, n_out = _program(rng)
        if max(_uses(program).values()) < 2:
            continue
        try:
            ref = grade.reference(run_program, leaves, program, n_out)
        except (ArithmeticError, ValueError, TypeError):
            # e.g. exp of a huge node raises OverflowError in the reference too: not a
            # tame candidate (without this, some course salts crash the test)
            continue
        # all(...) rather than max(...) <= bound, so that a NaN is rejected too
        if all(abs(v) <= 30 for v in ref["data"]) and all(abs(g) <= 100 for g in ref["grads"]):
            return leaves, program, n_out
    raise RuntimeError("no tame program found")  # never seen; the test fails loudly


def test_q1_lecture_cases(grade):
    grade.compare(lecture_examples, 1.0, case="x³ − 3x and x·x + x at x = 1", **T1)
    grade.compare(lecture_examples, 2.0, case="x³ − 3x and x·x + x at x = 2", **T1)
    grade.compare(lecture_examples, -0.5, case="x³ − 3x and x·x + x at x = −0.5", **T1)


OPERATION_CASES = [
    ("x + y", 0.7, -1.3),
    ("x + b", 0.7, -1.3),
    ("a + y", 0.7, -1.3),
    ("x - y", 0.7, -1.3),
    ("x - b", 0.7, -1.3),
    ("a - y", 0.7, -1.3),
    ("x * y", 0.7, -1.3),
    ("x * b", 0.7, -1.3),
    ("a * y", 0.7, -1.3),
    ("x / y", 0.7, -1.3),
    ("x / b", 0.7, -1.3),
    ("a / y", 0.7, -1.3),
    ("-x", 0.7, -1.3),
    ("x ** 3", -1.2, 0.0),
    ("x ** 2.5", 1.3, 0.0),
    ("x ** -2", -0.8, 0.0),
    ("x.exp()", 0.6, 0.0),
    ("x.log()", 1.7, 0.0),
    ("x.tanh()", -0.9, 0.0),
    ("x.relu()", 0.8, 0.0),
    ("x.relu()", -0.8, 0.0),
    ("x.relu()", 0.0, 0.0),  # the docstring: derivative 0 at 0
    ("x.sigmoid()", -1.1, 0.0),
    ("x.sigmoid()", 800.0, 0.0),
    ("x.sigmoid()", -800.0, 0.0),
]


def test_q1_each_operation(grade):
    for op, a, b in OPERATION_CASES:
        # x = Value(a) and y = Value(b); a and b alone are plain numbers
        names = re.findall(r"\b[xyab]\b", op)
        where = ", ".join(f"{v} = {a if v in 'xa' else b:g}" for v in names)
        grade.compare(one_operation, op, a, b, case=f"{op} at {where}", **T1)


LOCAL_CASES = [
    ("x + y", 0.7, -1.3),
    ("x * y", 0.7, -1.3),
    ("x * x", -1.4, 0.0),
    ("x + x", 0.3, 0.0),
    ("x ** 3", -1.2, 0.0),
    ("x ** -0.5", 2.0, 0.0),
    ("x.exp()", 0.6, 0.0),
    ("x.log()", 1.7, 0.0),
    ("x.tanh()", -0.9, 0.0),
    ("x.relu()", 0.8, 0.0),
    ("x.sigmoid()", -1.1, 0.0),
]


def test_q1_local_derivatives(grade):
    # upstream gradient 0.37: each _backward must multiply by out.grad, not assume 1
    for op, a, b in LOCAL_CASES:
        grade.compare(
            local_derivatives,
            op,
            a,
            b,
            0.37,
            case=f"{op}: _backward called directly, out.grad = 0.37, leaves' grad = 0.25",
            **T1,
        )


def test_q1_random_expressions(grade):
    for i, gen in grade.cases(6):
        rng = random.Random(gen.initial_seed())
        leaves, program, n_out = _tame_program(grade, rng)
        grade.compare(
            run_program,
            leaves,
            program,
            n_out,
            case=f"random expression {i + 1}: {len(program)} operations on {len(leaves)} "
            f"inputs ({', '.join(op for op, *_ in program)})",
            **T1,
        )


def test_q1_gradients_match_finite_differences(grade):
    # A property with no reference gradient: your backward against central differences
    # of your own forward pass. Pure Python floats (no torch kernels); measured for the
    # reference over 300 draws of the inputs: at most 1.6e-3 of the 1e-6 threshold.
    h = 1e-6
    for i, gen in grade.cases(3):
        rng = random.Random(gen.initial_seed())
        leaves, program, n_out = _tame_program(grade, rng)
        case = f"finite differences, expression {i + 1} ({len(program)} operations)"
        got = grade.run(program_finite_differences, leaves, program, n_out, h, case=case)
        if got is None:
            continue
        try:
            fd = [(u - d) / (2 * h) for u, d in zip(got["up"], got["down"])]
            grads = [float(g) for g in got["grads"]]
            ok = len(fd) == len(grads) == len(leaves) and all(
                abs(g - e) <= 1e-6 * max(1.0, abs(g), abs(e)) for g, e in zip(grads, fd)
            )
        except (KeyError, TypeError, ValueError):
            ok, grads, fd = False, got, []
        grade.check(
            ok,
            case=case,
            message=f"the leaves' gradients {grads} disagree with central differences "
            f"of your forward pass {[round(v, 7) for v in fd]}",
        )


# weight: the one test that catches a backward() which does not reset gradients, a
# conceptual bug (the other tests call backward() once per graph)
@pytest.mark.weight(2)
def test_q1_backward_twice(grade):
    # backward()'s docstring: it resets every grad to 0 first, so calling it twice gives
    # the same gradients. The other tests call backward() once per graph, where a missing
    # reset does not show; this test gives that bug its weight (a share of q1).
    for i, gen in grade.cases(3):
        rng = random.Random(gen.initial_seed())
        x0, y0 = round(rng.uniform(-2.0, 2.0), 3), round(rng.uniform(-2.0, 2.0), 3)
        case = f"backward() twice on x³ − 3x and tanh(uv + u)·v at {x0}, {y0} (case {i})"
        got, ref = grade.run_and_reference(backward_twice, x0, y0, case=case)
        if got is None:
            continue
        got = got if isinstance(got, dict) else {}
        first = _differs(ref["first"], got.get("first"), **T1)
        second = _differs(ref["second"], got.get("second"), **T1)
        grade.check(
            first is None and second is None,
            case=case,
            message=f"the first backward() gives wrong gradients: {first}{_q2_cause(got)}"
            if first is not None
            else f"the first backward() is right, the second gives {got.get('second')}: "
            "backward() must reset every grad to 0 before seeding the output with 1",
        )


def test_q1_engine_properties(grade):
    got, ref = grade.run_and_reference(
        engine_properties, 0.8, -1.3, 4, case="properties of one graph"
    )
    if got is None:
        return
    got = got if isinstance(got, dict) else {}
    # "the same gradients twice" counts only with the gradients right: an engine that
    # leaves every grad at 0 gives the same twice too (compared here, on the trusted side)
    first_ok = _differs(ref["twice"][0], _two(got.get("twice"))[0], **T1) is None
    cause = _q2_cause(got)  # where backward()'s failure comes from topological_order
    wrong = (
        ""
        if first_ok
        else f"; and the gradients {_two(got.get('twice'))[0]} of the first backward() are "
        f"not the expected {ref['twice'][0]}{cause}"
    )
    grade.check(
        got.get("data types") == ["float"],
        case="every node's data is a Python float",
        message=f"node data types found: {got.get('data types')}; keep data a float "
        "(no tensors, no numpy numbers)",
    )
    first, second = _two(got.get("twice"))
    grade.check(
        first == second and first_ok,
        case="backward() twice on one graph",
        message=f"gradients {first} then {second}: backward() must reset every grad to "
        "0 before seeding the output with 1"
        if first != second
        else "the same gradients twice" + wrong,
    )
    first, rebuilt = _two(got.get("rebuilt"))
    grade.check(
        first == rebuilt and first_ok,
        case="backward() on a rebuilt graph",
        message=f"gradients {first} then {rebuilt} for the same expression on fresh "
        "nodes: is some state shared between graphs (a class attribute, a global)?"
        if first != rebuilt
        else "the same gradients on a rebuilt graph" + wrong,
    )
    grade.check(
        got.get("sum of k copies") == 4.0,
        case="x + x + x + x: four contributions",
        message=f"d(x + x + x + x)/dx should be 4, got {got.get('sum of k copies')}"
        + (cause or ": use += so that every use of a node contributes"),
    )
    expected = 4 * 0.8**3
    value = got.get("product of k copies")
    grade.check(
        isinstance(value, float) and math.isclose(value, expected, rel_tol=1e-12),
        case="x · x · x · x: four contributions",
        message=f"d(x·x·x·x)/dx at 0.8 should be 4·0.8³ = {expected:.6g}, got {value}{cause}",
    )
    case = "backward() through a chain of 10 000 additions"
    chain = grade.run(long_chain, 10_000, case=case)
    if chain is not None:
        chain = chain if isinstance(chain, dict) else {}
        grade.check(
            chain.get("grad") == 1.0 and math.isclose(chain.get("data", 0.0), 10.25, rel_tol=1e-9),
            case=case,
            message=f"expected data 10.25 and gradient 1.0, got data {chain.get('data')} and "
            f"gradient {chain.get('grad')}{cause}",
        )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))


def _two(value):
    """The pair a probe returned, or (None, None) for anything else."""
    return tuple(value) if isinstance(value, list) and len(value) == 2 else (None, None)


def _q2_cause(got):
    """Where the notebook's topological_order (q2) is the cause of a failure of backward(),
    say so: the order the probe got for e = (ab + a)·(ab), by node name."""
    order = got.get("q2 order") if isinstance(got, dict) else None
    after = {"c": "ab", "d": "ca", "e": "dc"}
    valid = (
        isinstance(order, list)
        and sorted(order) == ["a", "b", "c", "d", "e"]
        and order[-1] == "e"
        and all(order.index(i) < order.index(n) for n, ins in after.items() for i in ins)
    )
    if valid:
        return ""
    return (
        ". Your topological_order (q2) does not order a small graph right (every node once, "
        "each after its inputs, the root last), and backward() uses it: q2 fails and this "
        "question uses it, fix q2 first"
    )
