import torch

from autograder.testing import T1, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def jacobians(ns, kind, P, Q, counts):
    """Both constructions for one linear map, and how often each product was called."""
    torch.set_num_threads(1)
    calls = {"jvp": 0, "vjp": 0}
    if kind == "gram":  # W ↦ WᵀW at W = P: (n, m) → (m, m)
        in_shape, out_shape = tuple(P.shape), (P.shape[1], P.shape[1])

        def jvp(V):
            calls["jvp"] += 1
            return P.T @ V + V.T @ P

        def vjp(G):
            calls["vjp"] += 1
            return P @ (G + G.T)

    elif kind == "outer":  # U ↦ UVᵀ at V = Q: (n, m) → (n, n)
        in_shape, out_shape = tuple(P.shape), (P.shape[0], P.shape[0])

        def jvp(H):
            calls["jvp"] += 1
            return H @ Q.T

        def vjp(G):
            calls["vjp"] += 1
            return G @ Q

    elif kind == "tanh":  # elementwise tanh at x = P
        in_shape = out_shape = tuple(P.shape)
        d = 1 - torch.tanh(P) ** 2

        def jvp(v):
            calls["jvp"] += 1
            return d * v

        def vjp(u):
            calls["vjp"] += 1
            return d * u

    else:  # x ↦ Ax with A = P: (p,) → (n,)
        in_shape, out_shape = (P.shape[1],), (P.shape[0],)

        def jvp(v):
            calls["jvp"] += 1
            return P @ v

        def vjp(u):
            calls["vjp"] += 1
            return P.T @ u

    J_fwd = ns.jacobian_from_jvp(jvp, in_shape, out_shape)
    n_jvp = calls["jvp"]
    J_rev = ns.jacobian_from_vjp(vjp, in_shape, out_shape)
    if counts:
        return {"n_jvp": n_jvp, "n_vjp": calls["vjp"], "from_jvp": J_fwd, "from_vjp": J_rev}
    return {"from_jvp": J_fwd, "from_vjp": J_rev}


def _r(gen, *shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float64)


def _inputs(gen, kind):
    n, m = (
        int(torch.randint(2, 5, (1,), generator=gen)),
        int(torch.randint(1, 4, (1,), generator=gen)),
    )
    if kind == "tanh":
        return _r(gen, n, m), None, f"elementwise tanh on a ({n}, {m}) input"
    if kind == "linear":
        return _r(gen, n, m), None, f"x ↦ Ax with A of shape ({n}, {m})"
    if kind == "outer":
        return _r(gen, n, m), _r(gen, n, m), f"U ↦ UVᵀ with U, V of shape ({n}, {m})"
    return _r(gen, n, m), None, f"W ↦ WᵀW at W of shape ({n}, {m})"


KINDS = ("gram", "outer", "tanh", "linear")


def test_q2_jacobian_matrices(grade):
    for i, gen in grade.cases(8):
        kind = KINDS[i % 4]
        P, Q, what = _inputs(gen, kind)
        grade.compare(jacobians, kind, P, Q, False, case=f"{what} (case {i})", **T1)
    # a square, non-symmetric A: a transposed Jacobian has the right shape but not values
    A = torch.tensor([[1.0, 2.0, 0.0], [-1.0, 0.5, 3.0], [4.0, 0.0, -2.0]], dtype=torch.float64)
    grade.compare(jacobians, "linear", A, None, False, case="x ↦ Ax, A 3×3 non-symmetric", **T1)


def test_q2_call_counts(grade):
    for i, gen in grade.cases(4):
        kind = KINDS[i % 4]
        P, Q, what = _inputs(gen, kind)
        got, ref = grade.run_and_reference(jacobians, kind, P, Q, True, case=f"call counts: {what}")
        if got is None:
            continue
        n_in = P.numel() if kind != "linear" else P.shape[1]
        n_out = {"gram": P.shape[1] ** 2, "outer": P.shape[0] ** 2}.get(kind)
        if n_out is None:
            n_out = P.numel() if kind == "tanh" else P.shape[0]
        case = (
            f"jvp called prod(in_shape) = {n_in} times, vjp prod(out_shape) = {n_out} times: {what}"
        )
        got = got if isinstance(got, dict) else {}
        counted = got.get("n_jvp") == n_in and got.get("n_vjp") == n_out
        # counts only with both Jacobians right: a loop that returns zeros calls them too
        differs = _differs(
            {k: ref[k] for k in ("from_jvp", "from_vjp")},
            {k: got.get(k) for k in ("from_jvp", "from_vjp")},
            **T1,
        )
        grade.check(
            counted and differs is None,
            case=case,
            message=f"jvp was called {got.get('n_jvp')} times and vjp {got.get('n_vjp')} times"
            if not counted
            else f"the calls are counted right, but the Jacobians are not ({differs})",
        )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
