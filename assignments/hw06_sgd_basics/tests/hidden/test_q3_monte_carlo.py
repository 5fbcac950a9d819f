import math

import torch

from autograder.testing import T1, probe


@probe
def monte_carlo(ns, x, eta, n_steps, w0, B, n_runs, seed):
    torch.set_num_threads(1)
    return ns.mse_monte_carlo(x, eta, n_steps, w0, B, n_runs, torch.Generator().manual_seed(seed))


def _data(gen, n):
    return float(torch.randn(1, generator=gen)) + torch.randn(n, generator=gen, dtype=torch.float64)


def _seed(gen):
    return int(torch.randint(0, 2**31 - 1, (1,), generator=gen))


def _closed_form(w0, mu, s2, eta, k, B):
    # written here, independently of the reference: the lecture's formula
    decay = (1 - eta) ** (2 * k)
    return decay * (w0 - mu) ** 2 + eta * s2 / (B * (2 - eta)) * (1 - decay)


def _standard_errors(x, eta, n_steps, w0, B, n_runs, seed):
    """Per-step standard error of a Monte Carlo MSE, from an independent simulation."""
    g = torch.Generator().manual_seed(seed)
    mu, w = x.mean(), torch.full((n_runs,), w0, dtype=torch.float64)
    se = [0.0]
    for _ in range(n_steps):
        w = (1 - eta) * w + eta * x[torch.randint(0, len(x), (n_runs, B), generator=g)].mean(1)
        se.append(float(((w - mu) ** 2).std()) / math.sqrt(n_runs))
    return torch.tensor(se, dtype=torch.float64)


def test_q3_matches_reference(grade):
    for i, gen in grade.cases(4):
        n = int(torch.randint(5, 51, (1,), generator=gen))
        x = _data(gen, n)
        eta = round(0.05 + 0.9 * float(torch.rand(1, generator=gen)), 3)
        B = int(torch.randint(1, 5, (1,), generator=gen))
        runs = int(torch.randint(2, 40, (1,), generator=gen))
        w0 = float(torch.randn(1, generator=gen)) * 3
        grade.compare(
            monte_carlo,
            x,
            eta,
            30,
            w0,
            B,
            runs,
            _seed(gen),
            case=f"n = {n}, η = {eta}, B = {B}, {runs} runs, 30 steps (case {i})",
            **T1,
        )


def test_q3_within_standard_errors(grade):
    for i, gen in grade.cases(2):
        x = _data(gen, 50)
        mu, s2 = float(x.mean()), float(((x - x.mean()) ** 2).mean())
        eta, B, w0 = (0.2, 1, 3.0) if i == 0 else (0.5, 3, -2.0)
        case = (
            f"4000 runs × 40 steps within 5 standard errors of the closed form (η = {eta}, B = {B})"
        )
        got, ref = grade.run_and_reference(
            monte_carlo, x, eta, 40, w0, B, 4000, _seed(gen), case=case
        )
        if got is None:
            continue
        cf = torch.tensor(
            [_closed_form(w0, mu, s2, eta, k, B) for k in range(41)], dtype=torch.float64
        )
        se = _standard_errors(x, eta, 40, w0, B, 4000, _seed(gen))
        # The draws come from a seeded CPU generator (the same on every machine; CPU settings
        # move the MSE by rounding only), and a correct answer makes the reference's draws.
        # The inputs depend on the submission, so some draw puts the reference itself
        # beyond 5 standard errors (worst seen in 300 cases: 3.9): the band widens to the
        # reference's own deviation there, so such a draw costs a correct answer nothing.
        band = torch.maximum(5 * se + 1e-12, (ref - cf).abs() * (1 + 1e-6) + 1e-12)
        if not (isinstance(got, torch.Tensor) and got.shape == cf.shape):
            grade.check(
                False,
                case=case,
                message=f"expected a tensor of shape {tuple(cf.shape)} (steps 0..40), got "
                f"{tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__}",
            )
            continue
        ok = bool(((got - cf).abs() <= band).all())
        # the step that exceeds its band the most (NaN counts as the worst); at k = 0 the
        # standard error is 0, so dividing by it would name k = 0 whenever it is not exact
        excess = ((got - cf).abs() - band).nan_to_num(nan=math.inf)
        worst = int(excess.argmax())
        grade.check(
            ok,
            case=case,
            message=f"at k = {worst}: Monte Carlo {float(got[worst]):.5g}, "
            f"closed form {float(cf[worst]):.5g}, standard error {float(se[worst]):.2g}",
        )


def test_q3_vectorised(grade):
    gen = torch.Generator().manual_seed(0)
    x = _data(gen, 100)
    case = "20 000 runs × 200 steps finish within the 10 s limit (a loop over runs does not)"
    got = grade.run(monte_carlo, x, 0.1, 200, 0.0, 1, 20_000, 3, case=case)
    if got is not None:
        mu, s2 = float(x.mean()), float(((x - x.mean()) ** 2).mean())
        floor = _closed_form(0.0, mu, s2, 0.1, 200, 1)
        # fixed inputs; measured under 24 CPU settings: 1.65 % from the floor (window 10 %)
        final = float(got[-1]) if isinstance(got, torch.Tensor) and got.numel() else math.nan
        grade.check(
            abs(final - floor) < 0.1 * floor,
            case="20 000 runs × 200 steps: the final MSE is near the floor ησ²/(2 − η)",
            message=f"final MSE {final:.5g}, floor {floor:.5g}",
        )
