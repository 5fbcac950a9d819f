import math

import torch

from autograder.testing import T1, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def sigmoid_of(ns, z):
    torch.set_num_threads(1)
    return ns.sigmoid(z)


@probe
def bce_of(ns, z, y):
    torch.set_num_threads(1)
    return ns.bce_with_logits(z, y)


@probe
def bce_gradient(ns, z, y):
    # the autograd gradient of the student's loss in z (train_logistic differentiates it)
    torch.set_num_threads(1)
    leaf = z.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(ns.bce_with_logits(leaf, y), leaf)
    return g


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
    # "any shape": one logit, as a (1,) tensor and as a 0-dimensional one
    one = torch.tensor([-3.0], dtype=torch.float64)
    grade.compare(sigmoid_of, one, case="a single logit, shape (1,)", **T1)
    grade.compare(sigmoid_of, one[0], case="a 0-dimensional tensor (shape () is kept)", **T1)


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
        finite = math.isfinite(got[0])
        grade.check(
            finite and abs(got[0] - 350.0) < 1e-9,
            case="finite at |z| = 700",
            message="bce_with_logits([700, −700, 700, −700], [0, 1, 1, 0]) should be 350, "
            + (
                f"got {got[0]}: the mean over the 4 examples of 700, 700, ~0 and ~0"
                if finite
                else f"got {got[0]}: use max(z, 0) − yz + log(1 + e^(−|z|)), which never overflows"
            ),
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


def test_q2_gradient_at_zero(grade):
    # The docstring: autograd's derivative of the loss in z must be (σ(z) − y)/n at every
    # z, 0 included, where max(z, 0) and |z| have a kink (clamp gives 1 there, relu and abs
    # 0, not ½). train_logistic starts at w = 0, where every logit is exactly 0.
    z = torch.tensor([0.0, 0.0, 0.0, 1.5, -2.0], dtype=torch.float64)
    y = torch.tensor([1.0, 0.0, 0.5, 1.0, 0.0], dtype=torch.float64)
    grade.compare(
        bce_gradient, z, y, case="autograd's gradient in z at z = (0, 0, 0, 1.5, −2)", **T1
    )
    for _i, gen in grade.cases(2):
        n = int(torch.randint(2, 20, (1,), generator=gen))
        z = 3.0 * torch.randn(n, generator=gen, dtype=torch.float64)
        z[torch.randperm(n, generator=gen)[: n // 2]] = 0.0  # half of them exactly 0
        y = torch.randint(0, 2, (n,), generator=gen).to(torch.float64)
        grade.compare(
            bce_gradient, z, y, case=f"autograd's gradient in z, n = {n}, half the z = 0", **T1
        )


# A separate test, so that q2's tests share its 25 points evenly (25/3 does not add up).
def test_q2_symmetry_and_ordering(grade):
    for _i, gen in grade.cases(2):
        z = 4.0 * torch.randn(6, generator=gen, dtype=torch.float64)
        yy = torch.randint(0, 2, (6,), generator=gen).to(torch.float64)
        case = "symmetry bce(z, y) = bce(−z, 1 − y)"
        got, ref = grade.run_and_reference(bce_values, [[z, yy], [-z, 1.0 - yy]], case=case)
        if got is not None:
            # the symmetry counts only with the right values (a constant has it too)
            differs = _differs(ref, got, **T1)
            symmetric = differs != "unreadable" and abs(got[0] - got[1]) <= 1e-12 * max(
                1.0, abs(got[0])
            )
            if differs == "unreadable":
                message = "bce_with_logits did not return a 0-d tensor"
            elif not symmetric:
                message = f"bce(z, y) = {got[0]!r} but bce(−z, 1 − y) = {got[1]!r}"
            else:
                message = f"both sides agree, but they are not the mean cross-entropy: {differs}"
            grade.check(symmetric and differs is None, case=case, message=message)
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


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if the student's value matches the reference's, else how it differs, in words;
    "unreadable" if it is not a list of two numbers. Decided here, on the trusted side."""
    if not (isinstance(got, list) and len(got) == 2 and all(type(v) is float for v in got)):
        return "unreadable"
    mismatch = compare(expected, got, Tolerance(rtol, atol))
    return None if mismatch is None else escape_markdown(str(mismatch))
