"""Reference solution for hw00_intro: spam filtering as loss minimisation.

Lecture 0 (Stat 4830, 2025 notes): "The mathematical problem: finding optimal weights",
"Why cross-entropy loss works", "Finding the weights with PyTorch", "Numerical results";
the section-0 notebook (features, gradient descent with lr 0.1 for 200 steps).
Features are float32 (as in the lecture); every graded computation after that is float64.
"""

from __future__ import annotations

import random

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import Tensor

# ----------------------------------------------------------------------------- data

#: The lecture notebook's "urgent" words (feature ii).
SPAM_WORDS = frozenset({"urgent", "buy", "money", "won", "free"})


def make_email_corpus(n_per_class: int = 30, seed: int = 0) -> tuple[list[str], Tensor]:
    """A small synthetic email corpus: ``n_per_class`` spam and as many legitimate emails.

    Spam is built from templates with exclamation marks, capitals, "www." links and
    "urgent" words; legitimate emails are meeting notes and the like (a few of them say
    "free" or "Thanks!", so the classes overlap a little). Uses ``random.Random(seed)``.

    Returns:
        ``(emails, labels)``: a list of ``2 * n_per_class`` strings (shuffled) and a
        ``(2 * n_per_class,)`` float64 tensor with 1.0 for spam and 0.0 for legitimate.
    """
    spam_openers = [
        "URGENT!",
        "Congratulations!!",
        "You have WON!",
        "Act now!",
        "LIMITED OFFER!",
        "Dear winner,",
    ]
    spam_bodies = [
        "claim your FREE prize at www.prize-claim.com today",
        "buy now and get money back, visit www.best-deals.biz",
        "you won a free cruise! reply with your bank details",
        "make money fast from home, see www.easy-cash.net now",
        "free gift card inside, just click www.gift4u.com",
        "this is urgent: your account will be closed, log in at www.secure-bank.co",
    ]
    spam_closers = ["Don't miss out!!!", "Offer ends TONIGHT!", "Reply NOW!", "", "100% FREE!"]
    ham_openers = ["Hi team,", "Hello Anna,", "Dear colleagues,", "Hi all,", "Good morning,"]
    ham_bodies = [
        "the meeting is moved to 3pm tomorrow in room 204",
        "please find the quarterly report attached for review before Friday",
        "are you free for lunch on Thursday to discuss the project plan",
        "the notes from today's seminar are on the shared drive",
        "can we move our call to next week? I am travelling on Monday",
        "thanks for the comments on the draft, I updated section 3 accordingly",
        "reminder: the reading group meets at noon, we will discuss chapter 2",
    ]
    ham_closers = ["Best, Sam", "Thanks!", "Cheers, Alex", "Regards, Priya", "See you soon."]
    rng = random.Random(seed)
    items = []
    for _ in range(n_per_class):
        parts = [rng.choice(spam_openers), rng.choice(spam_bodies), rng.choice(spam_closers)]
        items.append((" ".join(p for p in parts if p), 1.0))
        body = rng.choice(ham_bodies)
        parts = [rng.choice(ham_openers), body + ".", rng.choice(ham_closers)]
        if rng.random() < 0.3:  # a second sentence, different from the first
            extra = rng.choice([b for b in ham_bodies if b != body])
            parts.insert(2, extra[0].upper() + extra[1:] + ".")
        items.append((" ".join(parts), 0.0))
    rng.shuffle(items)
    emails = [e for e, _ in items]
    labels = torch.tensor([lab for _, lab in items], dtype=torch.float64)
    return emails, labels


def load_cancer_data(
    n_train: int = 400, seed: int = 0, device: str = "cpu"
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """scikit-learn's breast-cancer data (569 × 30, bundled, no download), split and scaled.

    The rows are shuffled with ``torch.randperm(569, generator=torch.Generator()
    .manual_seed(seed))``; the first ``n_train`` form the training set. Each feature is
    standardised with the training mean and standard deviation, and a column of ones
    (the intercept) is appended, so d = 31. Label 1 means malignant.

    Returns:
        ``(X_train, y_train, X_test, y_test)``, float64 on ``device``.
    """
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    X = torch.tensor(data.data, dtype=torch.float64)
    y = 1.0 - torch.tensor(data.target, dtype=torch.float64)  # sklearn: 0 = malignant
    perm = torch.randperm(X.shape[0], generator=torch.Generator().manual_seed(seed))
    X, y = X[perm], y[perm]
    mean, std = X[:n_train].mean(0), X[:n_train].std(0)
    X = torch.cat([(X - mean) / std, torch.ones(X.shape[0], 1, dtype=torch.float64)], dim=1)
    X, y = X.to(device), y.to(device)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


# ----------------------------------------------------------------------------- q1


def extract_features(email: str, device: str = "cpu") -> Tensor:
    """The lecture's five spam features of one email.

    In this order:
      (i)   the number of "!" characters;
      (ii)  how many of the words in ``SPAM_WORDS`` occur in ``email.lower().split()``
            (each word counts once: the size of the set intersection);
      (iii) the number of tokens of ``email.lower().split()`` that contain "www";
      (iv)  the fraction of characters that are uppercase (``str.isupper``),
            i.e. (number of uppercase characters) / len(email);
      (v)   len(email) / 500.

    Args:
        email: a non-empty string.
        device: where to create the result.

    Returns:
        (5,) float32 tensor.
    """
    # BEGIN SOLUTION q1
    tokens = email.lower().split()
    exclamations = email.count("!")
    urgent = len(SPAM_WORDS & set(tokens))
    links = sum("www" in token for token in tokens)
    caps_ratio = sum(c.isupper() for c in email) / len(email)
    length = len(email) / 500
    values = [exclamations, urgent, links, caps_ratio, length]
    return torch.tensor(values, dtype=torch.float32, device=device)
    # END SOLUTION


def feature_matrix(emails: list[str], device: str = "cpu") -> Tensor:
    """Stack ``extract_features`` of every email into a matrix.

    Args:
        emails: a list of n non-empty strings (n ≥ 1).
        device: where to create the result.

    Returns:
        (n, 5) float32 tensor; row i is ``extract_features(emails[i])``.
    """
    # BEGIN SOLUTION q1
    rows = [extract_features(email, device=device) for email in emails]
    return torch.stack(rows)
    # END SOLUTION


# ----------------------------------------------------------------------------- q2


def sigmoid(z: Tensor) -> Tensor:
    """The logistic function σ(z) = 1/(1 + e^{−z}), elementwise, without overflow.

    For very negative z, e^{−z} overflows to inf (harmless here, but e^{z}/(1 + e^{z})
    would give inf/inf = nan for large positive z). Write it with e^{−|z|} ≤ 1 only:
    σ(z) = 1/(1 + e^{−|z|}) for z ≥ 0 and e^{−|z|}/(1 + e^{−|z|}) for z < 0.

    Args:
        z: float tensor of any shape.

    Returns:
        Same shape and dtype, values in [0, 1].
    """
    # BEGIN SOLUTION q2
    e = torch.exp(-z.abs())
    return torch.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    # END SOLUTION


def bce_with_logits(z: Tensor, y: Tensor) -> Tensor:
    """Mean binary cross-entropy of the logits z against labels y, computed stably.

    With p = σ(z), the loss of one example is −y log p − (1 − y) log(1 − p)
    = log(1 + e^{z}) − y z = max(z, 0) − y z + log(1 + e^{−|z|}): the last form never
    exponentiates a positive number, so it is finite for every finite z.

    ``train_logistic`` differentiates this loss with autograd, starting from w = 0, where
    every logit is exactly 0: there the derivative of log(1 + e^{z}) in z is σ(0) = ½, so
    the gradient is (σ(z) − y)/n. max(z, 0) and |z| have a kink at 0, and autograd takes
    a one-sided derivative there (``z.clamp(min=0)``: 1, ``torch.relu``: 0, ``z.abs()``:
    0), which is not ½. Write max(z, 0) so that autograd gives ½ at a tie
    (``torch.maximum(z, torch.zeros_like(z))`` splits a tie evenly; so does
    ``(z + z.abs()) / 2``), or use ``torch.logaddexp(torch.zeros_like(z), z)``, which
    is log(1 + e^{z}) computed stably, with derivative σ(z) everywhere.

    Args:
        z: (n,) float64 logits xᵢᵀw.
        y: (n,) float64 labels in {0, 1} (values in [0, 1] are allowed).

    Returns:
        0-d float64 tensor: the mean over the n examples.
    """
    # BEGIN SOLUTION q2
    # log(1 + e^z) = max(z, 0) + log(1 + e^(−|z|)), whose autograd derivative is σ(z)
    # at every z, 0 included (clamp(min=0) would give 1 there, relu 0)
    log_one_plus_exp = torch.logaddexp(torch.zeros_like(z), z)
    return (log_one_plus_exp - y * z).mean()
    # END SOLUTION


# ----------------------------------------------------------------------------- q3


def bce_grad(w: Tensor, X: Tensor, y: Tensor) -> Tensor:
    """Gradient of L(w) = bce_with_logits(Xw, y) by the formula (1/n) Xᵀ(σ(Xw) − y).

    Args:
        w: (d,) float64 weights.
        X: (n, d) float64 features.
        y: (n,) float64 labels.

    Returns:
        (d,) float64 gradient.
    """
    # BEGIN SOLUTION q3
    residual = sigmoid(X @ w) - y
    return X.T @ residual / X.shape[0]
    # END SOLUTION


# ----------------------------------------------------------------------------- q4


def accuracy(w: Tensor, X: Tensor, y: Tensor) -> float:
    """Fraction of examples classified correctly by the rule "spam iff σ(xᵢᵀw) ≥ 0.5".

    σ(z) ≥ 0.5 exactly when z ≥ 0, so predict 1.0 where Xw ≥ 0 and 0.0 elsewhere.

    Args:
        w: (d,) float64 weights.
        X: (n, d) float64 features.
        y: (n,) float64 labels in {0, 1}.

    Returns:
        A Python float in [0, 1].
    """
    # BEGIN SOLUTION q4
    predictions = (X @ w >= 0).to(y.dtype)
    return float((predictions == y).to(torch.float64).mean())
    # END SOLUTION


def train_logistic(X: Tensor, y: Tensor, lr: float, n_steps: int, w0: Tensor) -> dict:
    """Gradient descent on the mean cross-entropy, with gradients from autograd.

    Each step: z = Xw, loss = bce_with_logits(z, y), ``loss.backward()``, then under
    ``torch.no_grad()`` w ← w − lr·∇L(w) and zero the gradient. ``w0`` itself is not
    modified (start from a detached copy).

    Args:
        X: (n, d) float64 features.
        y: (n,) float64 labels in {0, 1}.
        lr: the step size.
        n_steps: number of updates.
        w0: (d,) float64 start.

    Returns:
        A dict with
        ``"w"``: (d,) float64, the final weights w_{n_steps} (no gradient attached);
        ``"iterates"``: (n_steps + 1, d) float64, row k is w_k (row 0 is w0);
        ``"loss"``: (n_steps + 1,) float64, entry k is L(w_k);
        ``"acc"``: (n_steps + 1,) float64, entry k is ``accuracy(w_k, X, y)``.
    """
    # BEGIN SOLUTION q4
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
        w.grad.zero_()
    return {
        "w": w.detach().clone(),
        "iterates": torch.stack(iterates),
        "loss": torch.stack(losses),
        "acc": torch.tensor(accs, dtype=torch.float64, device=X.device),
    }
    # END SOLUTION


# ----------------------------------------------------------------------------- q5


def plot_training(history: dict, test_acc: Tensor) -> Figure:
    """The training run in three panels side by side, each against the step k = 0, 1, ….

    Args:
        history: the dict returned by ``train_logistic`` (uses ``"loss"`` and ``"acc"``).
        test_acc: (n_steps + 1,) accuracy of w_k on held-out data.

    Returns:
        A Figure with three axes, left to right: the training loss (one line labelled
        ``"training loss"``), the training accuracy (``"training accuracy"``) and the
        test accuracy (``"test accuracy"``). Each line has x = 0, 1, …, n_steps; linear
        scales; every axes has an x label and a y label.
    """
    # BEGIN SOLUTION q5
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    panels = [
        (history["loss"], "training loss", "cross-entropy"),
        (history["acc"], "training accuracy", "accuracy"),
        (test_acc, "test accuracy", "accuracy"),
    ]
    for ax, (values, label, ylabel) in zip(axes, panels):
        values = torch.as_tensor(values, dtype=torch.float64).cpu()
        ax.plot(torch.arange(len(values)).numpy(), values.numpy(), label=label)
        ax.set_xlabel("step")
        ax.set_ylabel(ylabel)
        ax.set_title(label)
        ax.legend()
    fig.tight_layout()
    return fig
    # END SOLUTION


def plot_ce_penalty() -> Figure:
    """The two cross-entropy penalties as functions of the predicted spam probability p.

    On the grid ``p = torch.linspace(0.01, 0.99, 99, dtype=torch.float64)``:
    a line labelled ``"legitimate (y = 0): -log(1 - p)"`` and a line labelled
    ``"spam (y = 1): -log(p)"``. Then the lecture's three legitimate emails predicted
    spam with p = 0.1, 0.3 and 0.8, as markers only (one line object, no connecting
    line), labelled ``"legitimate examples"``, with x = [0.1, 0.3, 0.8] and
    y = −log(1 − x). One axes, linear scales, x and y labels set.

    Returns:
        The Figure.
    """
    # BEGIN SOLUTION q5
    p = torch.linspace(0.01, 0.99, 99, dtype=torch.float64)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(p.numpy(), (-torch.log1p(-p)).numpy(), label="legitimate (y = 0): -log(1 - p)")
    ax.plot(p.numpy(), (-torch.log(p)).numpy(), label="spam (y = 1): -log(p)")
    marks = torch.tensor([0.1, 0.3, 0.8], dtype=torch.float64)
    ax.plot(marks.numpy(), (-torch.log1p(-marks)).numpy(), "o", label="legitimate examples")
    ax.set_xlabel("predicted spam probability p")
    ax.set_ylabel("penalty")
    ax.legend()
    fig.tight_layout()
    return fig
    # END SOLUTION
