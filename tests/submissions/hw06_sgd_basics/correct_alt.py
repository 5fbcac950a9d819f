# An independent correct solution, written differently from the reference:
# - sgd_mean fills a preallocated path tensor; the batch mean is index_select(...).sum()/B.
# - closed forms: (1 − η)^{2k} as ((1 − η)²)^k with math.pow, the MSE as
#   floor + decay·(A₀ − floor), the floor as (σ²/B)·η/(2 − η).
# - mse_monte_carlo: μ = x.sum()/n, the runs' batch means as sum(dim=1)/B, the MSE as a
#   dot product of the deviations divided by n_runs, written into a preallocated tensor.
# - minibatch_gradient via index_select and sum/B; the variance via torch.var(correction=0).
# - sgd_decaying as the running mean (k·w_k + x_{i_k})/(k + 1).
# - figures: ax.loglog, with one helper per curve.
import math

import matplotlib.pyplot as plt
import torch


def _batch_mean(x, idx, dim=None):
    picked = x[idx]
    if dim is None:
        return picked.sum() / idx.numel()
    return picked.sum(dim=dim) / idx.shape[dim]


def sgd_mean(x, eta, n_steps, w0, batch_size, generator):
    n = len(x)
    path = torch.empty(n_steps + 1, dtype=x.dtype, device=x.device)
    path[0] = w0
    for k in range(n_steps):
        idx = torch.randint(0, n, (batch_size,), generator=generator).to(x.device)
        path[k + 1] = (1.0 - eta) * path[k] + eta * _batch_mean(x, idx)
    return path


def mean_closed_form(w0, mu, eta, k):
    return mu + math.pow(1.0 - eta, k) * (w0 - mu)


def mse_floor(sigma2, eta, batch_size=1):
    return (sigma2 / batch_size) * (eta / (2.0 - eta))


def mse_closed_form(w0, mu, sigma2, eta, k, batch_size=1):
    floor = mse_floor(sigma2, eta, batch_size)
    decay = math.pow((1.0 - eta) ** 2, k)
    return floor + decay * ((w0 - mu) ** 2 - floor)


def mse_monte_carlo(x, eta, n_steps, w0, batch_size, n_runs, generator):
    n = len(x)
    mu = x.sum() / n
    w = x.new_full((n_runs,), w0)
    out = x.new_empty(n_steps + 1)
    for k in range(n_steps + 1):
        if k > 0:
            rows = torch.randint(0, n, (n_runs, batch_size), generator=generator).to(x.device)
            w = (1.0 - eta) * w + eta * _batch_mean(x, rows, dim=1)
        d = w - mu
        out[k] = torch.dot(d, d) / n_runs
    return out


def minibatch_gradient(x, w, idx):
    return w - x.index_select(0, idx).sum() / idx.numel()


def gradient_variance_theory(x, batch_size):
    return torch.var(x, correction=0).item() / batch_size


def compare_batch_vs_steps(x, eta, batch_size, k, n_runs, generator, w0=0.0):
    runs = [
        mse_monte_carlo(x, eta, k, w0, batch_size, n_runs, generator),
        mse_monte_carlo(x, eta / batch_size, k * batch_size, w0, 1, n_runs, generator),
    ]
    return dict(zip(("batch", "single"), (r[-1].item() for r in runs)))


def sgd_decaying(x, n_steps, w0, generator):
    n = len(x)
    path = torch.empty(n_steps + 1, dtype=x.dtype, device=x.device)
    path[0] = w0
    for k in range(n_steps):
        i = torch.randint(0, n, (1,), generator=generator).to(x.device)
        path[k + 1] = (k * path[k] + x[i[0]]) / (k + 1)
    return path


def _from_one(ax, curve, *args, **kwargs):
    ys = curve.detach().cpu()[1:]
    ax.loglog(list(range(1, len(ys) + 1)), ys.tolist(), *args, **kwargs)


def plot_noise_floor(curves, theory, decaying=None):
    fig, ax = plt.subplots()
    for eta, curve in curves.items():
        _from_one(ax, curve, label=f"η = {eta:g}")
        _from_one(ax, theory[eta], ":", label=f"η = {eta:g} (theory)")
    if decaying is not None:
        _from_one(ax, decaying, label="η_k = 1/(k+1)")
    ax.set_xlabel("k")
    ax.set_ylabel("MSE")
    return fig


def plot_minibatch(curves):
    fig, axes = plt.subplots(ncols=2)
    for B, (eta, mse) in curves.items():
        ys = mse.detach().cpu()[1:].tolist()
        ks = range(1, len(ys) + 1)
        axes[0].loglog(list(ks), ys, label=f"B = {B}, η = {eta:g}")
        axes[1].loglog([k * B for k in ks], ys, label=f"B = {B}, η = {eta:g}")
    for ax, name in zip(axes, ("iterations", "samples")):
        ax.set_xlabel(name)
        ax.set_ylabel("MSE")
    return fig
