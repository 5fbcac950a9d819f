import torch

from autograder.testing import T1, probe, probe_helpers


@probe
def noise_floor_figure(ns, items, decay):
    torch.set_num_threads(1)
    curves = {eta: mc for eta, mc, _ in items}
    theory = {eta: th for eta, _, th in items}
    fig = ns.plot_noise_floor(curves, theory, decay)
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


@probe
def minibatch_figure(ns, items):
    torch.set_num_threads(1)
    fig = ns.plot_minibatch({B: (eta, mse) for B, eta, mse in items})
    data = probe_helpers.figure_data(fig)
    ns.plt.close(fig)
    return data


def _curve(gen, K):
    return torch.rand(K + 1, generator=gen, dtype=torch.float64) + 0.01


def test_q6_noise_floor(grade):
    for i, gen in grade.cases(2):
        items = [[eta, _curve(gen, 12), _curve(gen, 12)] for eta in (0.5, 0.1, 0.01)]
        decay = _curve(gen, 12) if i == 1 else None
        what = "with" if i == 1 else "without"
        grade.compare_figure(
            noise_floor_figure,
            items,
            decay,
            case=f"three step sizes, {what} the decaying curve",
            **T1,
        )


def test_q6_minibatch(grade):
    for i, gen in grade.cases(2):
        items = [[1, 5e-4, _curve(gen, 10)], [100, 5e-2, _curve(gen, 10)]]
        grade.compare_figure(minibatch_figure, items, case=f"B = 1 and B = 100 (case {i})", **T1)
