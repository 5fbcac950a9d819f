# An independent correct solution, written differently from the reference:
# - time_to_result walks the curve in Python (NaN compares False, so it never counts);
#   best_so_far takes the min/max of every prefix (O(T^2)) instead of cummin/cummax;
# - performance_profile loops over solvers and workloads with Python floats;
# - halton evaluates the mirrored digits by Horner's rule from the most significant one;
#   sample_space maps the unit points with torch float64 ops, log scale as lo * (hi/lo)**u;
# - run_trial computes the cross-entropy by hand (logsumexp minus the true logit), the
#   accuracy as an integer count divided by n, and scans the accuracies itself;
#   random_search / protocol_comparison are written as comprehensions;
# - the leaderboard entry is Adam (lr 3e-3) instead of momentum;
# - the figures are built with fig.add_subplot and explicit loops.
import math

import matplotlib.pyplot as plt
import torch


def time_to_result(curve, target, times=None, mode="min"):
    if mode == "min":
        reached = lambda v: v <= target  # noqa: E731
    elif mode == "max":
        reached = lambda v: v >= target  # noqa: E731
    else:
        raise ValueError(f"unknown mode {mode!r}")
    for i, v in enumerate(curve.tolist()):
        if reached(v):
            return float(i) if times is None else float(times[i].item())
    return math.inf


def best_so_far(curve, mode="min"):
    pick = torch.min if mode == "min" else torch.max
    out = torch.empty_like(curve)
    for i in range(curve.shape[0]):
        out[i] = pick(curve[: i + 1])
    return out


def performance_profile(times, taus):
    t = times.double().tolist()
    S, W = len(t), len(t[0]) if t else 0
    tau_list = taus.double().tolist()
    counts = torch.zeros(S, len(tau_list), dtype=torch.float64)
    for w in range(W):
        column = [t[s][w] for s in range(S)]
        fastest = min(column)
        if not math.isfinite(fastest):
            continue  # nobody solved it: a failure for every solver
        for s in range(S):
            if not math.isfinite(column[s]):
                continue
            r = column[s] / fastest
            for k, tau in enumerate(tau_list):
                if r <= tau:
                    counts[s, k] += 1.0
    return counts / W


def halton(index, base):
    digits = []
    while index > 0:
        index, d = divmod(index, base)
        digits.append(d)
    value = 0.0
    for d in reversed(digits):  # Horner: 0.d0 d1 d2 ... read from the last digit
        value = (value + d) / base
    return value


def sample_space(space, n_trials, seed, method="halton"):
    keys = sorted(space.keys())
    D = len(keys)
    if method == "random":
        gen = torch.Generator().manual_seed(seed)
        U = torch.rand(n_trials, D, generator=gen, dtype=torch.float64)
    elif method == "halton":
        U = torch.tensor(
            [[halton(seed + 1 + t, PRIMES[j]) for j in range(D)] for t in range(n_trials)],
            dtype=torch.float64,
        ).reshape(n_trials, D)
    else:
        raise ValueError(f"method must be 'halton' or 'random', got {method!r}")
    columns = []
    for j, key in enumerate(keys):
        low, high, scale = space[key]
        low, high = float(low), float(high)
        u = U[:, j]
        if scale == "log":
            columns.append(low * (high / low) ** u)
        else:
            columns.append(low + (high - low) * u)
    return [{key: float(columns[j][t]) for j, key in enumerate(keys)} for t in range(n_trials)]


def _mean_cross_entropy(logits, labels):
    true_logit = logits.gather(1, labels.view(-1, 1)).squeeze(1)
    return (torch.logsumexp(logits, dim=1) - true_logit).mean()


def run_trial(opt_name, hparams, workload, steps, eval_every, seed):
    gen = torch.Generator().manual_seed(seed)
    params = init_params(workload, gen)
    optimizer = make_optimizer(opt_name, params, hparams)
    X, y = workload["X_train"], workload["y_train"]
    Xv, yv = workload["X_val"], workload["y_val"]
    n_train = X.shape[0]
    curve, accuracy, evaluated = [], [], []
    step = 0
    while step < steps:
        step += 1
        batch = torch.randint(n_train, (workload["batch_size"],), generator=gen)
        batch = batch.to(X.device)
        for p in params:
            p.grad = None
        _mean_cross_entropy(forward(params, X[batch]), y[batch]).backward()
        optimizer.step()
        if step % eval_every:
            continue
        with torch.no_grad():
            out = forward(params, Xv)
            ce = _mean_cross_entropy(out, yv).item()
            correct = int((out.argmax(1) == yv).sum().item())
        curve.append(ce if math.isfinite(ce) else math.inf)
        accuracy.append(correct / yv.shape[0])
        evaluated.append(step)
    first = [s for s, a in zip(evaluated, accuracy) if a >= workload["target_acc"]]
    return {
        "val_curve": curve,
        "val_acc": accuracy,
        "eval_steps": evaluated,
        "steps_to_target": float(first[0]) if first else math.inf,
        "best_val": min(curve, default=math.inf),
    }


def random_search(opt_name, space, n_trials, workload, steps, seed, method="halton"):
    every = steps // 10 if steps >= 10 else 1
    configs = sample_space(space, n_trials, seed, method)
    runs = [
        run_trial(opt_name, cfg, workload, steps, every, seed + t) for t, cfg in enumerate(configs)
    ]
    return [
        {"hparams": cfg, "best_val": r["best_val"], "steps_to_target": r["steps_to_target"]}
        for cfg, r in zip(configs, runs)
    ]


def protocol_comparison(spaces, n_trials, workload, steps, seed):
    return {
        protocol: {
            name: min(
                t["best_val"] for t in random_search(name, space, n_trials, workload, steps, seed)
            )
            for name, space in per_optimizer.items()
        }
        for protocol, per_optimizer in spaces.items()
    }


def leaderboard_config():
    return {"optimizer": "adam", "lr": 3e-3}


def _crossing_panel(ax, first, second, names, ylabel):
    for name, c in zip(names, (first, second)):
        ax.plot(range(c.shape[0]), c.tolist(), label=name)
    where = crossings(first, second)
    ax.plot(where, [first[i].item() for i in where], linestyle="none", marker="x", label="crossing")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.legend()


def plot_crossing(curves):
    names = list(curves.keys())
    a, b = curves[names[0]], curves[names[1]]
    fig = plt.figure(figsize=(10, 4))
    _crossing_panel(fig.add_subplot(1, 2, 1), a, b, names, "loss")
    _crossing_panel(
        fig.add_subplot(1, 2, 2), best_so_far(a), best_so_far(b), names, "running best loss"
    )
    return fig


def plot_best_vs_trials(results):
    fig = plt.figure()
    ax = fig.add_subplot(1, 1, 1)
    for name, values in results.items():
        running, best = [], math.inf
        for v in values:
            best = min(best, float(v))
            running.append(best)
        ax.plot([i + 1 for i in range(len(values))], running, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("number of trials")
    ax.set_ylabel("best validation loss")
    ax.legend()
    return fig


def plot_profile(taus, rho, names):
    fig = plt.figure()
    ax = fig.add_subplot(1, 1, 1)
    x = taus.tolist()
    for row, name in zip(rho.tolist(), names):
        ax.step(x, row, where="post", label=name)
    ax.set_xscale("log")
    ax.set_xlabel("performance ratio τ")
    ax.set_ylabel("ρ(τ)")
    ax.legend()
    return fig
