import torch

from autograder.testing import T1, probe


@probe
def approx_of(ns, A, k):
    torch.set_num_threads(1)
    return ns.low_rank_approx(A, k)


@probe
def errors_of(ns, S, ks):
    torch.set_num_threads(1)
    return {"rel": [float(ns.relative_error(S, k)) for k in ks], "energy": ns.energy(S)}


def _matrix(gen, smallest=2):
    # A = U diag(s) Vᵀ with well separated singular values, so A_k is unique
    m, n = (int(v) for v in torch.randint(smallest, 13, (2,), generator=gen))
    r = min(m, n)
    U, _ = torch.linalg.qr(torch.randn(m, r, generator=gen, dtype=torch.float64))
    V, _ = torch.linalg.qr(torch.randn(n, r, generator=gen, dtype=torch.float64))
    s = torch.linspace(5.0, 0.5, r, dtype=torch.float64) * (1 + 0.1 * torch.rand(1, generator=gen))
    k = int(torch.randint(1, r + 1, (1,), generator=gen))
    return (U * s) @ V.T, k


def test_q5_low_rank_approx(grade):
    for _i, gen in grade.cases(5):
        A, k = _matrix(gen)
        grade.compare(approx_of, A, k, case=f"A of shape {tuple(A.shape)}, k = {k}", **T1)


def test_q5_errors_and_energy(grade):
    for _i, gen in grade.cases(4):
        r = int(torch.randint(2, 10, (1,), generator=gen))
        S = torch.rand(r, generator=gen, dtype=torch.float64).sort(descending=True).values + 0.01
        ks = list(range(r + 1))
        grade.compare(errors_of, S, ks, case=f"{r} random singular values, k = 0..{r}", **T1)
    S = torch.tensor([500.0, 300.0, 0.0, 0.0], dtype=torch.float64)
    grade.compare(errors_of, S, [0, 1, 2], case="checkerboard σ = (500, 300, 0, 0)", **T1)


def test_q5_checkerboard(grade):
    i = torch.arange(4)
    A = 50.0 + 150.0 * ((i[:, None] + i[None, :]) % 2 == 0).to(torch.float64)
    S = torch.linalg.svdvals(A)  # (500, 300, ~1e-14, ~1e-15)
    got = grade.run(errors_of, S, [0, 1, 2], case="checkerboard: rank 2 is exact")
    if got is None:
        return
    rel = got.get("rel") if isinstance(got, dict) else None
    e = got.get("energy") if isinstance(got, dict) else None
    want = [1.0, 300.0 / (500.0**2 + 300.0**2) ** 0.5, 0.0]  # 1, 0.5145, 0
    grade.check(
        isinstance(rel, list)
        and len(rel) == 3
        and abs(rel[0] - want[0]) < 1e-12
        and abs(rel[1] - want[1]) < 1e-9
        and rel[2] < 1e-12,
        case="checkerboard: relative_error(S, k) for k = 0, 1, 2 is 1, 0.5145, < 1e-12",
        message="the checkerboard has rank 2, so its rank-2 error is ~0; its rank-1 error is "
        f"300/√(500² + 300²) = 0.5145 and its rank-0 error 1; got {rel}",
    )
    energy_ok = (
        isinstance(e, torch.Tensor)
        and e.numel() == 4
        and abs(float(e[0]) - 73.5294117647) < 1e-6
        and abs(float(e[1]) - 26.4705882353) < 1e-6
    )
    grade.check(
        energy_ok,
        case="checkerboard energy 73.5 % and 26.5 %",
        message="500²/(500² + 300²) = 73.53 % and 26.47 %, got "
        f"{e.tolist() if isinstance(e, torch.Tensor) else e}",
    )


def test_q5_eckart_young(grade):
    for i, gen in grade.cases(2):
        # at least 3×3: a 2×2 orthogonal Vh can be symmetric, hiding a rows/columns mix-up
        A, k = _matrix(gen, smallest=3)
        k = max(1, k - 1)
        case = f"‖A − A_k‖ is minimal and equals the tail of the spectrum (case {i})"
        Ak = grade.run(approx_of, A, k, case=case)
        if Ak is None:
            continue
        if not (isinstance(Ak, torch.Tensor) and Ak.shape == A.shape):
            grade.check(  # the first case, failed on the shape
                False,
                case=case + ": ‖A − A_k‖_F² = Σ_{i>k} σᵢ²",
                message=f"expected shape {tuple(A.shape)}, got {getattr(Ak, 'shape', None)}",
            )
            continue
        S = torch.linalg.svdvals(A)
        err = torch.linalg.matrix_norm(A - Ak)
        tail = torch.sqrt((S[k:] ** 2).sum())
        optimal = abs(float(err - tail)) <= 1e-10 * float(S[0])
        grade.check(
            optimal,
            case=case + ": ‖A − A_k‖_F² = Σ_{i>k} σᵢ²",
            message=f"‖A − A_k‖_F = {float(err):.12g}, but √(Σ_(i>k) σᵢ²) = {float(tail):.12g}",
        )
        others = []
        for _ in range(5):
            L = torch.randn(A.shape[0], k, generator=gen, dtype=torch.float64)
            R = torch.randn(k, A.shape[1], generator=gen, dtype=torch.float64)
            others.append(float(torch.linalg.matrix_norm(A - L @ R)))
        # counts only with the distance right: zeros, or A itself, can beat random matrices
        closer = float(err) <= min(others) + 1e-12
        grade.check(
            closer and optimal,
            case=case + ": no random rank-k matrix is closer",
            message=f"a random rank-{k} matrix is at distance {min(others):.6g} from A, "
            f"closer than your A_k ({float(err):.6g})"
            if not closer
            else f"your A_k is at distance {float(err):.6g} from A, not the optimal "
            f"√(Σ_(i>k) σᵢ²) = {float(tail):.6g}",
        )
