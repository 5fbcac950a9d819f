import torch


def square(x):
    return torch.full_like(x, float("nan"))


def add(a, b):
    return a + b
