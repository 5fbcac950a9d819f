import torch

from autograder.testing import T2, probe


@probe
def three_steps(ns, w0, grads, hp):
    w = w0.clone().requires_grad_(True)
    o = ns.SGD([w], **hp)
    out = []
    for t in range(grads.shape[0]):
        w.grad = grads[t].clone()
        o.step()
        out.append(w.detach().clone())
    return torch.stack(out)


@probe
def lr_changed_in_the_group(ns, w0, grads, hp, new_lr):
    # as a scheduler does: the group's lr is rewritten before the last step
    w = w0.clone().requires_grad_(True)
    o = ns.SGD([w], **hp)
    out = []
    for t in range(grads.shape[0]):
        if t == grads.shape[0] - 1:
            o.param_groups[0]["lr"] = new_lr
        w.grad = grads[t].clone()
        o.step()
        out.append(w.detach().clone())
    return torch.stack(out)


W0 = torch.tensor([1.0, -1.0], dtype=torch.float64)
GRADS = torch.tensor([[0.5, 1.0], [-0.5, 2.0], [1.0, 0.0]], dtype=torch.float64)


def test_q2_public(grade):
    grade.compare(three_steps, W0, GRADS, {"lr": 0.1}, case="3 plain SGD steps", **T2)
    grade.compare(
        three_steps,
        W0,
        GRADS,
        {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1},
        case="3 steps, momentum 0.9, weight decay 0.1",
        **T2,
    )
    grade.compare(
        lr_changed_in_the_group,
        W0,
        GRADS,
        {"lr": 0.1, "momentum": 0.5},
        0.01,
        case="3 steps, momentum 0.5, lr set to 0.01 in the group before step 3 (read it at every step)",
        **T2,
    )
