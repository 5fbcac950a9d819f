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


@probe
def count_with(ns, kappa, scale, tol, max_iter):
    torch.set_num_threads(1)
    return int(ns.iterations_to_tol(kappa, scale, tol=tol, max_iter=max_iter))


@probe
def counts_with(ns, kappa, scale, settings):
    torch.set_num_threads(1)
    return [int(ns.iterations_to_tol(kappa, scale, tol=t, max_iter=m)) for t, m in settings]


def test_q5_arguments(grade):
    # α close to 2/λ₁: |1 − α·1| > |1 − α/κ|, so the stiff direction (λ₁ = 1) is the slow
    # one and both directions count. Both pairs lie on the grid measured above.
    for kappa, scale in ((2.0, 1.9), (3.0, 1.8)):
        grade.compare(
            count,
            kappa,
            scale,
            case=f"κ = {kappa:g}, α = {scale}/λ_max (the λ₁ direction converges slowest)",
            **T0,
        )
    for i, gen in grade.cases(3):
        kappa = float(torch.randint(2, 120, (1,), generator=gen))
        if i == 2:  # a step ≥ 2/λ₁ diverges: the count is max_iter
            scale = round(2.0 + float(torch.rand(1, generator=gen)), 3)
            max_iter = int(torch.randint(20, 61, (1,), generator=gen))
            grade.compare(
                count_with,
                kappa,
                scale,
                1e-6,
                max_iter,
                case=f"α = {scale}/λ_max ≥ 2/λ_max never converges: max_iter = {max_iter}",
                **T0,
            )
            continue
        scale = round(0.3 + 1.6 * float(torch.rand(1, generator=gen)), 3)
        # tol = 1: w₀ itself has f(w₀) ≤ 1·f(w₀), so the count is 0 (exactly, for any
        # method); with the default tol beside it, so that a constant 0 does not pass
        grade.compare(
            counts_with,
            kappa,
            scale,
            [[1.0, 100_000], [1e-6, 100_000]],
            case=f"κ = {kappa:g}, α = {scale}/λ_max: tol = 1 (0 steps), then tol = 1e-6",
            **T0,
        )
        # max_iter one short of the count, then equal to it: "no k ≤ max_iter reaches it"
        k = grade.reference(count, kappa, scale)
        for max_iter in (k - 1, k) if i == 0 else (k,):
            grade.compare(
                count_with,
                kappa,
                scale,
                1e-6,
                max_iter,
                case=f"κ = {kappa:g}, α = {scale}/λ_max, max_iter = {max_iter} "
                f"({'one less than' if max_iter < k else 'equal to'} the count)",
                **T0,
            )
