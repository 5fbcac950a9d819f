import torch

from autograder.testing import T1, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def gram_jvp(ns, W, V):
    torch.set_num_threads(1)
    return ns.jvp_gram(W, V)


@probe
def gram_vjp(ns, W, G):
    torch.set_num_threads(1)
    return ns.vjp_gram(W, G)


@probe
def outer_jvp(ns, U, V, H, K):
    torch.set_num_threads(1)
    return ns.jvp_outer(U, V, H, K)


@probe
def gram_remainder(ns, W, V, t):
    torch.set_num_threads(1)
    return (W + t * V).T @ (W + t * V) - W.T @ W - t * ns.jvp_gram(W, V)


@probe
def gram_adjoint(ns, W, V, G):
    torch.set_num_threads(1)
    jvp, vjp = ns.jvp_gram(W, V), ns.vjp_gram(W, G)
    return {
        "inner products": [float((G * jvp).sum()), float((vjp * V).sum())],
        "jvp": jvp,
        "vjp": vjp,
    }


def _shape(gen):
    return int(torch.randint(1, 6, (1,), generator=gen)), int(
        torch.randint(1, 6, (1,), generator=gen)
    )


def _r(gen, *shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float64)


def test_q1_jvp_gram(grade):
    for _i, gen in grade.cases(4):
        n, m = _shape(gen)
        grade.compare(
            gram_jvp, _r(gen, n, m), _r(gen, n, m), case=f"W, V of shape ({n}, {m})", **T1
        )
    W = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=torch.float64)
    grade.compare(gram_jvp, W, torch.ones(3, 2, dtype=torch.float64), case="3×2 W, V = ones", **T1)


def test_q1_vjp_gram(grade):
    for _i, gen in grade.cases(4):
        n, m = _shape(gen)
        grade.compare(
            gram_vjp, _r(gen, n, m), _r(gen, m, m), case=f"W ({n}, {m}), G ({m}, {m})", **T1
        )


def test_q1_jvp_outer(grade):
    for i, gen in grade.cases(4):
        n, m = _shape(gen)
        args = [_r(gen, n, m) for _ in range(4)]
        grade.compare(outer_jvp, *args, case=f"U, V, H, K of shape ({n}, {m}) (case {i})", **T1)


def test_q1_properties(grade):
    # Fixed tolerances on the student's own measurements. Measured under 24 CPU settings
    # and over 300 draws of the inputs: the remainder's deviation reaches 3.5e-4 of its
    # allowance, the adjoint gap 1.1e-4.
    for i, gen in grade.cases(2):
        n, m = 4, 3
        W, V, G = _r(gen, n, m), _r(gen, n, m), _r(gen, m, m)
        for t in (0.1, 1.0):
            case = f"F(W+tV) − F(W) − t·J[V] = t²VᵀV, t = {t} (case {i})"
            got = grade.run(gram_remainder, W, V, t, case=case)
            if got is not None:
                expected = t * t * V.T @ V
                if not isinstance(got, torch.Tensor):
                    grade.check(False, case=case, message="jvp_gram did not return a tensor")
                    continue
                ok = got.shape == expected.shape and torch.allclose(
                    got, expected, rtol=1e-10, atol=1e-11
                )
                grade.check(
                    ok,
                    case=case,
                    message="the remainder of WᵀW should be exactly t²VᵀV; "
                    f"max deviation {(got - expected).abs().max():.3g}"
                    if got.shape == expected.shape
                    else f"jvp_gram has shape {tuple(got.shape)}, expected {(m, m)}",
                )
        case = f"adjoint identity ⟨G, J[V]⟩ = ⟨vjp_gram(W, G), V⟩ (case {i})"
        got, ref = grade.run_and_reference(gram_adjoint, W, V, G, case=case)
        if got is not None:
            # counts only with J[V] and vjp_gram(W, G) right: zeros are adjoint too
            differs = _differs(ref, got, **T1)
            if differs is not None:
                grade.check(
                    False,
                    case=case,
                    message=f"jvp_gram or vjp_gram is not the expected one ({differs}), so the "
                    "identity is not credited",
                )
                continue
            left, right = got["inner products"]
            grade.check(
                abs(left - right) <= 1e-10 * (abs(left) + abs(right)) + 1e-12,
                case=case,
                message=f"⟨G, J[V]⟩ = {left:.10g} but ⟨vjp_gram(W, G), V⟩ = {right:.10g}",
            )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
