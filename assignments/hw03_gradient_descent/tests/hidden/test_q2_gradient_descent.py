import itertools

import torch

from autograder.testing import T1, T2, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def gd_run(ns, X, y, step, n_steps, w0):
    torch.set_num_threads(1)
    out = ns.gradient_descent(X, y, step, n_steps, w0)
    result = {k: out[k] for k in ("w", "iterates", "loss", "rel_loss")}
    # What the notebook's own q1 functions give (None where they fail), so that a wrong q1
    # is not charged again here: the iterates of the recursion with its ls_gradient, and
    # f(w_k) and the relative loss by its ls_loss along them (accepted as well as the
    # reference's values; the iterates are not: they are q2's own work).
    f64 = torch.float64
    try:
        w = torch.zeros(X.shape[1], dtype=X.dtype) if w0 is None else w0.clone()
        path = [w]
        for _ in range(n_steps):
            w = w - step * ns.ls_gradient(X, y, w)
            path.append(w)
        own_path = torch.stack(path)
    except Exception:
        own_path = None
    try:
        f = torch.stack([torch.as_tensor(ns.ls_loss(X, y, w), dtype=f64) for w in own_path])
        w_star = torch.linalg.lstsq(X, y.unsqueeze(-1)).solution.squeeze(-1)
        f_star = torch.as_tensor(ns.ls_loss(X, y, w_star), dtype=f64)
        own = {"loss": f, "rel_loss": (f - f_star) / (f[0] - f_star)}
    except Exception:
        own = None
    return {"result": result, "own": own, "own path": own_path}


def _problem(gen, n, p, kappa=None):
    """A random problem; with ``kappa``, XᵀX has exactly that condition number."""
    if kappa is None:
        X = torch.randn(n, p, generator=gen, dtype=torch.float64)
    else:
        U, _ = torch.linalg.qr(torch.randn(n, p, generator=gen, dtype=torch.float64))
        V, _ = torch.linalg.qr(torch.randn(p, p, generator=gen, dtype=torch.float64))
        s = torch.linspace(1.0, kappa**-0.5, p, dtype=torch.float64) * 3.0
        X = U @ torch.diag(s) @ V.T
    y = torch.randn(n, generator=gen, dtype=torch.float64)
    return X, y


def _lam_max(X):
    return float(torch.linalg.eigvalsh(X.T @ X)[-1])


# the two cases of a run: its path and losses (T1), its relative losses (T2)
PARTS = [(("w", "iterates", "loss"), T1, "w, iterates, loss"), (("rel_loss",), T2, "rel_loss")]


def test_q2_matches_reference(grade):
    scales = (0.1, 1.0, 1.8)
    for i, gen in grade.cases(6):
        n = int(torch.randint(8, 31, (1,), generator=gen))
        p = int(torch.randint(2, 7, (1,), generator=gen))
        X, y = _problem(gen, n, p)
        scale = scales[i % 3]
        w0 = None if i < 3 else torch.randn(p, generator=gen, dtype=torch.float64)
        step = scale / _lam_max(X)
        start = "w0 = None" if w0 is None else "random w0"
        case = f"X ({n}, {p}), α = {scale}/λ_max, 25 steps, {start}"
        got, ref = grade.run_and_reference(gd_run, X, y, step, 25, w0, case=case)
        if got is None:  # recorded as failed; the second case counts as not reached
            continue
        for keys, tol, what in PARTS:
            differs = _judge(got, ref, keys, tol)
            grade.check(differs is None, case=f"{case}: {what}", message=differs or "")


def _monotone(loss):
    return all(b <= a * (1 + 1e-12) + 1e-14 for a, b in itertools.pairwise(loss))


def test_q2_step_size_regimes(grade):
    for i, gen in grade.cases(2):
        X, _ = _problem(gen, 20, 4, kappa=5.0)
        # y = X w_true, so f* = 0; w_true gets a top-eigenvector component at least as
        # large as the rest of it, so that at least half of f(0) lies along the top
        # eigenvector: at α = 2.2/λ_max that part grows by 1.2² per step, ≥ 4500× in 25
        # steps. (With a plain random w_true, a draw whose top component is tiny does not
        # grow 10× in 25 steps: measured in 2 of 40 draws, the reference's included.)
        w_true = torch.randn(4, generator=gen, dtype=torch.float64)
        top = torch.linalg.eigh(X.T @ X).eigenvectors[:, -1]
        c1 = float(top @ w_true)
        w_true = w_true + (1.0 if c1 >= 0 else -1.0) * float(w_true.norm()) * top
        y = X @ w_true
        lam = _lam_max(X)
        regimes = [
            (
                1.0,
                f"α = 1/λ_max: the loss never increases (problem {i})",
                lambda got: _monotone(got["loss"]),
                lambda got: "the loss went up at some step",
            ),
            (
                1.8,
                f"α = 1.8/λ_max converges: relative loss < 1e-3 after 25 steps (problem {i})",
                lambda got: abs(got["rel"][-1]) < 1e-3,
                lambda got: f"relative loss after 25 steps is {got['rel'][-1]:.3g}",
            ),
            (
                2.2,
                f"α = 2.2/λ_max diverges: the loss grows more than 10× in 25 steps (problem {i})",
                lambda got: got["loss"][-1] > 10 * got["loss"][0],
                lambda got: f"loss went from {got['loss'][0]:.3g} to {got['loss'][-1]:.3g}",
            ),
        ]
        for scale, case, holds, says in regimes:
            got, ref = grade.run_and_reference(gd_run, X, y, scale / lam, 25, None, case=case)
            if got is None:
                continue
            # each regime counts only with the losses right (zeros never increase)
            differs = _judge(got, ref, ("loss", "rel_loss"), T2)
            if differs is None:
                result = got["result"]
                losses = {
                    "loss": [float(v) for v in result["loss"]],
                    "rel": [float(v) for v in result["rel_loss"]],
                }
                grade.check(holds(losses), case=case, message=says(losses))
            else:
                grade.check(
                    False,
                    case=case,
                    message=f"the losses are not the expected ones ({differs}), so this regime "
                    "is not credited",
                )


def _judge(got, ref, keys, tol):
    """None if the student's ``keys`` of gradient_descent's result match the reference's,
    or match them with "loss" and "rel_loss" what the notebook's own ls_loss gives (q1
    grades ls_loss); else the difference in words, naming q1 where it is the cause."""
    got = got if isinstance(got, dict) else {}
    result = got.get("result") if isinstance(got.get("result"), dict) else {}
    mine = {k: result.get(k) for k in keys}
    expected = {k: ref["result"][k] for k in keys}
    differs = _differs(expected, mine, **tol)
    if differs is None:
        return None
    own = got.get("own")
    path = got.get("own path")
    # the own ls_loss's values count only along the right path (the notebook's ls_gradient
    # right): a loss of zeros along a path that never moves proves nothing
    right_path = _differs(ref["result"]["iterates"], path, **T1) is None
    if right_path and isinstance(own, dict) and any(k in own for k in keys):
        alternative = {k: own.get(k, expected[k]) for k in keys}
        if _differs(alternative, mine, **tol) is None:
            return None
    if "iterates" in keys and not right_path and _differs(path, mine["iterates"], **T1) is None:
        return (
            f"{differs}. Your iterates are those of your ls_gradient, which is not the "
            "expected gradient: q1 fails and this question uses it, fix q1 first"
        )
    return differs


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
