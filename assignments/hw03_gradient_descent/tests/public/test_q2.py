import torch

from autograder.testing import T1, T2, probe


@probe
def gd_run(ns, X, y, step, n_steps):
    torch.set_num_threads(1)
    out = ns.gradient_descent(X, y, step, n_steps)
    return {"w": out["w"], "iterates": out["iterates"], "loss": out["loss"]}


@probe
def gd_rel(ns, X, y, step, n_steps):
    torch.set_num_threads(1)
    return ns.gradient_descent(X, y, step, n_steps)["rel_loss"]


X3 = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=torch.float64)
y3 = torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64)


def test_q2_small(grade):
    grade.compare(gd_run, X3, y3, 0.01, 5, case="3×2 X, α = 0.01, 5 steps", **T1)
    grade.compare(gd_rel, X3, y3, 0.01, 5, case="3×2 X, α = 0.01, 5 steps: rel_loss", **T2)
