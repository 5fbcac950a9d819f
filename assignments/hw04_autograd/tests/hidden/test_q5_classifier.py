"""q5: the lecture's tanh/sigmoid classifier, by hand and with torch.autograd.

q5 forbids autograd (the set ``@autodiff`` of assignment.toml); only the probe of
``classifier_grads_autograd`` lifts that, with ``allow=grade.forbidden`` (q5's whole list,
read from assignment.toml, so it is written once). The by-hand probe runs with the traps
on, also when its result is compared with the autograd one.
"""

import torch

from autograder.testing import T1, T2, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown

F64 = torch.float64
KEYS = ("W1", "b1", "w2", "b2")


@probe
def forward(ns, params, X):
    return ns.classifier_forward(params, X)


@probe
def by_hand(ns, params, X, y):
    g = ns.classifier_backward(params, X, y)
    return {k: g[k] for k in ("W1", "b1", "w2", "b2")}


@probe
def by_autograd(ns, params, X, y):
    # the gradients, and the parameters after the call with their requires_grad flags
    # (whether they changed is judged by the test)
    g = ns.classifier_grads_autograd(params, X, y)
    grads = {k: g[k].detach() for k in ("W1", "b1", "w2", "b2")}
    return {
        "grads": grads,
        "params after the call": {k: v.detach() for k, v in params.items()},
        "requires_grad after the call": {k: bool(v.requires_grad) for k, v in params.items()},
    }


def _problem(gen, n, d, h):
    # w2 scaled by 1/√h keeps the logits moderate, so no probability is within rounding
    # of 0 or 1 (where equivalent formulas of the BCE gradient part ways)
    params = {
        "W1": torch.randn(h, d, generator=gen, dtype=F64),
        "b1": torch.randn(h, generator=gen, dtype=F64),
        "w2": torch.randn(h, generator=gen, dtype=F64) / h**0.5,
        "b2": torch.randn((), generator=gen, dtype=F64),
    }
    X = torch.randn(n, d, generator=gen, dtype=F64)
    y = (torch.rand(n, generator=gen, dtype=F64) > 0.5).to(F64)
    return params, X, y


def _sizes(gen):
    n = int(torch.randint(1, 17, (1,), generator=gen))
    d = int(torch.randint(1, 6, (1,), generator=gen))
    h = int(torch.randint(1, 9, (1,), generator=gen))
    return n, d, h


def _mean_bce(params, X, y):
    logits = torch.tanh(X @ params["W1"].T + params["b1"]) @ params["w2"] + params["b2"]
    p = torch.sigmoid(logits)
    return float(-(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean())


def test_q5_forward(grade):
    for _, gen in grade.cases(3):
        n, d, h = _sizes(gen)
        params, X, _ = _problem(gen, n, d, h)
        grade.compare(forward, params, X, case=f"n={n}, d={d}, h={h}", **T1)


def test_q5_backward_by_hand(grade):
    for _, gen in grade.cases(4):
        n, d, h = _sizes(gen)
        params, X, y = _problem(gen, n, d, h)
        grade.compare(by_hand, params, X, y, case=f"n={n}, d={d}, h={h}", **T1)
    # one example, one feature, one hidden unit: every shape keeps its axes
    params, X, y = _problem(torch.Generator().manual_seed(8), 1, 1, 1)
    grade.compare(by_hand, params, X, y, case="a single example: n=1, d=1, h=1", **T1)


def test_q5_backward_passes_a_gradient_check(grade):
    # Without the reference: central differences of the mean BCE, entry by entry.
    # Measured under 24 CPU settings and over 300 draws of the inputs: at most 1.1e-3 of
    # the threshold.
    step = 1e-6
    for _, gen in grade.cases(2):
        n, d, h = _sizes(gen)
        params, X, y = _problem(gen, n, d, h)
        case = f"gradient check, n={n}, d={d}, h={h}"
        got = grade.run(by_hand, params, X, y, case=case)
        if got is None:
            continue
        worst, where = 0.0, ""
        for k in KEYS:
            g = got.get(k) if isinstance(got, dict) else None
            if not isinstance(g, torch.Tensor) or g.shape != params[k].shape:
                worst, where = float("inf"), f"{k} (missing or shaped wrong)"
                break
            for i in range(params[k].numel()):
                up = {q: v.clone() for q, v in params.items()}
                down = {q: v.clone() for q, v in params.items()}
                up[k].view(-1)[i] += step
                down[k].view(-1)[i] -= step
                fd = (_mean_bce(up, X, y) - _mean_bce(down, X, y)) / (2 * step)
                gi = float(g.reshape(-1)[i])
                err = abs(gi - fd) / max(1.0, abs(gi), abs(fd))
                if not err <= worst:  # also catches NaN
                    worst, where = err, f"{k}, entry {i}: {gi:.6g} vs {fd:.6g}"
        grade.check(
            worst < 1e-6,
            case=case,
            message=f"grad_check error {worst:.2g} (largest at {where})",
        )


def test_q5_gradients_with_autograd(grade):
    for _, gen in grade.cases(3):
        n, d, h = _sizes(gen)
        params, X, y = _problem(gen, n, d, h)
        case = f"torch.autograd, n={n}, d={d}, h={h}"
        # asking torch is the point of classifier_grads_autograd: lift all of q5's list
        theirs, ref = grade.run_and_reference(
            by_autograd, params, X, y, case=case, allow=grade.forbidden
        )
        if theirs is not None:
            theirs = theirs if isinstance(theirs, dict) else {}
            differs = _differs(ref["grads"], theirs.get("grads"), **T2)
            after = theirs.get("params after the call")
            flags = theirs.get("requires_grad after the call")
            # judged here: the same values, bit for bit, and no requires_grad left on them
            unchanged = isinstance(after, dict) and all(
                isinstance(after.get(k), torch.Tensor) and torch.equal(after[k], params[k])
                for k in params
            )
            untouched = unchanged and flags == {k: False for k in params}
            grade.check(
                differs is None and untouched,
                case=case,
                message=f"wrong result in ['grads']: {differs}"
                if differs is not None
                else "classifier_grads_autograd changed the parameters it was given"
                if not unchanged
                else "classifier_grads_autograd left requires_grad set on the parameters it "
                "was given: differentiate copies (p.detach().clone().requires_grad_())",
            )
        # your two functions must agree (the by-hand one still without autograd), and be
        # right: two functions that return zeros agree too
        case = f"by hand vs autograd, n={n}, d={d}, h={h}"
        mine, ref_mine = grade.run_and_reference(by_hand, params, X, y, case=case)
        if mine is None or theirs is None:  # recorded as failed (this one, or the one above)
            continue
        try:
            agree = all(
                torch.allclose(mine[k], theirs["grads"][k], rtol=T2["rtol"], atol=T2["atol"])
                for k in KEYS
            )
        except (KeyError, TypeError, RuntimeError):
            agree = False
        differs = _differs(ref_mine, mine, **T1)
        grade.check(
            agree and differs is None,
            case=case,
            message="classifier_backward and classifier_grads_autograd disagree"
            if not agree
            else f"they agree, but classifier_backward is not the expected gradient ({differs})",
        )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
