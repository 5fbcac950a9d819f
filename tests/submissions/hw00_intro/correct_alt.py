# An independent correct solution of hw00_intro. What differs from the reference:
# q1 counts with a regex and a Counter and builds rows through one shared float64 helper
# (cast to float32 at the end); q2's sigmoid multiplies e^(−|z|) by 1/(1 + e^(−|z|))
# instead of dividing, and the loss writes max(z, 0) as (z + |z|)/2 (autograd derivative
# ½ at z = 0, like log(1 + e^z)) instead of logaddexp; q3 is a broadcast weighted mean
# of the rows instead of Xᵀr/n; q4 counts correct predictions with a sum, preallocates
# the outputs, updates w with sub_ and resets the gradient to None; q5 builds the axes
# with add_subplot and the curves with numpy.
import re
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np
import torch


def _features64(email):
    words = re.findall(r"\S+", email.lower())
    counts = Counter(email)
    n_bang = counts["!"]
    n_spam = sum(1 for word in SPAM_WORDS if word in set(words))
    n_www = len([w for w in words if w.find("www") >= 0])
    n_upper = sum(k for ch, k in counts.items() if ch.isupper())
    return [float(n_bang), float(n_spam), float(n_www), n_upper / len(email), len(email) / 500]


def extract_features(email, device="cpu"):
    return torch.tensor(_features64(email), dtype=torch.float64).to(torch.float32).to(device)


def feature_matrix(emails, device="cpu"):
    rows = torch.tensor([_features64(e) for e in emails], dtype=torch.float64)
    return rows.to(dtype=torch.float32, device=device)


def sigmoid(z):
    small = torch.exp(-torch.abs(z))  # e^(−|z|) in (0, 1]
    inv = 1.0 / (1.0 + small)
    return torch.where(z < 0, small * inv, inv)


def bce_with_logits(z, y):
    absz = torch.abs(z)
    positive_part = 0.5 * (z + absz)  # max(z, 0), with derivative ½ at the tie z = 0
    losses = positive_part + torch.log1p(torch.exp(-absz)) - z * y
    return losses.sum() / z.shape[0]


def bce_grad(w, X, y):
    r = sigmoid(torch.mv(X, w)) - y
    return (r.unsqueeze(1) * X).mean(dim=0)


def accuracy(w, X, y):
    predicted_spam = torch.mv(X, w) >= 0
    correct = (predicted_spam == (y == 1)).sum().item()
    return correct / y.numel()


def train_logistic(X, y, lr, n_steps, w0):
    d = w0.shape[0]
    iterates = torch.empty(n_steps + 1, d, dtype=torch.float64, device=X.device)
    losses = torch.empty(n_steps + 1, dtype=torch.float64, device=X.device)
    accs = torch.empty(n_steps + 1, dtype=torch.float64, device=X.device)
    w = torch.tensor(w0.detach().cpu().numpy(), dtype=torch.float64, device=X.device)
    w.requires_grad_()
    for k in range(n_steps + 1):
        loss = bce_with_logits(torch.mv(X, w), y)
        iterates[k] = w.detach()
        losses[k] = loss.detach()
        accs[k] = accuracy(w.detach(), X, y)
        if k < n_steps:
            loss.backward()
            with torch.no_grad():
                w.sub_(w.grad, alpha=lr)
            w.grad = None
    return {"w": w.detach().clone(), "iterates": iterates, "loss": losses, "acc": accs}


def plot_training(history, test_acc):
    fig = plt.figure(figsize=(12, 3.5))
    series = [
        ("training loss", history["loss"], "mean cross-entropy"),
        ("training accuracy", history["acc"], "fraction correct"),
        ("test accuracy", test_acc, "fraction correct"),
    ]
    for i, (label, values, ylab) in enumerate(series):
        ax = fig.add_subplot(1, 3, i + 1)
        v = np.asarray(torch.as_tensor(values).detach().cpu().double())
        ax.plot(np.arange(v.shape[0], dtype=float), v, label=label)
        ax.set_xlabel("gradient step k")
        ax.set_ylabel(ylab)
        ax.legend(loc="best")
    return fig


def plot_ce_penalty():
    p = torch.linspace(0.01, 0.99, 99, dtype=torch.float64).numpy()
    fig = plt.figure(figsize=(6, 4))
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(p, -np.log(1.0 - p), label="legitimate (y = 0): -log(1 - p)")
    ax.plot(p, -np.log(p), label="spam (y = 1): -log(p)")
    x = np.array([0.1, 0.3, 0.8])
    ax.plot(x, -np.log(1.0 - x), linestyle="none", marker="x", label="legitimate examples")
    ax.set_xlabel("p")
    ax.set_ylabel("cross-entropy penalty")
    ax.legend()
    return fig
