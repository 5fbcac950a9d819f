import torch

from autograder.testing import T1, T2, probe


@probe
def ls_nodes(ns, X, y, w):
    cache = ns.ls_forward(X, y, w)
    back = ns.ls_backward(X, y, w, cache)
    return {
        "forward": {k: cache[k] for k in ("z1", "z2", "f")},
        "backward": {k: back[k] for k in ("df_dz2", "df_dz1", "df_dw")},
    }


@probe
def ls_gradient(ns, X, y, w):
    return ns.ls_backward(X, y, w, ns.ls_forward(X, y, w))["df_dw"]


def _problem(gen, n, p):
    X = torch.randn(n, p, generator=gen, dtype=torch.float64)
    y = torch.randn(n, generator=gen, dtype=torch.float64)
    w = torch.randn(p, generator=gen, dtype=torch.float64)
    return X, y, w


def test_q3_forward_and_backward_nodes(grade):
    for i, gen in grade.cases(5):
        n, p = 3 + 4 * i, 1 + i
        grade.compare(ls_nodes, *_problem(gen, n, p), case=f"random n={n}, p={p}", **T1)


def test_q3_gradient_matches_finite_differences(grade):
    for i, gen in grade.cases(2):
        X, y, w = _problem(gen, 8, 3)
        got = grade.run(ls_gradient, X, y, w, case=f"finite differences {i + 1}")
        if got is None:
            continue
        h = 1e-6
        fd = torch.stack(
            [
                (
                    0.5 * ((X @ (w + h * e) - y) ** 2).sum()
                    - 0.5 * ((X @ (w - h * e) - y) ** 2).sum()
                )
                / (2 * h)
                for e in torch.eye(3, dtype=torch.float64)
            ]
        )
        ok = (
            isinstance(got, torch.Tensor)
            and got.shape == fd.shape
            and torch.allclose(got, fd, **{"rtol": T2["rtol"] * 100, "atol": 1e-6})
        )
        grade.check(
            ok,
            case=f"finite differences {i + 1}",
            message=f"df_dw = {got} disagrees with central differences {fd}",
        )
