import torch

from autograder.testing import T1, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def trajectory(ns, x, eta, n_steps, w0, B, seed):
    torch.set_num_threads(1)
    return ns.sgd_mean(x, eta, n_steps, w0, B, torch.Generator().manual_seed(seed))


def _data(gen):
    n = int(torch.randint(5, 51, (1,), generator=gen))
    loc = float(torch.randn(1, generator=gen)) * 3
    return loc + torch.randn(n, generator=gen, dtype=torch.float64), n


def _seed(gen):
    return int(torch.randint(0, 2**31 - 1, (1,), generator=gen))


def test_q1_matches_reference(grade):
    for i, gen in grade.cases(5):
        x, n = _data(gen)
        eta = round(0.05 + 0.95 * float(torch.rand(1, generator=gen)), 3)
        B = int(torch.randint(1, 6, (1,), generator=gen))
        w0 = float(torch.randn(1, generator=gen)) * 5
        grade.compare(
            trajectory,
            x,
            eta,
            30,
            w0,
            B,
            _seed(gen),
            case=f"n = {n}, η = {eta}, B = {B}, 30 steps (case {i})",
            **T1,
        )


def test_q1_properties(grade):
    for i, gen in grade.cases(2):
        x, _n = _data(gen)
        case = f"η = 1, B = 1: every iterate after w₀ is a data point (case {i})"
        got, ref = grade.run_and_reference(trajectory, x, 1.0, 20, 7.0, 1, _seed(gen), case=case)
        if got is not None:
            # counts only with the trajectory right: the data themselves are data points
            differs = _differs(ref, got, **T1)
            if differs is not None:
                grade.check(
                    False,
                    case=case,
                    message=f"the trajectory is not the expected one ({differs}), so this is "
                    "not credited",
                )
                continue
            scale = 1e-12 * (1 + float(x.abs().max()))
            bad = [float(v) for v in got[1:] if float((x - v).abs().min()) > scale]
            grade.check(not bad, case=case, message=f"these iterates are not in x: {bad[:3]}")
    const = torch.full((6,), 1.25, dtype=torch.float64)
    case = "constant data: w_k − μ = (1 − η)^k (w₀ − μ)"
    got = grade.run(trajectory, const, 0.3, 25, -2.0, 2, 0, case=case)
    if got is not None:
        expected = 1.25 + 0.7 ** torch.arange(26, dtype=torch.float64) * (-2.0 - 1.25)
        ok = (
            isinstance(got, torch.Tensor)
            and got.shape == expected.shape
            and torch.allclose(got, expected, rtol=1e-10, atol=1e-12)
        )
        shown = got[:4].tolist() if isinstance(got, torch.Tensor) else got
        grade.check(ok, case=case, message=f"got {shown} …, expected {expected[:4].tolist()} …")


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
