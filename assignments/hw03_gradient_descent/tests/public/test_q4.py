import torch

from autograder.testing import T1, probe


@probe
def lab(ns, kappa, step):
    torch.set_num_threads(1)
    A = ns.make_quadratic(kappa)
    return {
        "A": A,
        "path": ns.gd_path_2d(A, torch.tensor([1.0, 0.5], dtype=torch.float64), step, 5),
        "rho": float(ns.contraction_factor(A, step)),
    }


def test_q4_small(grade):
    grade.compare(lab, 50.0, 1.8, case="κ = 50, α = 1.8/λ_max", **T1)
