import torch

from autograder.testing import T1, probe


@probe
def cosine_of(ns, x, y):
    return ns.cosine_similarity(x, y)


@probe
def pairwise_of(ns, X):
    return ns.pairwise_cosine(X)


def test_q1_public(grade):
    x = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    y = torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64)
    grade.compare(cosine_of, x, y, case="cos of (1, 0, 1) and (1, 1, 0) = 0.5", **T1)
    X = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -2.0]], dtype=torch.float64)
    grade.compare(pairwise_of, X, case="three rows in the plane", **T1)
