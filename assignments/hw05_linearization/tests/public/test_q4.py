import torch

from autograder.testing import T1, probe

W = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=torch.float64)


@probe
def q4_least_squares(ns, X, y, w):
    Js = list(ns.least_squares_jacobians(X, y, w))
    return {"jacobians": Js, "composed": ns.compose(Js)}


def test_q4_small(grade):
    y = torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64)
    w = torch.tensor([0.5, 0.5], dtype=torch.float64)
    grade.compare(q4_least_squares, W, y, w, case="3×2 X", **T1)
