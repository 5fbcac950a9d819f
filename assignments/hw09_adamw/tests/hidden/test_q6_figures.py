import torch

from autograder.runtime import probe_helpers
from autograder.testing import T1, probe


@probe
def mechanics(ns, grads, lr, eps, beta2s, betas, g_const):
    torch.set_num_threads(1)
    d = ns.mechanics_data(
        grads, lr=lr, eps=eps, beta2s=tuple(beta2s), betas=tuple(betas), g_const=g_const
    )
    keys = ("t", "rate", "G", "v", "beta2s", "m", "v_const", "m_hat", "v_hat")
    return {k: d[k] for k in keys}


@probe
def mechanics_figure(ns, data):
    torch.set_num_threads(1)
    fig = ns.plot_adaptive_mechanics(data)
    out = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return out


@probe
def comparison_figure(ns, histories):
    torch.set_num_threads(1)
    fig = ns.plot_optimizer_comparison(histories)
    out = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return out


def test_q6_mechanics_data(grade):
    for i, gen in grade.cases(3):
        T = int(torch.randint(10, 40, (1,), generator=gen))
        scales = torch.tensor([1.0, 10.0], dtype=torch.float64)
        grads = torch.randn(T, 2, generator=gen, dtype=torch.float64) * scales
        beta2s = [(0.9, 0.99, 0.999), (0.5, 0.9), (0.99,)][i]
        betas = [(0.9, 0.999), (0.5, 0.9), (0.0, 0.99)][i]
        lr, eps = [(0.1, 1e-10), (0.5, 1e-3), (0.01, 1e-8)][i]
        g_const = round(float(torch.randn(1, generator=gen)) * 3, 3)
        grade.compare(
            mechanics,
            grads,
            lr,
            eps,
            beta2s,
            betas,
            g_const,
            case=f"T = {T}, lr = {lr}, ε = {eps}, β₂s {beta2s}, betas {betas}, g = {g_const}",
            **T1,
        )


def _curve(gen, T):
    return torch.rand(T, generator=gen, dtype=torch.float64) + 0.01


def test_q6_mechanics_figure(grade):
    for i, gen in grade.cases(2):
        T = 12 + i
        beta2s = torch.tensor([0.9, 0.99, 0.999][: 2 + i], dtype=torch.float64)
        data = {
            "t": torch.arange(1, T + 1, dtype=torch.float64),
            "rate": torch.stack([_curve(gen, T), _curve(gen, T)], dim=1),
            "G": _curve(gen, T),
            "v": torch.stack([_curve(gen, T) for _ in beta2s]),
            "beta2s": beta2s,
            "m": _curve(gen, T),
            "v_const": _curve(gen, T),
            "m_hat": _curve(gen, T),
            "v_hat": _curve(gen, T),
        }
        grade.compare_figure(
            mechanics_figure, data, case=f"{T} steps, {len(beta2s)} values of β₂", **T1
        )


def test_q6_comparison_figure(grade):
    for i, gen in grade.cases(2):
        names = ["SGD", "SGD+momentum", "Adam", "AdamW"][: 3 + i]
        steps = [0, 10, 20, 30]
        histories = {
            name: {
                "step": steps,
                "train_loss": [round(float(x), 6) for x in _curve(gen, 4)],
                "val_loss": [round(float(x), 6) for x in _curve(gen, 4)],
                "val_acc": [round(float(x), 6) for x in _curve(gen, 4)],
            }
            for name in names
        }
        grade.compare_figure(comparison_figure, histories, case=f"{len(names)} optimisers", **T1)
