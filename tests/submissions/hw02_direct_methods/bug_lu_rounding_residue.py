# question: q2
# bug: the eliminated entries of U are left as the subtraction's rounding residue instead of being set to exact zeros
import torch


def lu_nopivot(A):
    p = A.shape[0]
    U = A.clone()
    L = torch.eye(p, dtype=A.dtype, device=A.device)
    for j in range(p - 1):
        m = U[j + 1 :, j] / U[j, j]
        L[j + 1 :, j] = m
        U[j + 1 :, j:] -= m[:, None] * U[j, j:][None, :]
    return L, U
