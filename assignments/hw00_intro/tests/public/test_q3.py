import torch

from autograder.testing import T1, probe


@probe
def grad_of(ns, w, X, y):
    return ns.bce_grad(w, X, y)


def test_q3_public(grade):
    X = torch.tensor([[1.0, 2.0], [0.5, -1.0], [-2.0, 0.0]], dtype=torch.float64)
    y = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    w = torch.tensor([0.3, -0.2], dtype=torch.float64)
    grade.compare(grad_of, w, X, y, case="3 examples, d = 2", **T1)
