import torch

from autograder.testing import T1, probe

F64 = torch.float64


@probe
def sgd_exact(ns, h, c, alpha, B, w0, n_steps):
    torch.set_num_threads(1)
    return {
        "risk": ns.sgd_risk(h, c, alpha, B, w0, n_steps),
        "floor": ns.sgd_steady_state(h, c, alpha, B),
    }


@probe
def sgd_pieces(ns, h, c, alpha, B, w0):
    torch.set_num_threads(1)
    return {
        "risk": ns.sgd_risk(h, c, alpha, B, w0, 30),
        "floor B": ns.sgd_steady_state(h, c, alpha, B),
        "floor 2B": ns.sgd_steady_state(h, c, alpha, 2 * B),
        "floor 1e-4": ns.sgd_steady_state(h, c, 1e-4, B),
        "floor 5e-5": ns.sgd_steady_state(h, c, 5e-5, B),
    }


def _config(gen, d):
    h = 0.1 + 1.9 * torch.rand(d, generator=gen, dtype=F64)
    c = 0.3 + 1.7 * torch.rand(d, generator=gen, dtype=F64)
    w0 = 4 * torch.rand(d, generator=gen, dtype=F64) - 2
    alpha = round((0.05 + 1.9 * float(torch.rand(1, generator=gen))) / float(h.max()), 4)  # αh < 2
    B = int(torch.randint(1, 33, (1,), generator=gen))
    return h, c, w0, alpha, B


def test_q2_matches_reference(grade):
    for i, gen in grade.cases(8):
        d = int(torch.randint(1, 7, (1,), generator=gen))
        h, c, w0, alpha, B = _config(gen, d)
        n = (0, 1, 17, 500)[i % 4]
        grade.compare(
            sgd_exact,
            h,
            c,
            alpha,
            B,
            w0,
            n,
            case=f"d = {d}, α = {alpha}, B = {B}, k = 0…{n} (case {i})",
            **T1,
        )
    gen = torch.Generator().manual_seed(7)
    h, c, w0, _, B = _config(gen, 4)
    alphas = torch.tensor([[0.05], [0.3], [0.9]], dtype=F64)
    grade.compare(
        sgd_exact,
        h,
        c,
        alphas,
        B,
        w0,
        12,
        case="alpha a (3, 1) tensor: results of shape (13, 3, 4)",
        **T1,
    )
    h = 1.0 / torch.arange(1, 21, dtype=F64)
    grade.compare(
        sgd_exact,
        h,
        h.clone(),
        0.4,
        8,
        torch.ones(20, dtype=F64),
        50,
        case="lecture configuration: d = 20, hᵢ = cᵢ = 1/i, w₀ = 1, α = 0.4, B = 8",
        **T1,
    )


def _properties(h, c, w0, alpha, B):
    """Checks on the student's values that need no reference output."""
    r2 = (1 - alpha * h) ** 2
    return {
        "k = 0 gives ½hᵢw₀ᵢ²": lambda g: torch.allclose(
            g["risk"][0], 0.5 * h * w0**2, rtol=1e-12, atol=0
        ),
        "each step follows E[ℓ_{k+1}] = r²E[ℓ_k] + ½hα²c/B": lambda g: torch.allclose(
            g["risk"][1:], r2 * g["risk"][:-1] + 0.5 * h * alpha**2 * c / B, rtol=1e-10, atol=1e-14
        ),
        "the floor halves when B doubles": lambda g: torch.allclose(
            g["floor 2B"], g["floor B"] / 2, rtol=1e-12, atol=0
        ),
        "the floor halves with α as α → 0": lambda g: torch.allclose(
            g["floor 5e-5"] / g["floor 1e-4"], torch.full_like(h, 0.5), rtol=1e-4, atol=0
        ),
        "the floor is the fixed point of the recursion": lambda g: torch.allclose(
            g["floor B"], 0.5 * h * alpha**2 * c / (B * (1 - r2)), rtol=1e-10, atol=0
        ),
    }


_USES = {  # the probe's values each property is about
    "k = 0 gives ½hᵢw₀ᵢ²": ("risk",),
    "each step follows E[ℓ_{k+1}] = r²E[ℓ_k] + ½hα²c/B": ("risk",),
    "the floor halves when B doubles": ("floor B", "floor 2B"),
    "the floor halves with α as α → 0": ("floor 1e-4", "floor 5e-5"),
    "the floor is the fixed point of the recursion": ("floor B",),
}


def test_q2_theory(grade):
    for i, gen in grade.cases(3):
        h, c, w0, alpha, B = _config(gen, 3)
        case = f"α = {alpha}, B = {B} (case {i})"
        got, ref = grade.run_and_reference(sgd_pieces, h, c, alpha, B, w0, case=case)
        if got is None:
            continue
        grade.check_properties(_properties(h, c, w0, alpha, B), got, ref, _USES, case=case)
