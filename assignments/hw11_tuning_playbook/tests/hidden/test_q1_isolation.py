import torch

from autograder.testing import T0, probe


@probe
def iso(ns, trials, scientific, metric, mode):
    out = ns.isolation_table([dict(t) for t in trials], scientific, metric, mode)
    return [[float(k), {str(a): float(b) for a, b in dict(v).items()}] for k, v in out.items()]


@probe
def iso_then_unknown_mode(ns, trials, scientific, metric, bad_mode):
    # a valid call first (so that raising on every call earns nothing), then an unknown mode
    out = ns.isolation_table([dict(t) for t in trials], scientific, metric, "max")
    table = [[float(k), {str(a): float(b) for a, b in dict(v).items()}] for k, v in out.items()]
    try:
        ns.isolation_table([dict(t) for t in trials], scientific, metric, bad_mode)
    except ValueError:
        return [table, "ValueError"]
    return [table, "no ValueError"]


def _table(gen, n, values, tie_prob=True):
    # losses on a 0.01 grid, so that ties occur and the "first trial wins" rule matters
    trials = []
    for i in range(n):
        wd = values[int(torch.randint(0, len(values), (1,), generator=gen))]
        lr = round(10 ** (-4 + 4 * float(torch.rand(1, generator=gen))), 6)
        loss = round(0.1 + 0.2 * float(torch.rand(1, generator=gen)), 2 if tie_prob else 6)
        trials.append({"weight_decay": wd, "lr": lr, "val_loss": loss, "trial": float(i)})
    return trials


def test_q1_random_tables(grade):
    for i, gen in grade.cases(5):
        values = [1e-4, 1e-3, 1e-2, 1e-1]
        mode = "max" if i == 4 else "min"
        trials = _table(gen, 30, values)
        grade.compare(
            iso,
            trials,
            "weight_decay",
            "val_loss",
            mode,
            case=f"30 random trials, 4 weight decays, mode={mode!r}, ties possible (case {i})",
            **T0,
        )
    # the docstring's contract: a mode other than "min" and "max" is refused, not read as one
    trials = [
        {"weight_decay": 1e-3, "lr": 0.1, "val_loss": 0.5},
        {"weight_decay": 1e-2, "lr": 0.1, "val_loss": 0.4},
        {"weight_decay": 1e-3, "lr": 0.01, "val_loss": 0.2},
    ]
    grade.compare(
        iso_then_unknown_mode,
        trials,
        "weight_decay",
        "val_loss",
        "best",
        case="3 trials with mode='max', then the unknown mode 'best': a ValueError is expected",
        **T0,
    )


def test_q1_lecture_case(grade):
    # the lecture's picture: with lr tuned per weight decay, 1e-3 wins; the first of the two
    # tied trials at wd = 1e-2 is kept
    trials = [
        {"weight_decay": 1e-2, "lr": 0.1, "val_loss": 0.40},
        {"weight_decay": 1e-3, "lr": 0.1, "val_loss": 0.50},
        {"weight_decay": 1e-3, "lr": 0.01, "val_loss": 0.20},
        {"weight_decay": 1e-2, "lr": 0.01, "val_loss": 0.30},
        {"weight_decay": 1e-2, "lr": 0.001, "val_loss": 0.30},
        {"weight_decay": 1e-1, "lr": 0.001, "val_loss": 0.90},
    ]
    grade.compare(
        iso,
        trials,
        "weight_decay",
        "val_loss",
        "min",
        case="6 hand-made trials, keys unsorted in the input, a tie at wd = 1e-2",
        **T0,
    )


def test_q1_each_choice_is_best_in_its_group(grade):
    for i, gen in grade.cases(3):
        trials = _table(gen, 30, [0.0, 0.5, 1.0, 2.0], tie_prob=False)
        case = f"property: each chosen trial is the best of its group (case {i})"
        got = grade.run(iso, trials, "weight_decay", "val_loss", "min", case=case)
        if got is None:
            continue
        ok, msg = True, ""
        groups = sorted({t["weight_decay"] for t in trials})
        if [k for k, _ in got] != groups:
            ok, msg = False, f"keys {[k for k, _ in got]}, expected the sorted values {groups}"
        for k, chosen in got:
            best = min(t["val_loss"] for t in trials if t["weight_decay"] == k)
            if chosen.get("val_loss") != best or chosen.get("weight_decay") != k:
                ok, msg = (
                    False,
                    f"for weight_decay={k} you chose {chosen}, whose loss is not {best}",
                )
                break
        grade.check(ok, case=case, message=msg)
