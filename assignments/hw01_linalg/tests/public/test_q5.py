import torch

from autograder.testing import T1, probe


@probe
def low_rank(ns, A, S):
    return {
        "A_1": ns.low_rank_approx(A, 1),
        "rel": float(ns.relative_error(S, 1)),
        "energy": ns.energy(S),
    }


def test_q5_public(grade):
    A = torch.tensor([[3.0, 0.0], [0.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    S = torch.tensor([3.0, 1.0], dtype=torch.float64)
    grade.compare(low_rank, A, S, case="diag(3, 1) padded to 3×2, k = 1", **T1)
    # a full 4×3 matrix: Vh is not symmetric, so its rows (the vᵢᵀ) and columns differ
    A = torch.tensor(
        [[2.0, 0.0, 1.0], [1.0, 3.0, 0.0], [0.0, 1.0, 4.0], [1.0, 1.0, 1.0]], dtype=torch.float64
    )
    grade.compare(low_rank, A, torch.linalg.svdvals(A), case="a full 4×3 matrix, k = 1", **T1)
