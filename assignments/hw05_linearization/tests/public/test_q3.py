import torch

from autograder.testing import T1, probe

W = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=torch.float64)


@probe
def q3_two_layers(ns, A, x, v, u):
    layers = [
        (lambda z: A @ z, lambda z, t: A @ t, lambda z, c: A.T @ c),
        (lambda z: z * z, lambda z, t: 2 * z * t, lambda z, c: 2 * z * c),
    ]
    return {"jvp": ns.chain_jvp(layers, x, v), "vjp": ns.chain_vjp(layers, x, u)}


def test_q3_small(grade):
    x = torch.tensor([1.0, -1.0], dtype=torch.float64)
    u = torch.tensor([1.0, 0.0, 2.0], dtype=torch.float64)
    grade.compare(q3_two_layers, W, x, x.flip(0), u, case="x ↦ (Wx)⊙(Wx)", **T1)
