"""q4: central differences and the gradient check."""

import math

import torch

from autograder.testing import T1, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown

F64 = torch.float64
FUNCTIONS = ["cubic", "least_squares", "logsumexp", "x_tanh"]


@probe
def numerical(ns, which, x, h):
    # h = None: the default step
    A = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], dtype=torch.float64)
    b = torch.tensor([0.5, -2.0], dtype=torch.float64)
    f = {
        "cubic": lambda z: (z**3 - 3 * z).sum(),
        "least_squares": lambda z: 0.5 * ((A @ z - b) ** 2).sum(),
        "logsumexp": lambda z: torch.logsumexp(z.reshape(-1), 0),
        "x_tanh": lambda z: (z * torch.tanh(z)).sum(),
    }[which]
    return ns.numerical_grad(f, x) if h is None else ns.numerical_grad(f, x, h)


@probe
def check_value(ns, which, x, shift):
    # grad_f is the exact gradient plus a known error, so grad_check has a known answer.
    f, exact = {
        "cubic": (lambda z: (z**3 - 3 * z).sum(), lambda z: 3 * z**2 - 3),
        "x_tanh": (
            lambda z: (z * torch.tanh(z)).sum(),
            lambda z: torch.tanh(z) + z * (1 - torch.tanh(z) ** 2),
        ),
    }[which]
    return ns.grad_check(f, lambda z: exact(z) + shift, x, 1e-6)


@probe
def two_steps(ns, a, x, h):
    # numerical_grad of Σ exp(a·x) at h and h/10, and x after both calls and a grad_check
    # (whether it changed is judged by the test)
    f = lambda z: torch.exp(a * z).sum()  # noqa: E731
    coarse = ns.numerical_grad(f, x, h)
    fine = ns.numerical_grad(f, x, h / 10)
    ns.grad_check(f, lambda z: a * torch.exp(a * z), x, h)
    return {"coarse": coarse, "fine": fine, "x after the calls": x}


def test_q4_numerical_grad(grade):
    for i, gen in grade.cases(6):
        if i < 4:
            which, x, h = FUNCTIONS[i], torch.randn(3, generator=gen, dtype=F64), 1e-5
            case = f"numerical_grad of {which}, h = 1e-5"
        elif i == 4:
            which, x, h = "x_tanh", torch.randn(2, 3, generator=gen, dtype=F64), 1e-4
            case = "Σ x·tanh x at a (2, 3) input, h = 1e-4"
        else:
            which, x, h = "cubic", torch.randn(4, generator=gen, dtype=F64), None
            case = "numerical_grad(f, x) of cubic: the default h"
        grade.compare(numerical, which, x, h, case=case, **T1)


def test_q4_grad_check(grade):
    shifts = [0.0, 1e-3, 0.5, 20.0]
    for i, gen in grade.cases(4):
        which = ["cubic", "x_tanh"][i % 2]
        x = torch.randn(4, generator=gen, dtype=F64)
        shift = torch.zeros(4, dtype=F64)
        shift[int(torch.randint(0, 4, (1,), generator=gen))] = shifts[i]
        # atol covers the last-bit freedom of (up − down)/(2h) when the gradient is right
        grade.compare(
            check_value,
            which,
            x,
            shift,
            case=f"grad_check of {which}, one entry of the gradient off by {shifts[i]:g}",
            rtol=1e-6,
            atol=1e-12,
        )


def test_q4_truncation_error_is_quadratic(grade):
    # Central differences err by h²/6 · f‴: a tenth of the step, a hundredth of the error.
    for i, gen in grade.cases(2):
        a = 0.5 + float(torch.rand((), generator=gen, dtype=F64))
        x = torch.randn(4, generator=gen, dtype=F64)
        case = f"Σ exp({a:.3f}·x) at h = 1e-2 and 1e-3"
        got, ref = grade.run_and_reference(two_steps, a, x, 1e-2, case=case)
        if got is None:
            continue
        got = got if isinstance(got, dict) else {}
        exact = a * torch.exp(a * x)
        try:
            coarse = float((got["coarse"] - exact).abs().max())
            fine = float((got["fine"] - exact).abs().max())
            ratio = coarse / fine if fine > 0 else math.inf
        except (KeyError, TypeError, RuntimeError):
            ratio = math.nan
        # measured: 99.999 … 100.001 under 24 CPU settings and over 300 draws of the
        # inputs (rounding, ε·f/h ≈ 1e-12, is 1e-5 of the h = 1e-3 error)
        grade.check(
            60 < ratio < 140,
            case=case,
            message=f"the error shrank by a factor {ratio:.3g}, not ≈ 100: use central "
            "differences (f(x + h eᵢ) − f(x − h eᵢ)) / (2h)",
        )
        if i == 0:
            # counts only with the two estimates right: zeros leave x alone too
            differs = _differs(
                {"coarse": ref["coarse"], "fine": ref["fine"]},
                {"coarse": got.get("coarse"), "fine": got.get("fine")},
                **T1,
            )
            after = got.get("x after the calls")
            unchanged = isinstance(after, torch.Tensor) and torch.equal(after, x)
            grade.check(
                unchanged and differs is None,
                case="numerical_grad and grad_check leave x unchanged",
                message="x was modified: perturb a copy of x, not x itself"
                if not unchanged
                else f"x is unchanged, but the estimates are not the expected ones ({differs}), "
                "so this is not credited",
            )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
