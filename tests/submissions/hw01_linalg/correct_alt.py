# An independent correct solution of hw01_linalg. What differs from the reference:
# q1 divides by √(xᵀx · yᵀy) instead of a product of norms, and pairwise_cosine scales
# the Gram matrix XXᵀ by the inverse row norms on both sides instead of normalising the
# rows first; q2 accumulates in Python floats (same k order) and builds an (m, n, K)
# product summed over its last axis instead of (m, K, n) over the middle one; q3 walks
# both shapes from the right with zip_longest; q4 uses math.prod, an explicit loop and
# reversed tuples; q5 sums k outer products σᵢuᵢvᵢᵀ, and takes the error and energy
# from vector norms of S; q6 builds the axes with add_subplot and numpy.
import itertools
import math

import matplotlib.pyplot as plt
import numpy as np
import torch


def cosine_similarity(x, y):
    return (x @ y) / torch.sqrt((x @ x) * (y @ y))


def pairwise_cosine(X):
    gram = X @ X.T
    inv = 1.0 / torch.sqrt(torch.diagonal(gram))
    return inv[:, None] * gram * inv[None, :]


def matmul_loops(A, B):
    m, K = A.shape
    n = B.shape[1]
    a, b = A.tolist(), B.tolist()
    rows = []
    for i in range(m):
        row = []
        for j in range(n):
            acc = 0.0
            for k in range(K):
                acc += a[i][k] * b[k][j]
            row.append(acc)
        rows.append(row)
    return torch.tensor(rows, dtype=A.dtype, device=A.device).reshape(m, n)


def matmul_broadcast(A, B):
    # (m, 1, K) * (1, n, K) -> (m, n, K), summed over k
    return (A.unsqueeze(1) * B.T.unsqueeze(0)).sum(dim=-1)


def broadcast_shape(a, b):
    out = []
    for da, db in itertools.zip_longest(reversed(a), reversed(b), fillvalue=1):
        if da == db or db == 1:
            out.append(da)
        elif da == 1:
            out.append(db)
        else:
            return None
    return tuple(reversed(out))


def row_major_strides(shape):
    return tuple(math.prod(shape[d + 1 :]) for d in range(len(shape)))


def flat_offset(index, strides):
    offset = 0
    for d in range(len(index)):
        offset += index[d] * strides[d]
    return offset


def transpose_layout(shape, strides):
    return tuple(shape[::-1]), tuple(strides[::-1])


def is_contiguous(shape, strides):
    expected = 1
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size != 1 and stride != expected:
            return False
        expected *= size
    return True


def low_rank_approx(A, k):
    U, S, Vh = torch.linalg.svd(A, full_matrices=False)
    out = torch.zeros_like(A)
    for i in range(k):
        out = out + S[i] * torch.outer(U[:, i], Vh[i, :])
    return out


def relative_error(S, k):
    return float(torch.linalg.vector_norm(S[k:]) / torch.linalg.vector_norm(S))


def energy(S):
    return 100.0 * (S / torch.linalg.vector_norm(S)) ** 2


def plot_svd_spectrum(spectra):
    fig = plt.figure(figsize=(10, 4))
    ax_s = fig.add_subplot(1, 2, 1)
    ax_e = fig.add_subplot(1, 2, 2)
    for name, S in spectra.items():
        s = S.detach().cpu().double()
        ax_s.semilogy(np.arange(1, len(s) + 1), (s / s[0]).numpy(), ".-", label=name)
        ax_e.semilogy(np.arange(len(s)), [relative_error(s, k) for k in range(len(s))], label=name)
    ax_s.set_xlabel("i")
    ax_s.set_ylabel("normalised singular value")
    ax_e.set_xlabel("k")
    ax_e.set_ylabel("relative Frobenius error")
    ax_s.legend()
    ax_e.legend()
    return fig


def plot_timing(sizes, times):
    fig = plt.figure()
    ax = fig.add_subplot(1, 1, 1)
    for name in times:
        ax.loglog(np.asarray(sizes, dtype=float), np.asarray(times[name], dtype=float), label=name)
    ax.set_xlabel("n")
    ax.set_ylabel("seconds")
    ax.legend()
    return fig
