import math

import torch

from autograder.testing import T1, probe

F64 = torch.float64


@probe
def ppo(ns, new, old, adv, eps):
    return ns.ppo_clip_objective(new, old, adv, eps).detach()


@probe
def ppo_grad(ns, new, old, adv, eps):
    x = new.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(ns.ppo_clip_objective(x, old, adv, eps), x)
    return g


@probe
def grpo(ns, r):
    return ns.grpo_advantages(r)


@probe
def grpo_groups(ns, groups):
    return [ns.grpo_advantages(r) for r in groups]


@probe
def dpo(ns, w, l, rw, rl, beta):
    return ns.dpo_loss(w, l, rw, rl, beta).detach()


def test_q5_ppo(grade):
    for i, gen in grade.cases(4):
        T = 5 + 3 * i
        old = torch.randn(T, generator=gen, dtype=F64)
        new = old + 0.6 * torch.randn(T, generator=gen, dtype=F64)
        adv = torch.randn(T, generator=gen, dtype=F64)
        eps = (0.1, 0.2, 0.3, 0.2)[i]
        grade.compare(ppo, new, old, adv, eps, case=f"T={T}, ε={eps} (case {i})", **T1)
    old = torch.zeros(4, dtype=F64)
    adv = torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=F64)
    grade.compare(ppo, old, old, adv, 0.2, case="ρ = 1: the objective is mean(A) = 0.625", **T1)
    extreme = torch.tensor([30.0, -30.0, 30.0, -30.0], dtype=F64)
    grade.compare(ppo, extreme, old, adv, 0.2, case="extreme log-ratios ±30", **T1)
    one_new = torch.tensor([0.3], dtype=F64)
    one_old = torch.zeros(1, dtype=F64)
    one_adv = torch.tensor([2.0], dtype=F64)
    grade.compare(
        ppo,
        one_new,
        one_old,
        one_adv,
        0.2,
        case="a single sample (T = 1): ρ = e^0.3 > 1 + ε, A = 2, so the objective is 2·1.2 = 2.4",
        **T1,
    )


def test_q5_ppo_gradient_is_zero_when_clipped(grade):
    old = torch.zeros(4, dtype=F64)
    new = torch.tensor([0.5, 0.5, -0.5, 0.05], dtype=F64)  # ρ = 1.65, 1.65, 0.61, 1.05
    adv = torch.tensor([1.0, -1.0, -1.0, 1.0], dtype=F64)
    case = "property: ∂/∂logp_new is 0 where A > 0 and ρ > 1+ε (and A < 0, ρ < 1−ε), not elsewhere"
    got = grade.run(ppo_grad, new, old, adv, 0.2, case=case)
    if got is not None:
        zero = [abs(float(v)) < 1e-15 for v in got]
        grade.check(
            zero == [True, False, True, False],
            case=case,
            message=f"gradient {got.tolist()}: expected zeros at entries 0 and 2 only",
        )
    grade.compare(ppo_grad, new, old, adv, 0.2, case="the gradient's values", **T1)


def test_q5_grpo(grade):
    for i, gen in grade.cases(3):
        r = torch.randint(0, 2, (4 + 2 * i,), generator=gen).to(F64)
        grade.compare(grpo, r, case=f"{len(r)} binary rewards (case {i})", **T1)
    grade.compare(
        grpo,
        torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0], dtype=F64),
        case="[1, 0, 0, 1, 1] → r − 0.6 (no std scaling)",
        **T1,
    )
    grade.compare(
        grpo_groups,
        [torch.tensor([0.7], dtype=F64), torch.tensor([1.0, 0.0], dtype=F64)],
        case="the smallest groups: one answer [0.7] → [0], and two answers [1, 0] → [0.5, −0.5]",
        **T1,
    )


def test_q5_dpo(grade):
    for i, gen in grade.cases(3):
        w, l, rw, rl = (torch.randn(6, generator=gen, dtype=F64) for _ in range(4))
        beta = (0.1, 0.5, 2.0)[i]
        grade.compare(dpo, w, l, rw, rl, beta, case=f"6 pairs, β={beta} (case {i})", **T1)
    z = torch.zeros(3, dtype=F64)
    grade.compare(
        dpo, z, z, z, z, 0.3, case=f"policy = reference: loss = log 2 = {math.log(2):.6f}", **T1
    )
    big = torch.tensor([2000.0, -2000.0], dtype=F64)
    zero = torch.zeros(2, dtype=F64)
    grade.compare(
        dpo,
        big,
        zero,
        zero,
        zero,
        1.0,
        case="margins ±2000: a stable softplus form gives 1000, not inf or nan",
        **T1,
    )
    grade.compare(
        dpo,
        torch.tensor([-1.0], dtype=F64),
        torch.tensor([-2.0], dtype=F64),
        torch.tensor([-1.5], dtype=F64),
        torch.tensor([-1.5], dtype=F64),
        0.5,
        case="a batch of one pair: margin 1, β = 0.5, loss softplus(−0.5) ≈ 0.474",
        **T1,
    )
