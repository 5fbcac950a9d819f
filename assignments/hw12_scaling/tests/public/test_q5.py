import torch

from autograder.testing import T1, probe


@probe
def pieces(ns):
    torch.set_num_threads(1)
    F64 = torch.float64
    torch.manual_seed(0)
    blocks = [
        torch.nn.Sequential(torch.nn.Linear(3, 3, dtype=F64), torch.nn.Tanh()) for _ in range(4)
    ]
    model = torch.nn.Sequential(*blocks)
    X = torch.linspace(-1, 1, 18, dtype=F64).reshape(6, 3)
    Y = torch.linspace(1, -0.5, 18, dtype=F64).reshape(6, 3)
    mse = torch.nn.functional.mse_loss
    grid = ns.gpipe_schedule(2, 3)
    stages = [torch.nn.Sequential(*blocks[:2]), torch.nn.Sequential(*blocks[2:])]
    grads, peaks = ns.run_schedule(stages, X, Y, mse, 3, grid)
    W1 = torch.linspace(-1, 1, 12, dtype=F64).reshape(3, 4)
    W2 = torch.linspace(1, -1, 12, dtype=F64).reshape(4, 3)
    return {
        "accumulated_grad, 4 micro-batches": ns.accumulated_grad(model, mse, X, Y, 4),
        "data_parallel_grad, 3 workers": ns.data_parallel_grad(model, mse, X, Y, 3),
        "tp_mlp, 2 shards": ns.tp_mlp(X, W1, W2, 2),
        "run_schedule GPipe p=2, m=3: grads": grads,
        "run_schedule GPipe p=2, m=3: peaks": [int(v) for v in peaks],
    }


def test_q5_public(grade):
    grade.compare(pieces, case="a 4-block float64 MLP on 6 rows", **T1)
