import torch

from autograder.testing import T1, probe


@probe
def cosine_of(ns, x, y):
    torch.set_num_threads(1)
    return ns.cosine_similarity(x, y)


@probe
def pairwise_of(ns, X):
    torch.set_num_threads(1)
    return ns.pairwise_cosine(X)


@probe
def pairwise_scaled(ns, X, scales):
    torch.set_num_threads(1)
    return {"plain": ns.pairwise_cosine(X), "scaled": ns.pairwise_cosine(scales[:, None] * X)}


def test_q1_cosine_similarity(grade):
    for _i, gen in grade.cases(4):
        n = int(torch.randint(1, 9, (1,), generator=gen))
        x = torch.randn(n, generator=gen, dtype=torch.float64)
        y = torch.randn(n, generator=gen, dtype=torch.float64)
        grade.compare(cosine_of, x, y, case=f"random vectors of length {n}", **T1)
    day1 = torch.tensor([20.0, 22, 25, 23, 21], dtype=torch.float64)
    day2 = torch.tensor([21.0, 22, 26, 24, 20], dtype=torch.float64)
    grade.compare(cosine_of, day1, day2, case="two temperature days (≈ 0.999)", **T1)
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    grade.compare(cosine_of, x, -3 * x, case="opposite directions (−1)", **T1)


def test_q1_pairwise(grade):
    for _i, gen in grade.cases(4):
        m = int(torch.randint(1, 11, (1,), generator=gen))
        n = int(torch.randint(1, 9, (1,), generator=gen))
        X = torch.randn(m, n, generator=gen, dtype=torch.float64)
        grade.compare(pairwise_of, X, case=f"random X of shape ({m}, {n})", **T1)


def test_q1_pairwise_properties(grade):
    for i, gen in grade.cases(2):
        X = torch.randn(6, 4, generator=gen, dtype=torch.float64)
        scales = 0.1 + 10 * torch.rand(6, generator=gen, dtype=torch.float64)
        case = f"properties of pairwise_cosine on a 6×4 X (case {i})"
        got = grade.run(pairwise_scaled, X, scales, case=case)
        if got is None:
            continue
        C, Cs = got["plain"], got["scaled"]
        if not grade.check(
            isinstance(C, torch.Tensor) and C.shape == (6, 6) and Cs.shape == (6, 6),
            case=case + ": shape (6, 6)",
            message=f"expected a (6, 6) tensor, got {getattr(C, 'shape', type(C).__name__)}",
        ):
            continue
        grade.check(
            bool(((C.diagonal() - 1).abs() <= 1e-12).all()),
            case=case + ": diagonal is 1",
            message=f"every row has cosine 1 with itself; the diagonal is {C.diagonal()}",
        )
        grade.check(
            bool(((C - C.T).abs() <= 1e-12).all()),
            case=case + ": symmetric",
            message="cos(xᵢ, xⱼ) = cos(xⱼ, xᵢ), but your matrix is not symmetric",
        )
        grade.check(
            bool(((Cs - C).abs() <= 1e-12).all()) and bool((C.abs() <= 1 + 1e-12).all()),
            case=case + ": in [−1, 1] and invariant to positive row scaling",
            message="scaling the rows by positive numbers must not change the cosines, "
            "and every cosine lies in [−1, 1]",
        )
