import torch

from autograder.testing import T1, probe

W = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=torch.float64)
V = torch.tensor([[0.0, 1.0], [1.0, 0.0], [2.0, -1.0]], dtype=torch.float64)
G = torch.tensor([[1.0, 2.0], [0.0, -1.0]], dtype=torch.float64)


@probe
def q1_maps(ns, W, V, G):
    return {
        "jvp_gram": ns.jvp_gram(W, V),
        "vjp_gram": ns.vjp_gram(W, G),
        "jvp_outer": ns.jvp_outer(W, V, V, W),
    }


def test_q1_small(grade):
    grade.compare(q1_maps, W, V, G, case="3×2 W and V, 2×2 G", **T1)
