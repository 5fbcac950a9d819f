import torch

from autograder.testing import T1, probe

F64 = torch.float64


@probe
def ema_exact(ns, h, c, alpha, B, gamma, w0, n_steps):
    torch.set_num_threads(1)
    return {
        "risk": ns.ema_risk(h, c, alpha, B, gamma, w0, n_steps),
        "floor": ns.ema_steady_state(h, c, alpha, B, gamma),
    }


@probe
def ema_pieces(ns, h, c, alpha, B, gamma, w0):
    torch.set_num_threads(1)
    return {
        "long": ns.ema_risk(h, c, alpha, B, gamma, w0, 200)[-1],
        "floor": ns.ema_steady_state(h, c, alpha, B, gamma),
        "gamma 0": ns.ema_risk(h, c, alpha, B, 0.0, w0, 20),
        "floor gamma 0": ns.ema_steady_state(h, c, alpha, B, 0.0),
    }


def _config(gen, d):
    h = 0.1 + 1.9 * torch.rand(d, generator=gen, dtype=F64)
    c = 0.3 + 1.7 * torch.rand(d, generator=gen, dtype=F64)
    w0 = 4 * torch.rand(d, generator=gen, dtype=F64) - 2
    alpha = round((0.05 + 1.9 * float(torch.rand(1, generator=gen))) / float(h.max()), 4)  # αh < 2
    B = int(torch.randint(1, 33, (1,), generator=gen))
    return h, c, w0, alpha, B


def test_q3_matches_reference(grade):
    for i, gen in grade.cases(5):
        d = int(torch.randint(1, 7, (1,), generator=gen))
        h, c, w0, alpha, B = _config(gen, d)
        gamma = (0.0, 0.5, 0.9, 0.99, round(float(torch.rand(1, generator=gen)), 3))[i]
        n = int(torch.randint(0, 61, (1,), generator=gen))
        grade.compare(
            ema_exact,
            h,
            c,
            alpha,
            B,
            gamma,
            w0,
            n,
            case=f"d = {d}, α = {alpha}, B = {B}, γ = {gamma}, k = 0…{n} (case {i})",
            **T1,
        )
    gen = torch.Generator().manual_seed(3)
    h, c, w0, _, B = _config(gen, 3)
    alphas = torch.tensor([[0.1], [0.4], [0.9]], dtype=F64)
    gammas = torch.tensor([[0.5], [0.9], [0.0]], dtype=F64)
    grade.compare(
        ema_exact,
        h,
        c,
        alphas,
        B,
        gammas,
        w0,
        10,
        case="alpha and gamma (3, 1) tensors: results of shape (11, 3, 3)",
        **T1,
    )


def _properties(h, c, w0, alpha, B):
    """Checks on the student's values that need no reference output."""
    r = 1 - alpha * h
    sgd_floor = alpha * c / (2 * B * (2 - alpha * h))
    decay = r ** (2 * torch.arange(21, dtype=F64)[:, None])
    sgd = decay * 0.5 * h * w0**2 + (1 - decay) * sgd_floor
    return {
        "200 steps reach the steady state": lambda g: torch.allclose(
            g["long"], g["floor"], rtol=1e-8, atol=0
        ),
        "γ = 0 is SGD's risk": lambda g: torch.allclose(g["gamma 0"], sgd, rtol=1e-10, atol=1e-14),
        "γ = 0 is SGD's floor": lambda g: torch.allclose(
            g["floor gamma 0"], sgd_floor, rtol=1e-12, atol=0
        ),
        "the EMA never raises the floor": lambda g: bool(
            (g["floor"] <= sgd_floor * (1 + 1e-12)).all()
        ),
    }


_USES = {  # the probe's values each property is about
    "200 steps reach the steady state": ("long", "floor"),
    "γ = 0 is SGD's risk": ("gamma 0",),
    "γ = 0 is SGD's floor": ("floor gamma 0",),
    "the EMA never raises the floor": ("floor",),
}


def test_q3_theory(grade):
    for i, gen in grade.cases(3):
        # 0.25 ≤ αhᵢ ≤ 1.5, so |rᵢ| ≤ 0.75 and 200 steps leave no transient
        h = 0.5 + 0.5 * torch.rand(3, generator=gen, dtype=F64)
        c = 0.3 + 1.7 * torch.rand(3, generator=gen, dtype=F64)
        w0 = 4 * torch.rand(3, generator=gen, dtype=F64) - 2
        alpha = round(0.5 + float(torch.rand(1, generator=gen)), 4)
        B = int(torch.randint(1, 33, (1,), generator=gen))
        gamma = (0.3, 0.8, 0.9)[i]
        case = f"α = {alpha}, B = {B}, γ = {gamma} (case {i})"

        def label(what, alpha=alpha, B=B, gamma=gamma, i=i):
            # a property about γ = 0 is checked at γ = 0: naming the case's γ would read as
            # a contradiction
            g = "" if "γ = 0" in what else f", γ = {gamma}"
            return f"α = {alpha}, B = {B}{g} (case {i})"

        got, ref = grade.run_and_reference(ema_pieces, h, c, alpha, B, gamma, w0, case=case)
        if got is None:
            continue
        grade.check_properties(_properties(h, c, w0, alpha, B), got, ref, _USES, case=label)
