import torch

from autograder.testing import T1, probe


@probe
def solve_both(ns, X, y):
    torch.set_num_threads(1)
    return {"normal": ns.lstsq_normal(X, y), "qr": ns.lstsq_qr(X, y)}


@probe
def solve_one(ns, name, X, y):
    torch.set_num_threads(1)
    return getattr(ns, name)(X, y)


def _problem(gen, kappa_max=100.0):
    # X = U diag(s) Vᵀ with κ(X) ≤ kappa_max
    n = int(torch.randint(10, 81, (1,), generator=gen))
    p = int(torch.randint(1, 7, (1,), generator=gen))
    U, _ = torch.linalg.qr(torch.randn(n, p, generator=gen, dtype=torch.float64))
    V, _ = torch.linalg.qr(torch.randn(p, p, generator=gen, dtype=torch.float64))
    kappa = 1 + (kappa_max - 1) * float(torch.rand(1, generator=gen))
    s = torch.logspace(0, -torch.log10(torch.tensor(kappa)).item(), p, dtype=torch.float64)
    X = 3.0 * (U * s) @ V.T
    y = torch.randn(n, generator=gen, dtype=torch.float64)
    return X, y, kappa


def _diabetes():
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    X = torch.tensor(data.data, dtype=torch.float64)
    X = torch.cat([X, torch.ones(X.shape[0], 1, dtype=torch.float64)], dim=1)
    return X, torch.tensor(data.target, dtype=torch.float64)


def test_q3_normal_equations(grade):
    # Forming XᵀX squares the condition number: a correct solver's forward error is up to
    # c·ε·κ(X)²·‖w‖ in every component (Higham, Accuracy and Stability, §20.4), so two
    # correct solvers (another Gram product, another LU order) differ by that much, and a
    # small component may differ by more than T1's rtol of itself. Measured over 2000 draws
    # of these inputs and 4 correct implementations: max |Δw|∞ = 2.7·ε·κ²·‖w‖ (T1 alone
    # used up to 0.49 of its tolerance). atol = 20·ε·κ²·‖w‖ (κ ≤ 100: at most 4.4e-11·‖w‖)
    # adds a 7× margin and still rejects any wrong solver (errors of order ‖w‖).
    eps = torch.finfo(torch.float64).eps
    for _i, gen in grade.cases(4):
        X, y, kappa = _problem(gen)
        w_norm = float(torch.linalg.lstsq(X, y[:, None]).solution.norm())
        case = f"X of shape {tuple(X.shape)}, κ(X) = {kappa:.1f}"
        atol = max(T1["atol"], 20 * eps * kappa**2 * w_norm)
        grade.compare(solve_one, "lstsq_normal", X, y, case=case, rtol=T1["rtol"], atol=atol)


def test_q3_qr(grade):
    for _i, gen in grade.cases(4):
        X, y, kappa = _problem(gen)
        case = f"X of shape {tuple(X.shape)}, κ(X) = {kappa:.1f}"
        grade.compare(solve_one, "lstsq_qr", X, y, case=case, **T1)


def test_q3_diabetes(grade):
    X, y = _diabetes()
    # κ(X) ≈ 227 with the intercept column (κ(XᵀX) ≈ 5·10⁴): T1 still holds for both
    grade.compare(solve_both, X, y, case="load_diabetes (442 × 10) plus an intercept", **T1)


def test_q3_properties(grade):
    for i, gen in grade.cases(2):
        X, y, _ = _problem(gen)
        p = X.shape[1]
        w_true = torch.randn(p, generator=gen, dtype=torch.float64)
        for label, target in (("noisy y", y), ("y = X w_true", X @ w_true)):
            case = f"{label}, X of shape {tuple(X.shape)} (case {i})"
            got = grade.run(solve_both, X, target, case=case)
            if got is None:
                continue
            for name, w in got.items():
                if not grade.check(
                    isinstance(w, torch.Tensor) and w.shape == (p,),
                    case=f"{name}: {case}: shape",
                    message=f"expected shape ({p},), got {getattr(w, 'shape', type(w).__name__)}",
                ):
                    continue
                grad = float((X.T @ (X @ w - target)).norm())
                bound = 1e-9 * float(torch.linalg.matrix_norm(X)) ** 2 * max(float(w.norm()), 1.0)
                grade.check(
                    grad <= bound,
                    case=f"{name}: {case}: the residual is orthogonal to the columns of X",
                    message=f"‖Xᵀ(Xŵ − y)‖ = {grad:.2e} should be ~0 (bound {bound:.1e})",
                )
                if label != "noisy y":
                    err = float((w - w_true).norm() / w_true.norm())
                    grade.check(
                        err < 1e-10,
                        case=f"{name}: {case}: recovers w_true",
                        message=f"with y = X w_true, ‖ŵ − w_true‖/‖w_true‖ = {err:.2e}",
                    )
