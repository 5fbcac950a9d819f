"""Oracle cross-checks for solutions/hw10_benchmarking.py.

Oracles: brute-force Python loops (time-to-result, running best, performance profiles),
scipy.stats.qmc.Halton (unscrambled Halton points), torch.rand (random search), a
hand-written training loop (run_trial), SGD ⊆ Momentum at β = 0, and a
Kolmogorov–Smirnov bound for log-uniform samples.
"""

import math

import pytest
import torch
from scipy.stats import kstest, qmc

from solutions import hw10_benchmarking as ref

DT = torch.float64


def test_time_to_result_and_best_so_far_vs_loops():
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        c = torch.randn(15, generator=gen, dtype=DT).cumsum(0)
        target = float(torch.randn(1, generator=gen)) * 2
        times = torch.rand(15, generator=gen, dtype=DT).cumsum(0)
        for mode in ("min", "max"):
            hit = [
                i
                for i, v in enumerate(c.tolist())
                if (v <= target if mode == "min" else v >= target)
            ]
            want = float(times[hit[0]]) if hit else math.inf
            assert ref.time_to_result(c, target, times, mode) == want
            assert ref.time_to_result(c, target, None, mode) == (float(hit[0]) if hit else math.inf)
            run, out = None, []
            for v in c.tolist():
                run = v if run is None else (min(run, v) if mode == "min" else max(run, v))
                out.append(run)
            assert ref.best_so_far(c, mode).tolist() == out
            # time-to-result of a curve equals that of its running best
            assert ref.time_to_result(ref.best_so_far(c, mode), target, times, mode) == want


def test_time_to_result_unknown_mode_raises():
    c = torch.tensor([0.3, 0.2, 0.1], dtype=DT)
    with pytest.raises(ValueError):
        ref.time_to_result(c, 0.2, None, "median")


def _profile_loop(times, taus):
    S, W = times.shape
    out = torch.zeros(S, len(taus), dtype=DT)
    for w in range(W):
        col = times[:, w].tolist()
        best = min(col)
        for s in range(S):
            if math.isinf(col[s]) or math.isinf(best):
                continue
            r = col[s] / best
            for k, tau in enumerate(taus.tolist()):
                if r <= tau:
                    out[s, k] += 1.0 / W
    return out


def test_performance_profile_vs_loop_and_properties():
    gen = torch.Generator().manual_seed(1)
    taus = torch.tensor([1.0, 1.5, 2.0, 4.0, 10.0], dtype=DT)
    for _ in range(10):
        times = torch.rand(3, 7, generator=gen, dtype=DT) * 10 + 1
        times[torch.rand(3, 7, generator=gen) < 0.3] = math.inf
        times[:, 0] = math.inf  # nobody solves workload 0
        times[1, 1] = times[0, 1]  # a tie
        rho = ref.performance_profile(times, taus)
        torch.testing.assert_close(rho, _profile_loop(times, taus), rtol=1e-12, atol=1e-12)
        assert bool((rho[:, 1:] >= rho[:, :-1]).all())
        solved_by_anyone = torch.isfinite(times).any(0).to(DT).mean()
        assert float(rho[:, 0].sum()) >= float(solved_by_anyone) - 1e-12
        assert bool((rho <= torch.isfinite(times).to(DT).mean(1, keepdim=True) + 1e-12).all())


def test_performance_profile_integer_step_counts():
    # an int64 table (nothing fails) gives the profile of the same table in float64
    steps = torch.tensor([[10, 20, 100, 30], [20, 10, 50, 20]], dtype=torch.int64)
    taus = torch.tensor([1.0, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0], dtype=DT)
    rho = ref.performance_profile(steps, taus)
    assert rho.dtype == DT
    # ratios (1, 2, 2, 1.5) for solver 0 and (2, 1, 1, 1) for solver 1
    want = torch.tensor([[1, 1, 2, 4, 4, 4, 4], [3, 3, 3, 4, 4, 4, 4]], dtype=DT) / 4
    torch.testing.assert_close(rho, want, rtol=0, atol=0)
    torch.testing.assert_close(rho, _profile_loop(steps.to(DT), taus), rtol=1e-12, atol=1e-12)


def test_halton_matches_scipy():
    space = {"b": (0.0, 1.0, "linear"), "a": (0.0, 1.0, "linear"), "c": (0.0, 1.0, "linear")}
    for seed in (0, 5):
        engine = qmc.Halton(3, scramble=False)
        engine.fast_forward(seed + 1)
        want = engine.random(12)
        got = ref.sample_space(space, 12, seed)
        got_arr = torch.tensor([[p["a"], p["b"], p["c"]] for p in got], dtype=DT)
        torch.testing.assert_close(got_arr, torch.tensor(want, dtype=DT), rtol=1e-12, atol=1e-14)


def test_random_method_and_log_uniform_ks():
    space = {"lr": (1e-4, 1.0, "log"), "x": (-1.0, 2.0, "linear")}
    got = ref.sample_space(space, 256, 3, method="random")
    u = torch.rand(256, 2, generator=torch.Generator().manual_seed(3), dtype=DT)
    torch.testing.assert_close(torch.tensor([p["x"] for p in got], dtype=DT), -1 + 3 * u[:, 1])
    for method in ("random", "halton"):
        pts = ref.sample_space(space, 256, 3, method=method)
        lr = torch.tensor([p["lr"] for p in pts], dtype=DT)
        assert bool(((lr >= 1e-4) & (lr <= 1.0)).all())
        z = ((lr.log() - math.log(1e-4)) / (-math.log(1e-4))).numpy()
        # KS against U(0,1): 1.63/sqrt(n) is the 1 % critical value
        assert kstest(z, "uniform").statistic < 1.63 / math.sqrt(256)


def _manual_trial(opt_cls, kw, wl, steps, eval_every, seed):
    g = torch.Generator().manual_seed(seed)
    params = ref.init_params(wl, g)
    opt = opt_cls(params, **kw)
    n = wl["X_train"].shape[0]
    out = []
    for step in range(1, steps + 1):
        idx = torch.randint(n, (wl["batch_size"],), generator=g)
        opt.zero_grad()
        logits = ref.forward(params, wl["X_train"][idx])
        # cross-entropy written out: mean of logsumexp − true logit
        y = wl["y_train"][idx]
        loss = (torch.logsumexp(logits, 1) - logits.gather(1, y[:, None]).squeeze(1)).mean()
        loss.backward()
        opt.step()
        if step % eval_every == 0:
            with torch.no_grad():
                lv = ref.forward(params, wl["X_val"])
                yv = wl["y_val"]
                out.append(
                    float((torch.logsumexp(lv, 1) - lv.gather(1, yv[:, None]).squeeze(1)).mean())
                )
    return out


@pytest.mark.parametrize(
    "name,opt_name,hp,opt_cls,kw",
    [
        (
            "breast_cancer",
            "momentum",
            {"lr": 0.1, "one_minus_momentum": 0.2},
            torch.optim.SGD,
            {"lr": 0.1, "momentum": 0.8},
        ),
        (
            "digits",
            "adam",
            {"lr": 0.01, "one_minus_beta2": 0.01},
            torch.optim.Adam,
            {"lr": 0.01, "betas": (0.9, 0.99)},
        ),
    ],
)
def test_run_trial_vs_manual_loop(name, opt_name, hp, opt_cls, kw):
    torch.set_num_threads(1)
    wl = ref.make_workload(name, seed=2)
    r = ref.run_trial(opt_name, hp, wl, 40, 10, seed=4)
    torch.testing.assert_close(
        torch.tensor(r["val_curve"]),
        torch.tensor(_manual_trial(opt_cls, kw, wl, 40, 10, 4)),
        rtol=1e-10,
        atol=1e-12,
    )
    assert r["eval_steps"] == [10, 20, 30, 40]
    assert r["best_val"] == min(r["val_curve"])


def test_sgd_is_momentum_with_beta_zero_and_search_monotone():
    wl = ref.make_workload("breast_cancer")
    a = ref.run_trial("sgd", {"lr": 0.3}, wl, 20, 5, 0)
    b = ref.run_trial("momentum", {"lr": 0.3, "one_minus_momentum": 1.0}, wl, 20, 5, 0)
    torch.testing.assert_close(
        torch.tensor(a["val_curve"]), torch.tensor(b["val_curve"]), rtol=1e-12, atol=0
    )
    trials = ref.random_search("sgd", {"lr": (1e-3, 1.0, "log")}, 4, wl, 20, 1)
    best = ref.best_so_far(torch.tensor([t["best_val"] for t in trials]))
    assert bool((best[1:] <= best[:-1]).all())
    # protocol_comparison takes the minimum over the same trials
    comp = ref.protocol_comparison({"p": {"sgd": {"lr": (1e-3, 1.0, "log")}}}, 4, wl, 20, 1)
    assert comp["p"]["sgd"] == min(t["best_val"] for t in trials)


def test_random_search_evaluates_every_steps_floor_div_10():
    # 19 steps: evaluation every max(1, 19 // 10) = 1 step, so the last step counts
    torch.set_num_threads(1)
    wl = ref.make_workload("breast_cancer")
    space = {"lr": (1e-3, 1.0, "log")}
    trials = ref.random_search("sgd", space, 2, wl, 19, 3)
    for t, hp in enumerate(ref.sample_space(space, 2, 3)):
        r = ref.run_trial("sgd", hp, wl, 19, 1, 3 + t)
        assert r["eval_steps"] == list(range(1, 20))
        assert trials[t]["hparams"] == hp
        assert trials[t]["best_val"] == r["best_val"]
        assert trials[t]["steps_to_target"] == r["steps_to_target"]


def test_leaderboard_config_reaches_target():
    torch.set_num_threads(1)
    cfg = ref.leaderboard_config()
    hp = {k: v for k, v in cfg.items() if k != "optimizer"}
    r = ref.run_trial(cfg["optimizer"], hp, ref.make_workload("digits"), 1500, 25, 0)
    assert r["steps_to_target"] <= 1500


@pytest.mark.parametrize("name", ["breast_cancer", "digits"])
def test_workload_data_equal_scikit_learns_loaders(name):
    from sklearn.datasets import load_breast_cancer, load_digits

    X, y = (load_breast_cancer if name == "breast_cancer" else load_digits)(return_X_y=True)
    X = torch.tensor(X, dtype=torch.float64)
    y = torch.tensor(y, dtype=torch.int64)
    if name == "digits":
        X = X / 16.0
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(3))
    tr, va = perm[: int(0.8 * len(y))], perm[int(0.8 * len(y)) :]
    Xtr, Xva = X[tr], X[va]
    if name == "breast_cancer":
        mu, sd = Xtr.mean(0), Xtr.std(0)
        Xtr, Xva = (Xtr - mu) / sd, (Xva - mu) / sd
    wl = ref.make_workload(name, seed=3)
    assert torch.equal(wl["X_train"], Xtr) and torch.equal(wl["X_val"], Xva)
    assert torch.equal(wl["y_train"], y[tr]) and torch.equal(wl["y_val"], y[va])
    assert wl["y_train"].dtype == torch.int64 and wl["X_train"].dtype == torch.float64


# ------------------------------------------------------- planted bugs and provided cells
