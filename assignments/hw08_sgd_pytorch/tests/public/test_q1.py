import torch

from autograder.testing import T0, probe


@probe
def epoch_of(ns, n, b, seed):
    g = torch.Generator().manual_seed(seed)
    return [x.clone() for x in ns.epoch_batches(n, b, g)]


@probe
def with_replacement(ns, n, b, k, seed):
    g = torch.Generator().manual_seed(seed)
    return [x.clone() for x in ns.replacement_batches(n, b, k, g)]


def test_q1_public(grade):
    grade.compare(epoch_of, 10, 4, 0, case="epoch_batches(10, 4, seed 0)", **T0)
    grade.compare(with_replacement, 10, 4, 3, 0, case="replacement_batches(10, 4, 3, seed 0)", **T0)
