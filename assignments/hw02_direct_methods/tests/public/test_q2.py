import torch

from autograder.testing import T1, probe


@probe
def factor_and_solve(ns, A, B):
    L, U = ns.lu_nopivot(A)
    return {"L": L, "U": U, "X": ns.lu_solve_many(L, U, B)}


def test_q2_public(grade):
    A = torch.tensor([[4.0, 2.0, 1.0], [2.0, 5.0, 2.0], [1.0, 2.0, 6.0]], dtype=torch.float64)
    B = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    grade.compare(factor_and_solve, A, B, case="3×3 SPD matrix, two right-hand sides", **T1)
