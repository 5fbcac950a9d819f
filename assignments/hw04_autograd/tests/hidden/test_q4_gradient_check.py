import torch

from autograder.testing import T1, probe

FUNCTIONS = ["cubic", "least_squares", "logsumexp", "x_tanh"]


@probe
def numerical(ns, which, x, h):
    A = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], dtype=torch.float64)
    b = torch.tensor([0.5, -2.0], dtype=torch.float64)
    f = {
        "cubic": lambda z: (z**3 - 3 * z).sum(),
        "least_squares": lambda z: 0.5 * ((A @ z - b) ** 2).sum(),
        "logsumexp": lambda z: torch.logsumexp(z, 0),
        "x_tanh": lambda z: (z * torch.tanh(z)).sum(),
    }[which]
    before = x.clone()
    g = ns.numerical_grad(f, x, h)
    return {"grad": g, "x_unchanged": bool(torch.equal(before, x))}


@probe
def check_value(ns, which, x, shift):
    # grad_f is the exact gradient plus a known error, so grad_check has a known answer.
    exact = {
        "cubic": lambda z: 3 * z**2 - 3,
        "x_tanh": lambda z: torch.tanh(z) + z * (1 - torch.tanh(z) ** 2),
    }[which]
    f = {"cubic": lambda z: (z**3 - 3 * z).sum(), "x_tanh": lambda z: (z * torch.tanh(z)).sum()}[
        which
    ]
    return float(ns.grad_check(f, lambda z: exact(z) + shift, x, 1e-6))


def test_q4_numerical_grad(grade):
    for i, gen in grade.cases(4):
        which = FUNCTIONS[i % 4]
        x = torch.randn(3, generator=gen, dtype=torch.float64)
        grade.compare(numerical, which, x, 1e-5, case=f"numerical_grad of {which}", **T1)


def test_q4_grad_check(grade):
    for i, gen in grade.cases(4):
        which = ["cubic", "x_tanh"][i % 2]
        x = torch.randn(4, generator=gen, dtype=torch.float64)
        shift = [0.0, 1e-3, 0.5, 20.0][i]
        # Loose enough for rounding in the finite differences, tight enough to tell the
        # relative-error formula from the absolute one.
        grade.compare(
            check_value,
            which,
            x,
            shift,
            case=f"grad_check of {which}, gradient off by {shift}",
            rtol=1e-6,
            atol=1e-8,
        )
