import torch

from autograder.testing import T1, probe


@probe
def polynomial(ns, x0):
    x = ns.Value(x0)
    f = x**3 - 3 * x
    f.backward()
    return {"f": float(f.data), "df": float(x.grad)}


@probe
def small_graph_order(ns):
    a, b = ns.Value(1.0), ns.Value(2.0)
    c = ns.Value(2.0, (a, b), "*")
    d = ns.Value(3.0, (c, a), "+")
    order = ns.topological_order(d)
    names = {id(a): "a", id(b): "b", id(c): "c", id(d): "d"}
    seq = [names[id(n)] for n in order]
    return {
        "count": len(seq),
        "root_last": seq[-1] == "d",
        "c_after_inputs": seq.index("c") > max(seq.index("a"), seq.index("b")),
    }


@probe
def ls_grad(ns, X, y, w):
    return ns.ls_backward(X, y, w, ns.ls_forward(X, y, w))["df_dw"]


@probe
def cubic_numerical(ns, x):
    return ns.numerical_grad(lambda z: (z**3 - 3 * z).sum(), x, 1e-5)


@probe
def tiny_classifier(ns):
    params = {
        "W1": torch.tensor([[1.0, -1.0]], dtype=torch.float64),
        "b1": torch.tensor([0.0], dtype=torch.float64),
        "w2": torch.tensor([2.0], dtype=torch.float64),
        "b2": torch.tensor(0.0, dtype=torch.float64),
    }
    X = torch.tensor([[0.5, 0.25], [-1.0, 1.0]], dtype=torch.float64)
    y = torch.tensor([1.0, 0.0], dtype=torch.float64)
    g = ns.classifier_backward(params, X, y)
    return {k: g[k] for k in ("W1", "b1", "w2", "b2")}


@probe
def polynomial_curves(ns, xs):
    curves = ns.polynomial_gradients(xs)
    return {k: curves[k] for k in ("f", "engine", "analytic")}


def test_q2_lecture_polynomial(grade):
    grade.compare(polynomial, 1.0, case="x³ − 3x at x = 1: value −2, gradient 0", **T1)
    grade.compare(polynomial, 2.0, case="x³ − 3x at x = 2: value 2, gradient 9", **T1)


def test_q1_small_graph(grade):
    grade.compare(small_graph_order, case="a, b → c = a·b → d = c + a")


def test_q3_two_by_two(grade):
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    grade.compare(
        ls_grad,
        X,
        torch.tensor([1.0, 1.0], dtype=torch.float64),
        torch.tensor([0.5, -0.5], dtype=torch.float64),
        case="X = [[1, 2], [3, 4]]",
        **T1,
    )


def test_q4_cubic(grade):
    grade.compare(
        cubic_numerical,
        torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64),
        case="x³ − 3x at (−1, 0, 2)",
        rtol=1e-8,
        atol=1e-8,
    )


def test_q5_tiny_classifier(grade):
    grade.compare(tiny_classifier, case="one hidden unit, two examples", **T1)


def test_q6_polynomial_curves(grade):
    grade.compare(
        polynomial_curves,
        torch.tensor([-1.0, 0.0, 1.5], dtype=torch.float64),
        case="x = −1, 0, 1.5",
        **T1,
    )
