# question: q3
# bug: the batch mean is taken over dim 0 (across runs) instead of dim 1 (within a run's
# batch); for B = 1 every run then gets the same update
import torch


def mse_monte_carlo(x, eta, n_steps, w0, batch_size, n_runs, generator):
    n = x.shape[0]
    mu = x.mean()
    w = torch.full((n_runs,), float(w0), dtype=x.dtype, device=x.device)
    mse = [((w - mu) ** 2).mean()]
    for _ in range(n_steps):
        batch = torch.randint(0, n, (n_runs, batch_size), generator=generator).to(x.device)
        w = (1.0 - eta) * w + eta * x[batch].mean(dim=0).mean()
        mse.append(((w - mu) ** 2).mean())
    return torch.stack(mse)
