import torch

from autograder.testing import T1, probe

P = torch.tensor([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.2, 0.8]]], dtype=torch.float64)
R = torch.tensor([[[1.0, 0.0], [2.0, 0.0]], [[0.0, -1.0], [0.5, 0.5]]], dtype=torch.float64)
PI = torch.tensor([[0.5, 0.5], [0.9, 0.1]], dtype=torch.float64)


@probe
def evaluate(ns, P, R, pi):
    V = ns.policy_evaluation(P, R, pi, 0.9)
    return {"V": V, "Q": ns.q_from_v(P, R, V, 0.9)}


def test_q1_two_states(grade):
    grade.compare(evaluate, P, R, PI, case="2 states, 2 actions, γ = 0.9", **T1)
