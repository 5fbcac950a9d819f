# question: q4
# bug: w.grad is never zeroed, so every step uses the sum of all gradients so far
import torch


def train_logistic(X, y, lr, n_steps, w0):
    w = w0.detach().clone().requires_grad_(True)
    iterates, losses, accs = [], [], []
    for step in range(n_steps + 1):
        loss = bce_with_logits(X @ w, y)
        iterates.append(w.detach().clone())
        losses.append(loss.detach())
        accs.append(accuracy(w.detach(), X, y))
        if step == n_steps:
            break
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
    return {
        "w": w.detach().clone(),
        "iterates": torch.stack(iterates),
        "loss": torch.stack(losses),
        "acc": torch.tensor(accs, dtype=torch.float64),
    }
