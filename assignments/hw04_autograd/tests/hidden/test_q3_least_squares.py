"""q3: the least-squares graph, node by node: w → z1 = Xw − y → z2 = ‖z1‖² → f = z2/2."""

import torch

from autograder.testing import T0, T1, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown

F64 = torch.float64


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


@probe
def ls_gradients(ns, X, y, points):
    return [ns.ls_backward(X, y, w, ns.ls_forward(X, y, w))["df_dw"] for w in points]


def _problem(gen, n, p):
    X = torch.randn(n, p, generator=gen, dtype=F64)
    y = torch.randn(n, generator=gen, dtype=F64)
    w = torch.randn(p, generator=gen, dtype=F64)
    return X, y, w


def _sizes(gen):
    n = int(torch.randint(2, 21, (1,), generator=gen))
    p = int(torch.randint(1, 7, (1,), generator=gen))
    return n, p


def test_q3_forward_and_backward_nodes(grade):
    for _, gen in grade.cases(5):
        n, p = _sizes(gen)
        grade.compare(ls_nodes, *_problem(gen, n, p), case=f"random n={n}, p={p}", **T1)
    # small integers: every node is exact in float64, whatever the order of operations
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=F64)
    y = torch.tensor([1.0, 0.0, 1.0], dtype=F64)
    w = torch.tensor([1.0, -1.0], dtype=F64)
    grade.compare(
        ls_nodes, X, y, w, case="X = [[1, 2], [3, 4], [5, 6]], y = (1, 0, 1), w = (1, −1)", **T0
    )


def test_q3_gradient_matches_finite_differences(grade):
    # A property checked without the reference: central differences of ½‖Xw − y‖².
    # Measured for the reference under 24 CPU settings (MKL, ATen kernels, 1/2 threads)
    # and over 300 draws of the inputs: at most 0.012 of the threshold below (rounding
    # ε·f/h ≈ 1e-8 against 1e-6·max(1, |fd|)).
    h = 1e-6
    for _, gen in grade.cases(3):
        n, p = _sizes(gen)
        X, y, w = _problem(gen, n, p)
        case = f"finite differences, n={n}, p={p}"
        got = grade.run(ls_gradient, X, y, w, case=case)
        if got is None:
            continue
        fd = torch.tensor(
            [
                (
                    0.5 * ((X @ (w + h * e) - y) ** 2).sum()
                    - 0.5 * ((X @ (w - h * e) - y) ** 2).sum()
                )
                / (2 * h)
                for e in torch.eye(p, dtype=F64)
            ],
            dtype=F64,
        )
        ok = (
            isinstance(got, torch.Tensor)
            and got.shape == fd.shape
            and bool(((got - fd).abs() <= 1e-6 * torch.clamp(fd.abs(), min=1.0)).all())
        )
        grade.check(ok, case=case, message=f"df_dw = {got} disagrees with central differences {fd}")


def test_q3_gradient_vanishes_at_the_least_squares_solution(grade):
    # At w* = argmin ½‖Xw − y‖² the normal equations say Xᵀ(Xw* − y) = 0. A gradient of
    # zeros is right there too: the case also asks for the gradient at a random w.
    for _, gen in grade.cases(2):
        n = int(torch.randint(8, 21, (1,), generator=gen))
        p = int(torch.randint(2, 7, (1,), generator=gen))
        X, y, w = _problem(gen, n, p)
        w_star = torch.linalg.lstsq(X, y[:, None]).solution[:, 0]
        case = f"at the least-squares solution (and at a random w), n={n}, p={p}"
        got, ref = grade.run_and_reference(ls_gradients, X, y, [w_star, w], case=case)
        if got is None:
            continue
        got = got if isinstance(got, list) and len(got) == 2 else [None, None]
        # rounding in Xᵀ(Xw − y) and in lstsq's w*: a few ulps of the terms summed.
        # Measured under 24 CPU settings (lstsq's LAPACK kernels included) and over 300
        # draws of the inputs: at most 2e-4 of this bound.
        scale = float(torch.linalg.norm(X) * (torch.linalg.norm(X) * w_star.norm() + y.norm()))
        vanishes = (
            isinstance(got[0], torch.Tensor)
            and got[0].shape == (p,)
            and float(got[0].norm()) < 1e-12 * scale
        )
        elsewhere = _differs(ref[1], got[1], **T1)
        grade.check(
            vanishes and elsewhere is None,
            case=case,
            message=f"df_dw should be 0 at w* (normal equations); got {got[0]}"
            if not vanishes
            else f"df_dw is 0 at w*, but wrong at a random w: {elsewhere}",
        )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
