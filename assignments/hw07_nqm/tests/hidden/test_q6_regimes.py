import math

import torch

from autograder.runtime import probe_helpers
from autograder.testing import T0, T1, probe

F64 = torch.float64


@probe
def first_hit(ns, method, h, c, B, w0, target, grid, k_max):
    torch.set_num_threads(1)
    steps, best = ns.steps_to_target(method, h, c, B, w0, target, grid, k_max)
    return [int(steps), {str(k): float(v) for k, v in dict(best).items()}]


@probe
def table(ns, batch_sizes, h, c, w0, target, grids, k_max):
    torch.set_num_threads(1)
    out = ns.regime_table(batch_sizes, h, c, w0, target, grids, k_max)
    return {str(k): [int(s) for s in v] for k, v in dict(out).items()}


@probe
def steps_figure(ns, batch_sizes, tab):
    torch.set_num_threads(1)
    fig = ns.plot_steps_vs_batch(batch_sizes, tab)
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


# steps_to_target uses the exact risks of q2–q5 by design: while it runs, those answer the
# calls the reference makes with the reference's values, so their bugs cost q2–q5 only.
RISKS = ("sgd_risk", "momentum_risk", "ema_risk", "precond_risk")


def _with_risks(grade, probe_, *args):
    """``probe_`` with q2–q5's risks replayed, and its arguments (replay first)."""
    return grade.replaying(probe_), grade.reference_calls(probe_, RISKS, *args), *args


def _tiny(gen):
    # κ up to 20, a target of 3–13 % of the initial risk, and one small, one moderate and one
    # large step, so that different batch sizes pick different settings; the noise scales c
    # are drawn apart from h (last, so that the other draws stay as they were): with c = h a
    # risk function called with h and c swapped would answer the same
    h = 0.05 + 0.95 * torch.rand(4, generator=gen, dtype=F64)
    w0 = 0.5 + torch.rand(4, generator=gen, dtype=F64)
    start = float((0.5 * h * w0**2).sum())
    target = round(0.03 + 0.1 * float(torch.rand(1, generator=gen)), 4) * start
    u = torch.rand(3, generator=gen, dtype=F64).tolist()
    alphas = [round(0.005 + 0.02 * u[0], 4), round(0.1 + 0.2 * u[1], 4), round(1.0 + 0.9 * u[2], 4)]
    grids = {
        "sgd": {"alpha": alphas},
        "momentum": {"alpha": alphas, "beta": [0.5, 0.9]},
        "ema": {"alpha": alphas, "gamma": [0.5, 0.9, 0.99]},
        "precond": {"alpha": alphas, "p": [0.5, 1.0]},
    }
    c = 0.05 + 0.95 * torch.rand(4, generator=gen, dtype=F64)
    return h, c, w0, target, grids


# T0 on step counts is safe across formulations and CPUs: the first hit flips only if some
# total risk lies within rounding (~1e-15 relative in float64) of the target. The target
# is a continuous random fraction of the start, so that happens with probability of order
# (settings × steps) · 1e-15 ≈ 1e-11 per case; over 100 draws of `_tiny`, each for the four
# methods at B = 1, 2, …, 64 (2,800 settings grids, k ≤ 500), the closest total risk was
# 7.6e-7 (relative) away from the target, eight orders above rounding.
def test_q6_steps_to_target(grade):
    for i, gen in grade.cases(4):
        method = ("sgd", "momentum", "ema", "precond")[i]
        h, c, w0, target, grids = _tiny(gen)
        B = int(2 ** torch.randint(0, 7, (1,), generator=gen))
        grade.compare(
            *_with_risks(grade, first_hit, method, h, c, B, w0, target, grids[method], 500),
            case=f"{method}, d = 4, B = {B}, grid {grids[method]}, k_max = 500 (case {i})",
            **T0,
        )
    gen = torch.Generator().manual_seed(6)
    h, c, w0, _, grids = _tiny(gen)
    grade.compare(
        *_with_risks(grade, first_hit, "ema", h, c, 1, w0, 1e-6, grids["ema"], 100),
        case="a target no setting reaches: (k_max + 1, {})",
        **T0,
    )


def test_q6_regime_table(grade):
    for i, gen in grade.cases(2):
        h, c, w0, target, grids = _tiny(gen)
        batch_sizes = [1, int(2 ** torch.randint(2, 7, (1,), generator=gen))]
        grade.compare(
            *_with_risks(grade, table, batch_sizes, h, c, w0, target, grids, 300),
            case=f"B ∈ {batch_sizes}, four methods, k_max = 300 (case {i})",
            **T0,
        )


def _closed_form_first_hit(h, c, w0, alpha, B, target):
    """p = 1: every coordinate contracts by (1 − α)² per step, so the first hit is explicit.

    Needs floor < target < start; returns (first hit, the unrounded solution).
    """
    start = float((0.5 * h * w0**2).sum())
    floor = float((alpha * c / h).sum()) / (2 * B * (2 - alpha))
    x = math.log((target - floor) / (start - floor)) / (2 * math.log(1 - alpha))
    return math.ceil(x), x


def test_q6_first_hit_in_closed_form(grade):
    for i, gen in grade.cases(3):
        h = 0.1 + 0.9 * torch.rand(3, generator=gen, dtype=F64)
        w0 = 0.5 + torch.rand(3, generator=gen, dtype=F64)
        alpha = round(0.01 + 0.09 * float(torch.rand(1, generator=gen)), 4)
        B = int(2 ** torch.randint(0, 5, (1,), generator=gen))
        start = float((0.5 * h * w0**2).sum())
        floor = 3 * alpha / (2 * B * (2 - alpha))  # c = h: each coordinate's floor is α/(2B(2 − α))
        target = floor + (start - floor) * (0.01 + 0.2 * float(torch.rand(1, generator=gen)))
        k, x = _closed_form_first_hit(h, h, w0, alpha, B, target)
        if abs(x - round(x)) < 1e-6:  # too close to a whole step to call
            target *= 1.001
            k, _ = _closed_form_first_hit(h, h, w0, alpha, B, target)
        case = f"p = 1, α = {alpha}, B = {B}: the first hit is k = {k} in closed form (case {i})"
        got = grade.run(
            *_with_risks(
                grade,
                first_hit,
                "precond",
                h,
                h.clone(),
                B,
                w0,
                target,
                {"alpha": [alpha], "p": [1.0]},
                2000,
            ),
            case=case,
        )
        if got is not None:
            grade.check(
                got == [k, {"alpha": alpha, "p": 1.0}],
                case=case,
                message=f"expected [{k}, {{'alpha': {alpha}, 'p': 1.0}}], got {got}",
            )
    case = "a target above the initial risk is met at k = 0"
    got = grade.run(
        *_with_risks(grade, first_hit, "sgd", h, h.clone(), 1, w0, 2 * start, {"alpha": [0.1]}, 50),
        case=case,
    )
    if got is not None:
        grade.check(
            got == [0, {"alpha": 0.1}],
            case=case,
            message=f"expected [0, {{'alpha': 0.1}}], got {got}",
        )
    # Ties, in exact arithmetic: hᵢ = 1, α = 0.5 (r = 1/2), B = 2 and cᵢ = 3/64 (a floor of
    # 1/256 per coordinate) make the total risk 3.75/4^k + (1 − 4^−k)/64 a short binary
    # fraction at every k, so that every order of summation gives it exactly; α = 0.25 in
    # the grid is slower (its first hits come later).
    h = torch.ones(4, dtype=F64)
    c = torch.full((4,), 3 / 64, dtype=F64)
    w0 = torch.tensor([1.0, -2.0, 0.5, 1.5], dtype=F64)
    grid = {"alpha": [0.25, 0.5]}
    risk_3 = 3.75 / 4**3 + (1 - 4**-3) / 64  # 0.073974609375, the total risk at k = 3
    setup = "SGD, hᵢ = 1, cᵢ = 3/64, w₀ = (1, −2, 0.5, 1.5), B = 2, α ∈ {0.25, 0.5}"
    for target, k_max, case in (
        (
            risk_3,
            10,
            f"{setup}, k_max = 10: a target equal to the total risk at k = 3 ({risk_3}) is "
            "met at k = 3 (the first k with risk ≤ target)",
        ),
        (
            0.1,
            3,
            f"{setup}, k_max = 3, target 0.1: a first hit at k = k_max counts (the answer "
            "is 3, not k_max + 1)",
        ),
    ):
        got = grade.run(
            *_with_risks(grade, first_hit, "sgd", h, c, 2, w0, target, grid, k_max), case=case
        )
        if got is not None:
            grade.check(
                got == [3, {"alpha": 0.5}],
                case=case,
                message=f"expected [3, {{'alpha': 0.5}}], got {got}",
            )


def test_q6_steps_figure(grade):
    for i, gen in grade.cases(2):
        batch_sizes = [1, 16, 256, 4096][: 3 + i]
        tab = {
            m: sorted(
                (torch.randint(1, 3000, (len(batch_sizes),), generator=gen)).tolist(), reverse=True
            )
            for m in ("sgd", "momentum", "ema", "precond")
        }
        grade.compare_figure(
            steps_figure,
            batch_sizes,
            tab,
            case=f"{len(batch_sizes)} batch sizes, four methods (case {i})",
            **T1,
        )
