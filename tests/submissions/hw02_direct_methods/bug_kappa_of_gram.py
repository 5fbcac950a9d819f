# question: q4
# bug: takes the ratio of the eigenvalues of AᵀA (the squares of the singular values), i.e. κ(A)²
import torch


def condition_number(A):
    lam = torch.linalg.eigvalsh(A.T @ A)
    return float(lam.max() / lam.min())
