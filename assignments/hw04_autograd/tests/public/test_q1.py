from autograder.testing import T1, probe


@probe
def lecture_examples(ns, x0):
    x = ns.Value(x0)
    f = x**3 - 3 * x
    f.backward()
    z = ns.Value(x0)
    g = z * z + z
    g.backward()
    return {"f": float(f.data), "df/dx": float(x.grad), "g": float(g.data), "dg/dx": float(z.grad)}


@probe
def small_expression(ns, a, b):
    # every operation once; a and b are leaves, 2.0 and 3 are plain numbers
    x, y = ns.Value(a), ns.Value(b)
    out = (x * y + 2.0).tanh() + (x / y).exp() - (3 - y).relu() + (x**2 + 1).log()
    out = out + (-x).sigmoid() * y**3
    out.backward()
    return {"data": float(out.data), "x.grad": float(x.grad), "y.grad": float(y.grad)}


def test_q1_lecture_polynomial(grade):
    grade.compare(lecture_examples, 1.0, case="x³ − 3x and x·x + x at x = 1", **T1)
    grade.compare(lecture_examples, 3.0, case="x³ − 3x and x·x + x at x = 3", **T1)


def test_q1_every_operation(grade):
    grade.compare(small_expression, 0.5, -1.5, case="one expression with every operation", **T1)


@probe
def backward_twice(ns, x0):
    # backward() resets every grad first, so a second call gives the same gradient
    x = ns.Value(x0)
    f = x**3 - 3 * x
    f.backward()
    first = float(x.grad)
    f.backward()
    return {"df/dx after one backward()": first, "df/dx after two": float(x.grad)}


def test_q1_backward_twice(grade):
    grade.compare(backward_twice, 2.0, case="x³ − 3x at x = 2, backward() called twice", **T1)
