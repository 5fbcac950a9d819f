import torch

from autograder.testing import T1, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def cosine_of(ns, x, y):
    torch.set_num_threads(1)
    return ns.cosine_similarity(x, y)


@probe
def pairwise_of(ns, X):
    torch.set_num_threads(1)
    return ns.pairwise_cosine(X)


@probe
def pairwise_scaled(ns, X, scales):
    torch.set_num_threads(1)
    return {"plain": ns.pairwise_cosine(X), "scaled": ns.pairwise_cosine(scales[:, None] * X)}


def test_q1_cosine_similarity(grade):
    for _i, gen in grade.cases(4):
        n = int(torch.randint(1, 9, (1,), generator=gen))
        x = torch.randn(n, generator=gen, dtype=torch.float64)
        y = torch.randn(n, generator=gen, dtype=torch.float64)
        grade.compare(cosine_of, x, y, case=f"random vectors of length {n}", **T1)
    day1 = torch.tensor([20.0, 22, 25, 23, 21], dtype=torch.float64)
    day2 = torch.tensor([21.0, 22, 26, 24, 20], dtype=torch.float64)
    grade.compare(cosine_of, day1, day2, case="two temperature days (≈ 0.999)", **T1)
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    grade.compare(cosine_of, x, -3 * x, case="opposite directions (−1)", **T1)


def test_q1_pairwise(grade):
    for _i, gen in grade.cases(4):
        m = int(torch.randint(1, 11, (1,), generator=gen))
        n = int(torch.randint(1, 9, (1,), generator=gen))
        X = torch.randn(m, n, generator=gen, dtype=torch.float64)
        grade.compare(pairwise_of, X, case=f"random X of shape ({m}, {n})", **T1)


def test_q1_pairwise_properties(grade):
    for i, gen in grade.cases(2):
        X = torch.randn(6, 4, generator=gen, dtype=torch.float64)
        scales = 0.1 + 10 * torch.rand(6, generator=gen, dtype=torch.float64)
        case = f"properties of pairwise_cosine on a 6×4 X (case {i})"
        got, ref = grade.run_and_reference(pairwise_scaled, X, scales, case=case)
        if got is None:
            continue
        got = got if isinstance(got, dict) else {}
        C, Cs = got.get("plain"), got.get("scaled")
        shaped = all(isinstance(t, torch.Tensor) and t.shape == (6, 6) for t in (C, Cs))
        if not shaped:  # the first property's case, failed on the shape
            grade.check(
                False,
                case=case + ": diagonal is 1",
                message=f"expected a (6, 6) tensor, got {getattr(C, 'shape', type(C).__name__)}",
            )
            continue
        # Each property counts only with the values right: a matrix of ones has them all.
        mismatch = _differs(ref, got, **T1)
        wrong = (
            None
            if mismatch is None
            else f"the cosines are not the expected ones ({mismatch}), so this property is "
            "not credited"
        )
        properties = [
            (
                bool(((C.diagonal() - 1).abs() <= 1e-12).all()),
                "diagonal is 1",
                f"every row has cosine 1 with itself; the diagonal is {C.diagonal()}",
            ),
            (
                bool(((C - C.T).abs() <= 1e-12).all()),
                "symmetric",
                "cos(xᵢ, xⱼ) = cos(xⱼ, xᵢ), but your matrix is not symmetric",
            ),
            (
                bool(((Cs - C).abs() <= 1e-12).all()) and bool((C.abs() <= 1 + 1e-12).all()),
                "in [−1, 1] and invariant to positive row scaling",
                "scaling the rows by positive numbers must not change the cosines, "
                "and every cosine lies in [−1, 1]",
            ),
        ]
        for holds, what, message in properties:
            grade.check(
                holds and wrong is None,
                case=f"{case}: {what}",
                message=message if not holds else wrong,
            )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
