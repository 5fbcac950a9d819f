import torch

from autograder.testing import T1, probe


@probe
def ls_nodes(ns, X, y, w):
    cache = ns.ls_forward(X, y, w)
    back = ns.ls_backward(X, y, w, cache)
    return {
        "forward": {k: cache[k] for k in ("z1", "z2", "f")},
        "backward": {k: back[k] for k in ("df_dz2", "df_dz1", "df_dw")},
    }


def test_q3_two_by_two(grade):
    grade.compare(
        ls_nodes,
        torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64),
        torch.tensor([1.0, 1.0], dtype=torch.float64),
        torch.tensor([0.5, -0.5], dtype=torch.float64),
        case="X = [[1, 2], [3, 4]], y = (1, 1), w = (0.5, −0.5)",
        **T1,
    )
