import torch

from autograder.testing import T1, probe


@probe
def sigmoid_of(ns, z):
    return ns.sigmoid(z)


@probe
def bce_of(ns, z, y):
    return ns.bce_with_logits(z, y)


@probe
def bce_gradient(ns, z, y):
    leaf = z.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(ns.bce_with_logits(leaf, y), leaf)
    return g


def test_q2_public(grade):
    z = torch.tensor([-3.0, 0.0, 0.5, 3.0], dtype=torch.float64)
    grade.compare(sigmoid_of, z, case="sigmoid of (−3, 0, 0.5, 3)", **T1)
    y = torch.tensor([0.0, 1.0, 1.0, 0.0], dtype=torch.float64)
    grade.compare(bce_of, z, y, case="bce of z = (−3, 0, 0.5, 3), y = (0, 1, 1, 0)", **T1)
    z = torch.tensor([800.0, -800.0], dtype=torch.float64)
    y = torch.tensor([1.0, 0.0], dtype=torch.float64)
    grade.compare(bce_of, z, y, case="bce of z = (800, −800), y = (1, 0): no overflow", **T1)
    # train_logistic starts at w = 0: autograd's derivative at z = 0 must be σ(0) − y = ½ − y
    z = torch.zeros(3, dtype=torch.float64)
    y = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    grade.compare(bce_gradient, z, y, case="autograd's gradient at z = 0 is (½ − y)/n", **T1)
