# question: q2
# bug: updates w in place and appends the same tensor every step, so every stored iterate is the last one
import torch


def gradient_descent(X, y, step_size, n_steps, w0=None):
    p = X.shape[1]
    w = torch.zeros(p, dtype=X.dtype, device=X.device) if w0 is None else w0.clone()
    iterates = [w]
    for _ in range(n_steps):
        w -= step_size * ls_gradient(X, y, w)
        iterates.append(w)
    iterates_t = torch.stack(iterates)
    losses = torch.stack([ls_loss(X, y, wk) for wk in iterates])
    w_star = torch.linalg.lstsq(X, y.unsqueeze(-1)).solution.squeeze(-1)
    f_star = ls_loss(X, y, w_star)
    return {
        "w": w,
        "iterates": iterates_t,
        "loss": losses,
        "rel_loss": (losses - f_star) / (losses[0] - f_star),
    }
