# question: q4
# bug: takes the smallest |1 − αλᵢ| (the fastest direction) instead of the largest
import torch


def contraction_factor(A, step_size):
    eigenvalues = torch.linalg.eigvalsh(A)
    return float(torch.min(torch.abs(1.0 - step_size * eigenvalues)))
