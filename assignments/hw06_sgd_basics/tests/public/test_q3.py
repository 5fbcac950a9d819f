import torch

from autograder.testing import T1, probe

X = torch.tensor([1.0, 2.0, 4.0, 7.0, 11.0], dtype=torch.float64)


@probe
def q3_mc(ns, x):
    return ns.mse_monte_carlo(x, 0.3, 8, 1.0, 2, 5, torch.Generator().manual_seed(1))


def test_q3_small(grade):
    grade.compare(q3_mc, X, case="5 runs, 8 steps, seed 1", **T1)
