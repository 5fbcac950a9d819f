import torch

from autograder.testing import T1, probe

H = torch.tensor([1.0, 0.5, 0.25], dtype=torch.float64)
W0 = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)


@probe
def precond_values(ns, h, w0):
    return {
        "risk": ns.precond_risk(h, h, 0.5, 4, 0.5, w0, 6),
        "floor": ns.precond_steady_state(h, h, 0.5, 4, 0.5),
    }


def test_q5_values(grade):
    grade.compare(precond_values, H, W0, case="α = 0.5, B = 4, p = 0.5, 6 steps", **T1)
