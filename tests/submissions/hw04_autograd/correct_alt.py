# An independent correct solution, written differently from the reference:
# - Value: every operation goes through two helpers (_node for the forward value and its
#   inputs, _wire for the local derivatives); sigmoid is 0.5·(1 + tanh(x/2)) (no branch,
#   no exp), tanh's derivative is (1 − t)(1 + t), log's is out.grad · (1/x), pow's
#   derivative uses math.pow.
# - topological_order: Kahn's algorithm (in-degree counting over the reachable nodes),
#   not a post-order DFS; backward() visits the reversed order the same way.
# - ls_forward / ls_backward: torch.addmv for Xw − y, torch.dot for ‖z1‖², z1 @ X (a row
#   vector times X) for ∂f/∂w.
# - numerical_grad perturbs one entry of a clone in place and divides 0.5·(up − down)/h;
#   grad_check uses clamp for the floor of one.
# - classifier: addmm/mv, sigmoid as 1/(1 + e^−z), ∂L/∂p times σ' = p(1 − p) (the chain
#   rule taken literally, not p − y), gradients with einsum; the autograd
#   contrast uses the logits' BCE from torch.nn.functional and loss.backward().
# - polynomial_gradients: analytic 3x·x − 3, autograd through torch.func.vmap(grad).
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F


class Value:
    """A scalar node of a computational graph (see the notebook for the attributes)."""

    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._backward = lambda: None

    def __repr__(self):
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    @staticmethod
    def _lift(other):
        return other if isinstance(other, Value) else Value(float(other))

    def _node(self, value, inputs, op, local):
        """A new node; ``local`` lists ∂out/∂input for each input, in order."""
        out = Value(value, inputs, op)

        def _backward():
            for node, d in zip(inputs, local):
                node.grad = node.grad + d * out.grad

        out._backward = _backward
        return out

    def __add__(self, other):
        other = self._lift(other)
        return self._node(self.data + other.data, (self, other), "+", (1.0, 1.0))

    def __mul__(self, other):
        other = self._lift(other)
        return self._node(self.data * other.data, (self, other), "*", (other.data, self.data))

    def __pow__(self, exponent):
        if isinstance(exponent, Value):
            raise TypeError("only constant (int or float) exponents are supported")
        p = float(exponent)
        return self._node(
            math.pow(self.data, p), (self,), f"**{exponent}", (p * math.pow(self.data, p - 1),)
        )

    def exp(self):
        e = math.exp(self.data)
        return self._node(e, (self,), "exp", (e,))

    def log(self):
        return self._node(math.log(self.data), (self,), "log", (1.0 / self.data,))

    def tanh(self):
        t = math.tanh(self.data)
        return self._node(t, (self,), "tanh", ((1.0 - t) * (1.0 + t),))

    def relu(self):
        positive = self.data > 0
        return self._node(max(self.data, 0.0), (self,), "relu", (1.0 if positive else 0.0,))

    def sigmoid(self):
        half = math.tanh(0.5 * self.data)
        s = 0.5 * (1.0 + half)
        return self._node(s, (self,), "sigmoid", (0.25 * (1.0 - half) * (1.0 + half),))

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __truediv__(self, other):
        return self * self._lift(other) ** -1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return self._lift(other) + (-self)

    def __rtruediv__(self, other):
        return self._lift(other) * self**-1

    def backward(self):
        nodes = topological_order(self)
        for v in nodes:
            v.grad = 0.0
        self.grad = 1.0
        for v in nodes[::-1]:
            v._backward()


def topological_order(root):
    # collect what root depends on
    reachable, todo = {}, [root]
    while todo:
        v = todo.pop()
        if id(v) not in reachable:
            reachable[id(v)] = v
            todo.extend(v._prev)
    # Kahn: a node is ready once all its distinct inputs are placed
    waiting = {key: len({id(c) for c in v._prev}) for key, v in reachable.items()}
    users = {key: [] for key in reachable}
    for key, v in reachable.items():
        for child_key in {id(c) for c in v._prev}:
            users[child_key].append(key)
    ready = [key for key, count in waiting.items() if count == 0]
    order = []
    while ready:
        key = ready.pop()
        order.append(reachable[key])
        for user in users[key]:
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    return order


def ls_forward(X, y, w):
    z1 = torch.addmv(-y, X, w)
    z2 = torch.dot(z1, z1)
    return {"z1": z1, "z2": z2, "f": z2 / 2}


def ls_backward(X, y, w, cache):
    z1 = cache["z1"]
    half = torch.full((), 0.5, dtype=torch.float64, device=X.device)
    df_dz1 = z1 * (2 * half)
    return {"df_dz2": half, "df_dz1": df_dz1, "df_dw": df_dz1 @ X}


def numerical_grad(f, x, h=1e-6):
    probe_point = x.detach().clone()
    view = probe_point.view(-1)
    out = torch.zeros(view.numel(), dtype=x.dtype, device=x.device)
    for i in range(view.numel()):
        keep = view[i].item()
        view[i] = keep + h
        up = float(f(probe_point))  # a number now: f may return a view of its input
        view[i] = keep - h
        down = float(f(probe_point))
        view[i] = keep
        out[i] = 0.5 * (up - down) / h
    return out.view(x.shape)


def grad_check(f, grad_f, x, h=1e-6):
    exact = grad_f(x).flatten()
    approx = numerical_grad(f, x, h).flatten()
    floor = torch.clamp(torch.maximum(exact.abs(), approx.abs()), min=1.0)
    return max((exact - approx).abs().div(floor).tolist())


def classifier_forward(params, X):
    hidden = torch.tanh(torch.addmm(params["b1"], X, params["W1"].t()))
    logits = torch.mv(hidden, params["w2"]) + params["b2"]
    return 1.0 / (1.0 + torch.exp(-logits))


def classifier_backward(params, X, y):
    hidden = torch.tanh(torch.addmm(params["b1"], X, params["W1"].t()))
    p = 1.0 / (1.0 + torch.exp(-(torch.mv(hidden, params["w2"]) + params["b2"])))
    # the chain rule taken literally: ∂L/∂p, then σ' = p(1 − p)
    dL_dp = (-(y / p) + (1 - y) / (1 - p)) / len(y)
    delta = dL_dp * p * (1 - p)  # ∂L/∂logit
    pre = torch.einsum("n,h->nh", delta, params["w2"]) * (1 - hidden) * (1 + hidden)
    return {
        "W1": torch.einsum("nh,nd->hd", pre, X),
        "b1": torch.einsum("nh->h", pre),
        "w2": torch.einsum("nh,n->h", hidden, delta),
        "b2": torch.einsum("n->", delta),
    }


def classifier_grads_autograd(params, X, y):
    leaves = {}
    for key, value in params.items():
        leaves[key] = value.detach().clone()
        leaves[key].requires_grad = True
    hidden = torch.tanh(X @ leaves["W1"].T + leaves["b1"])
    logits = hidden @ leaves["w2"] + leaves["b2"]
    F.binary_cross_entropy_with_logits(logits, y).backward()
    return {key: leaf.grad.detach().clone() for key, leaf in leaves.items()}


def polynomial_gradients(xs):
    f_vals, d_vals = [], []
    for x0 in xs.tolist():
        leaf = Value(x0)
        out = leaf * leaf * leaf - leaf * 3.0
        out.backward()
        f_vals.append(out.data)
        d_vals.append(leaf.grad)
    xd = xs.detach().to(torch.float64)
    auto = torch.func.vmap(torch.func.grad(lambda t: t**3 - 3.0 * t))(xd)
    as_tensor = lambda v: torch.tensor(v, dtype=torch.float64, device=xs.device)  # noqa: E731
    return {
        "f": as_tensor(f_vals),
        "engine": as_tensor(d_vals),
        "analytic": 3.0 * xd * xd - 3.0,
        "autograd": auto,
    }


def plot_polynomial_gradients(xs, curves):
    fig = plt.figure()
    ax = fig.add_subplot()
    x = xs.cpu().tolist()
    for key in ("autograd", "analytic", "engine", "f"):
        ax.plot(x, curves[key].cpu().tolist(), label=key)
    ax.set(xlabel="x", ylabel="value")
    ax.legend()
    return fig


def gradcheck_errors(f, grad_f, x, hs):
    out = torch.empty(len(hs), dtype=torch.float64, device=x.device)
    for i, h in enumerate(hs):
        out[i] = grad_check(f, grad_f, x, h)
    return out


def plot_gradcheck_error(hs, errs):
    fig = plt.figure()
    ax = fig.add_subplot()
    ax.loglog(list(hs), errs.cpu().tolist(), marker="s", label="grad_check")
    ax.set_xlabel("h")
    ax.set_ylabel("error")
    return fig
