import torch

from autograder.testing import T1, T2, probe

F64 = torch.float64
_g = torch.Generator().manual_seed(0)
_X = torch.rand(30, 64, generator=_g, dtype=F64)
_y = (_X @ torch.randn(64, 10, generator=_g, dtype=F64)).argmax(1)
DATA = [_X[:20], _y[:20], _X[20:], _y[20:]]


@probe
def train(ns, data):
    torch.set_num_threads(1)
    config = {"lr": 0.01, "weight_decay": 0.1, "width": 8, "batch_size": 4}
    out = ns.train_fixed_budget(config, 6, 2, 0, tuple(data))
    return {
        "val_curve": [[int(s), float(v)] for s, v in out["val_curve"]],
        "best_step": int(out["best_step"]),
        "best_val": float(out["best_val"]),
        "final_val": float(out["final_val"]),
    }


@probe
def helpers(ns):
    step, val = ns.retrospective_best([(10, 0.4), (20, 0.2), (30, 0.2), (40, 0.5)])
    mean, std = ns.trial_variance([0.3, 0.5, 0.4])
    return {"best": [int(step), float(val)], "mean": float(mean), "std": float(std)}


def test_q3_helpers(grade):
    grade.compare(helpers, case="a 4-checkpoint curve with a tie; 3 seeds", **T1)


def test_q3_training(grade):
    grade.compare(train, DATA, case="6 steps, eval every 2, 20 training examples", **T2)
