import torch

from autograder.testing import T0, T2, probe

P = torch.tensor([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.2, 0.8]]], dtype=torch.float64)
R = torch.tensor([[[1.0, 0.0], [2.0, 0.0]], [[0.0, -1.0], [0.5, 0.5]]], dtype=torch.float64)


@probe
def vi(ns, P, R):
    V, Q, _pi = ns.value_iteration(P, R, 0.9)
    return {"V": V, "Q": Q}


@probe
def vi_policy(ns, P, R):
    return ns.value_iteration(P, R, 0.9)[2]


def test_q2_two_states(grade):
    grade.compare(vi, P, R, case="2 states, 2 actions, γ = 0.9: V*, Q*", **T2)
    grade.compare(vi_policy, P, R, case="the same MDP: π*", **T0)
