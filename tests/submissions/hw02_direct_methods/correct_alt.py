# An independent correct solution of hw02_direct_methods. What differs from the
# reference: the triangular solves are column oriented (each solved unknown is eliminated
# from the remaining right-hand side at once) instead of row dot products; the LU is
# Doolittle's (row k of U and column k of L from dot products with the earlier factors)
# instead of rank-1 updates of the remaining matrix; the normal equations form XᵀX and
# Xᵀy as broadcast sums (ATen reductions, not BLAS), and QR's Qᵀy likewise; κ comes from
# torch.linalg.svd's S, bytes from dtype.itemsize; make_problem builds X = U diag(s) Vᵀ
# as two products with s = 10^linspace; the stability experiment loops over seeds
# first, measures the error as √(Σ d²)/√(Σ w²) and takes the median along a dimension;
# the figure is built with numpy.
import math

import matplotlib.pyplot as plt
import numpy as np
import torch


def back_substitution(U, c):
    p = U.shape[0]
    x = c.clone()
    for i in range(p - 1, -1, -1):
        x[i] = x[i] / U[i, i]
        if i > 0:
            x[:i] = x[:i] - U[:i, i] * x[i]
    return x


def forward_substitution(L, b, unit_diagonal=True):
    p = L.shape[0]
    x = b.clone()
    for j in range(p):
        if not unit_diagonal:
            x[j] = x[j] / L[j, j]
        if j + 1 < p:
            x[j + 1 :] = x[j + 1 :] - L[j + 1 :, j] * x[j]
    return x


def lu_nopivot(A):
    p = A.shape[0]
    L = torch.zeros_like(A)
    U = torch.zeros_like(A)
    for k in range(p):
        L[k, k] = 1.0
        # row k of U: a_kj − Σ_{m<k} l_km u_mj
        U[k, k:] = A[k, k:] - (L[k, :k, None] * U[:k, k:]).sum(dim=0)
        if k + 1 < p:
            # column k of L: (a_ik − Σ_{m<k} l_im u_mk) / u_kk
            below = A[k + 1 :, k] - (L[k + 1 :, :k] * U[:k, k]).sum(dim=1)
            L[k + 1 :, k] = below / U[k, k]
    return L, U


def lu_solve_many(L, U, B):
    solutions = [back_substitution(U, forward_substitution(L, b)) for b in B.unbind(dim=1)]
    return torch.column_stack(solutions)


def lstsq_normal(X, y):
    gram = (X.unsqueeze(2) * X.unsqueeze(1)).sum(dim=0)  # (p, p) = Σ_n x_n x_nᵀ
    rhs = (X * y.unsqueeze(1)).sum(dim=0)
    L, U = lu_nopivot(gram)
    return lu_solve_many(L, U, rhs.reshape(-1, 1)).reshape(-1)


def lstsq_qr(X, y):
    Q, R = torch.linalg.qr(X, mode="reduced")
    qty = (Q * y.unsqueeze(1)).sum(dim=0)
    return back_substitution(R, qty)


def condition_number(A):
    S = torch.linalg.svd(A, full_matrices=False).S
    smallest, largest = float(S[-1]), float(S[0])
    return math.inf if smallest == 0.0 else largest / smallest


def normal_equations_bytes(p, dtype):
    return int(p) ** 2 * dtype.itemsize


def make_problem(kappa, n, p, seed, device="cpu"):
    gen = torch.Generator()
    gen.manual_seed(seed)
    U = torch.linalg.qr(torch.randn(n, p, generator=gen, dtype=torch.float64))[0]
    V = torch.linalg.qr(torch.randn(p, p, generator=gen, dtype=torch.float64))[0]
    w_true = torch.randn(p, generator=gen, dtype=torch.float64)
    s = 10.0 ** torch.linspace(0.0, -math.log10(kappa), p, dtype=torch.float64)
    X = U @ torch.diag(s) @ V.T
    y = torch.mv(X, w_true)
    return X.to(device), y.to(device), w_true.to(device)


def _rel_error(w_hat, w):
    d = w_hat.to(torch.float64) - w
    return float(torch.sqrt((d * d).sum()) / torch.sqrt((w * w).sum()))


def stability_errors(kappas, n=200, p=5, seeds=range(5), dtype=torch.float32, device="cpu"):
    seeds = list(seeds)
    normal = torch.zeros(len(kappas), len(seeds), dtype=torch.float64)
    qr = torch.zeros(len(kappas), len(seeds), dtype=torch.float64)
    for j, seed in enumerate(seeds):
        for i, kappa in enumerate(kappas):
            X, y, w = make_problem(kappa, n, p, seed, device)
            X_low, y_low = X.type(dtype), y.type(dtype)
            normal[i, j] = _rel_error(lstsq_normal(X_low, y_low), w)
            qr[i, j] = _rel_error(lstsq_qr(X_low, y_low), w)
    return {"normal": normal.median(dim=1).values, "qr": qr.median(dim=1).values}


def plot_stability(kappas, errors):
    k = np.asarray(kappas, dtype=np.float64)
    eps = float(torch.finfo(torch.float32).eps)
    fig = plt.figure(figsize=(6, 4))
    ax = fig.add_subplot(1, 1, 1)
    ax.loglog(
        k, np.asarray(errors["normal"].cpu(), dtype=np.float64), "o-", label="normal equations"
    )
    ax.loglog(k, np.asarray(errors["qr"].cpu(), dtype=np.float64), "s-", label="QR")
    ax.loglog(k, eps * k, "--", color="gray", label="ε·κ")
    ax.loglog(k, eps * k * k, ":", color="gray", label="ε·κ²")
    ax.set_xlabel("κ(X)")
    ax.set_ylabel("‖ŵ − w‖ / ‖w‖")
    ax.legend()
    return fig
