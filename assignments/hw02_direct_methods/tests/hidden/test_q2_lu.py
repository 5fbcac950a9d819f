import torch

from autograder.testing import T1, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def lu_of(ns, A):
    torch.set_num_threads(1)
    L, U = ns.lu_nopivot(A)
    return {"L": L, "U": U}


@probe
def solve_many(ns, L, U, B):
    torch.set_num_threads(1)
    return ns.lu_solve_many(L, U, B)


@probe
def factor_and_solve(ns, A, B):
    torch.set_num_threads(1)
    L, U = ns.lu_nopivot(A)
    return {"L": L, "U": U, "X": ns.lu_solve_many(L, U, B)}


def _spd(gen, p):
    X = torch.randn(p + 3, p, generator=gen, dtype=torch.float64)
    return X.T @ X + torch.eye(p, dtype=torch.float64)


def test_q2_lu_factors(grade):
    for _i, gen in grade.cases(4):
        p = int(torch.randint(1, 13, (1,), generator=gen))
        grade.compare(lu_of, _spd(gen, p), case=f"A = XᵀX + I, p = {p}", **T1)
    A = torch.tensor([[4.0, 3.0], [6.0, 3.0]], dtype=torch.float64)
    grade.compare(lu_of, A, case="[[4, 3], [6, 3]]: multiplier 1.5, U = [[4, 3], [0, −1.5]]", **T1)


def test_q2_lu_solve_many(grade):
    for _i, gen in grade.cases(4):
        p = int(torch.randint(1, 13, (1,), generator=gen))
        r = int(torch.randint(1, 6, (1,), generator=gen))
        A = _spd(gen, p)
        # L, U from the reference, so that this test grades lu_solve_many alone
        f = grade.reference(lu_of, A)
        B = torch.randn(p, r, generator=gen, dtype=torch.float64)
        grade.compare(solve_many, f["L"], f["U"], B, case=f"p = {p}, {r} right-hand sides", **T1)
    # one right-hand side: B of shape (p, 1) gives X of shape (p, 1)
    A = _spd(torch.Generator().manual_seed(5), 4)
    f = grade.reference(lu_of, A)
    B = torch.arange(1.0, 5.0, dtype=torch.float64)[:, None]
    grade.compare(solve_many, f["L"], f["U"], B, case="p = 4, one right-hand side (B is 4×1)", **T1)


def test_q2_properties(grade):
    for i, gen in grade.cases(3):
        p = int(torch.randint(2, 13, (1,), generator=gen))
        A = _spd(gen, p)
        B = torch.randn(p, 20, generator=gen, dtype=torch.float64)
        case = f"LU factors of A = XᵀX + I, p = {p} (case {i})"
        got, ref = grade.run_and_reference(factor_and_solve, A, B, case=case)
        if got is None:
            continue
        got = got if isinstance(got, dict) else {}
        L, U = got.get("L"), got.get("U")
        shapes = [getattr(t, "shape", None) for t in (L, U)]
        if not all(isinstance(t, torch.Tensor) for t in (L, U)) or shapes != [(p, p), (p, p)]:
            grade.check(  # the first case, failed on the shapes
                False,
                case=case + ": L is unit lower triangular",
                message=f"expected L and U of shape ({p}, {p}), got {shapes}",
            )
            continue
        # The two structure cases count only with the factors right: zeros are upper
        # triangular, and the identity is unit lower triangular.
        differs = _differs({"L": ref["L"], "U": ref["U"]}, {"L": L, "U": U}, **T1)
        wrong = (
            None
            if differs is None
            else f"the factors are not the expected ones ({differs}), so this is not credited"
        )
        unit_lower = bool(torch.equal(torch.tril(L), L)) and bool((L.diagonal() == 1).all())
        grade.check(
            unit_lower and wrong is None,
            case=case + ": L is unit lower triangular",
            message="L must be lower triangular with exact ones on the diagonal"
            if not unit_lower
            else wrong,
        )
        upper = bool(torch.equal(torch.triu(U), U))
        grade.check(
            upper and wrong is None,
            case=case + ": U is upper triangular",
            message="U must have exact zeros below the diagonal" if not upper else wrong,
        )
        err = float((L @ U - A).norm() / A.norm())
        grade.check(err < 1e-13, case=case + ": LU = A", message=f"‖LU − A‖/‖A‖ = {err:.2e}")


def test_q2_solves_the_systems(grade):
    # Four tests of 5 points each: shares of 20/3 would not add up exactly after rounding.
    for i, gen in grade.cases(2):
        p = int(torch.randint(2, 13, (1,), generator=gen))
        A = _spd(gen, p)
        B = torch.randn(p, 20, generator=gen, dtype=torch.float64)
        case = f"A X = B for p = {p} and 20 right-hand sides (case {i})"
        got = grade.run(factor_and_solve, A, B, case=case)
        if got is None:
            continue
        X = got["X"]
        ok = isinstance(X, torch.Tensor) and X.shape == (p, 20)
        res = float((A @ X - B).norm() / B.norm()) if ok else float("inf")
        grade.check(
            res < 1e-12,
            case=case,
            message=f"‖AX − B‖/‖B‖ = {res:.2e}: lu_solve_many(lu_nopivot(A), B) does not solve "
            "the systems",
        )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
