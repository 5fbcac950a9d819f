import torch

from autograder.testing import T1, probe


@probe
def traj(ns, hist, decay, init):
    return ns.ema_trajectory(hist, decay, init)


W0 = torch.tensor([1.0, -1.0], dtype=torch.float64)
GRADS = torch.tensor([[0.5, 1.0], [-0.5, 2.0], [1.0, 0.0]], dtype=torch.float64)


def test_q4_public(grade):
    grade.compare(traj, GRADS, 0.5, W0, case="EMA of 3 points, decay 0.5", **T1)
