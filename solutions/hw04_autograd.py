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

# ----------------------------------------------------------------------------- q1


class Value:
    """A scalar node of a computational graph.

    Attributes:
        data: the node's value, a Python ``float`` (never a tensor).
        grad: ∂(output)/∂(this node) after ``output.backward()``; starts at 0.0.
        _prev: the nodes this one was computed from (its inputs), a tuple. A node used
            twice as an input (``x * x``) appears twice.
        _op: the operation that made it ("+", "*", "exp", ...), for display.
        _backward: a function of no arguments that adds ``out.grad`` times each local
            derivative into the inputs' ``grad`` (``+=``); a leaf's does nothing. Every
            operation sets it on the node it returns.
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
        """A number becomes a leaf ``Value`` (a constant); a ``Value`` stays itself."""
        return other if isinstance(other, Value) else Value(float(other))

    def __add__(self, other: Value | float) -> Value:
        """self + other; ∂/∂self = 1, ∂/∂other = 1."""
        other = self._lift(other)
        # BEGIN SOLUTION q1
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
        # BEGIN SOLUTION q1
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out
        # END SOLUTION

    def __pow__(self, exponent: float) -> Value:
        """self ** p for a constant int or float p; ∂/∂self = p · self^(p−1).

        A fractional p needs self > 0 (a negative base would give a complex number).
        """
        if isinstance(exponent, Value):
            raise TypeError("only constant (int or float) exponents are supported")
        # BEGIN SOLUTION q1
        p = float(exponent)
        out = Value(self.data**p, (self,), f"**{exponent}")

        def _backward() -> None:
            self.grad += p * self.data ** (p - 1.0) * out.grad

        out._backward = _backward
        return out
        # END SOLUTION

    def exp(self) -> Value:
        """e^self; its derivative is itself."""
        # BEGIN SOLUTION q1
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out
        # END SOLUTION

    def log(self) -> Value:
        """Natural log (self > 0); derivative 1/self."""
        # BEGIN SOLUTION q1
        out = Value(math.log(self.data), (self,), "log")

        def _backward() -> None:
            self.grad += out.grad / self.data

        out._backward = _backward
        return out
        # END SOLUTION

    def tanh(self) -> Value:
        """tanh(self); derivative 1 − tanh²(self)."""
        # BEGIN SOLUTION q1
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out
        # END SOLUTION

    def relu(self) -> Value:
        """max(0, self); derivative 1 where self > 0, else 0 (also at 0)."""
        # BEGIN SOLUTION q1
        out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")

        def _backward() -> None:
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

        out._backward = _backward
        return out
        # END SOLUTION

    def sigmoid(self) -> Value:
        """σ(self) = 1/(1 + e^−self); derivative σ(1 − σ).

        Must not overflow for large |self| (``math.exp(1000)`` raises OverflowError).
        """
        # BEGIN SOLUTION q1
        if self.data >= 0:  # two forms, so exp only ever sees a non-positive argument
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

        Resets every node's ``grad`` to 0, seeds ``self.grad = 1``, then calls each node's
        ``_backward`` in reverse topological order (``topological_order`` from q2), so a
        node's gradient is complete before it is passed on. Because of the reset, calling
        it twice gives the same gradients.
        """
        # BEGIN SOLUTION q1
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        # END SOLUTION


# ----------------------------------------------------------------------------- q2


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on (``root`` included), each after all of its inputs.

    Follows ``_prev`` only. Each reachable node appears exactly once (even if it is an
    input of many nodes, or twice an input of one), nodes ``root`` does not depend on do
    not appear, and ``root`` comes last. Iterative (an explicit stack, no recursion), so
    a chain of 10 000 nodes works.

    Returns:
        A list of ``Value`` objects (the nodes themselves, not copies).
    """
    # BEGIN SOLUTION q2
    order: list[Value] = []
    visited: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)  # all its inputs were appended before: post-order
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
        ``{"z1": Xw − y (n,), "z2": ‖z1‖² (0-d), "f": z2 / 2 (0-d)}``, float64.
    """
    # BEGIN SOLUTION q3
    z1 = X @ w - y
    z2 = z1 @ z1
    return {"z1": z1, "z2": z2, "f": 0.5 * z2}
    # END SOLUTION


def ls_backward(X: Tensor, y: Tensor, w: Tensor, cache: dict[str, Tensor]) -> dict[str, Tensor]:
    """The backward pass: total derivatives of f, from the output back to w.

    Args:
        X, y, w: as in ``ls_forward``. cache: what ``ls_forward(X, y, w)`` returned.

    Returns:
        ``{"df_dz2": ∂f/∂z2 = 0.5 (0-d tensor), "df_dz1": ∂f/∂z1 (n,), "df_dw": ∂f/∂w
        (p,)}``, float64, on the device of ``X``. The row vector ∂f/∂z1 = ½ · 2 z1ᵀ is
        stored flat, and ∂f/∂w = (∂f/∂z1) X is stored flat too (that is, Xᵀ z1).
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
    """Central differences: ĝᵢ = (f(x + h eᵢ) − f(x − h eᵢ)) / (2h) for every entry of x.

    Args:
        f: maps a tensor shaped like ``x`` to a 0-d tensor.
        x: any shape, float64. Not modified.
        h: the step.

    Returns:
        A tensor shaped like ``x`` (same dtype and device).
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
    """How far a claimed gradient is from central differences.

    Args:
        f: as in ``numerical_grad``.
        grad_f: the gradient to check; ``grad_f(x)`` is shaped like ``x``.
        x: the point, float64. h: the step for ``numerical_grad``.

    Returns:
        maxᵢ |gᵢ − ĝᵢ| / max(1, |gᵢ|, |ĝᵢ|) as a Python float, with g = grad_f(x) and
        ĝ = numerical_grad(f, x, h).
    """
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
        (n,) float64 probabilities.
    """
    # BEGIN SOLUTION q5
    hidden = torch.tanh(X @ params["W1"].T + params["b1"])
    return torch.sigmoid(hidden @ params["w2"] + params["b2"])
    # END SOLUTION


def classifier_backward(params: dict[str, Tensor], X: Tensor, y: Tensor) -> dict[str, Tensor]:
    """Gradients of the mean binary cross-entropy, by hand (no autograd).

    L = −(1/n) Σᵢ [yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ)] with p = classifier_forward(params, X).

    Args:
        params, X: as in ``classifier_forward``. y: (n,) float64 labels in {0, 1}.

    Returns:
        ``{"W1", "b1", "w2", "b2"}``: ∂L/∂ each parameter, with its shape, float64.
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
    """The same gradients as ``classifier_backward``, from ``torch.autograd.grad``.

    Here autograd is allowed: it is the contrast. Do not modify ``params``' tensors (work on
    detached copies that require grad).

    Returns:
        ``{"W1", "b1", "w2", "b2"}``: ∂L/∂ each parameter, float64, not requiring grad.
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
    """f(x) = x³ − 3x on the points ``xs`` and df/dx three ways.

    Args:
        xs: (m,) float64.

    Returns:
        ``{"f", "engine", "analytic", "autograd"}``, each (m,) float64 on the device of
        ``xs``: f(x) from the ``Value`` engine; df/dx from the engine (a fresh graph
        ``x**3 - 3 * x`` per point); the formula 3x² − 3; and ``torch.autograd.grad``.
    """
    # BEGIN SOLUTION q6
    values, engine = [], []
    for x0 in xs.tolist():
        x = Value(x0)
        cubic = x**3 - 3 * x  # a fresh graph per point
        cubic.backward()
        values.append(cubic.data)
        engine.append(x.grad)
    leaf = xs.detach().clone().to(torch.float64).requires_grad_(True)
    (auto,) = torch.autograd.grad((leaf**3 - 3 * leaf).sum(), leaf)
    return {
        "f": torch.tensor(values, dtype=torch.float64, device=xs.device),
        "engine": torch.tensor(engine, dtype=torch.float64, device=xs.device),
        "analytic": 3 * leaf.detach() ** 2 - 3,
        "autograd": auto.detach(),
    }
    # END SOLUTION


def plot_polynomial_gradients(xs: Tensor, curves: dict[str, Tensor]) -> Figure:
    """f and its three derivative curves against x.

    Args:
        xs: (m,) float64. curves: what ``polynomial_gradients(xs)`` returned.

    Returns:
        A Figure with one axes, linear scales, x and y axis labels set, and four lines
        with x = xs: labelled ``"f"``, ``"engine"``, ``"analytic"`` and ``"autograd"``,
        whose y is the curve of that key.
    """
    # BEGIN SOLUTION q6
    x = xs.detach().cpu().numpy()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(x, curves["f"].detach().cpu().numpy(), color="black", label="f")
    styles = {"engine": ("-", 4, 0.4), "analytic": ("--", 1.5, 1.0), "autograd": (":", 2, 1.0)}
    for key, (style, width, alpha) in styles.items():
        y = curves[key].detach().cpu().numpy()
        ax.plot(x, y, style, linewidth=width, alpha=alpha, label=key)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x) and df/dx")
    ax.set_title("f(x) = x³ − 3x and its derivative three ways")
    ax.legend()
    fig.tight_layout()
    return fig
    # END SOLUTION


def gradcheck_errors(
    f: Callable[[Tensor], Tensor], grad_f: Callable[[Tensor], Tensor], x: Tensor, hs: list[float]
) -> Tensor:
    """``grad_check(f, grad_f, x, h)`` for each step h in ``hs``.

    Returns:
        (len(hs),) float64 on the device of ``x``.
    """
    # BEGIN SOLUTION q6
    errs = [grad_check(f, grad_f, x, h) for h in hs]
    return torch.tensor(errs, dtype=torch.float64, device=x.device)
    # END SOLUTION


def plot_gradcheck_error(hs: list[float], errs: Tensor) -> Figure:
    """Gradient-check error against the step h.

    Args:
        hs: the steps. errs: (len(hs),) the errors ``gradcheck_errors`` returned.

    Returns:
        A Figure with one axes, both scales ``"log"``, x and y axis labels set, and one
        line labelled ``"grad_check"`` with x = hs and y = errs. Optional extras that are
        not lines (text, a legend) are fine.
    """
    # BEGIN SOLUTION q6
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(hs, errs.detach().cpu().numpy(), "o-", label="grad_check")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step h")
    ax.set_ylabel("max relative error")
    ax.set_title("central differences: rounding ∝ ε/h (left), truncation ∝ h² (right)")
    ax.legend()
    fig.tight_layout()
    return fig
    # END SOLUTION
