import torch

from autograder.testing import T0, T1, T2, probe

F64 = torch.float64


@probe
def train(ns, config, max_train_steps, eval_every, seed, data):
    torch.set_num_threads(1)
    out = ns.train_fixed_budget(dict(config), max_train_steps, eval_every, seed, tuple(data))
    return {
        "val_curve": [[int(s), float(v)] for s, v in out["val_curve"]],
        "best_step": int(out["best_step"]),
        "best_val": float(out["best_val"]),
        "final_val": float(out["final_val"]),
    }


@probe
def best_of(ns, curve):
    step, val = ns.retrospective_best([(int(s), float(v)) for s, v in curve])
    return [int(step), float(val)]


@probe
def variance(ns, values):
    mean, std = ns.trial_variance(list(values))
    return [float(mean), float(std)]


def _data(gen, n_train, n_val):
    # learnable labels (a random linear teacher), so that training lowers the val loss
    teacher = torch.randn(64, 10, generator=gen, dtype=F64)
    X = torch.rand(n_train + n_val, 64, generator=gen, dtype=F64)
    y = (X @ teacher).argmax(1)
    return [X[:n_train], y[:n_train], X[n_train:], y[n_train:]]


def test_q3_training_run(grade):
    for i, gen in grade.cases(4):
        data = _data(gen, 40, 30)
        config = {
            "lr": round(10 ** (-2.5 + 1.5 * float(torch.rand(1, generator=gen))), 5),
            "weight_decay": (0.0, 0.1, 0.0, 1.0)[i],
            "width": int(torch.randint(4, 17, (1,), generator=gen)),
            "batch_size": int(torch.randint(4, 17, (1,), generator=gen)),
        }
        eval_every = (5, 4, 10, 2)[i]
        seed = int(torch.randint(0, 1000, (1,), generator=gen))
        grade.compare(
            train,
            config,
            20,
            eval_every,
            seed,
            data,
            case=f"20 steps, eval_every={eval_every}, seed={seed}, {config} (case {i})",
            **T2,
        )
    # eval_every = 1: every step is evaluated, the last one too (and no step after it)
    data = _data(gen, 40, 30)
    config = {"lr": 0.01, "weight_decay": 0.1, "width": 8, "batch_size": 8}
    grade.compare(
        train, config, 6, 1, 3, data, case=f"6 steps, eval_every=1, seed=3, {config}", **T2
    )


def test_q3_properties(grade):
    for i, gen in grade.cases(3):
        data = _data(gen, 40, 30)
        overfit = {"lr": 0.1, "weight_decay": 0.0, "width": 16, "batch_size": 8}
        case = f"property: best_val <= final_val, best_step a multiple of 5 (case {i})"
        got = grade.run(train, overfit, 30, 5, i, data, case=case)
        if got is not None:
            steps = [s for s, _ in got["val_curve"]]
            ok = (
                steps == [5, 10, 15, 20, 25, 30]
                and got["best_step"] % 5 == 0
                and got["best_val"] <= got["final_val"]
                and got["final_val"] == got["val_curve"][-1][1]
            )
            grade.check(
                ok,
                case=case,
                message=f"evaluated steps {steps}, best "
                f"({got['best_step']}, {got['best_val']}), final {got['final_val']}",
            )
        slow = {"lr": 1e-3, "weight_decay": 0.0, "width": 8, "batch_size": 16}
        case = (
            f"property: a small lr (1e-3, 20 steps) hardly overfits: the best checkpoint is "
            f"the reference's (usually step 20) (case {i})"
        )
        # Not a fixed "best step = 20": the data are drawn per submission, and on about 0.7 %
        # of the draws (2 of 300 measured) the reference's own curve is lowest before step
        # 20, so a correct answer would fail. Judged against the reference on the same data;
        # the curves agree to rounding (float64), far below the gaps between evaluations.
        got, ref = grade.run_and_reference(train, slow, 20, 5, i, data, case=case)
        if got is not None:
            grade.check(
                got["best_step"] == ref["best_step"],
                case=case,
                message=f"best_step {got['best_step']}, expected {ref['best_step']}; "
                f"curve {got['val_curve']}",
            )


def test_q3_retrospective_best(grade):
    for i, gen in grade.cases(4):
        n = int(torch.randint(3, 10, (1,), generator=gen))
        vals = torch.round(torch.rand(n, generator=gen, dtype=F64) * 10) / 10  # ties likely
        curve = [[10 * (j + 1), float(v)] for j, v in enumerate(vals)]
        grade.compare(
            best_of, curve, case=f"{n} checkpoints, losses on a 0.1 grid (case {i})", **T0
        )
    grade.compare(
        best_of,
        [[100, 0.5], [200, 0.3], [300, 0.3], [400, 0.6]],
        case="a tie between steps 200 and 300: the earlier wins",
        **T0,
    )


def test_q3_trial_variance(grade):
    for i, gen in grade.cases(4):
        n = int(torch.randint(2, 7, (1,), generator=gen))
        values = (0.2 + 0.01 * torch.randn(n, generator=gen, dtype=F64)).tolist()
        grade.compare(variance, values, case=f"{n} seeds (case {i})", **T1)
    grade.compare(variance, [1.0, 2.0, 3.0], case="[1, 2, 3]: mean 2, std 1 (ddof = 1)", **T1)
