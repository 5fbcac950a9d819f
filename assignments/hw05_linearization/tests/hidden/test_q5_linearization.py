import torch

from autograder.testing import T1, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def lin_error(ns, kind, c, x, v, hs):
    """linearization_error for a smooth test function with a hand-written gradient."""
    torch.set_num_threads(1)
    if kind == "sin_quartic":

        def f(z):
            return torch.sin(c * z).sum() + 0.25 * (z @ z) ** 2

        def g(z):
            return c * torch.cos(c * z) + (z @ z) * z

    elif kind == "logsumexp":

        def f(z):
            return torch.log(torch.exp(c * z).sum())

        def g(z):
            e = torch.exp(c * z)
            return c * e / e.sum()

    else:  # "cubic"

        def f(z):
            return (c * z**3).sum() - (z @ z)

        def g(z):
            return 3 * c * z**2 - 2 * z

    return ns.linearization_error(f, g, x, v, hs)


@probe
def slope_of_smooth(ns, c, x, v):
    # f = ½‖z‖² + 0.1 Σ sin(c z): its Hessian is ⪰ (1 − 0.1c²) I, so the h² term dominates
    torch.set_num_threads(1)
    hs = torch.logspace(-3, -1, 9, dtype=torch.float64)

    def f(z):
        return 0.5 * (z @ z) + 0.1 * torch.sin(c * z).sum()

    def g(z):
        return z + 0.1 * c * torch.cos(c * z)

    return float(ns.loglog_slope(hs, ns.linearization_error(f, g, x, v, hs)))


@probe
def slope(ns, hs, errs):
    torch.set_num_threads(1)
    return float(ns.loglog_slope(hs, errs))


@probe
def bad_values(ns, points):
    torch.set_num_threads(1)
    return [ns.bad_f(p) for p in points]


@probe
def bad_counterexample(ns, ts):
    torch.set_num_threads(1)
    h = 1e-6
    e1 = torch.tensor([1.0, 0.0], dtype=torch.float64)
    e2 = torch.tensor([0.0, 1.0], dtype=torch.float64)
    partials = [float((ns.bad_f(h * e) - ns.bad_f(-h * e)) / (2 * h)) for e in (e1, e2)]
    diag = [float(ns.bad_f(torch.tensor([t, t], dtype=torch.float64))) for t in ts]
    origin = float(ns.bad_f(torch.zeros(2, dtype=torch.float64)))
    return {"partials": partials, "diagonal": diag, "at the origin": origin}


KINDS = ("sin_quartic", "logsumexp", "cubic")


def test_q5_linearization_error(grade):
    for i, gen in grade.cases(6):
        kind = KINDS[i % 3]
        d = int(torch.randint(1, 5, (1,), generator=gen))
        c = 0.5 + float(torch.rand(1, generator=gen))
        x = torch.randn(d, generator=gen, dtype=torch.float64)
        v = torch.randn(d, generator=gen, dtype=torch.float64)
        hs = torch.logspace(-3, 0, 7, dtype=torch.float64)
        grade.compare(lin_error, kind, c, x, v, hs, case=f"{kind} in dimension {d}", **T1)


def test_q5_slope_two_for_smooth_f(grade):
    for i, gen in grade.cases(3):
        x = torch.randn(3, generator=gen, dtype=torch.float64)
        v = torch.randn(3, generator=gen, dtype=torch.float64)
        v = v / v.norm()
        c = 0.5 + float(torch.rand(1, generator=gen))
        case = f"smooth f: log-log slope over h ∈ [1e-3, 1e-1] is in [1.9, 2.1] (case {i})"
        got = grade.run(slope_of_smooth, c, x, v, case=case)
        if got is not None:
            # measured under 24 CPU settings and over 300 draws: 1.998 … 2.002 (rounding
            # is 1e-10 of the smallest error, at h = 1e-3)
            grade.check(1.9 <= got <= 2.1, case=case, message=f"slope {got:.4f}")


def test_q5_loglog_slope(grade):
    for _i, gen in grade.cases(3):
        hs = torch.logspace(-4, 0, 6, dtype=torch.float64)
        errs = torch.exp(torch.randn(6, generator=gen, dtype=torch.float64))
        grade.compare(slope, hs, errs, case="random positive errors on 6 steps", **T1)
    hs = torch.tensor([1e-3, 1e-2, 1e-1], dtype=torch.float64)
    grade.compare(slope, hs, 3 * hs**2, case="errs = 3h² (slope 2)", **T1)


def test_q5_bad_f(grade):
    for _i, gen in grade.cases(3):
        points = [torch.randn(2, generator=gen, dtype=torch.float64) for _ in range(4)]
        grade.compare(bad_values, points, case="xy/(x²+y²) at 4 random points", **T1)
    # the origin beside (1, 1) and (2, −1): a constant 0 is not right everywhere
    points = [torch.zeros(2, dtype=torch.float64), torch.tensor([1.0, 1.0], dtype=torch.float64)]
    points.append(torch.tensor([2.0, -1.0], dtype=torch.float64))
    grade.compare(
        bad_values, points, case="bad_f at the origin is 0, at (1, 1) ½, at (2, −1) −0.4", **T1
    )
    got, ref = grade.run_and_reference(
        bad_counterexample, [1e-8, 1e-3, 0.5, -3.0], case="the counterexample"
    )
    if got is not None:
        # each property counts only with the values around the origin right (a constant
        # has zero partials; ½ on the diagonal is what a constant ½ gives)
        differs = _differs(ref, got, **T1)
        wrong = (
            None
            if differs is None
            else f"bad_f's values near the origin are not the expected ones ({differs}), so "
            "this is not credited"
        )
        got = got if isinstance(got, dict) and wrong is None else {"partials": [], "diagonal": []}
        grade.check(
            wrong is None and all(abs(p) < 1e-12 for p in got["partials"]),
            case="both finite-difference partials of bad_f at 0 are 0",
            message=wrong or f"partials {got['partials']}",
        )
        grade.check(
            wrong is None and all(abs(val - 0.5) < 1e-12 for val in got["diagonal"]),
            case="bad_f(t, t) = ½ for t ≠ 0",
            message=wrong or f"bad_f(t, t) for t = 1e-8, 1e-3, 0.5, −3: {got['diagonal']}",
        )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
