import torch

from autograder.testing import T1, probe


@probe
def loss_and_gradient(ns, X, y, w):
    torch.set_num_threads(1)
    return {"loss": ns.ls_loss(X, y, w), "gradient": ns.ls_gradient(X, y, w)}


X3 = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=torch.float64)
y3 = torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64)


def test_q1_small(grade):
    w = torch.tensor([0.5, -1.0], dtype=torch.float64)
    grade.compare(loss_and_gradient, X3, y3, w, case="3×2 X, w = (0.5, −1)", **T1)
