import math

import torch

from autograder.testing import T1, probe


@probe
def profile(ns, times, taus):
    return ns.performance_profile(times, taus)


@probe
def profile_run(ns, times, taus):
    # wrapped, so that an answer of None is a value the test sees, not a missing case
    return {"rho": ns.performance_profile(times, taus)}


def _table(gen, S, W):
    times = torch.rand(S, W, generator=gen, dtype=torch.float64) * 9 + 1
    times[torch.rand(S, W, generator=gen) < 0.25] = math.inf
    times[:, 0] = math.inf  # nobody solves workload 0
    times[S - 1, 1] = times[0, 1] = 2.0  # a tie
    return times


TAUS = torch.tensor([1.0, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0], dtype=torch.float64)


def test_q2_random_tables(grade):
    for _, gen in grade.cases(5):
        S = int(torch.randint(2, 5, (1,), generator=gen))
        W = int(torch.randint(3, 12, (1,), generator=gen))
        grade.compare(
            profile,
            _table(gen, S, W),
            TAUS,
            case=f"{S} solvers × {W} workloads with failures and a tie",
            **T1,
        )


def test_q2_lecture_case(grade):
    # A is fastest on 2 of 3 workloads, B on 1 and within 2x on the others
    times = torch.tensor([[1.0, 2.0, 10.0], [2.0, 1.0, 5.0]], dtype=torch.float64)
    taus = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    grade.compare(profile, times, taus, case="two solvers, three workloads", **T1)
    # times as integer step counts (an int64 tensor: nothing fails), ratios 1, 1.5, 2 and 10
    steps = torch.tensor([[10, 20, 100, 30], [20, 10, 50, 20]], dtype=torch.int64)
    grade.compare(
        profile,
        steps,
        TAUS,
        case="two solvers, four workloads, times as integer step counts (int64)",
        **T1,
    )


def test_q2_properties(grade):
    gen = torch.Generator().manual_seed(7)
    times = _table(gen, 3, 8)
    case = "non-decreasing in τ; ρ(τ=1) sums to ≥ solved-by-anyone; ρ ≤ fraction solved"
    rho = grade.run(profile_run, times, TAUS, case=case)
    if rho is None:
        return
    rho = rho["rho"]
    ok = isinstance(rho, torch.Tensor) and rho.shape == (3, len(TAUS))
    msg = f"expected a (3, {len(TAUS)}) tensor"
    if ok:
        solved = torch.isfinite(times).to(torch.float64)
        if not bool((rho[:, 1:] >= rho[:, :-1] - 1e-12).all()):
            ok, msg = False, "ρ_s(τ) decreases somewhere in τ"
        elif float(rho[:, 0].sum()) < float(solved.any(0).to(torch.float64).mean()) - 1e-12:
            ok, msg = (
                False,
                "at τ = 1 every workload solved by anyone must count for its fastest solver",
            )
        elif not bool((rho <= solved.mean(1, keepdim=True) + 1e-12).all()):
            ok, msg = False, "ρ_s exceeds the fraction of workloads solver s solves at all"
    grade.check(ok, case=case, message=msg)
