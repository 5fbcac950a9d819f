# question: q4
# bug: one-sided forward differences (f(x + h eᵢ) − f(x)) / h instead of central ones
import torch


def numerical_grad(f, x, h=1e-6):
    flat = x.detach().clone().reshape(-1)
    base = f(x)
    grad = torch.empty_like(flat)
    for i in range(flat.numel()):
        step = torch.zeros_like(flat)
        step[i] = h
        grad[i] = (f((flat + step).reshape(x.shape)) - base) / h
    return grad.reshape(x.shape)
