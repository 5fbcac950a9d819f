import torch

from autograder.testing import T1, T2, probe

H = torch.tensor([1.0, 0.5, 0.25], dtype=torch.float64)
W0 = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)


@probe
def roots(ns):
    out = {}
    for name, (alpha, h, beta) in {"under": (0.1, 1.0, 0.9), "over": (0.01, 1.0, 0.5)}.items():
        z1, z2 = ns.momentum_roots(alpha, h, beta)
        out[name] = {
            "roots": [complex(z1), complex(z2)],
            "rate": float(ns.momentum_rate(alpha, h, beta)),
        }
    return out


@probe
def momentum_values(ns, h, w0):
    return {
        "risk": ns.momentum_risk(h, h, 0.5, 4, 0.9, w0, 6),
        "floor": ns.momentum_steady_state(h, h, 0.5, 4, 0.9),
    }


def test_q4_roots(grade):
    grade.compare(
        roots, case="β = 0.9, αh = 0.1 (underdamped); β = 0.5, αh = 0.01 (overdamped)", **T2
    )


def test_q4_values(grade):
    grade.compare(momentum_values, H, W0, case="α = 0.5, B = 4, β = 0.9, 6 steps", **T1)
