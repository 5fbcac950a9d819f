import itertools
import math

import torch

from autograder.testing import T1, T2, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def quadratic(ns, kappa, lam_max, theta):
    torch.set_num_threads(1)
    return ns.make_quadratic(kappa, lam_max, theta)


@probe
def path(ns, A, w0, step, n_steps):
    torch.set_num_threads(1)
    return ns.gd_path_2d(A, w0, step, n_steps)


@probe
def contraction(ns, A, step):
    torch.set_num_threads(1)
    return float(ns.contraction_factor(A, step))


@probe
def late_ratio_and_zigzag(ns, kappa, step, n_steps):
    torch.set_num_threads(1)
    A = ns.make_quadratic(kappa)
    w = ns.gd_path_2d(A, torch.tensor([1.0, 1.0], dtype=torch.float64), step, n_steps)
    norms = torch.sqrt((w * w).sum(1))
    top = torch.tensor([math.cos(0.5236), math.sin(0.5236)], dtype=torch.float64)
    return {
        "ratio": float(norms[-1] / norms[-2]),
        "rho": float(ns.contraction_factor(A, step)),
        "top": [float(v) for v in w[:20] @ top],
    }


def _A(kappa, lam_max, theta):
    # built independently of the reference: eigenvalues lam_max, lam_max/kappa
    c, s = math.cos(theta), math.sin(theta)
    Q = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
    return Q @ torch.diag(torch.tensor([lam_max, lam_max / kappa], dtype=torch.float64)) @ Q.T


def test_q4_make_quadratic(grade):
    for kappa in (2.0, 50.0):
        grade.compare(quadratic, kappa, 1.0, 0.5236, case=f"lecture case κ = {kappa:g}", **T1)
    for _i, gen in grade.cases(3):
        kappa = 1 + float(torch.rand(1, generator=gen)) * 99
        lam = 0.2 + float(torch.rand(1, generator=gen)) * 5
        theta = float(torch.rand(1, generator=gen)) * math.pi
        grade.compare(
            quadratic,
            kappa,
            lam,
            theta,
            case=f"κ = {kappa:.3f}, λ_max = {lam:.3f}, θ = {theta:.3f}",
            **T1,
        )


def test_q4_gd_path(grade):
    w0 = torch.tensor([-0.2, 1.0], dtype=torch.float64)
    for kappa in (2.0, 50.0):
        for scale in (0.1, 1.8):
            grade.compare(
                path,
                _A(kappa, 1.0, 0.5236),
                w0,
                scale,
                30,
                case=f"lecture case κ = {kappa:g}, α = {scale}/λ_max, 30 steps",
                **T1,
            )
    for i, gen in grade.cases(2):
        A = _A(1 + float(torch.rand(1, generator=gen)) * 20, 2.0, 1.0)
        w = torch.randn(2, generator=gen, dtype=torch.float64)
        grade.compare(path, A, w, 0.7, 12, case=f"random start, α = 0.7 (case {i})", **T1)


def test_q4_contraction_factor(grade):
    for kappa in (2.0, 50.0):
        for scale in (0.1, 1.8):
            grade.compare(
                contraction,
                _A(kappa, 1.0, 0.5236),
                scale,
                case=f"lecture case κ = {kappa:g}, α = {scale}/λ_max",
                **T1,
            )
    for i, gen in grade.cases(2):
        A = _A(1 + float(torch.rand(1, generator=gen)) * 20, 3.0, 0.3)
        step = float(torch.rand(1, generator=gen)) * 0.8
        grade.compare(contraction, A, step, case=f"random A, α = {step:.3f} (case {i})", **T1)


def test_q4_properties(grade):
    case = "κ = 50, α = 1.8/λ_max: late ‖w_{k+1}‖/‖w_k‖ is within 1e-3 of contraction_factor"
    got, ref = grade.run_and_reference(late_ratio_and_zigzag, 50.0, 1.8, 80, case=case)
    if got is None:
        return
    # the two properties count only with the path and the factor right (ones have both)
    differs = _differs(ref, got, **T2)
    wrong = (
        None
        if differs is None
        else f"the path or the contraction factor is not the expected one ({differs}), so "
        "this property is not credited"
    )
    grade.check(
        wrong is None and abs(got["ratio"] - got["rho"]) < 1e-3,
        case=case,
        message=wrong or f"late ratio {got['ratio']:.6f}, contraction factor {got['rho']:.6f}",
    )
    top = got["top"] if wrong is None else []
    grade.check(
        wrong is None and all(a * b < 0 for a, b in itertools.pairwise(top)),
        case="κ = 50, α = 1.8/λ_max: the top-eigenvector coordinate flips sign every step",
        message=wrong
        or f"coordinates along the top eigenvector: {[round(t, 4) for t in top[:6]]} …",
    )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
