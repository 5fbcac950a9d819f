# question: q1
# bug: indices drawn with torch.randint(0, n - 1, ...), so the last data point is never
# sampled (randint's upper bound is already exclusive)
import torch


def sgd_mean(x, eta, n_steps, w0, batch_size, generator):
    n = x.shape[0]
    w = torch.tensor(w0, dtype=x.dtype, device=x.device)
    path = [w]
    for _ in range(n_steps):
        idx = torch.randint(0, n - 1, (batch_size,), generator=generator).to(x.device)
        w = (1.0 - eta) * w + eta * x[idx].mean()
        path.append(w)
    return torch.stack(path)
