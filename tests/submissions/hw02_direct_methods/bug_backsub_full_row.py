# question: q1
# bug: back substitution takes the dot product with the whole row of U, so it reads below the diagonal (harmless only while that part is exactly zero)
import torch


def back_substitution(U, c):
    p = U.shape[0]
    x = torch.zeros_like(c)
    for i in range(p - 1, -1, -1):
        x[i] = (c[i] - U[i] @ x) / U[i, i]
    return x
