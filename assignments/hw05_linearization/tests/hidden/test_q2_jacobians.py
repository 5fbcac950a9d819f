import pytest
import torch

from autograder.testing import T1, T2, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def jacobians(ns, kind, P, Q, counts, which):
    """One construction (``which``: "jvp" or "vjp") for one linear map, in the dtype of
    ``P``, and how often the product was called."""
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

    # the dtype is passed only when it is not the default, as a student's own call would
    extra = {} if P.dtype == torch.float64 else {"dtype": P.dtype}
    if which == "jvp":
        J = ns.jacobian_from_jvp(jvp, in_shape, out_shape, **extra)
    else:
        J = ns.jacobian_from_vjp(vjp, in_shape, out_shape, **extra)
    return {"calls": calls[which], "J": J} if counts else J


def _r(gen, *shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float64)


WHICH = {"jvp": "jacobian_from_jvp", "vjp": "jacobian_from_vjp"}


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


@pytest.mark.parametrize("which", ["jvp", "vjp"])
def test_q2_jacobian_matrices(grade, which):
    # each construction earns its own points: a right jacobian_from_jvp next to a wrong
    # jacobian_from_vjp gets this test's jvp half
    fn = WHICH[which]
    for i, gen in grade.cases(8):
        kind = KINDS[i % 4]
        P, Q, what = _inputs(gen, kind)
        grade.compare(jacobians, kind, P, Q, False, which, case=f"{fn}: {what} (case {i})", **T1)
    # a square, non-symmetric A: a transposed Jacobian has the right shape but not values
    A = torch.tensor([[1.0, 2.0, 0.0], [-1.0, 0.5, 3.0], [4.0, 0.0, -2.0]], dtype=torch.float64)
    grade.compare(
        jacobians, "linear", A, None, False, which, case=f"{fn}: x ↦ Ax, A 3×3 non-symmetric", **T1
    )
    # dtype=torch.float32: the basis tensors, and so the Jacobian, are float32
    for kind in ("outer", "tanh"):
        P, Q, what = _inputs(torch.Generator().manual_seed(31 + len(kind)), kind)
        Q = None if Q is None else Q.float()
        grade.compare(
            jacobians,
            kind,
            P.float(),
            Q,
            False,
            which,
            case=f"{fn}(..., dtype=torch.float32): {what}, float32",
            **T2,
        )


@pytest.mark.parametrize("which", ["jvp", "vjp"])
def test_q2_call_counts(grade, which):
    fn = WHICH[which]
    for i, gen in grade.cases(4):
        kind = KINDS[i % 4]
        P, Q, what = _inputs(gen, kind)
        got, ref = grade.run_and_reference(
            jacobians, kind, P, Q, True, which, case=f"{fn} call count: {what}"
        )
        if got is None:
            continue
        n_in = P.numel() if kind != "linear" else P.shape[1]
        n_out = {"gram": P.shape[1] ** 2, "outer": P.shape[0] ** 2}.get(kind)
        if n_out is None:
            n_out = P.numel() if kind == "tanh" else P.shape[0]
        want = n_in if which == "jvp" else n_out
        shape = "prod(in_shape)" if which == "jvp" else "prod(out_shape)"
        case = f"{fn} calls {which} {shape} = {want} times: {what}"
        got = got if isinstance(got, dict) else {}
        counted = got.get("calls") == want
        # counts only with the Jacobian right: a loop that returns zeros calls it too
        differs = _differs(ref["J"], got.get("J"), **T1)
        grade.check(
            counted and differs is None,
            case=case,
            message=f"{which} was called {got.get('calls')} times"
            if not counted
            else f"{which} is called the right number of times, but the Jacobian is wrong "
            f"({differs})",
        )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
