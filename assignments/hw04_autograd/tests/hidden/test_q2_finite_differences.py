import random

from autograder.testing import probe


@probe
def program_value_and_grads(ns, leaves, program):
    nodes = [ns.Value(float(v)) for v in leaves]
    for op, a, b in program:
        x, y = nodes[a], nodes[b]
        if op == "add":
            r = x + y
        elif op == "mul":
            r = x * y
        elif op == "tanh":
            r = x.tanh()
        elif op == "exp":
            r = (x * 0.3).exp()
        elif op == "sigmoid":
            r = x.sigmoid()
        else:
            r = x / (y * y + 1.0)
        nodes.append(r)
    nodes[-1].backward()
    return {"value": float(nodes[-1].data), "grads": [float(n.grad) for n in nodes[: len(leaves)]]}


def test_q2_gradients_match_finite_differences(grade):
    # A property with no reference gradient: the student's gradient against central
    # differences of the reference's forward values.
    for i, gen in grade.cases(3):
        rng = random.Random(int(gen.initial_seed()))
        n = 3
        program = [
            [
                rng.choice(["add", "mul", "tanh", "exp", "sigmoid", "div"]),
                rng.randrange(n + k),
                rng.randrange(n + k),
            ]
            for k in range(6)
        ]
        leaves = [round(rng.uniform(-1.5, 1.5), 3) for _ in range(n)]
        got = grade.run(
            program_value_and_grads, leaves, program, case=f"finite differences {i + 1}"
        )
        if got is None:
            continue
        h = 1e-6
        fd = []
        for j in range(n):
            up = list(leaves)
            down = list(leaves)
            up[j] += h
            down[j] -= h
            f_up = grade.reference(program_value_and_grads, up, program)["value"]
            f_down = grade.reference(program_value_and_grads, down, program)["value"]
            fd.append((f_up - f_down) / (2 * h))
        grads = got.get("grads") if isinstance(got, dict) else None
        ok = (
            isinstance(grads, list)
            and len(grads) == n
            and all(
                isinstance(g, float) and abs(g - e) <= 1e-5 * max(1.0, abs(e))
                for g, e in zip(grads, fd)
            )
        )
        grade.check(
            ok,
            case=f"finite differences {i + 1}",
            message=f"gradients {grads} disagree with central differences {[round(v, 6) for v in fd]}",
        )
