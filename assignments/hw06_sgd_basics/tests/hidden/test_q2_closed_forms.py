import torch

from autograder.testing import T1, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def closed_forms(ns, w0, mu, sigma2, eta, k, B):
    return {
        "mean": float(ns.mean_closed_form(w0, mu, eta, k)),
        "mse": float(ns.mse_closed_form(w0, mu, sigma2, eta, k, B)),
        "floor": float(ns.mse_floor(sigma2, eta, B)),
    }


@probe
def recursion_pairs(ns, w0, mu, sigma2, eta, B, ks):
    return [
        [float(ns.mse_closed_form(w0, mu, sigma2, eta, k, B)) for k in (k0, k0 + 1)] for k0 in ks
    ]


@probe
def floors(ns, sigma2, eta, B):
    return {
        "eta1_B1": float(ns.mse_floor(sigma2, 1.0, 1)),
        "B": float(ns.mse_floor(sigma2, eta, B)),
        "2B": float(ns.mse_floor(sigma2, eta, 2 * B)),
        "small_eta": float(ns.mse_floor(sigma2, 1e-3, B)),
    }


def _params(gen):
    w0 = float(torch.randn(1, generator=gen)) * 4
    mu = float(torch.randn(1, generator=gen)) * 2
    sigma2 = 0.1 + 3 * float(torch.rand(1, generator=gen))
    eta = max(1e-3, round(float(torch.rand(1, generator=gen)), 4))  # η ∈ (0, 1]
    k = int(torch.randint(0, 501, (1,), generator=gen))
    B = int(torch.randint(1, 17, (1,), generator=gen))
    return w0, mu, sigma2, eta, k, B


def test_q2_matches_reference(grade):
    # cases 10-13: early iterates (k ≤ 5, η ≤ 0.6), where the transient (1 − η)^k (w₀ − μ)
    # is not yet negligible (at k ~ 250 it is below T1's tolerance for most η)
    for i, gen in grade.cases(14):
        w0, mu, s2, eta, k, B = _params(gen)
        if i >= 10:
            k = int(torch.randint(0, 6, (1,), generator=gen))
            eta = round(0.02 + 0.58 * float(torch.rand(1, generator=gen)), 4)
        grade.compare(
            closed_forms,
            w0,
            mu,
            s2,
            eta,
            k,
            B,
            case=f"w₀ = {w0:.3f}, μ = {mu:.3f}, σ² = {s2:.3f}, η = {eta}, k = {k}, B = {B} (case {i})",
            **T1,
        )
    grade.compare(
        closed_forms, 0.0, 2.0, 1.0, 1.0, 5, 1, case="lecture case η = 1, B = 1: MSE = σ²", **T1
    )


def test_q2_properties(grade):
    for i, gen in grade.cases(3):
        w0, mu, s2, eta, _, B = _params(gen)
        case = f"A_(k+1) = (1 − η)² A_k + η²σ²/B (η = {eta}, B = {B}, case {i})"
        got = grade.run(recursion_pairs, w0, mu, s2, eta, B, [0, 3, 40], case=case)
        if got is not None:
            wanted = [(1 - eta) ** 2 * a + eta**2 * s2 / B for a, _ in got]
            off = [
                (k, b, w)
                for k, (_, b), w in zip((0, 3, 40), got, wanted)
                if abs(b - w) > 1e-10 * abs(w) + 1e-13
            ]
            grade.check(
                not off,
                case=case,
                message=(
                    f"at k = {off[0][0]}: mse_closed_form gives A_(k+1) = {off[0][1]:.10g}, but "
                    f"(1 − η)² A_k + η²σ²/B = {off[0][2]:.10g}"
                )
                if off
                else "",
            )
    s2, eta, B = 1.7, 0.3, 3
    got, ref = grade.run_and_reference(floors, s2, eta, B, case="floor facts")
    if got is None:
        return
    # each fact counts only with the floors right (zeros halve; σ² echoed is σ²)
    differs = _differs(ref, got, **T1)
    if differs is not None:
        for what in (
            "floor(η = 1, B = 1) = σ² (not σ²/2)",
            "doubling B halves the floor",
            "floor → ησ²/(2B) as η → 0 (η = 1e-3)",
        ):
            grade.check(
                False,
                case=what,
                message=f"mse_floor is not the expected one ({differs}), so this fact is not "
                "credited",
            )
        return
    grade.check(
        abs(got["eta1_B1"] - s2) <= 1e-12,
        case="floor(η = 1, B = 1) = σ² (not σ²/2)",
        message=f"mse_floor(σ² = {s2}, η = 1, B = 1) = {got['eta1_B1']}",
    )
    grade.check(
        abs(got["2B"] - got["B"] / 2) <= 1e-12 * got["B"],
        case="doubling B halves the floor",
        message=f"floor at B = {B}: {got['B']}, at B = {2 * B}: {got['2B']}",
    )
    target = 1e-3 * s2 / (2 * B)
    grade.check(
        abs(got["small_eta"] - target) <= 1e-3 * target,
        case="floor → ησ²/(2B) as η → 0 (η = 1e-3)",
        message=f"floor {got['small_eta']:.6g}, ησ²/(2B) = {target:.6g}",
    )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
