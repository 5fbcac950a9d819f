import torch

from autograder.testing import T1, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def chain(ns, spec, x, v, u, which="both"):
    """Build the layers named in ``spec`` and run "jvp", "vjp" or "both" modes through them."""
    torch.set_num_threads(1)
    layers = []
    for kind, A in spec:
        if kind == "linear":
            layers.append(
                (lambda z, A=A: A @ z, lambda z, t, A=A: A @ t, lambda z, c, A=A: A.T @ c)
            )
        elif kind == "tanh":
            layers.append(
                (
                    torch.tanh,
                    lambda z, t: (1 - torch.tanh(z) ** 2) * t,
                    lambda z, c: (1 - torch.tanh(z) ** 2) * c,
                )
            )
        elif kind == "square":
            layers.append((lambda z: z * z, lambda z, t: 2 * z * t, lambda z, c: 2 * z * c))
        else:  # "halfnorm": z ↦ ½‖z‖², a scalar
            layers.append((lambda z: 0.5 * (z @ z), lambda z, t: z @ t, lambda z, c: c * z))
    if which == "jvp":
        return ns.chain_jvp(layers, x, v)
    if which == "vjp":
        return ns.chain_vjp(layers, x, u)
    return {"jvp": ns.chain_jvp(layers, x, v), "vjp": ns.chain_vjp(layers, x, u)}


def _stack(gen, d):
    """2–5 layers from {linear, tanh, square}, sometimes ending in ½‖·‖²."""
    n_layers = int(torch.randint(2, 6, (1,), generator=gen))
    spec, dims = [], d
    for k in range(n_layers):
        if k == n_layers - 1 and bool(torch.rand(1, generator=gen) < 0.4):
            spec.append(["halfnorm", None])
            return spec, None
        kind = ("linear", "tanh", "square")[int(torch.randint(0, 3, (1,), generator=gen))]
        A = None
        if kind == "linear":
            out = int(torch.randint(1, 5, (1,), generator=gen))
            A = torch.randn(out, dims, generator=gen, dtype=torch.float64) / dims**0.5
            dims = out
        spec.append([kind, A])
    return spec, dims


def _forward(spec, x):
    for kind, A in spec:
        if kind == "linear":
            x = A @ x
        elif kind == "tanh":
            x = torch.tanh(x)
        elif kind == "square":
            x = x * x
        else:
            x = 0.5 * (x @ x)
    return x


def _describe(spec):
    return " → ".join(k if A is None else f"linear{tuple(A.shape)}" for k, A in spec)


def test_q3_matches_reference(grade):
    for _i, gen in grade.cases(6):
        d = int(torch.randint(1, 5, (1,), generator=gen))
        spec, out_dim = _stack(gen, d)
        x = torch.randn(d, generator=gen, dtype=torch.float64)
        v = torch.randn(d, generator=gen, dtype=torch.float64)
        u_shape = () if out_dim is None else (out_dim,)
        u = torch.randn(u_shape, generator=gen, dtype=torch.float64)
        # each mode on its own: a right chain_vjp earns its points beside a wrong chain_jvp
        for which in ("jvp", "vjp"):
            grade.compare(
                chain, spec, x, v, u, which, case=f"chain_{which}: layers {_describe(spec)}", **T1
            )


def test_q3_properties(grade):
    # Measured under 24 CPU settings and over 300 draws of the inputs: chain_vjp's gap
    # to autograd's gradient reaches 2.6e-4 of its allowance, the adjoint gap 7.3e-5.
    for i, gen in grade.cases(3):
        d = 3
        spec = [
            ["linear", torch.randn(4, d, generator=gen, dtype=torch.float64)],
            ["tanh", None],
            ["square", None],
            ["halfnorm", None],
        ]
        x = torch.randn(d, generator=gen, dtype=torch.float64)
        v = torch.randn(d, generator=gen, dtype=torch.float64)
        one = torch.tensor(1.0, dtype=torch.float64)
        case = f"linear → tanh → square → ½‖·‖² (case {i})"
        got, ref = grade.run_and_reference(chain, spec, x, v, one, case=case)
        if got is None:
            continue
        got = got if isinstance(got, dict) else {}
        vjp, jvp = got.get("vjp"), got.get("jvp")
        # trusted side: the gradient from torch.autograd, an independent oracle
        xr = x.clone().requires_grad_()
        (grad,) = torch.autograd.grad(_forward(spec, xr), xr)
        ok = (
            isinstance(vjp, torch.Tensor)
            and vjp.shape == grad.shape
            and torch.allclose(vjp, grad, rtol=1e-10, atol=1e-12)
        )
        grade.check(
            ok,
            case=f"scalar output: chain_vjp with u = 1 is the gradient (case {i})",
            message=f"chain_vjp gave {_as_list(vjp)}, the gradient is {_as_list(grad)}",
        )
        # the adjoint identity counts only with both values right: zeros satisfy it too
        differs = _differs(ref, got, **T1)
        if differs is not None:
            grade.check(
                False,
                case=f"⟨u, chain_jvp(v)⟩ = ⟨chain_vjp(u), v⟩ (case {i})",
                message=f"chain_jvp or chain_vjp is not the expected one ({differs}), so the "
                "identity is not credited",
            )
            continue
        left, right = float(one * jvp), float(vjp @ v)
        grade.check(
            abs(left - right) <= 1e-10 * (abs(left) + abs(right)) + 1e-12,
            case=f"⟨u, chain_jvp(v)⟩ = ⟨chain_vjp(u), v⟩ (case {i})",
            message=f"⟨u, J v⟩ = {left:.10g} but ⟨Jᵀu, v⟩ = {right:.10g}",
        )


def _as_list(t):
    if not isinstance(t, torch.Tensor):
        return f"a {type(t).__name__}, not a tensor"
    return [round(float(a), 8) for a in t.reshape(-1)]


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
