import torch

from autograder.testing import T1, probe


@probe
def both(ns, A, B):
    return {"loops": ns.matmul_loops(A, B), "broadcast": ns.matmul_broadcast(A, B)}


def test_q2_public(grade):
    A = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], dtype=torch.float64)
    B = torch.tensor([[1.0, 0.0], [2.0, 1.0], [-1.0, 4.0]], dtype=torch.float64)
    grade.compare(both, A, B, case="(2×3)(3×2)", **T1)
