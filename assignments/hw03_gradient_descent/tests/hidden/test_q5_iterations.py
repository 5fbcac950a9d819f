import itertools

import torch

from autograder.testing import T0, probe


@probe
def count(ns, kappa, scale):
    torch.set_num_threads(1)
    return int(ns.iterations_to_tol(kappa, scale))


@probe
def counts(ns, kappas, scale):
    torch.set_num_threads(1)
    return [int(ns.iterations_to_tol(k, scale)) for k in kappas]


# Counts are compared exactly (T0). That is safe for any correct way to compute f(w_k)/f(w₀)
# (running products, powers, or gradient descent on make_quadratic's matrix, which gives
# the same counts): over every input these tests can draw (κ = 2..119 and a scale on the
# 0.001 grid of [0.3, 1.9]: 188 918 pairs, the lecture's and the public cases included),
# the relative loss at the crossing is at least 7e-9 (relative) away from tol on both
# sides (measured), while rounding moves it by ~k·ε ≈ 1e-12 at k ≤ 3000 steps.
def test_q5_counts(grade):
    for kappa, scale in ((10.0, 1.0), (50.0, 1.8)):
        grade.compare(
            count, kappa, scale, case=f"lecture case κ = {kappa:g}, α = {scale}/λ_max", **T0
        )
    for _i, gen in grade.cases(4):
        kappa = float(torch.randint(2, 120, (1,), generator=gen))
        scale = round(0.3 + 1.6 * float(torch.rand(1, generator=gen)), 3)
        grade.compare(count, kappa, scale, case=f"κ = {kappa:g}, α = {scale}/λ_max", **T0)


def test_q5_properties(grade):
    kappas = [2.0, 5.0, 10.0, 30.0, 100.0]
    got, ref = grade.run_and_reference(
        counts, kappas, 1.0, case="counts for κ = 2, 5, 10, 30, 100 at α = 1/λ_max"
    )
    if got is None:
        return
    # the two laws count only with the counts right (κ itself increases, 10× from 10 to 100)
    if got != ref:
        for what in (
            "the count increases with κ",
            "count(κ = 100)/count(κ = 10) is about 10 (the count is linear in κ)",
        ):
            grade.check(
                False,
                case=what,
                message=f"the counts for κ = {kappas} are {got}, not the expected {ref}, so "
                "this law is not credited",
            )
        return
    grade.check(
        all(a < b for a, b in itertools.pairwise(got)),
        case="the count increases with κ",
        message=f"counts for κ = {kappas}: {got}",
    )
    ratio = got[4] / max(got[2], 1)
    grade.check(
        8 <= ratio <= 13,
        case="count(κ = 100)/count(κ = 10) is about 10 (the count is linear in κ)",
        message=f"ratio {ratio:.3f}, expected in [8, 13] (theory ≈ 10.4)",
    )
