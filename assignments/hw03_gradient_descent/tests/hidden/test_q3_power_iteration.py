import torch

from autograder.testing import T2, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def power_lambda(ns, X, n_iter, seed):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    return float(ns.lambda_max_power(X, n_iter=n_iter, generator=g))


@probe
def stable_step(ns, X, seed):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    return float(ns.max_stable_step(X, generator=g))


@probe
def lambda_vs_rayleigh(ns, X, V, c, seed):
    torch.set_num_threads(1)
    lam = float(ns.lambda_max_power(X, generator=torch.Generator().manual_seed(seed)))
    lam_scaled = float(ns.lambda_max_power(c * X, generator=torch.Generator().manual_seed(seed)))
    XV = X @ V.T  # Rayleigh quotients ‖Xv‖²/‖v‖² of the rows of V
    rayleigh = ((XV * XV).sum(0) / (V * V).sum(1)).max()
    return {"lam": lam, "lam_scaled": lam_scaled, "rayleigh_max": float(rayleigh)}


def _gapped(gen, n, p, gap):
    """X = U diag(s) Vᵀ with λ₁/λ₂ = s₁²/s₂² = ``gap``."""
    U, _ = torch.linalg.qr(torch.randn(n, p, generator=gen, dtype=torch.float64))
    V, _ = torch.linalg.qr(torch.randn(p, p, generator=gen, dtype=torch.float64))
    s2 = torch.rand(p - 1, generator=gen, dtype=torch.float64) * 0.9 + 0.1
    s = torch.cat([torch.tensor([gap**0.5], dtype=torch.float64), s2.sort(descending=True).values])
    scale = float(torch.rand(1, generator=gen, dtype=torch.float64)) * 4 + 0.5
    return scale * U @ torch.diag(s) @ V.T


def _seed(gen):
    return int(torch.randint(0, 2**31 - 1, (1,), generator=gen))


def test_q3_lambda_max(grade):
    for _i, gen in grade.cases(5):
        n = int(torch.randint(6, 30, (1,), generator=gen))
        p = int(torch.randint(2, 6, (1,), generator=gen))
        gap = 1.5 + float(torch.rand(1, generator=gen)) * 3
        X = _gapped(gen, n, p, gap)
        grade.compare(
            power_lambda, X, 200, _seed(gen), case=f"X ({n}, {p}), λ₁/λ₂ ≥ {gap:.2f}", **T2
        )


def _close_gap(gen, n, p, ratio):
    """X = c·U diag(s) Vᵀ with λ₂/λ₁ = s₂²/s₁² = ``ratio`` (close to 1) and λ₃, … below."""
    U, _ = torch.linalg.qr(torch.randn(n, p, generator=gen, dtype=torch.float64))
    V, _ = torch.linalg.qr(torch.randn(p, p, generator=gen, dtype=torch.float64))
    rest = torch.rand(p - 2, generator=gen, dtype=torch.float64) * 0.5 * ratio**0.5
    s = torch.cat([torch.tensor([1.0, ratio**0.5], dtype=torch.float64), rest])
    scale = float(torch.rand(1, generator=gen, dtype=torch.float64)) * 4 + 0.5
    return scale * U @ torch.diag(s) @ V.T


def test_q3_few_steps(grade):
    # A few steps, far from converged: with λ₂/λ₁ in [0.6, 0.8] the estimate still moves
    # by ~(λ₂/λ₁)^(2k) per step, so a loop that runs n_iter − 1 or n_iter + 1 times is
    # caught here (at n_iter = 200 both have converged). Measured over 2000 draws of these
    # inputs: one step more or less moves the estimate by 1.5e-2 (median), by less than
    # T2's 1e-6 in 0.3 % of cases (a start vector almost aligned with v₁ or v₂), and never
    # in all four cases of one submission. The fifth case, n_iter = 0, is the Rayleigh
    # quotient of the normalised start vector itself: it catches a start that is not
    # normalised (every later step normalises, so n_iter ≥ 1 cannot tell).
    for i, gen in grade.cases(5):
        n_iter = (1, 2, 3, 4, 0)[i]
        n = int(torch.randint(6, 30, (1,), generator=gen))
        p = int(torch.randint(2, 6, (1,), generator=gen))
        ratio = 0.6 + 0.2 * float(torch.rand(1, generator=gen))
        X = _close_gap(gen, n, p, ratio)
        grade.compare(
            power_lambda,
            X,
            n_iter,
            _seed(gen),
            case=f"X ({n}, {p}), λ₂/λ₁ = {ratio:.2f}, n_iter = {n_iter}",
            **T2,
        )


def test_q3_max_stable_step(grade):
    for i, gen in grade.cases(3):
        X = _gapped(gen, 15, 4, 2.0)
        grade.compare(stable_step, X, _seed(gen), case=f"2/λ_max for a (15, 4) X (case {i})", **T2)
    X = torch.diag(torch.tensor([3.0, 1.0], dtype=torch.float64))
    grade.compare(stable_step, X, 0, case="X = diag(3, 1): λ_max = 9, step 2/9", **T2)


def test_q3_properties(grade):
    for i, gen in grade.cases(3):
        X = _gapped(gen, 12, 4, 2.0)
        V = torch.randn(50, 4, generator=gen, dtype=torch.float64)
        c = 0.5 + 2 * float(torch.rand(1, generator=gen))
        got, ref = grade.run_and_reference(
            lambda_vs_rayleigh, X, V, c, _seed(gen), case=f"properties (case {i})"
        )
        if got is None:
            continue
        # the two laws count only with both estimates right (zeros obey the second)
        differs = _differs(ref, got, **T2)
        wrong = (
            None
            if differs is None
            else f"λ_max(X) and λ_max(cX) are not the expected estimates ({differs}), so this "
            "law is not credited"
        )
        holds = wrong is None and got["lam"] >= got["rayleigh_max"] * (1 - 1e-9)
        grade.check(
            holds,
            case=f"λ_max ≥ every Rayleigh quotient ‖Xv‖²/‖v‖² (case {i})",
            message=wrong
            or f"λ_max = {got['lam']:.8g} but a random v has ‖Xv‖²/‖v‖² = "
            f"{got['rayleigh_max']:.8g}",
        )
        holds = (
            wrong is None
            and abs(got["lam_scaled"] - c * c * got["lam"]) <= 1e-6 * c * c * got["lam"]
        )
        grade.check(
            holds,
            case=f"λ_max(cX) = c²·λ_max(X), c = {c:.3f} (case {i})",
            message=wrong
            or f"λ_max(cX) = {got['lam_scaled']:.8g}, c²·λ_max(X) = {c * c * got['lam']:.8g}",
        )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
