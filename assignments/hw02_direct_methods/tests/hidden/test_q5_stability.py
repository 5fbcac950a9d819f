import torch

from autograder.testing import T1, probe


@probe
def problem_of(ns, kappa, n, p, seed):
    torch.set_num_threads(1)
    X, y, w = ns.make_problem(kappa, n, p, seed)
    return {"X": X, "y": y, "w_true": w}


@probe
def problem_kappa(ns, kappa, n, p, seed):
    torch.set_num_threads(1)
    X, y, w = ns.make_problem(kappa, n, p, seed)
    S = torch.linalg.svdvals(X)
    return {"kappa": float(S[0] / S[-1]), "residual": float((X @ w - y).norm())}


@probe
def errors_of(ns, kappas):
    torch.set_num_threads(1)
    out = ns.stability_errors(kappas)
    return {"normal": out["normal"], "qr": out["qr"]}


def test_q5_make_problem(grade):
    for _i, gen in grade.cases(4):
        kappa = float(10 ** (4 * torch.rand(1, generator=gen)))
        n = int(torch.randint(6, 30, (1,), generator=gen))
        p = int(torch.randint(1, 6, (1,), generator=gen))
        seed = int(torch.randint(0, 10_000, (1,), generator=gen))
        grade.compare(
            problem_of,
            kappa,
            n,
            p,
            seed,
            case=f"κ = {kappa:.1f}, n = {n}, p = {p}, seed {seed}",
            **T1,
        )
    for kappa in (10.0, 1e3):
        case = f"make_problem({kappa:g}, 40, 5, seed=1): κ(X) = {kappa:g}, y = X w_true"
        got = grade.run(problem_kappa, kappa, 40, 5, 1, case=case)
        if got is not None:
            grade.check(
                abs(got["kappa"] - kappa) <= 1e-9 * kappa and got["residual"] <= 1e-12,
                case=case,
                message=f"κ(X) = {got['kappa']:.10g} (expected {kappa:g}) and ‖Xw − y‖ = "
                f"{got['residual']:.2e} (expected 0)",
            )


def test_q5_stability_properties(grade):
    # float32, n = 200, p = 5, median over 5 seeds (measured: normal 1.5e-4 → 7.7e-3,
    # QR 7e-7 → 1.2e-5 from κ = 10² to 10³)
    case = "stability_errors([1e2, 1e3]) in float32"
    got = grade.run(errors_of, [1e2, 1e3], case=case)
    if got is None:
        return
    normal, qr = got["normal"], got["qr"]
    if not grade.check(
        isinstance(normal, torch.Tensor) and normal.shape == (2,) and qr.shape == (2,),
        case=case + ": two errors per method",
        message="expected tensors of shape (2,) under 'normal' and 'qr'",
    ):
        return
    eps = torch.finfo(torch.float32).eps
    grade.check(
        float(normal[1]) >= 50 * float(qr[1]),
        case="at κ = 10³ the normal equations are ≥ 50× worse than QR",
        message=f"normal {float(normal[1]):.2e} vs QR {float(qr[1]):.2e}: the normal "
        "equations square κ, so their error should be far larger",
    )
    grade.check(
        0 < float(qr[1]) <= 10 * 1e3 * eps,
        case="at κ = 10³ the QR error is at most 10·κ·ε₃₂",
        message=f"QR error {float(qr[1]):.2e}, expected (0, {10 * 1e3 * eps:.2e}]: are X and y "
        "cast to float32 before solving?",
    )
    bound = eps * 1e3**2  # ε·κ² at κ = 10³: 0.119 (measured error 7.7e-3)
    grade.check(
        bound / 100 <= float(normal[1]) <= bound,
        case="at κ = 10³ the normal-equations error is float32-sized: in [ε·κ²/100, ε·κ²]",
        message=f"normal-equations error {float(normal[1]):.2e}, expected between "
        f"{bound / 100:.2e} and {bound:.2e} in float32: are X and y cast to `dtype` before "
        "solving?",
    )
    grade.check(
        float(normal[1]) >= 20 * float(normal[0]),
        case="the normal-equations error grows ≥ 20× from κ = 10² to 10³",
        message=f"normal-equations errors {normal.tolist()}: expected growth like κ²",
    )
