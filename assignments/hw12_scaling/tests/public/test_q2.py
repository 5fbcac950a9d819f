import torch

from autograder.testing import T0, T1, probe


@probe
def grads(ns, n, k):
    torch.set_num_threads(1)
    F64 = torch.float64
    layers = torch.nn.ModuleList()
    for i in range(n):
        lin = torch.nn.Linear(3, 3, dtype=F64)
        with torch.no_grad():
            lin.weight.copy_(torch.arange(9, dtype=F64).reshape(3, 3) / 10 - 0.3 * i)
            lin.bias.fill_(0.1 * i)
        layers.append(torch.nn.Sequential(lin, torch.nn.Tanh()))
    x = torch.tensor([[1.0, -1.0, 0.5], [0.2, 0.3, -0.4]], dtype=F64, requires_grad=True)
    out = ns.checkpointed_forward(layers, x, k)
    (out**2).sum().backward()
    return {
        "output": out.detach(),
        "x.grad": x.grad,
        "parameter grads": [p.grad for p in layers.parameters()],
    }


@probe
def bounds(ns, n, k):
    return [int(b) for b in ns.segment_bounds(n, k)]


def test_q2_public(grade):
    grade.compare(bounds, 10, 4, case="segment_bounds(10, 4)", **T0)
    grade.compare(grads, 4, 2, case="4 blocks of width 3, 2 segments, float64", **T1)
    grade.compare(grads, 5, 3, case="5 blocks of width 3, 3 segments, float64", **T1)
