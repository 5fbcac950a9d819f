import torch

from autograder.testing import T1, probe

P = torch.tensor([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.2, 0.8]]], dtype=torch.float64)
R = torch.tensor([[[1.0, 0.0], [2.0, 0.0]], [[0.0, -1.0], [0.5, 0.5]]], dtype=torch.float64)


@probe
def update(ns):
    Q = torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=torch.float64)
    return [
        ns.q_learning_update(Q, 0, 1, 0.5, 1, False, 0.1, 0.9),
        ns.q_learning_update(Q, 1, 0, -1.0, 0, True, 0.5, 0.9),
    ]


@probe
def learn(ns, P, R):
    g = torch.Generator().manual_seed(0)
    return ns.q_learning(P, R, 0.9, 0.5, 0.2, 10, g, 0)


def test_q3_update(grade):
    grade.compare(update, case="two updates, one with done=True", **T1)


def test_q3_learning(grade):
    grade.compare(learn, P, R, case="10 steps, ε = 0.2, seed 0, no terminal", **T1)
