import torch

from autograder.testing import T1, T2, probe

W0 = torch.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=torch.float64)
GRADS = torch.tensor(
    [[[1.0, -2.0], [0.5, 3.0]], [[-0.5, 1.0], [2.0, 0.1]], [[0.2, 0.2], [-1.0, 4.0]]],
    dtype=torch.float64,
)


@probe
def three_steps(ns, cls_name, w0, grads, hparams):
    torch.set_num_threads(1)
    w = w0.clone().requires_grad_(True)
    o = getattr(ns, cls_name)([w], **hparams)
    out = [w.detach().clone()]
    for t in range(grads.shape[0]):
        w.grad = grads[t].clone()
        o.step()
        out.append(w.detach().clone())
    return torch.stack(out)


@probe
def quadratic_with_closure(ns, cls_name, w0, hparams):
    torch.set_num_threads(1)
    w = w0.clone().requires_grad_(True)
    o = getattr(ns, cls_name)([w], **hparams)
    h = torch.tensor([[1.0, 10.0], [0.1, 5.0]], dtype=torch.float64)

    def closure():
        o.zero_grad()
        f = 0.5 * (h * w**2).sum() + torch.sin(w).sum()
        f.backward()
        return f

    values = [float(o.step(closure).detach()) for _ in range(10)]
    return {"w": w.detach(), "closure values": values}


def test_q1_small(grade):
    grade.compare(
        three_steps, "Adagrad", W0, GRADS, {"lr": 0.1}, case="3 fed gradients, lr 0.1", **T1
    )
    grade.compare(
        quadratic_with_closure,
        "Adagrad",
        W0,
        {"lr": 0.3, "eps": 1e-3},
        case="10 closure steps, ε = 1e-3",
        **T2,
    )
