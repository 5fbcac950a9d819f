"""q6: the two figures, graded through their data (the plot functions get fixed data, so
their tests do not depend on q1 or q4; the data functions are tested on their own)."""

import copy

import torch

from autograder.testing import T1, Mismatch, Tolerance, compare, probe, probe_helpers
from autograder.untrusted_text import escape_markdown

F64 = torch.float64


@probe
def polynomial_curves(ns, xs):
    curves = ns.polynomial_gradients(xs)
    # what this notebook's own Value engine (q1) gives, a fresh graph per point, so that
    # "f" and "engine" are judged on using it, not on q1's answers again (None: it fails)
    try:
        f, engine = [], []
        for x0 in xs.tolist():
            x = ns.Value(x0)
            cubic = x**3 - 3 * x
            cubic.backward()
            f.append(float(cubic.data))
            engine.append(float(x.grad))
        own = {"f": f, "engine": engine}
    except Exception:
        own = None
    return {
        "curves": {k: curves[k] for k in ("f", "engine", "analytic", "autograd")},
        "own engine": own,
    }


@probe
def polynomial_figure(ns, xs, curves):
    import matplotlib.pyplot as plt

    fig = ns.plot_polynomial_gradients(xs, curves)
    data = probe_helpers.figure_data(fig)
    plt.close(fig)
    return data


@probe
def gradcheck_curve(ns, x, hs):
    f = lambda z: (z * torch.tanh(z)).sum()  # noqa: E731
    grad_f = lambda z: torch.tanh(z) + z * (1 - torch.tanh(z) ** 2)  # noqa: E731
    errors = ns.gradcheck_errors(f, grad_f, x, hs)
    # what this notebook's own grad_check (q4) gives at each h (None: it fails), so that
    # gradcheck_errors is judged on using it, not on q4's answers again
    try:
        own = [float(ns.grad_check(f, grad_f, x, h)) for h in hs]
    except Exception:
        own = None
    return {"errors": errors, "own grad_check": own}


@probe
def gradcheck_figure(ns, hs, errs):
    import matplotlib.pyplot as plt

    fig = ns.plot_gradcheck_error(hs, errs)
    data = probe_helpers.figure_data(fig)
    plt.close(fig)
    return data


def _judge_on_own(grade, case, got, ref, key, own_key, patch, **tol):
    """One case: ``got[key]`` against the reference's, where the values that come from an
    earlier question's function are what the notebook's own function gives (``patch``
    puts them into the expected value; without a usable own value, the reference's)."""
    got = got if isinstance(got, dict) else {}
    expected = copy.deepcopy(ref[key])
    own = got.get(own_key)
    if own is not None:
        expected = patch(expected, own)
    try:
        mismatch = compare(expected, got.get(key), Tolerance(**tol))
    except Exception as exc:  # whatever the student sent, it does not match
        mismatch = Mismatch("", f"your value could not be compared ({type(exc).__name__})")
    where = f" in {escape_markdown(mismatch.path)}" if mismatch and mismatch.path else ""
    grade.check(
        mismatch is None,
        case=case,
        message=f"wrong result{where}: {escape_markdown(mismatch.message)}" if mismatch else "",
    )


def _own_engine(expected, own):
    if isinstance(own, dict) and all(isinstance(own.get(k), list) for k in ("f", "engine")):
        for k in ("f", "engine"):
            if len(own[k]) == len(expected[k]):
                expected[k] = torch.tensor(own[k], dtype=F64)
    return expected


def _own_grad_check(expected, own):
    if isinstance(own, list) and len(own) == len(expected):
        return torch.tensor(own, dtype=F64)
    return expected


def test_q6_polynomial_gradients(grade):
    # "f" and "engine" come from the notebook's own Value engine (q1 grades it)
    xs = torch.linspace(-2.0, 2.0, 9, dtype=F64)
    cases = [(xs, "x³ − 3x at 9 points of [−2, 2]")]
    for _, gen in grade.cases(2):
        cases.append(
            (4 * torch.rand(6, generator=gen, dtype=F64) - 2, "x³ − 3x at 6 random points")
        )
    for xs, case in cases:
        got, ref = grade.run_and_reference(polynomial_curves, xs, case=case)
        if got is not None:
            _judge_on_own(grade, case, got, ref, "curves", "own engine", _own_engine, **T1)


def test_q6_polynomial_figure(grade):
    for _, gen in grade.cases(2):
        xs = torch.sort(4 * torch.rand(7, generator=gen, dtype=F64) - 2).values
        curves = {
            "f": xs**3 - 3 * xs,
            "engine": 3 * xs**2 - 3 + 1e-3 * torch.randn(7, generator=gen, dtype=F64),
            "analytic": 3 * xs**2 - 3,
            "autograd": 3 * xs**2 - 3 - 1e-3 * torch.randn(7, generator=gen, dtype=F64),
        }
        # distinct curves, so a line drawn from the wrong key is caught
        grade.compare_figure(polynomial_figure, xs, curves, case="given curves at 7 points", **T1)


def test_q6_gradcheck_errors(grade):
    for _, gen in grade.cases(2):
        x = torch.randn(4, generator=gen, dtype=F64)
        hs = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5]
        # the errors at small h are rounding noise of a few ulps: atol allows for it
        case = "Σ x·tanh x, h = 1e-1 … 1e-5"
        got, ref = grade.run_and_reference(gradcheck_curve, x, hs, case=case)
        if got is not None:
            # the errors are the notebook's own grad_check's (q4 grades it)
            _judge_on_own(
                grade,
                case,
                got,
                ref,
                "errors",
                "own grad_check",
                _own_grad_check,
                rtol=1e-6,
                atol=1e-12,
            )


def test_q6_gradcheck_figure(grade):
    for _, gen in grade.cases(2):
        hs = [10.0**-k for k in range(1, 9)]
        errs = torch.tensor([h**2 + 1e-16 / h for h in hs], dtype=F64)
        errs = errs * (1 + 0.1 * torch.rand(8, generator=gen, dtype=F64))
        grade.compare_figure(gradcheck_figure, hs, errs, case="a given V-shaped error curve", **T1)
