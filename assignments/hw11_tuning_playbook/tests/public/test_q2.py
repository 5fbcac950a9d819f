from autograder.testing import T0, probe

TRIALS = [
    {"lr": 1e-3, "val_loss": 0.5},
    {"lr": 1e-2, "val_loss": 0.3},
    {"lr": 0.5, "val_loss": 0.1},
    {"lr": 0.05, "val_loss": 0.2},
]


@probe
def check_range(ns, trials, log_scale, top_k):
    return str(
        ns.boundary_check(
            [dict(t) for t in trials], "lr", "val_loss", (1e-4, 1.0), log_scale, top_k
        )
    )


def test_q2_small_table(grade):
    grade.compare(
        check_range, TRIALS, True, 1, case="best lr 0.5 in (1e-4, 1), log scale, top_k=1", **T0
    )
    grade.compare(check_range, TRIALS, False, 1, case="the same on a linear scale", **T0)
    grade.compare(check_range, TRIALS[:2], True, 3, case="best trials in the middle", **T0)
