import torch

from autograder.testing import T1, probe

X = torch.tensor([1.0, 2.0, 4.0, 7.0, 11.0], dtype=torch.float64)


@probe
def q4_pieces(ns, x):
    idx = torch.tensor([0, 0, 3], dtype=torch.int64)
    return {
        "g": ns.minibatch_gradient(x, 1.5, idx),
        "var": float(ns.gradient_variance_theory(x, 4)),
    }


def test_q4_small(grade):
    grade.compare(q4_pieces, X, case="idx = (0, 0, 3); σ²/4", **T1)
