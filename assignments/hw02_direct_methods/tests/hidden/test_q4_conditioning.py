import torch

from autograder.testing import T0, T1, T2, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def kappa_of(ns, A):
    torch.set_num_threads(1)
    return float(ns.condition_number(A))


@probe
def kappas_of(ns, mats):
    torch.set_num_threads(1)
    return [float(ns.condition_number(A)) for A in mats]


@probe
def bytes_of(ns, items):
    return [int(ns.normal_equations_bytes(p, getattr(torch, name))) for p, name in items]


def test_q4_condition_number(grade):
    for _i, gen in grade.cases(4):
        m = int(torch.randint(2, 9, (1,), generator=gen))
        n = int(torch.randint(2, m + 1, (1,), generator=gen))
        A = torch.randn(m, n, generator=gen, dtype=torch.float64)
        grade.compare(kappa_of, A, case=f"random A of shape ({m}, {n})", **T1)


def test_q4_lecture_cases(grade):
    D = torch.diag(torch.tensor([100.0, 0.1], dtype=torch.float64))
    grade.compare(kappa_of, D, case="diag(100, 0.1): κ = 1000", **T1)
    A = torch.tensor([[1.0, 1.0], [1.0, 1.001]], dtype=torch.float64)
    grade.compare(kappa_of, A, case="[[1, 1], [1, 1.001]]: κ ≈ 4002", **T1)


def test_q4_bytes(grade):
    items = [[100_000, "float64"], [100_000, "float32"], [1, "float64"], [3_000, "float16"]]
    grade.compare(bytes_of, items, case="p = 100 000 in float64 is 8·10¹⁰ bytes; and others", **T0)
    for _i, gen in grade.cases(2):
        names = ["float64", "float32", "bfloat16", "complex128", "int64"]
        items = [[int(torch.randint(1, 10**6, (1,), generator=gen)), nm] for nm in names]
        grade.compare(bytes_of, items, case=f"random p for {', '.join(names)}", **T0)


def test_q4_properties(grade):
    for i, gen in grade.cases(2):
        n, p = 30, 4
        U, _ = torch.linalg.qr(torch.randn(n, p, generator=gen, dtype=torch.float64))
        V, _ = torch.linalg.qr(torch.randn(p, p, generator=gen, dtype=torch.float64))
        kappa = float(10 ** (3 * torch.rand(1, generator=gen)))
        s = torch.logspace(0, -torch.log10(torch.tensor(kappa)).item(), p, dtype=torch.float64)
        X = (U * s) @ V.T
        Q, _ = torch.linalg.qr(torch.randn(5, 5, generator=gen, dtype=torch.float64))
        case = f"κ(X) = {kappa:.1f} (case {i})"
        got, ref = grade.run_and_reference(kappas_of, [X, X.T @ X, -7.5 * X, Q], case=case)
        if got is None:
            continue
        # Each law counts only with the four condition numbers right (zeros and a constant
        # obey some of them). T2: κ(XᵀX) ≤ 10⁶ is computed with a relative error of ε·κ
        # whichever correct way, and T2 is also what its law allows.
        differs = _differs(ref, got, **T2)
        if differs is not None:
            for law in ("κ(XᵀX) = κ(X)²", "κ(cA) = κ(A)", "κ(Q) = 1 for an orthogonal Q"):
                grade.check(
                    False,
                    case=f"{law} ({case})",
                    message="the condition numbers of X, XᵀX, −7.5·X and an orthogonal Q are "
                    f"not the expected ones ({differs}), so this law is not credited",
                )
            continue
        kx, kxx, kcx, kq = got
        close = abs(kxx - kx**2) <= T2["rtol"] * kx**2
        grade.check(
            close,
            case=f"κ(XᵀX) = κ(X)² ({case})",
            message=f"κ(X) = {kx:.8g} but κ(XᵀX) = {kxx:.8g}, expected {kx**2:.8g}",
        )
        grade.check(
            abs(kcx - kx) <= 1e-10 * kx,
            case=f"κ(cA) = κ(A) ({case})",
            message=f"κ(−7.5·X) = {kcx:.10g} differs from κ(X) = {kx:.10g}",
        )
        grade.check(
            abs(kq - 1) <= 1e-12,
            case=f"κ(Q) = 1 for an orthogonal Q ({case})",
            message=f"κ of a 5×5 orthogonal matrix should be 1, got {kq!r}",
        )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
