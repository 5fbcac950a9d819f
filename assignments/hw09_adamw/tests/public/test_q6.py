import torch

from autograder.runtime import probe_helpers
from autograder.testing import T1, probe


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


def test_q6_small(grade):
    grade.compare(figures, case="mechanics data on 3 steps, both figures", **T1)
