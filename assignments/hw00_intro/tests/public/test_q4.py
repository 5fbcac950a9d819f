import torch

from autograder.testing import T1, probe


@probe
def train(ns, X, y, lr, n_steps, w0):
    out = ns.train_logistic(X, y, lr, n_steps, w0)
    return {k: out[k] for k in ("w", "iterates", "loss", "acc")}


@probe
def accuracy_of(ns, w, X, y):
    return float(ns.accuracy(w, X, y))


def test_q4_public(grade):
    X = torch.tensor([[1.0, 2.0], [0.5, -1.0], [-2.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    y = torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=torch.float64)
    w0 = torch.zeros(2, dtype=torch.float64)
    grade.compare(train, X, y, 0.5, 5, w0, case="4 examples, lr = 0.5, 5 steps from 0", **T1)
    w = torch.tensor([1.0, -1.0], dtype=torch.float64)
    grade.compare(accuracy_of, w, X, y, case="accuracy of w = (1, −1)", **T1)
