"""Reference solution for hw04_autograd: reverse-mode autodiff by hand.

Lecture 4 ("The Computational Graph", "Two Methods for Gradient Computation", "Beyond
Single Variables: Least Squares", "More Complex Loss Functions") and lecture 5 ("Autodiff
and the chain rule").

Reverse mode on a DAG: the forward pass stores every node's value; the backward pass
seeds ∂f/∂f = 1, starts every other accumulator at 0, visits the nodes in reverse
topological order, multiplies the incoming gradient by each local derivative and *adds*
the result into the input's accumulator. The adding is what handles fan-out: x in
x³ − 3x receives 3x² from one path and −3 from the other.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import Tensor

# ----------------------------------------------------------------------------- q2


class Value:
    """A scalar node of a computational graph.

    Attributes:
        data: the node's value, a Python ``float`` (never a tensor).
        grad: ∂(output)/∂(this node) after ``output.backward()``; starts at 0.0.
        _prev: the nodes this one was computed from (its inputs).
        _op: the operation that made it ("+", "*", "exp", ...), for display.
        _backward: adds this node's ``grad`` times each local derivative into the
            inputs' ``grad``; a leaf's does nothing.
    """

    def __init__(self, data: float, _children: tuple = (), _op: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._backward: Callable[[], None] = lambda: None

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    @staticmethod
    def _lift(other: Value | float) -> Value:
        return other if isinstance(other, Value) else Value(float(other))

    def __add__(self, other: Value | float) -> Value:
        """self + other; ∂/∂self = 1, ∂/∂other = 1."""
        other = self._lift(other)
        # BEGIN SOLUTION q2
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out
        # END SOLUTION

    def __mul__(self, other: Value | float) -> Value:
        """self · other; ∂/∂self = other, ∂/∂other = self."""
        other = self._lift(other)
        # BEGIN SOLUTION q2
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out
        # END SOLUTION

    def __pow__(self, exponent: float) -> Value:
        """self ** exponent for a constant int or float exponent; ∂/∂self = p·self^(p−1)."""
        if isinstance(exponent, Value):
            raise TypeError("only constant (int or float) exponents are supported")
        # BEGIN SOLUTION q2
        p = float(exponent)
        out = Value(self.data**p, (self,), f"**{exponent}")

        def _backward() -> None:
            self.grad += p * self.data ** (p - 1.0) * out.grad

        out._backward = _backward
        return out
        # END SOLUTION

    def exp(self) -> Value:
        """e^self; its derivative is itself."""
        # BEGIN SOLUTION q2
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out
        # END SOLUTION

    def log(self) -> Value:
        """Natural log (self > 0); derivative 1/self."""
        # BEGIN SOLUTION q2
        out = Value(math.log(self.data), (self,), "log")

        def _backward() -> None:
            self.grad += out.grad / self.data

        out._backward = _backward
        return out
        # END SOLUTION

    def tanh(self) -> Value:
        """tanh(self); derivative 1 − tanh²."""
        # BEGIN SOLUTION q2
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out
        # END SOLUTION

    def relu(self) -> Value:
        """max(0, self); derivative 1 where self > 0, else 0."""
        # BEGIN SOLUTION q2
        out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")

        def _backward() -> None:
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

        out._backward = _backward
        return out
        # END SOLUTION

    def sigmoid(self) -> Value:
        """σ(self) = 1/(1 + e^−self); derivative σ(1 − σ)."""
        # BEGIN SOLUTION q2
        if self.data >= 0:  # two forms, so exp never overflows
            s = 1.0 / (1.0 + math.exp(-self.data))
        else:
            s = math.exp(self.data) / (1.0 + math.exp(self.data))
        out = Value(s, (self,), "sigmoid")

        def _backward() -> None:
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out
        # END SOLUTION

    # The rest is built from the operations above: no new derivatives needed.
    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:
        return self + (-self._lift(other))

    def __truediv__(self, other: Value | float) -> Value:
        return self * self._lift(other) ** -1

    def __radd__(self, other: float) -> Value:
        return self + other

    def __rmul__(self, other: float) -> Value:
        return self * other

    def __rsub__(self, other: float) -> Value:
        return self._lift(other) + (-self)

    def __rtruediv__(self, other: float) -> Value:
        return self._lift(other) * self**-1

    def backward(self) -> None:
        """Fill ``grad`` of every node this one depends on with ∂self/∂node.

        Seeds ``self.grad = 1``, resets every other node's ``grad`` to 0 (so calling it on
        a fresh graph twice gives the same result), then calls each node's ``_backward``
        in reverse topological order.
        """
        # BEGIN SOLUTION q2
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        # END SOLUTION


# ----------------------------------------------------------------------------- q1


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on (``root`` included), each after all of its inputs.

    Each reachable node appears exactly once and ``root`` comes last. Iterative (an
    explicit stack, no recursion), so a chain of 10 000 nodes works.
    """
    # BEGIN SOLUTION q1
    order: list[Value] = []
    visited: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for child in node._prev:
            if id(child) not in visited:
                stack.append((child, False))
    return order
    # END SOLUTION


# ----------------------------------------------------------------------------- q3


def ls_forward(X: Tensor, y: Tensor, w: Tensor) -> dict[str, Tensor]:
    """The forward pass of f(w) = ½‖Xw − y‖², node by node.

    Args:
        X: (n, p) float64. y: (n,) float64. w: (p,) float64.

    Returns:
        ``{"z1": Xw − y (n,), "z2": ‖z1‖² (0-d), "f": z2 / 2 (0-d)}``.
    """
    # BEGIN SOLUTION q3
    z1 = X @ w - y
    z2 = z1 @ z1
    return {"z1": z1, "z2": z2, "f": 0.5 * z2}
    # END SOLUTION


def ls_backward(X: Tensor, y: Tensor, w: Tensor, cache: dict[str, Tensor]) -> dict[str, Tensor]:
    """The backward pass: total derivatives of f, from the output back to w.

    Args:
        X, y, w: as in ``ls_forward``. cache: what ``ls_forward`` returned.

    Returns:
        ``{"df_dz2": 0.5 (0-d), "df_dz1": z1 (n,), "df_dw": Xᵀ z1 (p,)}``: the row vector
        ∂f/∂z1 = ½ · 2 z1ᵀ is stored flat, and ∂f/∂w = (∂f/∂z1) X, transposed.
    """
    # BEGIN SOLUTION q3
    z1 = cache["z1"]
    df_dz2 = torch.tensor(0.5, dtype=z1.dtype, device=z1.device)
    df_dz1 = df_dz2 * 2.0 * z1
    df_dw = X.T @ df_dz1
    return {"df_dz2": df_dz2, "df_dz1": df_dz1, "df_dw": df_dw}
    # END SOLUTION


# ----------------------------------------------------------------------------- q4


def numerical_grad(f: Callable[[Tensor], Tensor], x: Tensor, h: float = 1e-6) -> Tensor:
    """Central differences: ĝᵢ = (f(x + h eᵢ) − f(x − h eᵢ)) / 2h for every entry of x.

    ``f`` maps a tensor shaped like ``x`` to a 0-d tensor. ``x`` is not modified.
    Returns a tensor shaped like ``x``.
    """
    # BEGIN SOLUTION q4
    flat = x.detach().clone().reshape(-1)
    grad = torch.empty_like(flat)
    for i in range(flat.numel()):
        step = torch.zeros_like(flat)
        step[i] = h
        up = f((flat + step).reshape(x.shape))
        down = f((flat - step).reshape(x.shape))
        grad[i] = (up - down) / (2.0 * h)
    return grad.reshape(x.shape)
    # END SOLUTION


def grad_check(
    f: Callable[[Tensor], Tensor], grad_f: Callable[[Tensor], Tensor], x: Tensor, h: float = 1e-6
) -> float:
    """The largest relative disagreement between ``grad_f(x)`` and ``numerical_grad``:
    maxᵢ |gᵢ − ĝᵢ| / max(1, |gᵢ|, |ĝᵢ|)."""
    # BEGIN SOLUTION q4
    g = grad_f(x).reshape(-1)
    g_hat = numerical_grad(f, x, h).reshape(-1)
    scale = torch.maximum(torch.ones_like(g), torch.maximum(g.abs(), g_hat.abs()))
    return float(((g - g_hat).abs() / scale).max())
    # END SOLUTION


# ----------------------------------------------------------------------------- q5


def classifier_forward(params: dict[str, Tensor], X: Tensor) -> Tensor:
    """The lecture's two-layer classifier: p = σ(w2ᵀ tanh(W1 x + b1) + b2) for each row x.

    Args:
        params: ``"W1"`` (h, d), ``"b1"`` (h,), ``"w2"`` (h,), ``"b2"`` (0-d), float64.
        X: (n, d) float64.

    Returns:
        (n,) probabilities.
    """
    # BEGIN SOLUTION q5
    hidden = torch.tanh(X @ params["W1"].T + params["b1"])
    return torch.sigmoid(hidden @ params["w2"] + params["b2"])
    # END SOLUTION


def classifier_backward(params: dict[str, Tensor], X: Tensor, y: Tensor) -> dict[str, Tensor]:
    """Gradients of the mean binary cross-entropy, by hand (no autograd).

    L = −(1/n) Σ [yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ)], with y (n,) in {0, 1} as float64.
    Returns a dict with the keys and shapes of ``params``.
    """
    # BEGIN SOLUTION q5
    n = X.shape[0]
    hidden = torch.tanh(X @ params["W1"].T + params["b1"])  # (n, h)
    p = torch.sigmoid(hidden @ params["w2"] + params["b2"])  # (n,)
    dz2 = (p - y) / n  # ∂L/∂(logit), thanks to σ' = σ(1 − σ)
    d_hidden = dz2[:, None] * params["w2"][None, :]  # (n, h)
    dz1 = d_hidden * (1.0 - hidden**2)  # through tanh
    return {
        "W1": dz1.T @ X,
        "b1": dz1.sum(dim=0),
        "w2": hidden.T @ dz2,
        "b2": dz2.sum(),
    }
    # END SOLUTION


def classifier_grads_autograd(params: dict[str, Tensor], X: Tensor, y: Tensor) -> dict[str, Tensor]:
    """The same gradients, from ``torch.autograd.grad`` (allowed here): the contrast.

    The loss is written with the same formula as ``classifier_backward`` uses.
    """
    # BEGIN SOLUTION q5
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    p = classifier_forward(leaves, X)
    loss = -(y * torch.log(p) + (1.0 - y) * torch.log(1.0 - p)).mean()
    grads = torch.autograd.grad(loss, list(leaves.values()))
    return {k: g.detach() for k, g in zip(leaves, grads)}
    # END SOLUTION


# ----------------------------------------------------------------------------- q6


def polynomial_gradients(xs: Tensor) -> dict[str, Tensor]:
    """f(x) = x³ − 3x on the points ``xs`` (m,), and df/dx three ways.

    Returns ``{"f", "engine", "analytic", "autograd"}``, each (m,) float64: the engine's
    gradient from ``Value``, the formula 3x² − 3, and ``torch.autograd.grad``.
    """
    # BEGIN SOLUTION q6
    values, engine = [], []
    for x0 in xs.tolist():
        x = Value(x0)
        out = x**3 - 3 * x
        out.backward()
        values.append(out.data)
        engine.append(x.grad)
    leaf = xs.detach().clone().to(torch.float64).requires_grad_(True)
    (auto,) = torch.autograd.grad((leaf**3 - 3 * leaf).sum(), leaf)
    as_tensor = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    return {
        "f": as_tensor(values),
        "engine": as_tensor(engine),
        "analytic": 3 * leaf.detach() ** 2 - 3,
        "autograd": auto.detach(),
    }
    # END SOLUTION


def plot_polynomial_gradients(xs: Tensor, curves: dict[str, Tensor]) -> Figure:
    """One axes: f and its three gradient curves against x (lines labelled "f(x)",
    "Value engine", "3x² − 3", "torch.autograd"), axis labels set."""
    # BEGIN SOLUTION q6
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(xs, curves["f"], label="f(x)")
    ax.plot(xs, curves["engine"], label="Value engine", linewidth=3, alpha=0.5)
    ax.plot(xs, curves["analytic"], "--", label="3x² − 3")
    ax.plot(xs, curves["autograd"], ":", label="torch.autograd")
    ax.set_xlabel("x")
    ax.set_ylabel("value")
    ax.set_title("f(x) = x³ − 3x and df/dx")
    ax.legend()
    return fig
    # END SOLUTION


def gradcheck_errors(
    f: Callable[[Tensor], Tensor], grad_f: Callable[[Tensor], Tensor], x: Tensor, hs: list[float]
) -> Tensor:
    """``grad_check(f, grad_f, x, h)`` for each step h in ``hs``: (len(hs),) float64."""
    # BEGIN SOLUTION q6
    return torch.tensor([grad_check(f, grad_f, x, h) for h in hs], dtype=torch.float64)
    # END SOLUTION


def plot_gradcheck_error(hs: list[float], errs: Tensor) -> Figure:
    """Gradient-check error against h on log-log axes (one line labelled "grad_check"),
    axis labels set: truncation error ∝ h² on the right, rounding ∝ ε/h on the left."""
    # BEGIN SOLUTION q6
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog(hs, errs, "o-", label="grad_check")
    ax.set_xlabel("step h")
    ax.set_ylabel("max relative error")
    ax.set_title("central differences: rounding (left) vs truncation (right)")
    ax.legend()
    return fig
    # END SOLUTION
