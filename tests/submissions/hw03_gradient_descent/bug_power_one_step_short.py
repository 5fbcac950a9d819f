# question: q3
# bug: the power-iteration loop runs n_iter − 1 times (off by one)
import torch


def lambda_max_power(X, n_iter=200, generator=None):
    p = X.shape[1]
    v = torch.randn(p, generator=generator, dtype=X.dtype).to(X.device)
    v = v / torch.sqrt(v @ v)
    for _ in range(1, n_iter):
        u = X.T @ (X @ v)
        v = u / torch.sqrt(u @ u)
    Xv = X @ v
    return float(Xv @ Xv)
