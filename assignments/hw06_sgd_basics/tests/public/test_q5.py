import torch

from autograder.testing import T1, probe

X = torch.tensor([1.0, 2.0, 4.0, 7.0, 11.0], dtype=torch.float64)


@probe
def q5_pieces(ns, x):
    out = ns.compare_batch_vs_steps(x, 0.2, 2, 5, 4, torch.Generator().manual_seed(2))
    return {
        "decaying": ns.sgd_decaying(x, 6, 10.0, torch.Generator().manual_seed(3)),
        "batch": float(out["batch"]),
        "single": float(out["single"]),
    }


def test_q5_small(grade):
    grade.compare(q5_pieces, X, case="decaying from w₀ = 10; batch vs steps", **T1)
