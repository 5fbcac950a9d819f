import math

import torch

from autograder.testing import T1, probe


@probe
def profile(ns, times, taus):
    return ns.performance_profile(times, taus)


def test_q2_public(grade):
    times = torch.tensor([[1.0, 3.0, math.inf], [2.0, 2.0, 4.0]], dtype=torch.float64)
    taus = torch.tensor([1.0, 1.5, 2.0, 4.0], dtype=torch.float64)
    grade.compare(profile, times, taus, case="2 solvers × 3 workloads", **T1)
    # the last workload: nobody solves it, so it counts as failed for both (ρ ≤ 2/3)
    unsolved = torch.tensor(
        [[1.0, 3.0, math.inf, math.inf], [2.0, 2.0, 4.0, math.inf]], dtype=torch.float64
    )
    grade.compare(
        profile, unsolved, taus, case="2 solvers × 4 workloads, one that nobody solves", **T1
    )
