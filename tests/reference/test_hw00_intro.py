"""hw00_intro: the reference cross-checked against independent oracles.

Oracles: hand-counted features and a regex re-implementation (q1); torch.sigmoid and
torch.nn.functional.binary_cross_entropy_with_logits (q2); torch.autograd and central
differences (q3); torch.optim.SGD on F.binary_cross_entropy_with_logits and the descent
lemma for a (λ_max/4n)-smooth loss (q4); the lecture's penalty values (q5).
"""

from __future__ import annotations

import math
import re
import string

import matplotlib

matplotlib.use("Agg")

import pytest
import torch
import torch.nn.functional as F

from autograder.runtime.probe_helpers import figure_data
from solutions import hw00_intro as ref

# ----------------------------------------------------------------------------- q1


def test_features_of_a_hand_counted_email():
    email = "URGENT! You have WON a FREE prize at www.prize.com!!"
    # "!" × 3; {urgent, won, free} (the token is "urgent!", which does not count: only
    # "won" and "free" are exact lower-cased tokens); one www token; capitals: URGENT (6),
    # Y, WON (3), FREE (4) = 14 of 52 characters; 52/500.
    assert len(email) == 52
    expected = torch.tensor([3, 2, 1, 14 / 52, 52 / 500], dtype=torch.float32)
    got = ref.extract_features(email)
    assert got.dtype == torch.float32 and got.shape == (5,)
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


def _features_by_regex(email: str) -> list[float]:
    words = re.findall(r"\S+", email.lower())
    urgent = sum(1 for w in ("urgent", "buy", "money", "won", "free") if w in words)
    return [
        len(re.findall("!", email)),
        urgent,
        len([w for w in words if re.search("www", w)]),
        len([c for c in email if c in string.ascii_uppercase]) / len(email),
        len(email) / 500,
    ]


def test_features_match_a_regex_reimplementation():
    emails, _ = ref.make_email_corpus(n_per_class=20, seed=3)
    emails += ["free FREE free!", "www www.a.com WWW.B.COM", "x", "MONEY  money\tbuy\nwon"]
    M = ref.feature_matrix(emails)
    assert M.shape == (len(emails), 5) and M.dtype == torch.float32
    expected = torch.tensor([_features_by_regex(e) for e in emails], dtype=torch.float32)
    torch.testing.assert_close(M, expected, rtol=0, atol=1e-7)
    perm = torch.randperm(len(emails), generator=torch.Generator().manual_seed(0)).tolist()
    assert torch.equal(ref.feature_matrix([emails[i] for i in perm]), M[perm])


def test_corpus_is_balanced_and_separable_enough():
    emails, labels = ref.make_email_corpus(30, seed=0)
    assert len(emails) == 60 and float(labels.sum()) == 30.0
    X = ref.feature_matrix(emails).double()
    # spam shouts and links more than legitimate mail, on average
    assert (X[labels == 1, :3].mean(0) > X[labels == 0, :3].mean(0)).all()


# ----------------------------------------------------------------------------- q2


def _logits(seed: int, n: int = 50) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    z = 3.0 * torch.randn(n, generator=g, dtype=torch.float64)
    z[:6] = torch.tensor([40.0, -40.0, 700.0, -700.0, 0.0, 1e-300], dtype=torch.float64)
    return z


@pytest.mark.parametrize("seed", range(3))
def test_sigmoid_matches_torch(seed):
    z = _logits(seed)
    torch.testing.assert_close(ref.sigmoid(z), torch.sigmoid(z), rtol=1e-15, atol=1e-300)
    assert ref.sigmoid(z.reshape(5, 10)).shape == (5, 10)


@pytest.mark.parametrize("seed", range(3))
def test_bce_matches_torch(seed):
    z = _logits(seed)
    g = torch.Generator().manual_seed(100 + seed)
    y = torch.randint(0, 2, z.shape, generator=g).to(torch.float64)
    expected = F.binary_cross_entropy_with_logits(z, y)
    torch.testing.assert_close(ref.bce_with_logits(z, y), expected, rtol=1e-14, atol=0)
    # soft labels too
    y_soft = torch.rand(z.shape, generator=g, dtype=torch.float64)
    torch.testing.assert_close(
        ref.bce_with_logits(z, y_soft),
        F.binary_cross_entropy_with_logits(z, y_soft),
        rtol=1e-14,
        atol=0,
    )


def test_bce_properties_from_the_lecture():
    zero = torch.zeros(4, dtype=torch.float64)
    y = torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=torch.float64)
    assert abs(float(ref.bce_with_logits(zero, y)) - math.log(2)) < 1e-15
    z = _logits(7)
    yy = (torch.arange(50) % 2).to(torch.float64)
    assert math.isclose(
        float(ref.bce_with_logits(z, yy)), float(ref.bce_with_logits(-z, 1 - yy)), rel_tol=1e-14
    )
    big = torch.tensor([700.0, -700.0], dtype=torch.float64)
    assert float(ref.bce_with_logits(big, torch.tensor([0.0, 1.0], dtype=torch.float64))) == 700.0
    pen = [
        float(
            ref.bce_with_logits(
                torch.tensor([math.log(p / (1 - p))], dtype=torch.float64),
                torch.zeros(1, dtype=torch.float64),
            )
        )
        for p in (0.8, 0.3, 0.1)
    ]
    assert pen[0] > pen[1] > pen[2]
    for got, p in zip(pen, (0.8, 0.3, 0.1)):
        assert math.isclose(got, -math.log(1 - p), rel_tol=1e-13)


# ----------------------------------------------------------------------------- q3


@pytest.mark.parametrize("seed", range(3))
def test_bce_grad_matches_autograd_and_finite_differences(seed):
    g = torch.Generator().manual_seed(seed)
    n, d = 30, 6
    X = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = torch.randint(0, 2, (n,), generator=g).to(torch.float64)
    w = torch.randn(d, generator=g, dtype=torch.float64)
    wl = w.clone().requires_grad_(True)
    (auto,) = torch.autograd.grad(F.binary_cross_entropy_with_logits(X @ wl, y), wl)
    got = ref.bce_grad(w, X, y)
    torch.testing.assert_close(got, auto, rtol=1e-12, atol=1e-15)
    h = 1e-6
    eye = torch.eye(d, dtype=torch.float64)
    fd = torch.stack(
        [
            (
                F.binary_cross_entropy_with_logits(X @ (w + h * e), y)
                - F.binary_cross_entropy_with_logits(X @ (w - h * e), y)
            )
            / (2 * h)
            for e in eye
        ]
    )
    assert float((got - fd).norm() / fd.norm()) < 1e-6


# ------------------------------------------------------------ q2/q4: autograd at z = 0


def _closed_form_grad(w: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    # ∇L(w) = Xᵀ(σ(Xw) − y)/n, with torch's own sigmoid
    return X.T @ (torch.sigmoid(X @ w) - y) / X.shape[0]


def _autograd_grad(w: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    wl = w.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(ref.bce_with_logits(X @ wl, y), wl)
    return g


# The hidden q4 email-corpus case (8 emails, w0 = 0) and the public q4 case (w0 = 0).
_HIDDEN_EMAILS = [
    "URGENT! You have WON a FREE prize! Claim it at www.prize.com!!!",
    "Hi team, the meeting is moved to 3pm tomorrow. Thanks!",
    "Buy now and make MONEY fast at www.cash.biz!",
    "Dear colleagues, the seminar notes are on the shared drive.",
    "Act now! free gift at www.gift.com, offer ends TONIGHT!!",
    "Are you free for lunch on Thursday? We can discuss the draft.",
    "Congratulations!! you won money, reply NOW",
    "Please find the quarterly report attached. Best, Sam",
]
_HIDDEN_LABELS = [1.0, 0, 1, 0, 1, 0, 1, 0]
_PUBLIC_X = [[1.0, 2.0], [0.5, -1.0], [-2.0, 0.0], [1.0, 1.0]]
_PUBLIC_Y = [1.0, 0.0, 0.0, 1.0]


def _test_problems() -> list[tuple[str, torch.Tensor, torch.Tensor, float, int]]:
    emails_X = ref.feature_matrix(_HIDDEN_EMAILS).double()
    corpus, labels = ref.make_email_corpus(30, seed=0)
    return [
        (
            "hidden email corpus",
            emails_X,
            torch.tensor(_HIDDEN_LABELS, dtype=torch.float64),
            0.1,
            20,
        ),
        (
            "public 4 × 2",
            torch.tensor(_PUBLIC_X, dtype=torch.float64),
            torch.tensor(_PUBLIC_Y, dtype=torch.float64),
            0.5,
            5,
        ),
        ("notebook corpus", ref.feature_matrix(corpus).double()[:40], labels[:40], 0.1, 200),
    ]


@pytest.mark.parametrize("index", range(3))
def test_bce_autograd_gradient_is_exact_at_w_zero(index):
    # Every logit is exactly 0 at w = 0, the kink of max(z, 0) and |z|: the reference's
    # autograd gradient must still be Xᵀ(½ − y)/n (clamp(min=0) gives Xᵀ(1 − y)/n).
    _name, X, y, _, _ = _test_problems()[index]
    w = torch.zeros(X.shape[1], dtype=torch.float64)
    expected = X.T @ (0.5 - y) / X.shape[0]
    torch.testing.assert_close(_closed_form_grad(w, X, y), expected, rtol=1e-15, atol=1e-16)
    torch.testing.assert_close(_autograd_grad(w, X, y), expected, rtol=1e-13, atol=1e-15)
    # and where only some logits are 0 (a zero row of X), and at a random w
    X0 = torch.cat([X, torch.zeros(2, X.shape[1], dtype=torch.float64)])
    y0 = torch.cat([y, torch.tensor([0.0, 1.0], dtype=torch.float64)])
    w = torch.randn(X.shape[1], generator=torch.Generator().manual_seed(index), dtype=torch.float64)
    for XX, yy in ((X0, y0), (X, y)):
        torch.testing.assert_close(
            _autograd_grad(w, XX, yy), _closed_form_grad(w, XX, yy), rtol=1e-12, atol=1e-15
        )


@pytest.mark.parametrize("index", range(3))
def test_training_from_zero_is_gradient_descent(index):
    # The tests' runs from w0 = 0, against gradient descent with the closed-form gradient.
    _name, X, y, lr, steps = _test_problems()[index]
    w0 = torch.zeros(X.shape[1], dtype=torch.float64)
    out = ref.train_logistic(X, y, lr, steps, w0)
    w, traj = w0.clone(), [w0.clone()]
    for _ in range(steps):
        w = w - lr * _closed_form_grad(w, X, y)
        traj.append(w)
    torch.testing.assert_close(out["iterates"][1], -lr * X.T @ (0.5 - y) / X.shape[0])
    torch.testing.assert_close(out["iterates"], torch.stack(traj), rtol=1e-11, atol=1e-14)


# ----------------------------------------------------------------------------- q4


def _logistic_problem(seed: int, n: int = 40, d: int = 4):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=torch.float64)
    w_true = 2.0 * torch.randn(d, generator=g, dtype=torch.float64)
    y = (torch.rand(n, generator=g, dtype=torch.float64) < torch.sigmoid(X @ w_true)).double()
    return X, y


@pytest.mark.parametrize("seed", range(3))
def test_training_matches_torch_optim_sgd(seed):
    X, y = _logistic_problem(seed)
    w0 = torch.randn(4, generator=torch.Generator().manual_seed(50 + seed), dtype=torch.float64)
    lr, steps = 0.7, 30
    out = ref.train_logistic(X, y, lr, steps, w0)
    w = w0.clone().requires_grad_(True)
    opt = torch.optim.SGD([w], lr=lr)
    traj, losses, accs = [], [], []
    for _ in range(steps + 1):
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(X @ w, y)
        traj.append(w.detach().clone())
        losses.append(loss.detach())
        accs.append(float(((torch.sigmoid(X @ w.detach()) >= 0.5).double() == y).double().mean()))
        loss.backward()
        opt.step()
    torch.testing.assert_close(out["iterates"], torch.stack(traj), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(out["w"], traj[-1], rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(out["loss"], torch.stack(losses), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(out["acc"], torch.tensor(accs, dtype=torch.float64))
    assert out["loss"].shape == (steps + 1,) and out["acc"].shape == (steps + 1,)


def test_accuracy_matches_a_direct_count():
    X, y = _logistic_problem(11, n=57)
    w = torch.randn(4, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    correct = sum(int((float(X[i] @ w) >= 0) == (y[i] == 1)) for i in range(57))
    assert ref.accuracy(w, X, y) == correct / 57
    # w = 0: σ = ½, the rule "spam iff p ≥ ½" predicts spam everywhere
    assert ref.accuracy(torch.zeros(4, dtype=torch.float64), X, y) == float(y.mean())


@pytest.mark.parametrize("seed", range(3))
def test_safe_step_never_increases_the_loss(seed):
    # Hessian = Xᵀ D X / n with D ⪯ ¼I: β = λ_max(XᵀX)/(4n); lr = 1/β gives descent.
    X, y = _logistic_problem(seed, n=30)
    lr = 4 * 30 / float(torch.linalg.eigvalsh(X.T @ X)[-1])
    w0 = torch.randn(4, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    w0_before = w0.clone()
    out = ref.train_logistic(X, y, lr, 40, w0)
    assert (out["loss"][1:] <= out["loss"][:-1] + 1e-15).all()
    assert torch.equal(w0, w0_before)
    again = ref.train_logistic(X, y, lr, 40, w0)
    assert torch.equal(again["w"], out["w"])


def test_lecture_run_on_the_email_corpus_learns():
    emails, labels = ref.make_email_corpus(30, seed=0)
    X = ref.feature_matrix(emails).double()
    out = ref.train_logistic(X, labels, 0.1, 200, torch.zeros(5, dtype=torch.float64))
    assert float(out["loss"][0]) == pytest.approx(math.log(2), abs=1e-15)
    assert float(out["loss"][-1]) < 0.45 and out["acc"][-1] >= 0.85


# ----------------------------------------------------------------------------- q5


def test_penalty_figure_data():
    data = figure_data(ref.plot_ce_penalty())
    assert data["n_axes"] == 1
    ax = data["axes"][0]
    assert ax["has_xlabel"] and ax["has_ylabel"] and ax["xscale"] == "linear"
    lines = {line["label"]: line for line in ax["lines"]}
    assert set(lines) == {
        "legitimate (y = 0): -log(1 - p)",
        "spam (y = 1): -log(p)",
        "legitimate examples",
    }
    legit, spam = lines["legitimate (y = 0): -log(1 - p)"], lines["spam (y = 1): -log(p)"]
    assert len(legit["x"]) == 99
    i = min(range(99), key=lambda k: abs(legit["x"][k] - 0.5))
    assert abs(legit["y"][i] - math.log(2)) < 1e-12 and abs(spam["y"][i] - math.log(2)) < 1e-12
    marks = lines["legitimate examples"]
    assert marks["x"] == pytest.approx([0.1, 0.3, 0.8], abs=1e-15)
    assert marks["y"] == pytest.approx(
        [0.10536051565782628, 0.35667494393873245, 1.6094379124341003]
    )


def test_training_figure_data():
    hist = {"loss": torch.tensor([0.7, 0.5, 0.3]), "acc": torch.tensor([0.5, 0.75, 1.0])}
    data = figure_data(ref.plot_training(hist, torch.tensor([0.5, 0.5, 1.0])))
    assert data["n_axes"] == 3
    labels = [ax["lines"][0]["label"] for ax in data["axes"]]
    assert labels == ["training loss", "training accuracy", "test accuracy"]
    assert data["axes"][0]["lines"][0]["x"] == [0.0, 1.0, 2.0]
    assert data["axes"][2]["lines"][0]["y"] == pytest.approx([0.5, 0.5, 1.0])
    assert all(ax["has_xlabel"] and ax["has_ylabel"] for ax in data["axes"])
