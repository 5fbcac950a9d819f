import torch

from autograder.testing import T0, probe


@probe
def check_range(ns, trials, bounds, log_scale, top_k, edge_frac):
    out = ns.boundary_check(
        [dict(t) for t in trials], "lr", "val_loss", tuple(bounds), log_scale, top_k, edge_frac
    )
    return str(out)


def _trials(gen, n, lo_exp, hi_exp, where):
    """n trials with log10(lr) uniform in [lo_exp, hi_exp]; the loss bowl centred at `where`."""
    trials = []
    for _ in range(n):
        e = lo_exp + (hi_exp - lo_exp) * float(torch.rand(1, generator=gen))
        loss = 0.1 + 0.05 * (e - where) ** 2 + 0.01 * float(torch.rand(1, generator=gen))
        trials.append({"lr": 10**e, "val_loss": round(loss, 8)})
    return trials


def test_q2_synthetic_tables(grade):
    # a loss bowl whose minimum sits in the middle, beyond the top, beyond the bottom, or a
    # flat random table; log and linear positions
    for i, gen in grade.cases(6):
        where = (-2.0, 0.5, -4.5, -2.0, 0.5, -2.0)[i]
        trials = _trials(gen, 12, -4.0, 0.0, where)
        log_scale = i != 3
        top_k = 1 + int(torch.randint(0, 4, (1,), generator=gen))
        case = (
            f"12 trials, lr in [1e-4, 1], loss minimum at 10^{where}, log_scale={log_scale}, "
            f"top_k={top_k} (case {i})"
        )
        grade.compare(check_range, trials, [1e-4, 1.0], log_scale, top_k, 0.1, case=case, **T0)


def test_q2_both_edges_and_edge_frac(grade):
    trials = [
        {"lr": 1.2e-4, "val_loss": 0.10},
        {"lr": 0.8, "val_loss": 0.11},
        {"lr": 1e-2, "val_loss": 0.30},
    ]
    grade.compare(
        check_range,
        trials,
        [1e-4, 1.0],
        True,
        2,
        0.1,
        case="the two best trials at opposite ends (top_k=2)",
        **T0,
    )
    grade.compare(
        check_range, trials, [1e-4, 1.0], True, 1, 0.1, case="the same table with top_k=1", **T0
    )
    grade.compare(
        check_range,
        trials,
        [1e-4, 1.0],
        True,
        2,
        0.01,
        case="the same table with edge_frac=0.01",
        **T0,
    )
    grade.compare(
        check_range,
        trials[:1],
        [1e-4, 1.0],
        True,
        3,
        0.1,
        case="top_k larger than the number of trials",
        **T0,
    )
    # linear positions in a range that does not start at 0, with a trial exactly on an edge
    # (u = edge_frac, u = 1 - edge_frac: the docstring's "<=" and ">="); every number here
    # is a small binary fraction, so u is exact however it is computed
    linear = [
        {"lr": 3.0, "val_loss": 0.10},
        {"lr": 5.0, "val_loss": 0.20},
        {"lr": 4.0, "val_loss": 0.30},
    ]
    grade.compare(
        check_range,
        linear,
        [2.0, 6.0],
        False,
        1,
        0.25,
        case="linear scale, range (2, 6), edge_frac=0.25: the best trial at 3 is exactly on "
        "the low edge (u = 0.25)",
        **T0,
    )
    grade.compare(
        check_range,
        linear[1:],
        [2.0, 6.0],
        False,
        1,
        0.25,
        case="linear scale, range (2, 6), edge_frac=0.25: the best trial at 5 is exactly on "
        "the high edge (u = 0.75)",
        **T0,
    )


def test_q2_better_trial_at_upper_edge(grade):
    for i, gen in grade.cases(3):
        trials = _trials(gen, 10, -3.0, -1.0, -2.0)  # all in the middle of (1e-4, 1)
        edge = {"lr": 10 ** (-0.1 * float(torch.rand(1, generator=gen))), "val_loss": 0.01}
        case = f"property: adding a clearly better trial at lr = {edge['lr']:.3f} (case {i})"
        before = grade.run(check_range, trials, [1e-4, 1.0], True, 3, 0.1, case=case)
        after = grade.run(check_range, [*trials, edge], [1e-4, 1.0], True, 3, 0.1, case=case)
        if before is not None and after is not None:
            grade.check(
                before == "ok" and after == "expand_high",
                case=case,
                message=f"expected 'ok' before and 'expand_high' after; got {before!r}, {after!r}",
            )
