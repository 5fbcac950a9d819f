import torch

from autograder.testing import T0, probe


@probe
def model(ns):
    return {
        "peak_saved_units(16, k)": [int(ns.peak_saved_units(16, k)) for k in (1, 2, 4, 8, 16)],
        "best_n_segments(16)": int(ns.best_n_segments(16)),
    }


@probe
def measured(ns, k):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    f32 = torch.float32  # explicit: the recorded bytes must not depend on the default dtype
    layers = torch.nn.ModuleList(
        [torch.nn.Sequential(torch.nn.Linear(4, 4, dtype=f32), torch.nn.Tanh()) for _ in range(6)]
    )
    return int(ns.measure_peak_bytes(layers, torch.ones(2, 4, dtype=f32), k))


def test_q3_public(grade):
    grade.compare(model, case="the lecture's n = 16", **T0)
    grade.compare(measured, 2, case="6 blocks of width 4, batch 2, float32, k = 2", **T0)
