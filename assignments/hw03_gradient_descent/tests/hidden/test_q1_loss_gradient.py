import torch

from autograder.testing import T1, T2, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def loss_and_gradient(ns, X, y, w):
    torch.set_num_threads(1)
    return {"loss": ns.ls_loss(X, y, w), "gradient": ns.ls_gradient(X, y, w)}


@probe
def memory_wall_gradient(ns, seed):
    # X is (4, 40 000): X^T X would need 12.8 GB, two matrix-vector products about 1 MB.
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(4, 40_000, generator=g, dtype=torch.float64)
    y = torch.randn(4, generator=g, dtype=torch.float64)
    w = torch.randn(40_000, generator=g, dtype=torch.float64) / 200.0
    grad = ns.ls_gradient(X, y, w)
    return {"shape": list(grad.shape), "first": grad[:8], "sum": grad.sum(), "sumsq": grad @ grad}


@probe
def directional_derivative(ns, X, y, w, v, h):
    torch.set_num_threads(1)
    central = (ns.ls_loss(X, y, w + h * v) - ns.ls_loss(X, y, w - h * v)) / (2 * h)
    return [float(central), float(ns.ls_gradient(X, y, w) @ v)]


def _problem(gen, n, p):
    X = torch.randn(n, p, generator=gen, dtype=torch.float64)
    y = torch.randn(n, generator=gen, dtype=torch.float64)
    w = torch.randn(p, generator=gen, dtype=torch.float64)
    return X, y, w


def test_q1_random_problems(grade):
    for _i, gen in grade.cases(5):
        n = int(torch.randint(3, 30, (1,), generator=gen))
        p = int(torch.randint(1, 8, (1,), generator=gen))
        X, y, w = _problem(gen, n, p)
        grade.compare(loss_and_gradient, X, y, w, case=f"random X of shape ({n}, {p})", **T1)


def test_q1_fixed_cases(grade):
    # f(w) = ½‖(1, 2) − (0, 0)‖² = 2.5 at w = (1, 1) with X = I; gradient = (1, 2)
    X = torch.eye(2, dtype=torch.float64)
    y = torch.tensor([0.0, -1.0], dtype=torch.float64)
    w = torch.tensor([1.0, 1.0], dtype=torch.float64)
    grade.compare(loss_and_gradient, X, y, w, case="X = I (2×2), y = (0, −1), w = (1, 1)", **T1)
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=torch.float64)
    y = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    w = torch.zeros(2, dtype=torch.float64)
    grade.compare(loss_and_gradient, X, y, w, case="3×2 X, w = 0 (gradient = −Xᵀy)", **T1)


def test_q1_memory_wall(grade):
    for _i, gen in grade.cases(1):
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
        grade.compare(
            memory_wall_gradient,
            seed,
            case="X of shape (4, 40000): forming XᵀX would need 12.8 GB (limit 3 GB)",
            **T1,
        )


def test_q1_directional_derivative(grade):
    for i, gen in grade.cases(3):
        X, y, w = _problem(gen, 12, 5)
        v = torch.randn(5, generator=gen, dtype=torch.float64)
        case = f"central difference of ls_loss along a random v matches ls_gradient·v (case {i})"
        got, ref = grade.run_and_reference(directional_derivative, X, y, w, v, 1e-3, case=case)
        if got is None:
            continue
        # counts only with both numbers right: a loss and a gradient of zeros agree too
        differs = _differs(ref, got, rtol=T2["rtol"], atol=1e-8)
        if differs is not None:
            grade.check(
                False,
                case=case,
                message="the central difference of ls_loss and ls_gradient·v are not the "
                f"expected numbers ({differs})",
            )
            continue
        central, dot = got
        ok = abs(central - dot) <= T2["rtol"] * abs(dot) + 1e-8
        grade.check(
            ok,
            case=case,
            message=f"(f(w+hv) − f(w−hv))/(2h) = {central:.10g} but ∇f(w)·v = {dot:.10g}: "
            "ls_loss and ls_gradient disagree",
        )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
