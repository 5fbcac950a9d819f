import random

from autograder.testing import probe

TOL = {"rtol": 1e-9, "atol": 1e-12}
OPS = [
    "exp",
    "tanh",
    "relu",
    "sigmoid",
    "log_safe",
    "neg",
    "pow2",
    "pow_frac",
    "add",
    "mul",
    "sub",
    "div_safe",
    "radd",
    "rmul",
    "rsub",
    "rdiv_safe",
]


@probe
def run_program(ns, leaves, program, n_out):
    # Interprets the program with the student's Value; returns values and leaf gradients.
    nodes = [ns.Value(float(v)) for v in leaves]
    for op, a, b, c in program:
        x, y = nodes[a], nodes[b]
        if op == "exp":
            r = (x * 0.5).exp()
        elif op == "tanh":
            r = x.tanh()
        elif op == "relu":
            r = x.relu()
        elif op == "sigmoid":
            r = x.sigmoid()
        elif op == "log_safe":
            r = (x * x + 1.0).log()
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
        else:
            r = c / (x * x + 1.0)
        nodes.append(r)
    out = nodes[-1]
    for extra in nodes[-n_out:-1]:
        out = out + extra
    out.backward()
    return {
        "value": float(out.data),
        "grads": [float(n.grad) for n in nodes[: len(leaves)]],
        "data_is_float": type(out.data) is float,
    }


@probe
def backward_twice(ns, x0, y0):
    # Two fresh graphs of the same expression must give the same gradients.
    results = []
    for _ in range(2):
        a, b = ns.Value(x0), ns.Value(y0)
        out = (a * b + a.tanh()) * a - b.sigmoid()
        out.backward()
        results.append([float(a.grad), float(b.grad)])
    return results


@probe
def lecture_polynomial(ns, x0):
    x = ns.Value(x0)
    f = x**3 - 3 * x
    f.backward()
    y = ns.Value(x0)
    g = y * y + y
    g.backward()
    return {"f": float(f.data), "df": float(x.grad), "g": float(g.data), "dg": float(y.grad)}


def _program(rng, n_leaves, n_ops):
    ops = []
    for k in range(n_ops):
        size = n_leaves + k
        # Reuse recent nodes often: fan-out is what accumulation is for.
        a = rng.randrange(max(0, size - 4), size) if rng.random() < 0.6 else rng.randrange(size)
        ops.append([rng.choice(OPS), a, rng.randrange(size), round(rng.uniform(-2, 2), 3)])
    return ops


def test_q2_lecture_cases(grade):
    grade.compare(lecture_polynomial, 1.0, case="x³ − 3x and x·x + x at x = 1", **TOL)
    grade.compare(lecture_polynomial, 3.0, case="x³ − 3x and x·x + x at x = 3", **TOL)


def test_q2_random_expressions(grade):
    for i, gen in grade.cases(6):
        rng = random.Random(int(gen.initial_seed()))
        n_leaves = rng.randint(2, 4)
        program = _program(rng, n_leaves, rng.randint(4, 12))
        leaves = [round(rng.uniform(-2, 2), 4) for _ in range(n_leaves)]
        grade.compare(
            run_program,
            leaves,
            program,
            3,
            case=f"random expression {i + 1} ({len(program)} operations on {n_leaves} inputs)",
            **TOL,
        )


def test_q2_each_operation(grade):
    for op in OPS:
        grade.compare(run_program, [0.7, -1.3], [[op, 0, 1, 1.5]], 1, case=f"a single {op}", **TOL)


def test_q2_data_stays_a_float_and_graphs_do_not_share_state(grade):
    got = grade.run(
        run_program, [0.5, 2.0], [["mul", 0, 1, 0.0], ["add", 2, 0, 0.0]], 1, case="data is a float"
    )
    if got is not None:
        grade.check(
            got.get("data_is_float") is True,
            case="data is a float",
            message="Value.data must be a Python float (not a tensor or numpy number)",
        )
    got = grade.run(backward_twice, 0.4, -0.9, case="backward on a rebuilt graph")
    if got is not None:
        grade.check(
            isinstance(got, list) and len(got) == 2 and got[0] == got[1],
            case="backward on a rebuilt graph",
            message="two fresh graphs of one expression gave different gradients: "
            "is some state shared between graphs (a class attribute, a global)?",
        )
