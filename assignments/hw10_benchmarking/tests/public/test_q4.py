import torch

from autograder.testing import T2, probe


@probe
def trial(ns, opt_name, hp):
    torch.set_num_threads(1)
    r = ns.run_trial(opt_name, hp, ns.make_workload("breast_cancer", 0), 10, 5, 0)
    return {"val_curve": r["val_curve"], "steps_to_target": r["steps_to_target"]}


def test_q4_public(grade):
    grade.compare(
        trial, "momentum", {"lr": 0.1}, case="breast cancer, momentum lr 0.1, 10 steps", **T2
    )
