import torch

from autograder.testing import T1, probe


@probe
def cubic_numerical(ns, x):
    return ns.numerical_grad(lambda z: (z**3 - 3 * z).sum(), x, 1e-5)


@probe
def cubic_check(ns, x, shift):
    f = lambda z: (z**3 - 3 * z).sum()  # noqa: E731
    return ns.grad_check(f, lambda z: 3 * z**2 - 3 + shift, x, 1e-6)


def test_q4_numerical_grad(grade):
    # Recorded on the instructor's CPU, compared on the student's. At x = −1 the derivative
    # is 0 and the value (≈ h² = 1e-10) is rounding noise: f(x ± h eᵢ) ≈ 4, one ulp of f
    # is 8.9e-16, and (up − down)/(2h) turns each ulp into 4.4e-11. atol 2e-10 allows
    # up and down to round up to two ulps differently on another CPU's kernels (T1's 1e-12
    # allowed none); a wrong difference formula errs by ≥ h·|f″|/2 = 3e-5.
    grade.compare(
        cubic_numerical,
        torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64),
        case="Σ(x³ − 3x) at (−1, 0, 2), h = 1e-5",
        rtol=T1["rtol"],
        atol=2e-10,
    )


def test_q4_grad_check(grade):
    x = torch.tensor([-1.0, 0.5, 2.0], dtype=torch.float64)
    shift = torch.tensor([0.0, 0.0, 3.0], dtype=torch.float64)
    grade.compare(
        cubic_check,
        x,
        shift,
        case="gradient of Σ(x³ − 3x) off by 3 in its last entry",
        rtol=1e-6,
        atol=1e-12,
    )
