import torch

from autograder.testing import T1, probe


@probe
def q5_pieces(ns):
    x = torch.tensor([0.5, -1.0], dtype=torch.float64)
    v = torch.tensor([1.0, 2.0], dtype=torch.float64)
    hs = torch.tensor([0.1, 0.01], dtype=torch.float64)
    errs = ns.linearization_error(lambda z: (z**3).sum(), lambda z: 3 * z**2, x, v, hs)
    return {
        "errs": errs,
        "slope": float(ns.loglog_slope(hs, errs)),
        "bad": [ns.bad_f(torch.tensor(p, dtype=torch.float64)) for p in ([1.0, 2.0], [0.0, 0.0])],
    }


def test_q5_small(grade):
    grade.compare(q5_pieces, case="f = Σ z³; bad_f at (1, 2) and (0, 0)", **T1)
