import torch

from autograder.testing import T1, T2, probe

AUTOGRAD = ("torch.autograd.*", "torch.Tensor.backward")


@probe
def forward(ns, params, X):
    return ns.classifier_forward(params, X)


@probe
def by_hand(ns, params, X, y):
    g = ns.classifier_backward(params, X, y)
    return {k: g[k] for k in ("W1", "b1", "w2", "b2")}


@probe
def by_autograd(ns, params, X, y):
    g = ns.classifier_grads_autograd(params, X, y)
    return {k: g[k] for k in ("W1", "b1", "w2", "b2")}


def _problem(gen, n, d, h):
    params = {
        "W1": torch.randn(h, d, generator=gen, dtype=torch.float64),
        "b1": torch.randn(h, generator=gen, dtype=torch.float64),
        "w2": torch.randn(h, generator=gen, dtype=torch.float64),
        "b2": torch.randn((), generator=gen, dtype=torch.float64),
    }
    X = torch.randn(n, d, generator=gen, dtype=torch.float64)
    y = (torch.rand(n, generator=gen, dtype=torch.float64) > 0.5).double()
    return params, X, y


def test_q5_forward(grade):
    for i, gen in grade.cases(3):
        params, X, _ = _problem(gen, 4 + 3 * i, 2 + i, 3 + i)
        grade.compare(forward, params, X, case=f"n={X.shape[0]}, d={X.shape[1]}", **T1)


def test_q5_backward_by_hand(grade):
    for i, gen in grade.cases(4):
        params, X, y = _problem(gen, 5 + 3 * i, 2 + i % 3, 3 + i)
        grade.compare(
            by_hand,
            params,
            X,
            y,
            case=f"n={X.shape[0]}, d={X.shape[1]}, h={params['w2'].numel()}",
            **T1,
        )


def test_q5_gradients_with_autograd(grade):
    for i, gen in grade.cases(3):
        params, X, y = _problem(gen, 6 + i, 3, 4)
        grade.compare(
            by_autograd, params, X, y, case=f"torch.autograd, n={X.shape[0]}", allow=AUTOGRAD, **T2
        )
