import torch

from autograder.testing import T2, probe


@probe
def tiny_training(ns, name):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    X = torch.randn(24, 3, generator=g, dtype=torch.float64)
    y = (X[:, 0] > 0).long()
    h = ns.train_classifier(
        name, {"lr": 0.01}, 6, 4, 1, (X, y, X, y), eval_every=3, hidden=(4,), n_classes=2
    )
    return {k: h[k] for k in ("step", "train_loss", "val_loss", "val_acc")}


def test_q5_small(grade):
    for name in ("sgd", "adam"):
        grade.compare(tiny_training, name, case=f'"{name}", lr 0.01, 6 steps on 24 points', **T2)
