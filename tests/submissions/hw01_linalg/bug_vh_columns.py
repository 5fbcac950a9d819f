# question: q5
# bug: takes the right singular vectors as the columns of Vh instead of its rows
import torch


def low_rank_approx(A, k):
    U, S, Vh = torch.linalg.svd(A, full_matrices=False)
    return (U[:, :k] * S[:k]) @ Vh[:, :k].T
