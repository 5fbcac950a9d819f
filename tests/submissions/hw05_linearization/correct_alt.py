# An independent correct solution, written differently from the reference:
# - q1: einsum for WᵀV, VᵀW, HVᵀ and UKᵀ (each product computed on its own, not WᵀV plus
#   its transpose); vjp_gram distributes, WG + WGᵀ.
# - q2: basis tensors are rows of torch.eye, the columns/rows are stacked at the end.
# - q3: chain_jvp is a reduce over the layers; chain_vjp records one pullback closure per
#   layer in the forward pass and applies them in reverse.
# - q4: z = addmv(−y, X, w), J_g = (z + z)ᵀ; compose uses torch.linalg.multi_dot (its own
#   association order) instead of left-multiplying one by one.
# - q5: linearization_error evaluates f(x + hv) for all h, then subtracts the tangent line
#   f(x) + h·(∇f(x)·v) in one vector operation; loglog_slope uses the sums formula
#   (nΣab − ΣaΣb)/(nΣa² − (Σa)²); bad_f uses torch.where.
# - q6: the tangent line as f(a) − f′(a)·a + f′(a)·x; the guide as e₀·hs²/h₀².
from functools import reduce

import matplotlib.pyplot as plt
import torch


def jvp_gram(W, V):
    return torch.einsum("ki,kj->ij", W, V) + torch.einsum("ki,kj->ij", V, W)


def vjp_gram(W, G):
    return W @ G + W @ G.T


def jvp_outer(U, V, H, K):
    return torch.einsum("ik,jk->ij", H, V) + torch.einsum("ik,jk->ij", U, K)


def _basis(n, dtype, device):
    return torch.eye(n, dtype=dtype, device=device)


def jacobian_from_jvp(jvp, in_shape, out_shape, dtype=torch.float64, device="cpu"):
    eye = _basis(int(torch.Size(in_shape).numel()), dtype, device)
    columns = [jvp(e.reshape(in_shape)).flatten() for e in eye]
    return torch.stack(columns, dim=1).reshape(int(torch.Size(out_shape).numel()), len(eye))


def jacobian_from_vjp(vjp, in_shape, out_shape, dtype=torch.float64, device="cpu"):
    eye = _basis(int(torch.Size(out_shape).numel()), dtype, device)
    rows = [vjp(e.reshape(out_shape)).flatten() for e in eye]
    return torch.stack(rows, dim=0).reshape(len(eye), int(torch.Size(in_shape).numel()))


def chain_jvp(layers, x, v):
    def step(state, layer):
        point, tangent = state
        forward, jvp_at, _ = layer
        return forward(point), jvp_at(point, tangent)

    return reduce(step, layers, (x, v))[1]


def chain_vjp(layers, x, u):
    pullbacks = []
    for forward, _, vjp_at in layers:
        pullbacks.append(lambda c, at=x, vjp_at=vjp_at: vjp_at(at, c))
        x = forward(x)
    for pullback in pullbacks[::-1]:
        u = pullback(u)
    return u


def least_squares_jacobians(X, y, w):
    z = torch.addmv(-y, X, w)
    return X.clone(), (z + z)[None, :], X.new_full((1, 1), 0.5)


def compose(jacobians):
    ordered = list(reversed(jacobians))
    if len(ordered) == 1:
        return ordered[0].clone()
    return torch.linalg.multi_dot(ordered)


def linearization_error(f, grad_f, x, v, hs):
    fx = f(x)
    directional = torch.dot(grad_f(x), v)
    shifted = torch.stack([f(x + h * v) for h in hs])
    return (shifted - (fx + hs * directional)).abs()


def loglog_slope(hs, errs):
    a, b = hs.log(), errs.log()
    n = a.numel()
    numerator = n * (a * b).sum() - a.sum() * b.sum()
    denominator = n * (a * a).sum() - a.sum() ** 2
    return (numerator / denominator).item()


def bad_f(p):
    x, y = p.unbind()
    r2 = x.square() + y.square()
    safe = torch.where(r2 > 0, r2, torch.ones_like(r2))
    return torch.where(r2 > 0, x * y / safe, torch.zeros_like(r2))


def plot_tangent(f, df, a, xs):
    grid = xs.detach().cpu()
    at = torch.full((), a, dtype=grid.dtype)
    value, slope = f(at), df(at)
    line = (value - slope * a) + slope * grid
    fig, ax = plt.subplots()
    ax.plot(grid.tolist(), f(grid).tolist(), label="f(x)")
    ax.plot(grid.tolist(), line.tolist(), label="tangent at a")
    ax.scatter([], [])  # not a line: ignored
    ax.plot([a], [value.item()], marker="o", linestyle="none", label="(a, f(a))")
    ax.set_xlabel("x")
    ax.set_ylabel("f")
    return fig


def plot_linearization_error(curves):
    fig, ax = plt.subplots()
    first = None
    for name, (hs, errs) in curves.items():
        hs, errs = hs.detach().cpu(), errs.detach().cpu()
        if first is None:
            first = (hs, errs)
        ax.loglog(hs.tolist(), errs.tolist(), label=name)
    hs0, errs0 = first
    ax.loglog(hs0.tolist(), (errs0[0] * hs0**2 / hs0[0] ** 2).tolist(), label="slope 2")
    ax.set_xlabel("h")
    ax.set_ylabel("error")
    return fig
