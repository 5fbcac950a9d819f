import math

import torch

from autograder.testing import T1, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def gradients(ns, x, w, idxs):
    torch.set_num_threads(1)
    return [ns.minibatch_gradient(x, w, idx) for idx in idxs]


@probe
def variance_theory(ns, x, B):
    return float(ns.gradient_variance_theory(x, B))


@probe
def empirical(ns, x, w, B, n_draws, seed):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    draws = torch.stack(
        [
            ns.minibatch_gradient(x, w, torch.randint(0, len(x), (B,), generator=g))
            for _ in range(n_draws)
        ]
    )
    return {"mean": float(draws.mean()), "var": float(draws.var())}


def test_q4_minibatch_gradient(grade):
    for i, gen in grade.cases(4):
        n = int(torch.randint(3, 30, (1,), generator=gen))
        x = torch.randn(n, generator=gen, dtype=torch.float64)
        B = int(torch.randint(1, 8, (1,), generator=gen))
        idxs = [torch.randint(0, n, (B,), generator=gen) for _ in range(3)]
        w = float(torch.randn(1, generator=gen))
        grade.compare(gradients, x, w, idxs, case=f"n = {n}, B = {B}, 3 batches (case {i})", **T1)


def test_q4_variance_theory(grade):
    for i, gen in grade.cases(4):
        n = int(torch.randint(2, 40, (1,), generator=gen))
        x = 3 * torch.randn(n, generator=gen, dtype=torch.float64)
        B = int(torch.randint(1, 20, (1,), generator=gen))
        grade.compare(variance_theory, x, B, case=f"n = {n}, B = {B} (case {i})", **T1)
    x = torch.tensor([0.0, 4.0], dtype=torch.float64)
    grade.compare(
        variance_theory, x, 1, case="x = (0, 4): σ² = 4 (divide by n, not n − 1: 8)", **T1
    )


def test_q4_unbiased_and_variance(grade):
    for i, gen in grade.cases(2):
        x = torch.randn(40, generator=gen, dtype=torch.float64) + 1.0
        B = (1, 8)[i]
        w = 0.3
        mu, s2 = float(x.mean()), float(((x - x.mean()) ** 2).mean())
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
        got, ref = grade.run_and_reference(
            empirical, x, w, B, 5000, seed, case=f"5000 draws, B = {B}"
        )
        if got is None:
            continue
        # both properties count only with the draws' mean and variance right (the same
        # seeded draws as the reference's; echoing x has about the variance of x)
        differs = _differs(ref, got, rtol=1e-9, atol=1e-12)
        if differs is not None:
            for what in (
                f"unbiased: the mean of 5000 draws is w − μ within 5 standard errors (B = {B})",
                f"the variance of 5000 draws is σ²/B within 10 % (B = {B})",
            ):
                grade.check(
                    False,
                    case=what,
                    message="the minibatch gradients are not the expected ones on the seeded "
                    f"draws ({differs}), so this is not credited",
                )
            continue
        sd = math.sqrt(s2 / B / 5000)
        # The probe draws the indices from a seeded CPU generator (the same on every
        # machine), so a correct answer gets the reference's values up to rounding. The
        # inputs depend on the submission, and about 1 draw in 4000 puts the reference's own
        # variance beyond 10 % (B = 1; the mean: far rarer): there the allowance widens to
        # the reference's deviation, so such a draw costs a correct answer nothing.
        mean_allowed = max(5 * sd, abs(ref["mean"] - (w - mu)) * (1 + 1e-6) + 1e-12)
        var_allowed = max(0.1 * s2 / B, abs(ref["var"] - s2 / B) * (1 + 1e-6) + 1e-12)
        grade.check(
            abs(got["mean"] - (w - mu)) <= mean_allowed,
            case=f"unbiased: the mean of 5000 draws is w − μ within 5 standard errors (B = {B})",
            message=f"mean {got['mean']:.5f}, w − μ = {w - mu:.5f}, standard error {sd:.2g}",
        )
        grade.check(
            abs(got["var"] - s2 / B) <= var_allowed,
            case=f"the variance of 5000 draws is σ²/B within 10 % (B = {B})",
            message=f"variance {got['var']:.5f}, σ²/B = {s2 / B:.5f}",
        )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
