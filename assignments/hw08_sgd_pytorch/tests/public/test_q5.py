import torch

from autograder.testing import T1, T2, probe


@probe
def train(ns, cfg):
    torch.set_num_threads(1)
    X = torch.linspace(-1, 1, 48, dtype=torch.float64).reshape(16, 3)
    y = X @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    return ns.train_linear(X[:12], y[:12], X[12:], y[12:], **cfg)


@probe
def kappa(ns, lam):
    return ns.wd_condition_number(torch.tensor([100.0, 1.0, 10.0], dtype=torch.float64), lam)


def test_q5_public(grade):
    cfg = {
        "lr": 0.1,
        "momentum": 0.9,
        "weight_decay": 0.0,
        "epochs": 2,
        "batch_size": 4,
        "ema_decay": 0.5,
        "eta_min": 0.0,
        "seed": 0,
    }
    grade.compare(train, cfg, case="12 samples, 2 epochs, batch 4", **T2)
    grade.compare(kappa, 1.0, case="κ for h = (100, 1, 10), λ = 1", **T1)
