"""q3: the peak-memory model (T0), its best k, and the hook measurement (T0, bytes)."""

import math

import torch

from autograder.testing import T0, probe


@probe
def model(ns, n, ks):
    return [int(ns.peak_saved_units(n, k)) for k in ks]


@probe
def best(ns, ns_list):
    return [int(ns.best_n_segments(n)) for n in ns_list]


@probe
def measured(ns, n, width, batch, ks, seed):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    layers = torch.nn.ModuleList()
    for _ in range(n):
        lin = torch.nn.Linear(width, width)
        with torch.no_grad():
            lin.weight.copy_(torch.rand(width, width, generator=g) - 0.5)
            lin.bias.copy_(torch.rand(width, generator=g) - 0.5)
        layers.append(torch.nn.Sequential(lin, torch.nn.Tanh()))
    x = torch.randn(batch, width, generator=g)
    return [int(ns.measure_peak_bytes(layers, x, k)) for k in ks]


def test_q3_peak_model(grade):
    grade.compare(
        model,
        16,
        [1, 2, 4, 8, 16],
        case="lecture case: n=16, k=1,2,4,8,16 (18, 11, 9, 11, 18)",
        **T0,
    )
    for _i, gen in grade.cases(4):
        n = int(torch.randint(1, 65, (1,), generator=gen))
        ks = sorted({int(v) for v in torch.randint(1, n + 1, (4,), generator=gen)})
        grade.compare(model, n, ks, case=f"n={n}, k in {ks}", **T0)


def test_q3_best_k(grade):
    grade.compare(best, [16, 1, 2, 3], case="n = 16 (k = 4), 1, 2, 3", **T0)
    for _i, gen in grade.cases(3):
        ns_list = sorted({int(v) for v in torch.randint(4, 200, (5,), generator=gen)})
        case = f"best_n_segments for n in {ns_list}"
        grade.compare(best, ns_list, case=case, **T0)


def test_q3_best_k_within_twice_the_sqrt_bound(grade):
    ns_list = [9, 16, 50, 100]
    case = (
        f"property: peak_saved_units(n, best_n_segments(n)) <= 2 * (2 sqrt(n)) for n in {ns_list}"
    )
    got_k = grade.run(best, ns_list, case=case)
    if got_k is None:
        return
    peaks = [k + math.ceil(n / k) + 1 for n, k in zip(ns_list, got_k)]
    ok = all(pk <= 4 * math.sqrt(n) for n, pk in zip(ns_list, peaks))
    grade.check(ok, case=case, message=f"your best k {got_k} give peaks {peaks}")


def test_q3_measured_peak(grade):
    grade.compare(
        measured,
        16,
        16,
        4,
        [1, 2, 4, 8, 16],
        0,
        case="lecture case: 16 blocks, width 16, batch 4, float32, k=1,2,4,8,16",
        **T0,
    )
    for _i, gen in grade.cases(4):
        n = int(torch.randint(2, 9, (1,), generator=gen))
        width = [8, 16][int(torch.randint(0, 2, (1,), generator=gen))]
        batch = int(torch.randint(1, 5, (1,), generator=gen))
        ks = sorted({int(v) for v in torch.randint(1, n + 1, (3,), generator=gen)})
        seed = int(torch.randint(0, 2**31, (1,), generator=gen))
        grade.compare(
            measured,
            n,
            width,
            batch,
            ks,
            seed,
            case=f"{n} blocks, width {width}, batch {batch}, float32, k in {ks}",
            **T0,
        )


def test_q3_measurement_agrees_with_model(grade):
    for _i, gen in grade.cases(2):
        n = int(torch.randint(3, 10, (1,), generator=gen))
        ks = list(range(1, n + 1))
        case = f"property: measured peak = peak_saved_units × activation bytes, n={n}, all k"
        got = grade.run(measured, n, 8, 2, ks, 7, case=case)
        if got is None:
            continue
        expected = [(k + math.ceil(n / k) + 1) * 8 * 2 * 4 for k in ks]
        grade.check(got == expected, case=case, message=f"measured {got}, model {expected}")
