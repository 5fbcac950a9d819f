# question: q5
# bug: η_k = 1/(k + 2) (counting steps from 1, then adding 1 again): η_0 = ½, so w₀ is
# never forgotten and w_k is not the running mean
import torch


def sgd_decaying(x, n_steps, w0, generator):
    n = x.shape[0]
    w = torch.tensor(w0, dtype=x.dtype, device=x.device)
    iterates = [w]
    for step in range(1, n_steps + 1):
        i = torch.randint(0, n, (1,), generator=generator).to(x.device)
        w = w - (w - x[i][0]) / (step + 1)
        iterates.append(w)
    return torch.stack(iterates)
