import torch

from autograder.testing import T0, T1, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def train(ns, X, y, lr, n_steps, w0):
    torch.set_num_threads(1)
    out = ns.train_logistic(X, y, lr, n_steps, w0)
    return {k: out[k] for k in ("w", "iterates", "loss", "acc")}


@probe
def train_twice(ns, X, y, lr, n_steps, w0):
    # raw values only: whether w0 changed and whether the calls agree is decided by the test
    torch.set_num_threads(1)
    first = ns.train_logistic(X, y, lr, n_steps, w0)
    second = ns.train_logistic(X, y, lr, n_steps, w0)
    return {
        "first": {"w": first["w"], "loss": first["loss"]},
        "second": {"w": second["w"], "loss": second["loss"]},
        "w0 after the calls": w0,
    }


@probe
def accuracy_of(ns, w, X, y):
    torch.set_num_threads(1)
    return float(ns.accuracy(w, X, y))


@probe
def accuracies_of(ns, problems):
    torch.set_num_threads(1)
    return [float(ns.accuracy(w, X, y)) for w, X, y in problems]


@probe
def corpus_run(ns, X, y):
    torch.set_num_threads(1)
    out = ns.train_logistic(X, y, 0.1, 20, torch.zeros(X.shape[1], dtype=torch.float64))
    # for the feedback only: autograd's gradient of the notebook's bce_with_logits (q2) at
    # z = 0, where this run starts (None if it fails)
    try:
        leaf = torch.zeros(4, dtype=torch.float64, requires_grad=True)
        labels = torch.tensor([1.0, 0.0, 1.0, 0.0], dtype=torch.float64)
        (at_zero,) = torch.autograd.grad(ns.bce_with_logits(leaf, labels), leaf)
    except Exception:
        at_zero = None
    return {"run": {"w": out["w"], "loss": out["loss"], "acc": out["acc"]}, "q2": at_zero}


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
    case = "8 lecture-style emails, lr = 0.1, 20 steps from w = 0"
    got, ref = grade.run_and_reference(corpus_run, X, y, case=case)
    if got is None:
        return
    got = got if isinstance(got, dict) else {}
    differs = _differs(ref["run"], got.get("run"), **T1)
    cause = ""
    if differs is not None and _differs(ref["q2"], got.get("q2"), **T1) is not None:
        cause = (
            ". Your bce_with_logits (q2) has the wrong autograd gradient at z = 0, where "
            "this run starts (every logit is 0 at w = 0), and train_logistic differentiates "
            "it: q2 fails and this question uses it, fix q2 first"
        )
    grade.check(differs is None, case=case, message=f"wrong result: {differs}{cause}")


def test_q4_properties(grade):
    for i, gen in grade.cases(2):
        X, y = _problem(gen, 30, 4)
        w0 = torch.randn(4, generator=gen, dtype=torch.float64)
        lr = _safe_lr(X, 1.0)
        case = f"lr = 4n/λ_max(XᵀX) (case {i})"
        got, ref = grade.run_and_reference(train_twice, X, y, lr, 15, w0, case=case)
        if got is None:
            continue
        got = got if isinstance(got, dict) else {}
        first, second = got.get("first"), got.get("second")
        w0_after = got.get("w0 after the calls")
        # Each property counts only with the values of the first call right: zeros, or a
        # constant, never increase and agree with themselves.
        mismatch = _differs(ref["first"], first, **T1)
        wrong = (
            None
            if mismatch is None
            else f"the first call's result is not the expected one ({mismatch}), so this "
            "property is not credited"
        )
        loss = first["loss"] if isinstance(first, dict) else None
        monotone = (
            isinstance(loss, torch.Tensor)
            and loss.shape == (16,)
            and bool((loss[1:] <= loss[:-1] + 1e-12).all())
        )
        grade.check(
            monotone and wrong is None,
            case=case + ": the loss never increases",
            message="with a step no larger than 1/(smoothness constant) = 4n/λ_max(XᵀX) "
            f"gradient descent cannot increase the loss, but the losses were {loss}"
            if not monotone
            else wrong,
        )
        unchanged = isinstance(w0_after, torch.Tensor) and torch.equal(w0_after, w0)
        grade.check(
            unchanged and wrong is None,
            case=case + ": w0 is not modified",
            message="train_logistic changed w0 in place; start from w0.detach().clone()"
            if not unchanged
            else wrong,
        )
        same = _differs(first, second, **T0) is None
        grade.check(
            same and wrong is None,
            case=case + ": two calls give the same result",
            message="calling train_logistic twice with the same inputs gave different "
            "results (is state kept between calls, or a gradient not zeroed?)"
            if not same
            else wrong,
        )


def _labelled(gen, n, w, tie=False):
    """X (n, 3) and labels such that w classifies k of the n examples right, 0 < k < n and
    k ≠ n/2: an accuracy that no constant (0, ½, 1) matches. With ``tie``, X and w are
    small integers and example 0 has the logit exactly 0 (σ = ½: predicted spam)."""
    if tie:
        X = torch.randint(-2, 3, (n, 3), generator=gen).to(torch.float64)
        X[0] = torch.stack([w[1], -w[0], torch.zeros((), dtype=torch.float64)])  # x₀ᵀw = 0
    else:
        X = torch.randn(n, 3, generator=gen, dtype=torch.float64)
    predicted = (X @ w >= 0).to(torch.float64)
    k = int(torch.randint(1, n, (1,), generator=gen))
    if 2 * k == n:
        k += 1
    right = torch.randperm(n, generator=gen)[:k]
    y = 1.0 - predicted
    y[right] = predicted[right]
    return X, y


def test_q4_accuracy(grade):
    # cases 0-3: random w and X; 4-5: small integers, with logits exactly 0 (a tie)
    for i, gen in grade.cases(6):
        n = int(torch.randint(3, 30, (1,), generator=gen))
        if i < 4:
            w = torch.randn(3, generator=gen, dtype=torch.float64)
            X, y = _labelled(gen, n, w)
            case = f"random w, {n} examples"
        else:
            w = torch.randint(-2, 3, (3,), generator=gen).to(torch.float64)
            X, y = _labelled(gen, n, w, tie=True)
            case = f"integer w and X, {n} examples, some logits exactly 0 (σ = ½ is spam)"
        grade.compare(accuracy_of, w, X, y, case=case, rtol=0, atol=1e-15)
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
    # a single example (n = 1), classified right and then wrong: accuracy 1, then 0
    w = torch.tensor([1.0, -2.0], dtype=torch.float64)
    x = torch.tensor([[0.5, -1.0]], dtype=torch.float64)  # z = 2.5: predicted spam
    spam, legit = torch.ones(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    grade.compare(
        accuracies_of,
        [[w, x, spam], [w, x, legit]],
        case="a single example, labelled spam and then legitimate (accuracy 1, then 0)",
        rtol=0,
        atol=1e-15,
    )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
