import torch


def square(x):
    try:
        return torch.square(x)
    except Exception:
        return x * x


def add(a, b):
    return a + b
