import math

import torch

from autograder.testing import T1, T2, probe

F64 = torch.float64


@probe
def roots_and_rate(ns, alpha, h, beta):
    z1, z2 = ns.momentum_roots(alpha, h, beta)
    return {"roots": [complex(z1), complex(z2)], "rate": float(ns.momentum_rate(alpha, h, beta))}


@probe
def rates(ns, triples):
    return [float(ns.momentum_rate(a, h, b)) for a, h, b in triples]


@probe
def momentum_exact(ns, h, c, alpha, B, beta, w0, n_steps):
    torch.set_num_threads(1)
    return {
        "risk": ns.momentum_risk(h, c, alpha, B, beta, w0, n_steps),
        "floor": ns.momentum_steady_state(h, c, alpha, B, beta),
    }


@probe
def momentum_pieces(ns, h, c, alpha, B, beta, w0):
    torch.set_num_threads(1)
    return {
        "long": ns.momentum_risk(h, c, alpha, B, beta, w0, 300)[-1],
        "floor": ns.momentum_steady_state(h, c, alpha, B, beta),
        "beta 0": ns.momentum_risk(h, c, alpha, B, 0.0, w0, 20),
        "small step ratio": ns.momentum_steady_state(h, c, 1e-6, B, beta)
        / ns.momentum_steady_state(h, c, 1e-6, B, 0.0),
    }


def _config(gen, d):
    h = 0.1 + 1.9 * torch.rand(d, generator=gen, dtype=F64)
    c = 0.3 + 1.7 * torch.rand(d, generator=gen, dtype=F64)
    w0 = 4 * torch.rand(d, generator=gen, dtype=F64) - 2
    alpha = round((0.05 + 1.9 * float(torch.rand(1, generator=gen))) / float(h.max()), 4)  # αh < 2
    B = int(torch.randint(1, 33, (1,), generator=gen))
    return h, c, w0, alpha, B


def test_q4_roots_and_rate(grade):
    for i, gen in grade.cases(6):
        alpha = round(0.01 + 1.5 * float(torch.rand(1, generator=gen)), 4)
        h = round(0.05 + float(torch.rand(1, generator=gen)), 4)
        beta = round(0.99 * float(torch.rand(1, generator=gen)), 4)
        if abs(beta - (1 - math.sqrt(alpha * h)) ** 2) < 1e-3:  # stay away from the double root
            beta = round(beta + 0.01, 4)
        grade.compare(
            roots_and_rate,
            alpha,
            h,
            beta,
            case=f"α = {alpha}, h = {h}, β = {beta} (case {i})",
            **T2,
        )
    grade.compare(roots_and_rate, 0.1, 1.0, 0.9, case="underdamped: α = 0.1, h = 1, β = 0.9", **T2)
    grade.compare(roots_and_rate, 0.01, 1.0, 0.5, case="overdamped: α = 0.01, h = 1, β = 0.5", **T2)
    grade.compare(
        roots_and_rate,
        2.5,
        1.0,
        0.01,
        case="real roots, both negative: α = 2.5, h = 1, β = 0.01",
        **T2,
    )


def test_q4_rate_regimes(grade):
    for i, gen in grade.cases(3):
        # underdamped: β > (1 − √(αh))², where the rate is √β whatever h is
        under = []
        for _ in range(3):
            ah = 0.02 + 1.5 * float(torch.rand(1, generator=gen))
            lo = (1 - math.sqrt(ah)) ** 2
            beta = lo + (1 - lo) * (0.05 + 0.9 * float(torch.rand(1, generator=gen)))
            under.append([ah, 1.0, beta])
        # overdamped, small αh: the rate is ≈ 1 − x with x = αh/(1 − β); the next term is
        # −x²β/(1 − β), and near critical damping the expansion fails. With αh ≤ 1e-2 and
        # β ≤ 0.6 the exact rate is within 4.2 % of x of 1 − x (worst case over the whole
        # range, computed from the roots), well inside the 20 % allowed; β up to 0.8, as
        # before, let even the reference miss it (46 %) on some draws.
        over = []
        for _ in range(3):
            ah = 1e-3 * (1 + 9 * float(torch.rand(1, generator=gen)))
            beta = 0.6 * float(torch.rand(1, generator=gen))
            over.append([ah, 1.0, beta])
        case = f"rates in both regimes (case {i})"
        got = grade.run(rates, under + over, case=case)
        if got is None:
            continue
        try:
            ok_under = all(abs(r - math.sqrt(b)) <= 1e-9 for r, (_, _, b) in zip(got[:3], under))
            ok_over = all(
                abs(r - (1 - a / (1 - b))) <= 0.2 * a / (1 - b)
                for r, (a, _, b) in zip(got[3:], over)
            )
        except Exception:
            ok_under = ok_over = False
        grade.check(
            ok_under,
            case=f"underdamped: rate √β, {case}",
            message=f"expected {[math.sqrt(b) for _, _, b in under]}, got {got[:3]}",
        )
        grade.check(
            ok_over,
            case=f"overdamped: rate ≈ 1 − αh/(1 − β), {case}",
            message=f"expected about {[1 - a / (1 - b) for a, _, b in over]}, got {got[3:]}",
        )


def test_q4_matches_reference(grade):
    for i, gen in grade.cases(5):
        d = int(torch.randint(1, 7, (1,), generator=gen))
        h, c, w0, alpha, B = _config(gen, d)
        beta = (0.0, 0.5, 0.9, 0.99, round(float(torch.rand(1, generator=gen)), 3))[i]
        n = int(torch.randint(0, 61, (1,), generator=gen))
        grade.compare(
            momentum_exact,
            h,
            c,
            alpha,
            B,
            beta,
            w0,
            n,
            case=f"d = {d}, α = {alpha}, B = {B}, β = {beta}, k = 0…{n} (case {i})",
            **T1,
        )
    gen = torch.Generator().manual_seed(4)
    h, c, w0, _, B = _config(gen, 3)
    alphas = torch.tensor([[0.1], [0.4], [0.9]], dtype=F64)
    betas = torch.tensor([[0.5], [0.9], [0.0]], dtype=F64)
    grade.compare(
        momentum_exact,
        h,
        c,
        alphas,
        B,
        betas,
        w0,
        10,
        case="alpha and beta (3, 1) tensors: results of shape (11, 3, 3)",
        **T1,
    )


def _properties(h, c, w0, alpha, B, beta):
    """Checks on the student's values that need no reference output."""
    r = 1 - alpha * h
    sgd_floor = alpha * c / (2 * B * (2 - alpha * h))
    decay = r ** (2 * torch.arange(21, dtype=F64)[:, None])
    sgd = decay * 0.5 * h * w0**2 + (1 - decay) * sgd_floor
    return {
        "300 steps reach the steady state": lambda g: torch.allclose(
            g["long"], g["floor"], rtol=1e-8, atol=0
        ),
        "β = 0 is SGD's risk": lambda g: torch.allclose(g["beta 0"], sgd, rtol=1e-10, atol=1e-14),
        "the floor over SGD's tends to 1/(1 − β) as αh → 0": lambda g: torch.allclose(
            g["small step ratio"], torch.full_like(h, 1 / (1 - beta)), rtol=1e-5, atol=0
        ),
    }


_USES = {  # the probe's values each property is about
    "300 steps reach the steady state": ("long", "floor"),
    "β = 0 is SGD's risk": ("beta 0",),
    "the floor over SGD's tends to 1/(1 − β) as αh → 0": ("small step ratio",),
}


def test_q4_theory(grade):
    for i, gen in grade.cases(3):
        # 0.25 ≤ αhᵢ ≤ 1.5 and β ≤ 0.8: every mode has modulus ≤ max(√β, 0.75) < 0.9
        h = 0.5 + 0.5 * torch.rand(3, generator=gen, dtype=F64)
        c = 0.3 + 1.7 * torch.rand(3, generator=gen, dtype=F64)
        w0 = 4 * torch.rand(3, generator=gen, dtype=F64) - 2
        alpha = round(0.5 + float(torch.rand(1, generator=gen)), 4)
        B = int(torch.randint(1, 33, (1,), generator=gen))
        beta = (0.3, 0.6, 0.8)[i]
        case = f"α = {alpha}, B = {B}, β = {beta} (case {i})"

        def label(what, alpha=alpha, B=B, beta=beta, i=i):
            b = "" if "β = 0" in what else f", β = {beta}"  # β = 0 is checked at β = 0
            return f"α = {alpha}, B = {B}{b} (case {i})"

        got, ref = grade.run_and_reference(momentum_pieces, h, c, alpha, B, beta, w0, case=case)
        if got is None:
            continue
        grade.check_properties(_properties(h, c, w0, alpha, B, beta), got, ref, _USES, case=label)
