import math

import torch

from autograder.testing import T1, probe


@probe
def sigmoid_of(ns, z):
    torch.set_num_threads(1)
    return ns.sigmoid(z)


@probe
def bce_of(ns, z, y):
    torch.set_num_threads(1)
    return ns.bce_with_logits(z, y)


@probe
def bce_values(ns, pairs):
    torch.set_num_threads(1)
    return [float(ns.bce_with_logits(z, y)) for z, y in pairs]


def _logits(gen, n):
    # z ~ N(0, 9) with a few entries replaced by ±40 and ±700 (exp(700) ≈ 1e304, exp(710) = inf)
    z = 3.0 * torch.randn(n, generator=gen, dtype=torch.float64)
    k = min(n, 4)
    where = torch.randperm(n, generator=gen)[:k]
    z[where] = torch.tensor([40.0, -40.0, 700.0, -700.0], dtype=torch.float64)[:k]
    return z


def test_q2_sigmoid(grade):
    for _i, gen in grade.cases(4):
        n = int(torch.randint(1, 51, (1,), generator=gen))
        z = _logits(gen, n)
        grade.compare(sigmoid_of, z, case=f"{n} logits including ±40, ±700", **T1)
    z = torch.tensor([[0.0, 1.0], [-1.0, 2.5]], dtype=torch.float64)
    grade.compare(sigmoid_of, z, case="a 2×2 tensor (shape is kept)", **T1)


def test_q2_bce(grade):
    for _i, gen in grade.cases(5):
        n = int(torch.randint(1, 51, (1,), generator=gen))
        z = _logits(gen, n)
        y = torch.randint(0, 2, (n,), generator=gen).to(torch.float64)
        grade.compare(bce_of, z, y, case=f"n = {n}, logits including ±40, ±700", **T1)
    z = torch.tensor([2.0, -1.0, 0.5], dtype=torch.float64)
    y = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    grade.compare(bce_of, z, y, case="z = (2, −1, 0.5), y = (1, 0, 0)", **T1)


def test_q2_properties(grade):
    big = torch.tensor([700.0, -700.0, 700.0, -700.0], dtype=torch.float64)
    y = torch.tensor([0.0, 1.0, 1.0, 0.0], dtype=torch.float64)
    got = grade.run(bce_values, [[big, y]], case="finite at |z| = 700")
    if got is not None:
        # two examples pay 700 each (confidently wrong), two pay e^-700 ≈ 0
        grade.check(
            math.isfinite(got[0]) and abs(got[0] - 350.0) < 1e-9,
            case="finite at |z| = 700",
            message=f"bce_with_logits([700, −700, 700, −700], [0, 1, 1, 0]) should be 350, "
            f"got {got[0]}: use max(z, 0) − yz + log(1 + e^(−|z|)), which never overflows",
        )
    zero = torch.zeros(3, dtype=torch.float64)
    got = grade.run(
        bce_values, [[zero, torch.tensor([0.0, 1.0, 1.0], dtype=torch.float64)]], case="z = 0"
    )
    if got is not None:
        grade.check(
            abs(got[0] - math.log(2)) < 1e-12,
            case="z = 0 gives log 2",
            message=f"at z = 0 (p = ½) both penalties equal log 2 = 0.693147…, got {got[0]}",
        )


# A separate test, so that q2 has four tests of 6.25 points (25/3 does not add up exactly).
def test_q2_symmetry_and_ordering(grade):
    for _i, gen in grade.cases(2):
        z = 4.0 * torch.randn(6, generator=gen, dtype=torch.float64)
        yy = torch.randint(0, 2, (6,), generator=gen).to(torch.float64)
        case = "symmetry bce(z, y) = bce(−z, 1 − y)"
        got = grade.run(bce_values, [[z, yy], [-z, 1.0 - yy]], case=case)
        if got is not None:
            grade.check(
                abs(got[0] - got[1]) <= 1e-12 * max(1.0, abs(got[0])),
                case=case,
                message=f"bce(z, y) = {got[0]!r} but bce(−z, 1 − y) = {got[1]!r}",
            )
    # The lecture's legitimate email (y = 0) predicted spam with p = 0.8, 0.3, 0.1
    pairs = [
        [torch.tensor([math.log(p / (1 - p))], dtype=torch.float64), torch.zeros(1)]
        for p in (0.8, 0.3, 0.1)
    ]
    pairs = [[z, y.to(torch.float64)] for z, y in pairs]
    got = grade.run(bce_values, pairs, case="lecture ordering")
    if got is not None:
        want = [-math.log(1 - p) for p in (0.8, 0.3, 0.1)]  # 1.609, 0.357, 0.105
        grade.check(
            got[0] > got[1] > got[2] and all(abs(g - w) < 1e-12 for g, w in zip(got, want)),
            case="lecture ordering −log(1−0.8) > −log(1−0.3) > −log(1−0.1)",
            message=f"for y = 0 and p = 0.8, 0.3, 0.1 expected {want}, got {got}",
        )
