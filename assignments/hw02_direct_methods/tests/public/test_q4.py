import torch

from autograder.testing import T1, probe


@probe
def conditioning(ns, A):
    return {
        "kappa": float(ns.condition_number(A)),
        "bytes_float64": int(ns.normal_equations_bytes(1000, torch.float64)),
        "bytes_float32": int(ns.normal_equations_bytes(1000, torch.float32)),
    }


def test_q4_public(grade):
    A = torch.tensor([[3.0, 0.0], [0.0, 0.5], [0.0, 0.0]], dtype=torch.float64)
    grade.compare(conditioning, A, case="κ of a 3×2 diagonal matrix; bytes for p = 1000", **T1)
