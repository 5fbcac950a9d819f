import torch

from autograder.testing import T1, probe


@probe
def solves(ns, U, c, L, b):
    return {
        "back": ns.back_substitution(U, c),
        "forward": ns.forward_substitution(L, b, unit_diagonal=False),
        "forward_unit": ns.forward_substitution(L, b),
    }


def test_q1_public(grade):
    U = torch.tensor([[2.0, 1.0, -1.0], [0.0, 1.0, 3.0], [0.0, 0.0, 4.0]], dtype=torch.float64)
    c = torch.tensor([1.0, 7.0, 8.0], dtype=torch.float64)
    L = torch.tensor([[2.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.5, -1.0, 4.0]], dtype=torch.float64)
    b = torch.tensor([2.0, 3.0, 1.0], dtype=torch.float64)
    grade.compare(solves, U, c, L, b, case="3×3 triangular systems", **T1)
