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
    grade.compare(
        cubic_numerical,
        torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64),
        case="Σ(x³ − 3x) at (−1, 0, 2), h = 1e-5",
        **T1,
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
