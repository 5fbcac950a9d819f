import torch

from autograder.testing import T1, probe


@probe
def train(ns, X, y, lr, n_steps, w0):
    torch.set_num_threads(1)
    out = ns.train_logistic(X, y, lr, n_steps, w0)
    return {k: out[k] for k in ("w", "iterates", "loss", "acc")}


@probe
def train_twice(ns, X, y, lr, n_steps, w0):
    torch.set_num_threads(1)
    before = w0.clone()
    first = ns.train_logistic(X, y, lr, n_steps, w0)
    second = ns.train_logistic(X, y, lr, n_steps, w0)
    return {
        "loss": first["loss"],
        "same": bool(torch.equal(first["w"], second["w"]))
        and bool(torch.equal(first["loss"], second["loss"])),
        "w0_unchanged": bool(torch.equal(before, w0)),
    }


@probe
def accuracy_of(ns, w, X, y):
    torch.set_num_threads(1)
    return float(ns.accuracy(w, X, y))


@probe
def corpus_run(ns, X, y):
    torch.set_num_threads(1)
    out = ns.train_logistic(X, y, 0.1, 20, torch.zeros(X.shape[1], dtype=torch.float64))
    return {"w": out["w"], "loss": out["loss"], "acc": out["acc"]}


@probe
def corpus_features(ns, emails):
    return ns.feature_matrix(emails).to(torch.float64)


def _problem(gen, n, d):
    X = torch.randn(n, d, generator=gen, dtype=torch.float64)
    w_true = 2.0 * torch.randn(d, generator=gen, dtype=torch.float64)
    # labels from a noisy logistic model, so the classes overlap
    p = torch.sigmoid(X @ w_true)
    y = (torch.rand(n, generator=gen, dtype=torch.float64) < p).to(torch.float64)
    return X, y


def _safe_lr(X, scale):
    # L(w) is (λ_max(XᵀX)/(4n))-smooth; scale ≤ 1 gives lr ≤ 4n/λ_max: monotone descent
    lam = float(torch.linalg.eigvalsh(X.T @ X)[-1])
    return scale * 4 * X.shape[0] / lam


def test_q4_training_run(grade):
    for _i, gen in grade.cases(4):
        n = int(torch.randint(8, 65, (1,), generator=gen))
        d = int(torch.randint(1, 7, (1,), generator=gen))
        X, y = _problem(gen, n, d)
        w0 = 0.5 * torch.randn(d, generator=gen, dtype=torch.float64)
        lr = round(_safe_lr(X, 0.9), 6)
        case = f"random X of shape ({n}, {d}), lr = {lr}, 20 steps"
        grade.compare(train, X, y, lr, 20, w0, case=case, **T1)


def test_q4_email_corpus(grade):
    emails = [
        "URGENT! You have WON a FREE prize! Claim it at www.prize.com!!!",
        "Hi team, the meeting is moved to 3pm tomorrow. Thanks!",
        "Buy now and make MONEY fast at www.cash.biz!",
        "Dear colleagues, the seminar notes are on the shared drive.",
        "Act now! free gift at www.gift.com, offer ends TONIGHT!!",
        "Are you free for lunch on Thursday? We can discuss the draft.",
        "Congratulations!! you won money, reply NOW",
        "Please find the quarterly report attached. Best, Sam",
    ]
    y = torch.tensor([1.0, 0, 1, 0, 1, 0, 1, 0], dtype=torch.float64)
    X = grade.reference(corpus_features, emails)
    grade.compare(corpus_run, X, y, case="8 lecture-style emails, lr = 0.1, 20 steps", **T1)


def test_q4_properties(grade):
    for i, gen in grade.cases(2):
        X, y = _problem(gen, 30, 4)
        w0 = torch.randn(4, generator=gen, dtype=torch.float64)
        lr = _safe_lr(X, 1.0)
        case = f"lr = 4n/λ_max(XᵀX) (case {i})"
        got = grade.run(train_twice, X, y, lr, 15, w0, case=case)
        if got is None:
            continue
        loss = got["loss"]
        ok = isinstance(loss, torch.Tensor) and loss.shape == (16,)
        grade.check(
            ok and bool((loss[1:] <= loss[:-1] + 1e-12).all()),
            case=case + ": the loss never increases",
            message="with a step no larger than 1/(smoothness constant) = 4n/λ_max(XᵀX) "
            f"gradient descent cannot increase the loss, but the losses were {loss}",
        )
        grade.check(
            got["w0_unchanged"],
            case=case + ": w0 is not modified",
            message="train_logistic changed w0 in place; start from w0.detach().clone()",
        )
        grade.check(
            got["same"],
            case=case + ": two calls give the same result",
            message="calling train_logistic twice with the same inputs gave different "
            "results (is state kept between calls, or a gradient not zeroed?)",
        )


def test_q4_accuracy(grade):
    for _i, gen in grade.cases(4):
        n = int(torch.randint(1, 30, (1,), generator=gen))
        X, y = _problem(gen, n, 3)
        w = torch.randn(3, generator=gen, dtype=torch.float64)
        grade.compare(accuracy_of, w, X, y, case=f"random w, {n} examples", rtol=0, atol=1e-15)
    X = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]], dtype=torch.float64)
    y = torch.tensor([1.0, 1.0, 0.0, 1.0], dtype=torch.float64)
    grade.compare(
        accuracy_of,
        torch.zeros(2, dtype=torch.float64),
        X,
        y,
        case="w = 0: σ = ½ everywhere, every example is predicted spam",
        rtol=0,
        atol=1e-15,
    )
