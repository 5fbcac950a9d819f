import torch

from autograder.testing import T1, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def loops_of(ns, A, B):
    torch.set_num_threads(1)
    return ns.matmul_loops(A, B)


@probe
def broadcast_of(ns, A, B):
    torch.set_num_threads(1)
    return ns.matmul_broadcast(A, B)


@probe
def algebra(ns, name, A, B, C):
    # (AB)ᵀ = BᵀAᵀ, AI = A, A(B + C) = AB + AC for ns.<name>
    torch.set_num_threads(1)
    f = getattr(ns, name)
    eye = torch.eye(B.shape[0], dtype=torch.float64)
    return {
        "AB_T": f(A, B).T,
        "BT_AT": f(B.T.contiguous(), A.T.contiguous()),
        "AI": f(A, eye),
        "A_BplusC": f(A, B + C),
        "AB_plus_AC": f(A, B) + f(A, C),
    }


def _pair(gen):
    m, k, n = (int(v) for v in torch.randint(1, 8, (3,), generator=gen))
    A = torch.randn(m, k, generator=gen, dtype=torch.float64)
    B = torch.randn(k, n, generator=gen, dtype=torch.float64)
    return A, B


def test_q2_matmul_loops(grade):
    for _i, gen in grade.cases(4):
        A, B = _pair(gen)
        grade.compare(loops_of, A, B, case=f"A {tuple(A.shape)} times B {tuple(B.shape)}", **T1)
    A = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    grade.compare(loops_of, A, A.T.contiguous(), case="[[1, 2], [3, 4]] times its transpose", **T1)


def test_q2_matmul_broadcast(grade):
    for _i, gen in grade.cases(4):
        A, B = _pair(gen)
        grade.compare(broadcast_of, A, B, case=f"A {tuple(A.shape)} times B {tuple(B.shape)}", **T1)
    A = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)
    grade.compare(broadcast_of, A, A.T.contiguous(), case="row times column (1×1 result)", **T1)


def _check_algebra(grade, name):
    for i, gen in grade.cases(2):
        A, B = _pair(gen)
        C = torch.randn(B.shape, generator=gen, dtype=torch.float64)
        case = f"{name}: (AB)ᵀ = BᵀAᵀ, AI = A, A(B + C) = AB + AC (case {i})"
        r, ref = grade.run_and_reference(algebra, name, A, B, C, case=case)
        if r is None:
            continue
        r = r if isinstance(r, dict) else {}
        # Each law counts only with the products right: zeros (and a function that returns
        # its first argument) obey some of them.
        mismatch = _differs(ref, r, **T1)
        wrong = (
            None
            if mismatch is None
            else f"the products are not the expected ones ({mismatch}), so this law is not credited"
        )
        laws = [
            ("(AB)ᵀ = BᵀAᵀ", r.get("AB_T"), r.get("BT_AT")),
            ("AI = A", r.get("AI"), A),
            ("A(B + C) = AB + AC", r.get("A_BplusC"), r.get("AB_plus_AC")),
        ]
        for law, left, right in laws:
            holds = (
                isinstance(left, torch.Tensor)
                and isinstance(right, torch.Tensor)
                and left.shape == right.shape
                and bool(torch.allclose(left, right, 1e-10, 1e-12))
            )
            grade.check(
                holds and wrong is None,
                case=f"{name}: {law} (case {i})",
                message=f"{name} breaks {law} for A of shape {tuple(A.shape)}"
                if not holds
                else wrong,
            )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))


# Two tests, not one: four tests of 5 points add up to 20 exactly (20/3 would not).
def test_q2_algebra_loops(grade):
    _check_algebra(grade, "matmul_loops")


def test_q2_algebra_broadcast(grade):
    _check_algebra(grade, "matmul_broadcast")
