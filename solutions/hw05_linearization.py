"""Reference solution for hw05_linearization: derivatives as best linear approximations.

Lecture 5 (Stat 4830, 2025 notes): the little-o definition of the derivative, gradients
and Jacobians as best linear approximations, JVPs and VJPs, the Jacobian of WᵀW and of
UVᵀ, the chain rule as a composition of linear maps, least squares as h∘g∘f.
All graded computations are float64. No torch.autograd and no torch.func: every
derivative here is written by hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import Tensor

# ----------------------------------------------------------------------------- q1


def jvp_gram(W: Tensor, V: Tensor) -> Tensor:
    """The JVP of F(W) = WᵀW at W in the direction V: J_F(W)[V] = WᵀV + VᵀW.

    It comes from expanding F(W + V) = WᵀW + (WᵀV + VᵀW) + VᵀV: the middle term is
    linear in V and the remainder VᵀV is O(‖V‖²).

    Args:
        W: (n, m) float64, the point.
        V: (n, m) float64, the direction.

    Returns:
        (m, m) float64.
    """
    # BEGIN SOLUTION q1
    WtV = W.T @ V
    return WtV + WtV.T
    # END SOLUTION


def vjp_gram(W: Tensor, G: Tensor) -> Tensor:
    """The VJP of F(W) = WᵀW at W for a cotangent G: the adjoint map G ↦ W(G + Gᵀ).

    It is the unique (n, m) matrix with ⟨G, J_F(W)[V]⟩ = ⟨vjp_gram(W, G), V⟩ for all V,
    where ⟨A, B⟩ = Σᵢⱼ AᵢⱼBᵢⱼ.

    Args:
        W: (n, m) float64, the point.
        G: (m, m) float64, the cotangent (same shape as the output WᵀW).

    Returns:
        (n, m) float64.
    """
    # BEGIN SOLUTION q1
    return W @ (G + G.T)
    # END SOLUTION


def jvp_outer(U: Tensor, V: Tensor, H: Tensor, K: Tensor) -> Tensor:
    """The JVP of F(U, V) = UVᵀ at (U, V) in the direction (H, K): HVᵀ + UKᵀ.

    From F(U + H, V + K) = UVᵀ + (HVᵀ + UKᵀ) + HKᵀ: the remainder HKᵀ is O(‖(H, K)‖²).

    Args:
        U, V: (n, m) float64, the point.
        H, K: (n, m) float64, the direction (H for U, K for V).

    Returns:
        (n, n) float64.
    """
    # BEGIN SOLUTION q1
    return H @ V.T + U @ K.T
    # END SOLUTION


# ----------------------------------------------------------------------------- q2


def jacobian_from_jvp(
    jvp: Callable[[Tensor], Tensor],
    in_shape: tuple[int, ...],
    out_shape: tuple[int, ...],
    dtype: torch.dtype = torch.float64,
    device: str | torch.device = "cpu",
) -> Tensor:
    """The Jacobian matrix of a linear map known only through its JVP, column by column.

    Column j is the flattened JVP of the j-th basis input e_j (a tensor of shape
    ``in_shape`` with a single 1 at flat position j): A_ij = (A e_j)_i. So ``jvp`` is
    called exactly prod(in_shape) times, once per input coordinate, in order j = 0, 1, ….

    Args:
        jvp: maps a tangent of shape ``in_shape`` to one of shape ``out_shape``.
        in_shape, out_shape: the shapes of the map's input and output.
        dtype, device: of the basis tensors.

    Returns:
        (prod(out_shape), prod(in_shape)) tensor.
    """
    # BEGIN SOLUTION q2
    n_in, n_out = math.prod(in_shape), math.prod(out_shape)
    J = torch.zeros(n_out, n_in, dtype=dtype, device=device)
    for j in range(n_in):
        e_j = torch.zeros(n_in, dtype=dtype, device=device)
        e_j[j] = 1.0
        J[:, j] = jvp(e_j.reshape(in_shape)).reshape(n_out)
    return J
    # END SOLUTION


def jacobian_from_vjp(
    vjp: Callable[[Tensor], Tensor],
    in_shape: tuple[int, ...],
    out_shape: tuple[int, ...],
    dtype: torch.dtype = torch.float64,
    device: str | torch.device = "cpu",
) -> Tensor:
    """The Jacobian matrix of a linear map known only through its VJP, row by row.

    Row i is the flattened VJP of the i-th basis output e_i (shape ``out_shape``):
    A_ij = (Aᵀ e_i)_j. So ``vjp`` is called exactly prod(out_shape) times, once per
    output coordinate, in order i = 0, 1, ….

    Args:
        vjp: maps a cotangent of shape ``out_shape`` to one of shape ``in_shape``.
        in_shape, out_shape: the shapes of the map's input and output.
        dtype, device: of the basis tensors.

    Returns:
        (prod(out_shape), prod(in_shape)) tensor.
    """
    # BEGIN SOLUTION q2
    n_in, n_out = math.prod(in_shape), math.prod(out_shape)
    J = torch.zeros(n_out, n_in, dtype=dtype, device=device)
    for i in range(n_out):
        e_i = torch.zeros(n_out, dtype=dtype, device=device)
        e_i[i] = 1.0
        J[i, :] = vjp(e_i.reshape(out_shape)).reshape(n_in)
    return J
    # END SOLUTION


# ----------------------------------------------------------------------------- q3

#: A layer: (forward(x), jvp_at(x, v), vjp_at(x, u)), where x is the layer's input.
Layer = tuple[Callable, Callable, Callable]


def chain_jvp(layers: list[Layer], x: Tensor, v: Tensor) -> Tensor:
    """Forward mode: J_{F_L∘…∘F_1}(x) v = J_L(x_{L−1}) ⋯ J_1(x_0) v, with x_0 = x.

    Push the point and the tangent through the layers together: for each layer
    (forward, jvp_at, vjp_at) in order, v ← jvp_at(x_k, v) and x_{k+1} = forward(x_k).

    Args:
        layers: list of (forward, jvp_at, vjp_at) triples, applied first to last.
        x: the input point.
        v: the input tangent (same shape as x).

    Returns:
        The output tangent (shape of the last layer's output).
    """
    # BEGIN SOLUTION q3
    tangent = v
    for forward, jvp_at, _ in layers:
        tangent = jvp_at(x, tangent)
        x = forward(x)
    return tangent
    # END SOLUTION


def chain_vjp(layers: list[Layer], x: Tensor, u: Tensor) -> Tensor:
    """Reverse mode: uᵀ J_{F_L∘…∘F_1}(x) = ((uᵀJ_L) J_{L−1}) ⋯ J_1.

    First a forward pass that stores every layer's input x_0 = x, x_1, …, x_{L−1}; then
    a backward pass over the layers in reverse: u ← vjp_at(x_k, u).

    Args:
        layers: list of (forward, jvp_at, vjp_at) triples, applied first to last.
        x: the input point.
        u: the output cotangent (shape of the last layer's output).

    Returns:
        The input cotangent (same shape as x).
    """
    # BEGIN SOLUTION q3
    inputs = []
    for forward, _, _ in layers:
        inputs.append(x)
        x = forward(x)
    for (_, _, vjp_at), x_k in zip(reversed(layers), reversed(inputs)):
        u = vjp_at(x_k, u)
    return u
    # END SOLUTION


# ----------------------------------------------------------------------------- q4


def least_squares_jacobians(X: Tensor, y: Tensor, w: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Jacobians of L(w) = ½‖Xw − y‖² written as h∘g∘f at w.

    f(w) = Xw − y (ℝᵖ → ℝⁿ), g(z) = ‖z‖² (ℝⁿ → ℝ), h(s) = ½s (ℝ → ℝ); with z = f(w):

    Args:
        X: (n, p) float64.
        y: (n,) float64.
        w: (p,) float64.

    Returns:
        (J_f, J_g, J_h) = (X of shape (n, p), 2zᵀ of shape (1, n), [[½]] of shape (1, 1)),
        all float64.
    """
    # BEGIN SOLUTION q4
    z = X @ w - y
    J_f = X.clone()
    J_g = 2.0 * z.reshape(1, -1)
    J_h = torch.full((1, 1), 0.5, dtype=X.dtype, device=X.device)
    return J_f, J_g, J_h
    # END SOLUTION


def compose(jacobians: list[Tensor]) -> Tensor:
    """The chain rule: the Jacobian of F_L∘…∘F_1 from [J_1, …, J_L] (first map first).

    Returns J_L ⋯ J_2 J_1, of shape (rows of J_L, columns of J_1).
    """
    # BEGIN SOLUTION q4
    total = jacobians[0]
    for J in jacobians[1:]:
        total = J @ total
    return total
    # END SOLUTION


# ----------------------------------------------------------------------------- q5


def linearization_error(
    f: Callable[[Tensor], Tensor],
    grad_f: Callable[[Tensor], Tensor],
    x: Tensor,
    v: Tensor,
    hs: Tensor,
) -> Tensor:
    """|f(x + hv) − f(x) − h ∇f(x)ᵀv| for each step h in ``hs``.

    Args:
        f: maps a (d,) tensor to a 0-d tensor.
        grad_f: maps a (d,) tensor to its (d,) gradient.
        x: (d,) float64 point; v: (d,) float64 direction.
        hs: (K,) float64 steps.

    Returns:
        (K,) float64 errors.
    """
    # BEGIN SOLUTION q5
    fx = f(x)
    slope = grad_f(x) @ v
    errs = [torch.abs(f(x + h * v) - fx - h * slope) for h in hs]
    return torch.stack(errs)
    # END SOLUTION


def loglog_slope(hs: Tensor, errs: Tensor) -> float:
    """Least-squares slope of log(errs) against log(hs) (all entries positive).

    With a = log hs and b = log errs: slope = Σ(a − ā)(b − b̄) / Σ(a − ā)².

    Returns:
        A Python float; about 2 when the error is O(h²).
    """
    # BEGIN SOLUTION q5
    a, b = torch.log(hs), torch.log(errs)
    a_c, b_c = a - a.mean(), b - b.mean()
    return float((a_c * b_c).sum() / (a_c * a_c).sum())
    # END SOLUTION


def bad_f(p: Tensor) -> Tensor:
    """The notes' counterexample f(x, y) = xy/(x² + y²), with f(0, 0) = 0.

    Both partial derivatives exist at the origin (they are 0), yet f is not differentiable
    there: f = ½ all along the diagonal x = y ≠ 0.

    Args:
        p: (2,) float64, the point (x, y).

    Returns:
        0-d float64 tensor.
    """
    # BEGIN SOLUTION q5
    x, y = p[0], p[1]
    denom = x * x + y * y
    if denom == 0:
        return torch.zeros((), dtype=p.dtype, device=p.device)
    return x * y / denom
    # END SOLUTION


# ----------------------------------------------------------------------------- q6


def plot_tangent(
    f: Callable[[Tensor], Tensor], df: Callable[[Tensor], Tensor], a: float, xs: Tensor
) -> Figure:
    """f and its best linear approximation L(x) = f(a) + f′(a)(x − a) at x = a.

    Args:
        f, df: elementwise functions and their derivative (tensor in, tensor out).
        a: the point of tangency.
        xs: (K,) float64 grid.

    Returns:
        A Figure with one axes holding three lines: ``"f(x)"`` (xs, f(xs)),
        ``"tangent at a"`` (xs, L(xs)) and ``"(a, f(a))"`` (the single point), with axis
        labels.
    """
    # BEGIN SOLUTION q6
    xs = xs.detach().cpu()  # matplotlib needs CPU data
    a_t = torch.tensor(a, dtype=xs.dtype)
    fa, dfa = f(a_t), df(a_t)
    tangent = fa + dfa * (xs - a)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(xs.numpy(), f(xs).numpy(), label="f(x)")
    ax.plot(xs.numpy(), tangent.numpy(), "--", label="tangent at a")
    ax.plot([a], [float(fa)], "ko", label="(a, f(a))")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"best linear approximation at a = {a:g}")
    ax.legend()
    return fig
    # END SOLUTION


def plot_linearization_error(curves: dict[str, tuple[Tensor, Tensor]]) -> Figure:
    """Linearisation error against h on log-log axes, with a slope-2 guide.

    Args:
        curves: maps a label to (hs, errs), both (K,) float64 with positive entries.

    Returns:
        A Figure with one axes, x and y scales ``"log"``, axis labels, one line per curve
        (labelled by its key, x = hs, y = errs), and a line labelled ``"slope 2"`` through
        the first point (h₀, e₀) of the first curve: x = its hs, y = e₀·(hs/h₀)².
    """
    # BEGIN SOLUTION q6
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, (hs, errs) in curves.items():
        ax.plot(hs.cpu().numpy(), errs.cpu().numpy(), "o-", ms=3, label=label)
    hs0, errs0 = (t.cpu() for t in next(iter(curves.values())))
    guide = errs0[0] * (hs0 / hs0[0]) ** 2
    ax.plot(hs0.numpy(), guide.numpy(), "k:", label="slope 2")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step h")
    ax.set_ylabel("|f(x+hv) − f(x) − h ∇f(x)ᵀv|")
    ax.legend()
    return fig
    # END SOLUTION
