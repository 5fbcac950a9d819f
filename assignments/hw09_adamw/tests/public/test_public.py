import torch

from autograder.runtime import probe_helpers
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


@probe
def corrected(ns):
    m = torch.tensor([0.1, -0.2], dtype=torch.float64)
    v = torch.tensor([0.01, 0.04], dtype=torch.float64)
    m_hat, v_hat = ns.bias_corrected(m, v, 0.9, 0.999, 1)
    return {"m_hat": m_hat, "v_hat": v_hat}


@probe
def zero_loss(ns):
    torch.set_num_threads(1)
    out = ns.l2_vs_decoupled(torch.tensor([1.0, 0.05], dtype=torch.float64), 0.01, [0.01, 0.1], 5)
    return {"adam_l2": out["adam_l2"], "adamw": out["adamw"]}


@probe
def tiny_training(ns, name):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    X = torch.randn(24, 3, generator=g, dtype=torch.float64)
    y = (X[:, 0] > 0).long()
    h = ns.train_classifier(
        name, {"lr": 0.01}, 6, 4, 1, (X, y, X, y), eval_every=3, hidden=(4,), n_classes=2
    )
    return {k: h[k] for k in ("step", "train_loss", "val_loss", "val_acc")}


@probe
def figures(ns):
    torch.set_num_threads(1)
    grads = torch.tensor([[1.0, 10.0], [-1.0, 5.0], [0.5, -20.0]], dtype=torch.float64)
    data = ns.mechanics_data(grads)
    f1 = ns.plot_adaptive_mechanics(data)
    hist = {
        "Adam": {
            "step": [0, 5],
            "train_loss": [2.3, 1.1],
            "val_loss": [2.3, 1.2],
            "val_acc": [0.1, 0.6],
        }
    }
    f2 = ns.plot_optimizer_comparison(hist)
    out = {
        "rate": data["rate"],
        "v": data["v"],
        "m_hat": data["m_hat"],
        "mechanics figure": probe_helpers.figure_data(f1),
        "comparison figure": probe_helpers.figure_data(f2),
    }
    ns.plt.close(f1)
    ns.plt.close(f2)
    return out


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


def test_q2_small(grade):
    grade.compare(corrected, case="bias_corrected at t = 1", **T1)
    grade.compare(three_steps, "Adam", W0, GRADS, {"lr": 0.1}, case="3 fed gradients, lr 0.1", **T1)
    grade.compare(
        quadratic_with_closure,
        "Adam",
        W0,
        {"lr": 0.05, "betas": (0.5, 0.9), "weight_decay": 0.1},
        case="10 closure steps with L2 weight decay 0.1",
        **T2,
    )


def test_q3_small(grade):
    grade.compare(
        three_steps, "AdamW", W0, GRADS, {"lr": 0.1}, case="3 fed gradients, lr 0.1", **T1
    )
    grade.compare(
        quadratic_with_closure,
        "AdamW",
        W0,
        {"lr": 0.05, "weight_decay": 0.5},
        case="10 closure steps with decoupled weight decay 0.5",
        **T2,
    )


def test_q4_small(grade):
    grade.compare(zero_loss, case="w₀ = (1, 0.05), lr 0.01, λ ∈ {0.01, 0.1}, 5 steps", **T2)


def test_q5_small(grade):
    for name in ("sgd", "adam"):
        grade.compare(tiny_training, name, case=f'"{name}", lr 0.01, 6 steps on 24 points', **T2)


def test_q6_small(grade):
    grade.compare(figures, case="mechanics data on 3 steps, both figures", **T1)
