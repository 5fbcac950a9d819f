import torch

from autograder.testing import T1, T2, probe

PARAMS = {
    "W1": torch.tensor([[1.0, -1.0], [0.5, 2.0]], dtype=torch.float64),
    "b1": torch.tensor([0.0, -0.5], dtype=torch.float64),
    "w2": torch.tensor([2.0, -1.0], dtype=torch.float64),
    "b2": torch.tensor(0.25, dtype=torch.float64),
}
X = torch.tensor([[0.5, 0.25], [-1.0, 1.0], [0.0, -2.0]], dtype=torch.float64)
Y = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)


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
    return {k: g[k].detach() for k in ("W1", "b1", "w2", "b2")}


def test_q5_forward(grade):
    grade.compare(forward, PARAMS, X, case="forward: two hidden units, three examples", **T1)


def test_q5_by_hand(grade):
    grade.compare(by_hand, PARAMS, X, Y, case="by hand: two hidden units, three examples", **T1)


def test_q5_autograd(grade):
    grade.compare(
        by_autograd,
        PARAMS,
        X,
        Y,
        case="torch.autograd: two hidden units, three examples",
        allow=grade.forbidden,  # q5's contrast: every autodiff entry is lifted here
        **T2,
    )
