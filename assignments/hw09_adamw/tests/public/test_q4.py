import torch

from autograder.testing import T2, probe


@probe
def zero_loss(ns):
    torch.set_num_threads(1)
    out = ns.l2_vs_decoupled(torch.tensor([1.0, 0.05], dtype=torch.float64), 0.01, [0.01, 0.1], 5)
    return {"adam_l2": out["adam_l2"], "adamw": out["adamw"]}


def test_q4_small(grade):
    grade.compare(zero_loss, case="w₀ = (1, 0.05), lr 0.01, λ ∈ {0.01, 0.1}, 5 steps", **T2)
