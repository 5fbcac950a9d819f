# question: q2
# bug: the running sum is set up once per row i, not once per entry (i, j), so c_ij also holds the earlier entries of the row
import torch


def matmul_loops(A, B):
    m, K = A.shape
    n = B.shape[1]
    C = torch.zeros(m, n, dtype=A.dtype, device=A.device)
    for i in range(m):
        total = torch.zeros((), dtype=A.dtype, device=A.device)
        for j in range(n):
            for k in range(K):
                total = total + A[i, k] * B[k, j]
            C[i, j] = total
    return C
