import torch

from autograder.testing import T2, probe


@probe
def power(ns, X):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    return {
        "lam": float(ns.lambda_max_power(X, generator=g)),
        "step": float(ns.max_stable_step(X, generator=torch.Generator().manual_seed(0))),
    }


@probe
def power_steps(ns, X, n_iter):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    return float(ns.lambda_max_power(X, n_iter=n_iter, generator=g))


def test_q3_small(grade):
    X = torch.diag(torch.tensor([3.0, 1.0], dtype=torch.float64))
    grade.compare(power, X, case="X = diag(3, 1): λ_max = 9", **T2)
    X = torch.tensor([[2.0, 1.0], [1.0, 1.5], [0.0, 1.0]], dtype=torch.float64)
    grade.compare(power_steps, X, 2, case="a 3×2 X, n_iter = 2 (exactly two steps)", **T2)
