import torch

from autograder.testing import T0, T1, probe

CURVE = torch.tensor([0.9, 0.7, 0.8, 0.4, 0.5, 0.3], dtype=torch.float64)


@probe
def ttr(ns, curve, target, mode):
    return float(ns.time_to_result(curve, target, None, mode))


@probe
def running_best(ns, curve):
    return ns.best_so_far(curve, "min")


def test_q1_public(grade):
    grade.compare(ttr, CURVE, 0.45, "min", case="first index with loss ≤ 0.45", **T0)
    grade.compare(ttr, CURVE, 0.1, "min", case="never reached", **T0)
    grade.compare(ttr, CURVE, 0.4, "min", case="a point equal to the target counts", **T0)
    grade.compare(running_best, CURVE, case="best_so_far of a short curve", **T1)
