import torch

from autograder.testing import T0, probe

H = torch.tensor([1.0, 0.5, 0.25], dtype=torch.float64)


@probe
def scaling(ns, h):
    torch.set_num_threads(1)
    nqm = {"h": h, "c": h.clone(), "w0": torch.ones(3, dtype=torch.float64)}
    out = ns.steps_to_target_vs_batch([1, 8, 64], [0.05, 0.2, 1.0], 0.05, nqm, 500)
    return [[int(B), float(a), int(s)] for B, (a, s) in dict(out).items()]


def test_q4_small_nqm(grade):
    grade.compare(
        scaling, H, case="h = c = (1, 0.5, 0.25), w0 = 1, target 0.05, B ∈ {1, 8, 64}", **T0
    )
