import torch

from autograder.testing import T1, probe

F64 = torch.float64


@probe
def precond_exact(ns, h, c, alpha, B, p, w0, n_steps):
    torch.set_num_threads(1)
    return {
        "risk": ns.precond_risk(h, c, alpha, B, p, w0, n_steps),
        "floor": ns.precond_steady_state(h, c, alpha, B, p),
    }


@probe
def precond_pieces(ns, h, c, alpha, B, p, w0):
    torch.set_num_threads(1)
    return {
        "p 0": ns.precond_risk(h, c, alpha, B, 0.0, w0, 20),
        "floor p 0": ns.precond_steady_state(h, c, alpha, B, 0.0),
        "floor p": ns.precond_steady_state(h, c, alpha, B, p),
        "quiet p 1": ns.precond_risk(h, torch.zeros_like(c), alpha, B, 1.0, w0, 20),
    }


# q5's functions may call q2's (the reference's do): while they run, q2's functions answer
# the calls the reference makes with the reference's values, so a q2 bug costs q2 only.
Q2 = ("sgd_risk", "sgd_steady_state")


def _with_q2(grade, probe_, *args):
    """``probe_`` with q2's functions replayed, and its arguments (replay first)."""
    return grade.replaying(probe_), grade.reference_calls(probe_, Q2, *args), *args


def _config(gen, d):
    h = 0.1 + 1.9 * torch.rand(d, generator=gen, dtype=F64)
    c = 0.3 + 1.7 * torch.rand(d, generator=gen, dtype=F64)
    w0 = 4 * torch.rand(d, generator=gen, dtype=F64) - 2
    p = round(float(torch.rand(1, generator=gen)), 3)
    # every coordinate stable: α hᵢ^{1−p} < 2
    top = float((h ** (1 - p)).max())
    alpha = round((0.05 + 1.9 * float(torch.rand(1, generator=gen))) / top, 4)
    B = int(torch.randint(1, 33, (1,), generator=gen))
    return h, c, w0, alpha, B, p


def test_q5_matches_reference(grade):
    for i, gen in grade.cases(5):
        d = int(torch.randint(1, 7, (1,), generator=gen))
        h, c, w0, alpha, B, p = _config(gen, d)
        if i < 2:
            p = (0.0, 1.0)[i]
            alpha = round(min(alpha, 1.9 / float((h ** (1 - p)).max())), 4)
        n = (0, 1, 17, 300, 40)[i]
        grade.compare(
            *_with_q2(grade, precond_exact, h, c, alpha, B, p, w0, n),
            case=f"d = {d}, α = {alpha}, B = {B}, p = {p}, k = 0…{n} (case {i})",
            **T1,
        )
    gen = torch.Generator().manual_seed(5)
    h, c, w0, _, B, _ = _config(gen, 3)
    alphas = torch.tensor([[0.1], [0.4], [0.9]], dtype=F64)
    ps = torch.tensor([[0.5], [1.0], [0.0]], dtype=F64)
    grade.compare(
        *_with_q2(grade, precond_exact, h, c, alphas, B, ps, w0, 10),
        case="alpha and p (3, 1) tensors: results of shape (11, 3, 3)",
        **T1,
    )


def _properties(h, c, w0, alpha, B, p):
    """Checks on the student's values that need no reference output."""
    r = 1 - alpha * h
    sgd_floor = alpha * c / (2 * B * (2 - alpha * h))
    decay = r ** (2 * torch.arange(21, dtype=F64)[:, None])
    sgd = decay * 0.5 * h * w0**2 + (1 - decay) * sgd_floor
    ratio = h ** (-p) * (2 - alpha * h) / (2 - alpha * h ** (1 - p))
    return {
        "p = 0 is SGD's risk": lambda g: torch.allclose(g["p 0"], sgd, rtol=1e-10, atol=1e-14),
        "p = 1 contracts every coordinate by (1 − α)² per step": lambda g: (
            torch.allclose(
                g["quiet p 1"][1:], (1 - alpha) ** 2 * g["quiet p 1"][:-1], rtol=1e-10, atol=1e-300
            )
            and torch.allclose(g["quiet p 1"][0], 0.5 * h * w0**2, rtol=1e-12, atol=0)
        ),
        "floor(p) / floor(0) = h^(−p)(2 − αh)/(2 − αh^(1−p))": lambda g: torch.allclose(
            g["floor p"] / g["floor p 0"], ratio, rtol=1e-10, atol=0
        ),
    }


_USES = {  # the probe's values each property is about
    "p = 0 is SGD's risk": ("p 0",),
    "p = 1 contracts every coordinate by (1 − α)² per step": ("quiet p 1",),
    "floor(p) / floor(0) = h^(−p)(2 − αh)/(2 − αh^(1−p))": ("floor p", "floor p 0"),
}


def test_q5_theory(grade):
    for i, gen in grade.cases(3):
        h = 0.2 + 0.8 * torch.rand(3, generator=gen, dtype=F64)
        c = 0.3 + 1.7 * torch.rand(3, generator=gen, dtype=F64)
        w0 = 4 * torch.rand(3, generator=gen, dtype=F64) - 2
        alpha = round(0.1 + 0.8 * float(torch.rand(1, generator=gen)), 4)  # αhᵢ^{1−p} < 2 for all p
        B = int(torch.randint(1, 33, (1,), generator=gen))
        p = round(0.2 + 0.8 * float(torch.rand(1, generator=gen)), 3)
        case = f"α = {alpha}, B = {B}, p = {p} (case {i})"

        def label(what, alpha=alpha, B=B, p=p, i=i):
            # the p = 0 and p = 1 properties are checked at that p
            q = "" if what.startswith(("p = 0", "p = 1")) else f", p = {p}"
            return f"α = {alpha}, B = {B}{q} (case {i})"

        got, ref = grade.run_and_reference(
            *_with_q2(grade, precond_pieces, h, c, alpha, B, p, w0), case=case
        )
        if got is None:
            continue
        grade.check_properties(_properties(h, c, w0, alpha, B, p), got, ref, _USES, case=label)
