# %% [markdown]
# # Homework 0: Spam filtering as loss minimisation
#
# Lecture 0 of *Optimization in PyTorch* (notes: `section/0/notes.md`, sections
# "The mathematical problem: finding optimal weights", "Why cross-entropy loss works",
# "Finding the weights with PyTorch" and "Numerical results"; and the section-0 notebook).
#
# A spam filter turns each email into a feature vector $x_i \in \mathbb{R}^d$ and predicts
# the probability that it is spam as
# $$p_i = \sigma(x_i^\top w), \qquad \sigma(z) = \frac{1}{1+e^{-z}} .$$
# Choosing the weights $w$ is an optimisation problem: minimise the mean cross-entropy
# $$L(w) = \frac1n \sum_{i=1}^n \Big[-y_i \log \sigma(x_i^\top w) - (1-y_i)\log\big(1-\sigma(x_i^\top w)\big)\Big],$$
# with $y_i = 1$ for spam and $y_i = 0$ for a legitimate email. In this homework you will:
#
# 1. turn emails into feature tensors (q1);
# 2. write $\sigma$ and the cross-entropy by hand, in a form that never overflows (q2);
# 3. derive and code the gradient $\nabla L(w)$ (q3);
# 4. write the training loop with autograd, as in the lecture (q4);
# 5. draw the training curves and the cross-entropy penalty (q5).
#
# Run `check("qK")` after each question for instant feedback on a few public cases; the
# hidden tests use other inputs.

# %%
import math
import random  # noqa: F401  (used by make_email_corpus)

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from autograde_check import check, check_all
from matplotlib.figure import Figure  # noqa: F401  (type hints of the included functions)
from torch import Tensor  # noqa: F401

# %% [markdown]
# ## The data
#
# A small synthetic corpus: spam built from templates (exclamation marks, capitals,
# "www." links, "urgent" words) and legitimate emails about meetings and reports. A few
# legitimate emails say "free" or "Thanks!", so the classes overlap a little.

# %%
#| include: SPAM_WORDS, make_email_corpus

# %%
emails, labels = make_email_corpus(n_per_class=30, seed=0)
for email, label in list(zip(emails, labels))[:4]:
    print("spam " if label == 1 else "legit", "|", email)

# %% [markdown]
# ## q1 (15 pts): Features
#
# The lecture's notebook uses five features, in this order:
#
# | | feature | why |
# |---|---|---|
# | (i) | number of `!` | spam shouts |
# | (ii) | how many of {urgent, buy, money, won, free} occur among the lower-cased words | urgency and money |
# | (iii) | number of lower-cased words containing `www` | links |
# | (iv) | uppercase characters / length | capitals |
# | (v) | length / 500 | spam is short |
#
# (The notes' version of `extract_features` does `list & set` and reads
# `email.timestamp`; both fail on a string. We use the notebook's version, which runs.)
# Implement `extract_features` and `feature_matrix`; the features are `float32`, as in
# the lecture.

# %%
#| include: extract_features, feature_matrix

# %%
check("q1")

# %%
X_all = feature_matrix(emails)
print("spam mean features ", X_all[labels == 1].mean(0))
print("legit mean features", X_all[labels == 0].mean(0))

# %% [markdown]
# ## q2 (25 pts): Stable sigmoid and cross-entropy
#
# For one example with logit $z = x^\top w$ and $p = \sigma(z)$, the loss is
# $-y\log p - (1-y)\log(1-p)$. Since $\log\sigma(z) = -\log(1+e^{-z})$ and
# $\log(1-\sigma(z)) = -z - \log(1+e^{-z})$, it simplifies to
# $$\ell(z, y) = \log(1 + e^{z}) - yz = \max(z, 0) - yz + \log\big(1 + e^{-|z|}\big).$$
# The last form only exponentiates $-|z| \le 0$, so it is finite for every finite $z$.
# The direct formula is not: in floating point, $\sigma(40) = 1$ exactly, so
# $\log(1-\sigma(40)) = -\infty$.
#
# One more trap, for q4: training starts from $w = 0$, where every logit is exactly 0, and
# autograd differentiates $\max(z, 0)$ and $|z|$ at their kink with a one-sided choice
# (`clamp` and `relu` give 1 and 0, not the $\tfrac12$ that $\log(1+e^{z})$ has). Read
# the docstring of `bce_with_logits` for forms whose autograd gradient is exact at 0 too.
#
# Implement `sigmoid` (with $e^{-|z|}$ only) and `bce_with_logits`. While q2 is graded,
# `torch.sigmoid`, softplus, logsigmoid and the built-in BCE losses are refused.

# %%
#| include: sigmoid, bce_with_logits

# %%
check("q2")

# %% [markdown]
# Compare your loss with the direct formula and with
# `torch.nn.functional.binary_cross_entropy_with_logits` (PyTorch's stable version).
# Observe: all three agree for moderate logits; the direct formula returns `inf` (or
# `nan`) once $\sigma(z)$ rounds to 0 or 1.

# %%
y_demo = torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=torch.float64)
for scale in (1.0, 20.0, 40.0, 700.0):
    z_demo = scale * torch.tensor([1.0, -1.0, -1.0, 1.0], dtype=torch.float64)
    p_demo = 1 / (1 + torch.exp(-z_demo))
    direct = (-y_demo * torch.log(p_demo) - (1 - y_demo) * torch.log(1 - p_demo)).mean()
    ours = bce_with_logits(z_demo, y_demo)
    torch_version = F.binary_cross_entropy_with_logits(z_demo, y_demo)
    print(
        f"|z| = {scale:5g}: direct {direct.item():<12.6g} ours {ours.item():<12.6g} "
        f"torch {torch_version.item():.6g}"
    )

# %% [markdown]
# ## q3 (20 pts): The gradient by formula
#
# With $\sigma'(z) = \sigma(z)(1-\sigma(z))$, the derivative of $\ell(z, y)$ in $z$ is
# $\sigma(z) - y$, so by the chain rule
# $$\nabla L(w) = \frac1n \sum_i \big(\sigma(x_i^\top w) - y_i\big)\, x_i
#   = \frac1n X^\top\big(\sigma(Xw) - y\big).$$
# (The per-example form appears again in lecture 8, "Logistic Regression".)
# Implement `bce_grad` without autograd.

# %%
#| include: bce_grad

# %%
check("q3")

# %% [markdown]
# Check your formula against autograd on the email features.

# %%
X_emails = X_all.to(torch.float64)
w_check = torch.randn(5, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
w_leaf = w_check.clone().requires_grad_(True)
bce_with_logits(X_emails @ w_leaf, labels).backward()
print("formula ", bce_grad(w_check, X_emails, labels))
print("autograd", w_leaf.grad)

# %% [markdown]
# ## q4 (25 pts): The training loop
#
# The lecture's loop, one step at a time:
# 1. predict: $z = Xw$;
# 2. compute the loss $L(w)$;
# 3. `loss.backward()` fills `w.grad` with $\nabla L(w)$;
# 4. under `torch.no_grad()`, step $w \leftarrow w - \alpha \nabla L(w)$;
# 5. zero the gradient (autograd *adds* into `w.grad`).
#
# How large may $\alpha$ be? The Hessian is $\frac1n X^\top D X$ with
# $D = \mathrm{diag}(\sigma_i(1-\sigma_i)) \preceq \tfrac14 I$, so $L$ is
# $\beta$-smooth with $\beta = \lambda_{\max}(X^\top X)/(4n)$, and any
# $\alpha \le 1/\beta = 4n/\lambda_{\max}(X^\top X)$ never increases the loss.
#
# Implement `accuracy` and `train_logistic`; `torch.optim` is refused while q4 is graded.

# %%
#| include: accuracy, train_logistic

# %%
check("q4")

# %% [markdown]
# Train on 40 emails with the lecture's settings (lr 0.1, 200 steps) and test on the other
# 20. The last column of the feature matrix is tiny (length/500), so with lr 0.1 the
# loss falls slowly; compare with the largest safe step $4n/\lambda_{\max}$.

# %%
X_train, y_train, X_test, y_test = X_emails[:40], labels[:40], X_emails[40:], labels[40:]
w0 = torch.zeros(5, dtype=torch.float64)
history = train_logistic(X_train, y_train, lr=0.1, n_steps=200, w0=w0)
test_acc = torch.tensor([accuracy(w, X_test, y_test) for w in history["iterates"]])
safe_lr = 4 * len(y_train) / torch.linalg.eigvalsh(X_train.T @ X_train)[-1].item()
fast = train_logistic(X_train, y_train, lr=safe_lr, n_steps=200, w0=w0)
print(f"lr 0.1:    final loss {history['loss'][-1]:.4f}, train acc {history['acc'][-1]:.3f}")
print(f"lr {safe_lr:.2f}: final loss {fast['loss'][-1]:.4f}, train acc {fast['acc'][-1]:.3f}")
print("learned weights (lr 0.1):", history["w"])

# %% [markdown]
# ## q5 (15 pts): Figures
#
# `plot_training` draws the loss, the training accuracy and the test accuracy against
# the step (the notes' `training_run.png`). `plot_ce_penalty` draws the two penalties
# $-\log(1-p)$ (legitimate) and $-\log p$ (spam) against the predicted spam probability
# $p$, with the lecture's three legitimate emails at $p = 0.1, 0.3, 0.8$ (the notes'
# `cross_entropy.png`). The grader checks the data of your lines, the scales and that the
# axes are labelled; the styling is yours.

# %%
#| include: plot_training, plot_ce_penalty

# %%
check("q5")

# %%
fig = plot_training(history, test_acc)
plt.show()

# %% [markdown]
# Observe: both penalties grow without bound as the prediction becomes confidently
# wrong, and they cross at $p = \tfrac12$ with value $\log 2 \approx 0.693$. A legitimate
# email predicted spam with $p = 0.8$ pays $-\log 0.2 \approx 1.61$, with $p = 0.3$ only
# $0.36$, and with $p = 0.1$ just $0.11$.

# %%
fig = plot_ce_penalty()
plt.show()
print("penalty at p = 0.5:", -math.log(0.5), " log 2 =", math.log(2))

# %% [markdown]
# ## A larger problem: breast-cancer diagnosis
#
# The same code fits a logistic model to scikit-learn's bundled breast-cancer data
# (569 patients, 30 standardised features plus an intercept; no download). Observe: the
# test accuracy settles near the training accuracy, so the model does not overfit.

# %%
#| include: load_cancer_data

# %%
Xc_train, yc_train, Xc_test, yc_test = load_cancer_data(n_train=400, seed=0)
lr_c = 4 * len(yc_train) / torch.linalg.eigvalsh(Xc_train.T @ Xc_train)[-1].item()
cancer = train_logistic(
    Xc_train, yc_train, lr=lr_c, n_steps=300, w0=torch.zeros(31, dtype=torch.float64)
)
cancer_test = torch.tensor([accuracy(w, Xc_test, yc_test) for w in cancer["iterates"]])
print(
    f"lr = {lr_c:.3f}: final loss {cancer['loss'][-1]:.4f}, train acc {cancer['acc'][-1]:.3f}, "
    f"test acc {cancer_test[-1]:.3f}"
)
fig = plot_training(cancer, cancer_test)
plt.show()

# %%
check_all()
