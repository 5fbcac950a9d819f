# An independent correct solution of hw03_gradient_descent. What differs from the
# reference: the loss is ½ Σ r² (a reduction, not a dot product) and the gradient a
# broadcast weighted sum of the rows of X; gradient descent fills preallocated tensors,
# computes each loss inside the loop and takes w* from lstsq's "gelsd" driver; power
# iteration normalises with vector_norm and returns vᵀXᵀXv / vᵀv; make_quadratic sums
# two outer products; the 2-D path multiplies by the fixed matrix I − αA; the
# contraction factor compares only the two extreme eigenvalues; the iteration count uses
# the closed form f(w_k)/f(w_0) = ½ Σᵢ (1 − αλᵢ)^(2k) with powers instead of running
# products; the figures are built with add_subplot and numpy.
import math

import matplotlib.pyplot as plt
import numpy as np
import torch


def ls_loss(X, y, w):
    r = torch.mv(X, w) - y
    return 0.5 * torch.sum(r * r)


def ls_gradient(X, y, w):
    r = torch.mv(X, w) - y
    return (r.unsqueeze(1) * X).sum(dim=0)


def gradient_descent(X, y, step_size, n_steps, w0=None):
    p = X.shape[1]
    iterates = torch.empty(n_steps + 1, p, dtype=X.dtype, device=X.device)
    losses = torch.empty(n_steps + 1, dtype=X.dtype, device=X.device)
    w = torch.zeros(p, dtype=X.dtype, device=X.device) if w0 is None else w0.detach().clone()
    for k in range(n_steps + 1):
        iterates[k] = w
        losses[k] = ls_loss(X, y, w)
        if k < n_steps:
            w = w - step_size * ls_gradient(X, y, w)
    w_star = torch.linalg.lstsq(X.cpu(), y.cpu().unsqueeze(1), driver="gelsd").solution[:, 0]
    f_star = ls_loss(X, y, w_star.to(X.device))
    return {
        "w": iterates[-1].clone(),
        "iterates": iterates,
        "loss": losses,
        "rel_loss": (losses - f_star) / (losses[0] - f_star),
    }


def lambda_max_power(X, n_iter=200, generator=None):
    v = torch.randn(X.shape[1], generator=generator, dtype=X.dtype).to(X.device)
    v = v / torch.linalg.vector_norm(v)
    step = 0
    while step < n_iter:
        v = torch.mv(X.T, torch.mv(X, v))
        v = v / torch.linalg.vector_norm(v)
        step += 1
    Av = torch.mv(X.T, torch.mv(X, v))
    return float(torch.dot(v, Av) / torch.dot(v, v))


def max_stable_step(X, n_iter=200, generator=None):
    return 2.0 / lambda_max_power(X, n_iter, generator)


def make_quadratic(kappa, lam_max=1.0, theta=0.5236, device="cpu"):
    top = torch.tensor([math.cos(theta), math.sin(theta)], dtype=torch.float64, device=device)
    bottom = torch.tensor([-math.sin(theta), math.cos(theta)], dtype=torch.float64, device=device)
    return lam_max * torch.outer(top, top) + (lam_max / kappa) * torch.outer(bottom, bottom)


def gd_path_2d(A, w0, step_size, n_steps):
    M = torch.eye(2, dtype=A.dtype, device=A.device) - step_size * A
    out = torch.empty(n_steps + 1, 2, dtype=w0.dtype, device=w0.device)
    out[0] = w0
    for k in range(n_steps):
        out[k + 1] = torch.mv(M, out[k])
    return out


def contraction_factor(A, step_size):
    lam = torch.linalg.eigvalsh(A)
    return max(abs(1.0 - step_size * float(lam[0])), abs(1.0 - step_size * float(lam[-1])))


def iterations_to_tol(kappa, step_scale, tol=1e-6, max_iter=100_000):
    a = (1.0 - step_scale) ** 2
    b = (1.0 - step_scale / kappa) ** 2
    for k in range(max_iter + 1):
        if 0.5 * (a**k + b**k) <= tol:
            return k
    return max_iter


def plot_zigzag(paths):
    kappas = sorted({kappa for kappa, _ in paths})
    scales = sorted({scale for _, scale in paths})
    fig = plt.figure(figsize=(4 * len(scales), 3.5 * len(kappas)))
    for i, kappa in enumerate(kappas):
        A = make_quadratic(kappa).numpy()
        for j, scale in enumerate(scales):
            ax = fig.add_subplot(len(kappas), len(scales), i * len(scales) + j + 1)
            path = np.asarray(paths[(kappa, scale)].detach().cpu(), dtype=np.float64)
            r = 1.2 * np.abs(path).max()
            g = np.linspace(-r, r, 80)
            W1, W2 = np.meshgrid(g, g)
            F = 0.5 * (A[0, 0] * W1**2 + (A[0, 1] + A[1, 0]) * W1 * W2 + A[1, 1] * W2**2)
            ax.contour(W1, W2, F, levels=12)
            ax.plot(path[:, 0], path[:, 1], ".-", label="GD path")
            ax.set_xlabel("w1")
            ax.set_ylabel("w2")
            ax.set_title(f"kappa {kappa:g}, step {scale:g}/lambda_max")
    return fig


def plot_convergence(by_step, by_kappa):
    fig = plt.figure(figsize=(10, 4))
    panels = [(by_step, "α = {:g}/λ_max"), (by_kappa, "κ = {:g}")]
    for idx, (curves, fmt) in enumerate(panels):
        ax = fig.add_subplot(1, 2, idx + 1)
        for key, curve in sorted(curves.items()):
            c = np.asarray(curve.detach().cpu(), dtype=np.float64)
            ax.semilogy(np.arange(c.size), c, label=fmt.format(key))
        ax.set_xlabel("k")
        ax.set_ylabel("relative loss")
        ax.legend()
    return fig
