from autograder.testing import T0, probe

TRIALS = [
    {"wd": 0.1, "lr": 0.01, "val_loss": 0.5},
    {"wd": 0.01, "lr": 0.01, "val_loss": 0.4},
    {"wd": 0.1, "lr": 0.1, "val_loss": 0.3},
    {"wd": 0.01, "lr": 0.1, "val_loss": 0.4},
]


@probe
def iso(ns, trials, mode):
    out = ns.isolation_table([dict(t) for t in trials], "wd", "val_loss", mode)
    return [[float(k), {str(a): float(b) for a, b in dict(v).items()}] for k, v in out.items()]


def test_q1_small_table(grade):
    grade.compare(iso, TRIALS, "min", case="4 trials, 2 weight decays, a tie at wd = 0.01", **T0)
    grade.compare(iso, TRIALS, "max", case="the same trials with mode='max'", **T0)
