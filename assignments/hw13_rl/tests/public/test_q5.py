import torch

from autograder.testing import T1, probe


@probe
def objectives(ns):
    new = torch.log(torch.tensor([0.8, 0.3, 0.52], dtype=torch.float64))
    old = torch.log(torch.tensor([0.5, 0.5, 0.5], dtype=torch.float64))
    adv = torch.tensor([1.0, -1.0, 2.0], dtype=torch.float64)
    w = torch.tensor([-1.0, -2.0], dtype=torch.float64)
    l = torch.tensor([-3.0, -1.0], dtype=torch.float64)
    ref = torch.tensor([-2.0, -2.0], dtype=torch.float64)
    return {
        "ppo": ns.ppo_clip_objective(new, old, adv, 0.2).detach(),
        "grpo": ns.grpo_advantages(torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=torch.float64)),
        "dpo": ns.dpo_loss(w, l, ref, ref, 0.5).detach(),
    }


def test_q5_small(grade):
    grade.compare(objectives, case="PPO (3 steps, ε = 0.2), GRPO (4 rewards), DPO (2 pairs)", **T1)
