import torch

from autograder.testing import T1, probe

W = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=torch.float64)


@probe
def q2_linear(ns, A):
    J1 = ns.jacobian_from_jvp(lambda v: A @ v, (A.shape[1],), (A.shape[0],))
    J2 = ns.jacobian_from_vjp(lambda u: A.T @ u, (A.shape[1],), (A.shape[0],))
    return {"from_jvp": J1, "from_vjp": J2}


def test_q2_small(grade):
    grade.compare(q2_linear, W, case="x ↦ Wx for the 3×2 W", **T1)
