import torch

from autograder.testing import T1, probe

H = torch.tensor([1.0, 0.5, 0.25], dtype=torch.float64)
W0 = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)


@probe
def sgd_values(ns, h, w0):
    return {
        "risk": ns.sgd_risk(h, h, 0.5, 4, w0, 6),
        "floor": ns.sgd_steady_state(h, h, 0.5, 4),
        "grid": ns.sgd_risk(h, h, torch.tensor([[0.1], [1.0]], dtype=torch.float64), 4, w0, 2),
    }


def test_q2_values(grade):
    grade.compare(sgd_values, H, W0, case="α = 0.5, B = 4, 6 steps; and α a (2, 1) tensor", **T1)
