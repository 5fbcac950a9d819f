import math

import torch

from autograder.testing import T1, Tolerance, compare, probe
from autograder.untrusted_text import escape_markdown


@probe
def decaying(ns, x, n_steps, w0, seed):
    torch.set_num_threads(1)
    return ns.sgd_decaying(x, n_steps, w0, torch.Generator().manual_seed(seed))


def _running_mean(x, n_steps, seed):
    """The running mean of the points sgd_decaying samples (its docstring's draws)."""
    g = torch.Generator().manual_seed(seed)
    picks = torch.stack([x[torch.randint(0, len(x), (1,), generator=g)][0] for _ in range(n_steps)])
    return picks.cumsum(0) / torch.arange(1, n_steps + 1, dtype=torch.float64)


@probe
def batch_vs_steps(ns, x, eta, B, k, n_runs, seed):
    torch.set_num_threads(1)
    out = ns.compare_batch_vs_steps(x, eta, B, k, n_runs, torch.Generator().manual_seed(seed))
    return {"batch": float(out["batch"]), "single": float(out["single"])}


def _with_q3(grade, *args):
    """``batch_vs_steps`` with q3's mse_monte_carlo answering the two calls the docstring
    prescribes with the reference's values: a q3 bug is charged on q3 alone."""
    replay = grade.reference_calls(batch_vs_steps, ("mse_monte_carlo",), *args)
    return grade.replaying(batch_vs_steps), replay, *args


def _seed(gen):
    return int(torch.randint(0, 2**31 - 1, (1,), generator=gen))


def test_q5_sgd_decaying(grade):
    for i, gen in grade.cases(4):
        n = int(torch.randint(3, 40, (1,), generator=gen))
        x = torch.randn(n, generator=gen, dtype=torch.float64)
        w0 = float(torch.randn(1, generator=gen)) * 10
        grade.compare(decaying, x, 30, w0, _seed(gen), case=f"n = {n}, 30 steps (case {i})", **T1)


def test_q5_decaying_is_running_mean(grade):
    for i, gen in grade.cases(2):
        x = torch.randn(25, generator=gen, dtype=torch.float64)
        for w0 in (0.0, 50.0):
            case = f"w_k is the running mean of the sampled points, w₀ = {w0} (case {i})"
            seed = _seed(gen)
            path = grade.run(decaying, x, 30, w0, seed, case=case)
            if path is not None:
                # judged here, from the path the probe returned
                shaped = isinstance(path, torch.Tensor) and path.shape == (31,)
                first = float(path[0]) if shaped else math.nan
                gap = (
                    float((path[1:] - _running_mean(x, 30, seed)).abs().max())
                    if shaped
                    else math.inf
                )
                grade.check(
                    first == w0 and gap <= 1e-10,
                    case=case,
                    message=f"w_0 = {first}, max |w_k − running mean| = {gap:.3g}"
                    if shaped
                    else "expected a tensor of shape (31,): w_0, …, w_30",
                )


def test_q5_compare_batch_vs_steps(grade):
    for i, gen in grade.cases(2):
        x = torch.randn(30, generator=gen, dtype=torch.float64)
        case = f"B = 3, k = 10, 20 runs (case {i})"
        got, ref = grade.run_and_reference(
            *_with_q3(grade, x, 0.2, 3, 10, 20, _seed(gen)), case=case
        )
        if got is not None:
            differs = _differs(ref, got, **T1)
            grade.check(differs is None, case=case, message=f"wrong result: {differs}")
    gen = torch.Generator().manual_seed(1)
    x = 1.0 + torch.randn(100, generator=gen, dtype=torch.float64)
    case = "no free lunch: B = 10, η = 0.1, k = 100 vs B = 1, η = 0.01, k = 1000 (2000 runs)"
    got, ref = grade.run_and_reference(*_with_q3(grade, x, 0.1, 10, 100, 2000, 7), case=case)
    if got is not None:
        # counts only with the two MSEs right (equal constants are within any factor)
        differs = _differs(ref, got, **T1)
        if differs is not None:
            grade.check(
                False,
                case=case + ": final MSEs within a factor [0.7, 1.4]",
                message=f"the two final MSEs are not the expected ones ({differs}), so this is "
                "not credited",
            )
            return
        ratio = got["batch"] / got["single"] if got["single"] > 0 else float("inf")
        # fixed inputs, seeded draws: measured 0.961 under every one of 24 CPU settings
        grade.check(
            0.7 <= ratio <= 1.4,
            case=case + ": final MSEs within a factor [0.7, 1.4]",
            message=f"batch {got['batch']:.5g}, single {got['single']:.5g}, ratio {ratio:.3f}",
        )


def _differs(expected, got, rtol=0.0, atol=0.0):
    """None if ``got`` matches ``expected``, else how it differs, in words (trusted side)."""
    try:
        mismatch = compare(expected, got, Tolerance(rtol, atol))
    except Exception as exc:  # whatever the student sent, it does not match
        return f"a value that could not be compared ({type(exc).__name__})"
    return None if mismatch is None else escape_markdown(str(mismatch))
