import torch

from autograder.testing import T0, T1, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def back_of(ns, U, c):
    torch.set_num_threads(1)
    return ns.back_substitution(U, c)


@probe
def forward_of(ns, L, b, unit):
    torch.set_num_threads(1)
    return ns.forward_substitution(L, b, unit_diagonal=unit)


@probe
def with_nan_elsewhere(ns, T, rhs):
    # fill the triangle that must not be read with NaN (for the unit forward solve, the
    # diagonal too) and return the three solutions
    torch.set_num_threads(1)
    nan = float("nan")
    upper = torch.triu(T) + torch.tril(torch.full_like(T, nan), diagonal=-1)
    lower = torch.tril(T) + torch.triu(torch.full_like(T, nan), diagonal=1)
    lower_unit = torch.tril(T, diagonal=-1) + torch.triu(torch.full_like(T, nan))
    return {
        "back": ns.back_substitution(upper, rhs),
        "forward": ns.forward_substitution(lower, rhs, unit_diagonal=False),
        "forward_unit": ns.forward_substitution(lower_unit, rhs, unit_diagonal=True),
    }


def _triangular(gen, p, upper):
    # diagonal in [1, 3], small off-diagonal entries: well conditioned, so any correct
    # order of operations agrees to ~1e-14
    T = torch.randn(p, p, generator=gen, dtype=torch.float64) / p**0.5
    T.diagonal().copy_(1 + 2 * torch.rand(p, generator=gen, dtype=torch.float64))
    return torch.triu(T) if upper else torch.tril(T)


def test_q1_back_substitution(grade):
    for _i, gen in grade.cases(4):
        p = int(torch.randint(1, 26, (1,), generator=gen))
        U = _triangular(gen, p, upper=True)
        c = torch.randn(p, generator=gen, dtype=torch.float64)
        grade.compare(back_of, U, c, case=f"random upper-triangular U, p = {p}", **T1)
    U = torch.tensor([[2.0, 1.0, -1.0], [0.0, 1.0, 3.0], [0.0, 0.0, 4.0]], dtype=torch.float64)
    c = torch.tensor([1.0, 7.0, 8.0], dtype=torch.float64)  # x = (1, 1, 2)
    grade.compare(back_of, U, c, case="3×3 example with solution (1, 1, 2)", **T1)
    one = torch.tensor([[4.0]], dtype=torch.float64)
    grade.compare(
        back_of, one, torch.tensor([2.0], dtype=torch.float64), case="p = 1: 4x = 2", **T1
    )
    # "any float dtype": float32 in, float32 out. Small integers: every step is exact in
    # float32 too, so any order of operations gives these bits.
    grade.compare(
        back_of, U.float(), c.float(), case="the 3×3 example in float32 (a float32 result)", **T0
    )


def test_q1_forward_substitution(grade):
    for i, gen in grade.cases(4):
        p = int(torch.randint(1, 26, (1,), generator=gen))
        L = _triangular(gen, p, upper=False)
        b = torch.randn(p, generator=gen, dtype=torch.float64)
        # with unit = True the diagonal is not 1 (as in a packed LU): it must not be read
        unit = i % 2 == 0
        grade.compare(
            forward_of, L, b, unit, case=f"random lower-triangular L, p = {p}, unit = {unit}", **T1
        )


def test_q1_properties(grade):
    for i, gen in grade.cases(3):
        p = int(torch.randint(2, 20, (1,), generator=gen))
        T = torch.randn(p, p, generator=gen, dtype=torch.float64) / p**0.5
        T.diagonal().copy_(1 + 2 * torch.rand(p, generator=gen, dtype=torch.float64))
        rhs = torch.randn(p, generator=gen, dtype=torch.float64)
        case = f"p = {p}, the unused triangle filled with NaN (case {i})"
        got, ref = grade.run_and_reference(with_nan_elsewhere, T, rhs, case=case)
        if got is None:
            continue
        got = got if isinstance(got, dict) else {}
        unit_L = torch.tril(T, diagonal=-1) + torch.eye(p, dtype=torch.float64)
        systems = {
            "back": (torch.triu(T), "back_substitution reads below the diagonal of U"),
            "forward": (torch.tril(T), "forward_substitution reads above the diagonal of L"),
            "forward_unit": (
                unit_L,
                "forward_substitution(..., unit_diagonal=True) reads the diagonal or the upper "
                "triangle of L",
            ),
        }
        for key, (M, hint) in systems.items():
            x = got.get(key)
            shaped = isinstance(x, torch.Tensor) and x.shape == (p,)
            finite = shaped and bool(torch.isfinite(x).all())
            # finite counts only with the right solution: zeros are finite too
            differs = _differs(ref[key], x, **T1) if finite else None
            if not grade.check(
                finite and differs is None,
                case=f"{key}: finite with NaN in the unused triangle ({i})",
                message=f"expected a tensor of shape ({p},), got "
                f"{getattr(x, 'shape', type(x).__name__)}"
                if not shaped
                else f"the result contains NaN: {hint}"
                if not finite
                else f"finite, but not the solution: {differs}",
            ):
                continue
            res = float((M @ x - rhs).norm() / rhs.norm())
            grade.check(
                res < 1e-12,
                case=f"{key}: relative residual < 1e-12 ({i})",
                message=f"‖Tx − b‖/‖b‖ = {res:.2e} for the {key} solve",
            )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
