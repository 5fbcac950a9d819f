import torch

from autograder.testing import T1, probe


@probe
def solve_both(ns, X, y):
    return {"normal": ns.lstsq_normal(X, y), "qr": ns.lstsq_qr(X, y)}


def test_q3_public(grade):
    X = torch.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]], dtype=torch.float64)
    y = torch.tensor([1.0, 2.0, 2.0, 4.0], dtype=torch.float64)
    grade.compare(solve_both, X, y, case="line fit through 4 points", **T1)
