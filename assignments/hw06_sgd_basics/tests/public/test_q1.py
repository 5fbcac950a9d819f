import torch

from autograder.testing import T1, probe

X = torch.tensor([1.0, 2.0, 4.0, 7.0, 11.0], dtype=torch.float64)


@probe
def q1_run(ns, x):
    return ns.sgd_mean(x, 0.5, 6, 0.0, 2, torch.Generator().manual_seed(0))


def test_q1_small(grade):
    grade.compare(q1_run, X, case="5 points, η = 0.5, B = 2, seed 0", **T1)
