import torch

from autograder.testing import T1, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def solve_both(ns, X, y):
    torch.set_num_threads(1)
    return {"normal": ns.lstsq_normal(X, y), "qr": ns.lstsq_qr(X, y)}


@probe
def solve_one(ns, name, X, y):
    torch.set_num_threads(1)
    return getattr(ns, name)(X, y)


@probe
def normal_in_float32(ns, problems32, X64, y64):
    # lstsq_normal on float32 problems, and on one float64 problem (its value, judged
    # against the reference's, is what the float32 verdict counts with)
    torch.set_num_threads(1)
    return {
        "float32": [ns.lstsq_normal(X, y) for X, y in problems32],
        "float64": ns.lstsq_normal(X64, y64),
    }


def _problem(gen, kappa_max=100.0):
    # X = U diag(s) Vᵀ with κ(X) ≤ kappa_max
    n = int(torch.randint(10, 81, (1,), generator=gen))
    p = int(torch.randint(1, 7, (1,), generator=gen))
    U, _ = torch.linalg.qr(torch.randn(n, p, generator=gen, dtype=torch.float64))
    V, _ = torch.linalg.qr(torch.randn(p, p, generator=gen, dtype=torch.float64))
    kappa = 1 + (kappa_max - 1) * float(torch.rand(1, generator=gen))
    s = torch.logspace(0, -torch.log10(torch.tensor(kappa)).item(), p, dtype=torch.float64)
    X = 3.0 * (U * s) @ V.T
    y = torch.randn(n, generator=gen, dtype=torch.float64)
    return X, y, kappa


def _diabetes():
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    X = torch.tensor(data.data, dtype=torch.float64)
    X = torch.cat([X, torch.ones(X.shape[0], 1, dtype=torch.float64)], dim=1)
    return X, torch.tensor(data.target, dtype=torch.float64)


def test_q3_normal_equations(grade):
    # Forming XᵀX squares the condition number: a correct solver's forward error is up to
    # c·ε·κ(X)²·‖w‖ in every component (Higham, Accuracy and Stability, §20.4), so two
    # correct solvers (another Gram product, another LU order) differ by that much, and a
    # small component may differ by more than T1's rtol of itself. Measured over 2000 draws
    # of these inputs and 4 correct implementations: max |Δw|∞ = 2.7·ε·κ²·‖w‖ (T1 alone
    # used up to 0.49 of its tolerance). atol = 20·ε·κ²·‖w‖ (κ ≤ 100: at most 4.4e-11·‖w‖)
    # adds a 7× margin and still rejects any wrong solver (errors of order ‖w‖).
    eps = torch.finfo(torch.float64).eps
    for _i, gen in grade.cases(4):
        X, y, kappa = _problem(gen)
        w_norm = float(torch.linalg.lstsq(X, y[:, None]).solution.norm())
        case = f"X of shape {tuple(X.shape)}, κ(X) = {kappa:.1f}"
        atol = max(T1["atol"], 20 * eps * kappa**2 * w_norm)
        grade.compare(solve_one, "lstsq_normal", X, y, case=case, rtol=T1["rtol"], atol=atol)


def test_q3_qr(grade):
    for _i, gen in grade.cases(4):
        X, y, kappa = _problem(gen)
        case = f"X of shape {tuple(X.shape)}, κ(X) = {kappa:.1f}"
        grade.compare(solve_one, "lstsq_qr", X, y, case=case, **T1)


def test_q3_one_feature(grade):
    # p = 1: X of shape (n, 1); w is (1,), not a scalar and not (1, 1)
    gen = torch.Generator().manual_seed(11)
    X = torch.randn(9, 1, generator=gen, dtype=torch.float64)
    y = torch.randn(9, generator=gen, dtype=torch.float64)
    for name in ("lstsq_normal", "lstsq_qr"):
        grade.compare(solve_one, name, X, y, case=f"{name}: one feature, X of shape (9, 1)", **T1)


def test_q3_diabetes(grade):
    X, y = _diabetes()
    # κ(X) ≈ 227 with the intercept column (κ(XᵀX) ≈ 5·10⁴): T1 still holds for both
    grade.compare(solve_both, X, y, case="load_diabetes (442 × 10) plus an intercept", **T1)


def test_q3_properties(grade):
    for i, gen in grade.cases(2):
        X, y, _ = _problem(gen)
        p = X.shape[1]
        w_true = torch.randn(p, generator=gen, dtype=torch.float64)
        for label, target in (("noisy y", y), ("y = X w_true", X @ w_true)):
            case = f"{label}, X of shape {tuple(X.shape)} (case {i})"
            got = grade.run(solve_both, X, target, case=case)
            if got is None:
                continue
            got = got if isinstance(got, dict) else {}
            for name in ("normal", "qr"):
                w = got.get(name)
                if not (isinstance(w, torch.Tensor) and w.shape == (p,)):
                    grade.check(  # the first case of this solver, failed on the shape
                        False,
                        case=f"{name}: {case}: the residual is orthogonal to the columns of X",
                        message=f"expected shape ({p},), got {getattr(w, 'shape', type(w).__name__)}",
                    )
                    continue
                grad = float((X.T @ (X @ w - target)).norm())
                bound = 1e-9 * float(torch.linalg.matrix_norm(X)) ** 2 * max(float(w.norm()), 1.0)
                grade.check(
                    grad <= bound,
                    case=f"{name}: {case}: the residual is orthogonal to the columns of X",
                    message=f"‖Xᵀ(Xŵ − y)‖ = {grad:.2e} should be ~0 (bound {bound:.1e})",
                )
                if label != "noisy y":
                    err = float((w - w_true).norm() / w_true.norm())
                    grade.check(
                        err < 1e-10,
                        case=f"{name}: {case}: recovers w_true",
                        message=f"with y = X w_true, ‖ŵ − w_true‖/‖w_true‖ = {err:.2e}",
                    )


def _exact_kappa_problem(gen, kappa, n, p):
    """X = U diag(s) Vᵀ with κ(X) = ``kappa`` exactly (s from 1 down to 1/κ), y = X w."""
    U, _ = torch.linalg.qr(torch.randn(n, p, generator=gen, dtype=torch.float64))
    V, _ = torch.linalg.qr(torch.randn(p, p, generator=gen, dtype=torch.float64))
    w = torch.randn(p, generator=gen, dtype=torch.float64)
    s = torch.logspace(0, -torch.log10(torch.tensor(kappa)).item(), p, dtype=torch.float64)
    X = (U * s) @ V.T
    return X, X @ w


# "All arithmetic in X's dtype": in float32, forming XᵀX squares κ, and the normal
# equations' rounding (about κ²·ε₃₂ ≈ 0.06 at κ = 10³) moves ŵ far from the exact solution
# of the float32-rounded problem; arithmetic done in float64 lands within about 1e-7 of it.
# Measured over 200 draws of these inputs, as the median over the 5 problems of a case:
# the reference ≥ 2.9e-3, the course's correct_alt ≥ 1.1e-3, lstsq_normal upcast to
# float64 ≤ 3.4e-8. FLOAT32_MIN = 1e-5 lies 100× below the first and 300× above the last.
FLOAT32_MIN = 1e-5


def test_q3_normal_equations_in_float32(grade):
    eps = torch.finfo(torch.float64).eps
    for i, gen in grade.cases(2):
        problems = [_exact_kappa_problem(gen, 1e3, 200, 5) for _ in range(5)]
        problems32 = [[X.float(), y.float()] for X, y in problems]
        X64, y64, kappa = _problem(gen, kappa_max=10.0)
        case = f"float32 X and y with κ(X) = 10³ (5 problems, case {i}): computed in float32"
        got, ref = grade.run_and_reference(normal_in_float32, problems32, X64, y64, case=case)
        if got is None:
            continue
        got = got if isinstance(got, dict) else {}
        # the verdict counts only with the float64 solution right (zeros deviate too)
        w_norm = float(torch.linalg.lstsq(X64, y64[:, None]).solution.norm())
        atol = max(T1["atol"], 20 * eps * kappa**2 * w_norm)
        differs = _differs(ref["float64"], got.get("float64"), rtol=T1["rtol"], atol=atol)
        solutions = got.get("float32")
        shaped = isinstance(solutions, list) and all(
            isinstance(w, torch.Tensor) and w.shape == (5,) and w.dtype == torch.float32
            for w in solutions
        )
        deviations = []
        for (X, y), w in zip(problems32, solutions if shaped else []):
            exact = torch.linalg.lstsq(X.double(), y.double()[:, None]).solution[:, 0]
            deviations.append(float((w.double() - exact).norm() / exact.norm()))
        median = float(torch.tensor(deviations).median()) if shaped else float("nan")
        grade.check(
            differs is None and shaped and median >= FLOAT32_MIN,
            case=case,
            message=f"lstsq_normal on a float64 problem is not the expected solution: {differs}"
            if differs is not None
            else "lstsq_normal should return X's dtype: float32 tensors of shape (5,)"
            if not shaped
            else f"in float32, ŵ is within {median:.1e} (median) of the exact solution of the "
            "float32 problem: the normal equations computed in float32 are off by about "
            "κ²·ε₃₂ ≈ 0.06 here. Is some of the arithmetic done in float64? (All "
            "arithmetic in X's dtype.)",
        )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
