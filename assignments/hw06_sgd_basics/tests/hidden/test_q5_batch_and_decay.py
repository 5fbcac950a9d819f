import torch

from autograder.testing import T1, probe


@probe
def decaying(ns, x, n_steps, w0, seed):
    torch.set_num_threads(1)
    return ns.sgd_decaying(x, n_steps, w0, torch.Generator().manual_seed(seed))


@probe
def running_mean_gap(ns, x, n_steps, w0, seed):
    torch.set_num_threads(1)
    path = ns.sgd_decaying(x, n_steps, w0, torch.Generator().manual_seed(seed))
    g = torch.Generator().manual_seed(seed)
    picks = torch.stack([x[torch.randint(0, len(x), (1,), generator=g)][0] for _ in range(n_steps)])
    running = picks.cumsum(0) / torch.arange(1, n_steps + 1, dtype=torch.float64)
    return {"w0": float(path[0]), "gap": float((path[1:] - running).abs().max())}


@probe
def batch_vs_steps(ns, x, eta, B, k, n_runs, seed):
    torch.set_num_threads(1)
    out = ns.compare_batch_vs_steps(x, eta, B, k, n_runs, torch.Generator().manual_seed(seed))
    return {"batch": float(out["batch"]), "single": float(out["single"])}


def _seed(gen):
    return int(torch.randint(0, 2**31 - 1, (1,), generator=gen))


def test_q5_sgd_decaying(grade):
    for i, gen in grade.cases(4):
        n = int(torch.randint(3, 40, (1,), generator=gen))
        x = torch.randn(n, generator=gen, dtype=torch.float64)
        w0 = float(torch.randn(1, generator=gen)) * 10
        grade.compare(decaying, x, 30, w0, _seed(gen), case=f"n = {n}, 30 steps (case {i})", **T1)


def test_q5_decaying_is_running_mean(grade):
    for i, gen in grade.cases(2):
        x = torch.randn(25, generator=gen, dtype=torch.float64)
        for w0 in (0.0, 50.0):
            case = f"w_k is the running mean of the sampled points, w₀ = {w0} (case {i})"
            got = grade.run(running_mean_gap, x, 30, w0, _seed(gen), case=case)
            if got is not None:
                grade.check(
                    got["w0"] == w0 and got["gap"] <= 1e-10,
                    case=case,
                    message=f"w_0 = {got['w0']}, max |w_k − running mean| = {got['gap']:.3g}",
                )


def test_q5_compare_batch_vs_steps(grade):
    for i, gen in grade.cases(2):
        x = torch.randn(30, generator=gen, dtype=torch.float64)
        grade.compare(
            batch_vs_steps,
            x,
            0.2,
            3,
            10,
            20,
            _seed(gen),
            case=f"B = 3, k = 10, 20 runs (case {i})",
            **T1,
        )
    gen = torch.Generator().manual_seed(1)
    x = 1.0 + torch.randn(100, generator=gen, dtype=torch.float64)
    case = "no free lunch: B = 10, η = 0.1, k = 100 vs B = 1, η = 0.01, k = 1000 (2000 runs)"
    got = grade.run(batch_vs_steps, x, 0.1, 10, 100, 2000, 7, case=case)
    if got is not None:
        ratio = got["batch"] / got["single"] if got["single"] > 0 else float("inf")
        # fixed inputs, seeded draws: measured 0.961 under every one of 24 CPU settings
        grade.check(
            0.7 <= ratio <= 1.4,
            case=case + ": final MSEs within a factor [0.7, 1.4]",
            message=f"batch {got['batch']:.5g}, single {got['single']:.5g}, ratio {ratio:.3f}",
        )
