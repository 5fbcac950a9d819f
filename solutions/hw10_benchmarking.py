"""Reference solution for hw10_benchmarking: time-to-result, profiles, tuning protocols.

Lecture 10 (2025 notes, ``section/10/notes.md``): "Challenge 1: Defining and Measuring
Speed", "Challenge 2: The Hyperparameter Tuning Trap", "Benchmarking Principles" and the
AlgoPerf results; the cheat sheet (quasi-random search). The tuning experiment is a
scaled-down Choi et al. (2019) on scikit-learn's bundled digits.

Conventions pinned here:

- Curves are "lower is better" unless ``mode="max"``; a target never reached gives ``inf``.
- Halton points: trial t uses Halton index ``seed + t + 1`` (index 0 is the all-zero
  point), dimension j (keys in sorted order) the j-th prime as its base.
- ``run_trial`` uses ``torch.optim.SGD`` / ``torch.optim.Adam``: this assignment is
  about protocols, not optimiser implementations.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import Tensor

# ------------------------------------------------------------------------------ q1


def time_to_result(
    curve: Tensor, target: float, times: Tensor | None = None, mode: str = "min"
) -> float:
    """The first time a curve reaches ``target``.

    ``curve`` is ``(T,)`` (float). With ``mode="min"`` (lower is better, e.g. a loss) the
    target is reached at the first index i with ``curve[i] <= target``; with ``mode="max"``
    (e.g. an accuracy) at the first i with ``curve[i] >= target``. Returns ``times[i]``
    (``times`` is ``(T,)``, e.g. steps or seconds), or ``float(i)`` when ``times`` is
    ``None``; ``math.inf`` if the target is never reached (NaN never reaches it). A Python
    float. Raises ``ValueError`` for any other ``mode``.
    """
    # BEGIN SOLUTION q1
    if mode not in ("min", "max"):
        raise ValueError("mode is 'min' or 'max'")
    hit = curve <= target if mode == "min" else curve >= target
    idx = torch.nonzero(hit).flatten()
    if idx.numel() == 0:
        return math.inf
    i = int(idx[0])
    return float(times[i]) if times is not None else float(i)
    # END SOLUTION


def best_so_far(curve: Tensor, mode: str = "min") -> Tensor:
    """The running best of a curve: ``out[i] = min(curve[:i+1])`` (``max`` for "max").

    ``curve`` is ``(T,)``; returns ``(T,)`` of the same dtype.
    """
    # BEGIN SOLUTION q1
    if mode == "min":
        return torch.cummin(curve, dim=0).values
    return torch.cummax(curve, dim=0).values
    # END SOLUTION


# ------------------------------------------------------------------------------ q2


def performance_profile(times: Tensor, taus: Tensor) -> Tensor:
    """Performance profiles ρ_s(τ) (Dolan and Moré 2002).

    ``times`` is ``(S, W)`` (any real dtype, e.g. integer steps): the time solver s needs on
    workload w, ``inf`` for a failure. The ratio r_{s,w} = times[s, w] / min_s' times[s', w];
    a workload that no solver solves counts as failed (r = inf) for everyone. ``taus`` is
    ``(K,)`` with τ ≥ 1. Returns ``(S, K)`` float64: ρ_s(τ_k) = (1/W) · #{w : r_{s,w} ≤ τ_k}.
    """
    # BEGIN SOLUTION q2
    times = times.to(torch.float64)
    best = times.min(dim=0, keepdim=True).values
    ratio = torch.where(torch.isfinite(times), times / best, torch.full_like(times, math.inf))
    hits = ratio.unsqueeze(-1) <= taus.to(times).view(1, 1, -1)
    return hits.to(torch.float64).mean(dim=1)
    # END SOLUTION


# ------------------------------------------------------------------------------ q3


def halton(index: int, base: int) -> float:
    """The radical inverse of ``index`` in ``base``: the digits of index mirrored after the
    point, e.g. base 2: 1 → 0.5, 2 → 0.25, 3 → 0.75. Halton point i has coordinates
    ``halton(i, 2), halton(i, 3), halton(i, 5), …``."""
    # BEGIN SOLUTION q3
    f, r = 1.0, 0.0
    while index > 0:
        f /= base
        r += f * (index % base)
        index //= base
    return r
    # END SOLUTION


PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29)


def sample_space(
    space: dict[str, tuple[float, float, str]], n_trials: int, seed: int, method: str = "halton"
) -> list[dict[str, float]]:
    """``n_trials`` hyperparameter points from a search space.

    ``space`` maps a name to ``(low, high, scale)`` with scale ``"log"`` or ``"linear"``
    (a list works too). Names are used in **sorted order**: name j gets coordinate j of a
    point u ∈ [0, 1)^D, mapped to ``low + u (high − low)`` (linear) or
    ``exp(log low + u (log high − log low))`` (log).

    - ``method="halton"``: trial t uses Halton index ``seed + t + 1`` and base
      ``PRIMES[j]`` for name j.
    - ``method="random"``: ``u = torch.rand(n_trials, D, generator=g, dtype=torch.float64)``
      with ``g = torch.Generator().manual_seed(seed)``; trial t uses row t.

    Returns a list of ``n_trials`` dicts name → float; ValueError for another ``method``.
    """
    # BEGIN SOLUTION q3
    names = sorted(space)
    if method == "halton":
        u = [[halton(seed + t + 1, PRIMES[j]) for j in range(len(names))] for t in range(n_trials)]
    elif method == "random":
        g = torch.Generator().manual_seed(seed)
        u = torch.rand(n_trials, len(names), generator=g, dtype=torch.float64).tolist()
    else:
        raise ValueError(f"unknown method {method!r}")
    out = []
    for row in u:
        point = {}
        for name, uj in zip(names, row):
            lo, hi, scale = space[name]
            if scale == "log":
                point[name] = math.exp(math.log(lo) + uj * (math.log(hi) - math.log(lo)))
            else:
                point[name] = lo + uj * (hi - lo)
        out.append(point)
    return out
    # END SOLUTION


# ------------------------------------------------------------------------------ q4


def _bundled_table(filename: str, header_lines: int = 0) -> tuple[Tensor, Tensor]:
    """``(X, y)`` from a table scikit-learn ships in ``sklearn/datasets/data/`` (features,
    then the label in the last column), as float64 and int64 tensors: the same values as
    its ``load_digits`` / ``load_breast_cancer``, read without importing scikit-learn,
    which costs about a second."""
    import os

    import numpy as np

    # scikit-learn sits next to numpy in (almost) every installation; found there without
    # importing it. Otherwise import it (about a second) to learn where it is.
    path = os.path.join(
        os.path.dirname(os.path.dirname(np.__file__)), "sklearn", "datasets", "data", filename
    )
    if not os.path.exists(path):
        try:
            import sklearn
        except ImportError:
            raise ImportError(
                "scikit-learn is needed for its bundled data: pip install scikit-learn"
            ) from None
        path = os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data", filename)
    table = torch.from_numpy(np.loadtxt(path, delimiter=",", skiprows=header_lines))
    return table[:, :-1].clone(), table[:, -1].to(torch.int64)


def make_workload(name: str, seed: int = 0, device: str | torch.device = "cpu") -> dict:
    """A small benchmark workload from scikit-learn's bundled data (nothing is downloaded).

    - ``"breast_cancer"``: 569 × 30, 2 classes, features standardised with the training
      mean and std; model ``"logreg"`` (softmax regression); target accuracy 0.95.
    - ``"digits"``: 1797 × 64 (pixels / 16), 10 classes; model ``"mlp"`` (64 → 32 ReLU →
      10); target accuracy 0.95.

    The split is ``torch.randperm(n, generator=torch.Generator().manual_seed(seed))``: the
    first 80 % train, the rest validation. Returns a dict with float64 ``X_train``,
    ``X_val``, int64 ``y_train``, ``y_val`` (on ``device``), and ``"model"``,
    ``"n_classes"``, ``"hidden"``, ``"batch_size"`` (32), ``"target_acc"``.
    """
    if name == "breast_cancer":
        X, y = _bundled_table("breast_cancer.csv", header_lines=1)
        model, n_classes = "logreg", 2
    elif name == "digits":
        X, y = _bundled_table("digits.csv.gz")
        X = X / 16.0
        model, n_classes = "mlp", 10
    else:
        raise ValueError(f"unknown workload {name!r}")
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    n_train = int(0.8 * len(y))
    tr, va = perm[:n_train], perm[n_train:]
    Xtr, Xva = X[tr], X[va]
    if name == "breast_cancer":
        mu, sd = Xtr.mean(0), Xtr.std(0)
        Xtr, Xva = (Xtr - mu) / sd, (Xva - mu) / sd
    return {
        "X_train": Xtr.to(device),
        "y_train": y[tr].to(device),
        "X_val": Xva.to(device),
        "y_val": y[va].to(device),
        "model": model,
        "n_classes": n_classes,
        "hidden": 32,
        "batch_size": 32,
        "target_acc": 0.95,
    }


DEFAULTS = {"momentum": 0.9, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}


def make_optimizer(opt_name: str, params: list[Tensor], hparams: dict) -> torch.optim.Optimizer:
    """``"sgd"``, ``"momentum"`` or ``"adam"`` with hyperparameters from ``hparams``.

    ``hparams["lr"]`` is required. ``"momentum"`` uses β = 1 − ``hparams["one_minus_momentum"]``
    (default β = 0.9); ``"adam"`` uses β₁ = 1 − ``one_minus_beta1`` (default 0.9),
    β₂ = 1 − ``one_minus_beta2`` (default 0.999) and ``eps`` (default 1e-8). Search spaces
    use the "1 − β" form so that a log scale resolves β close to 1.
    """
    lr = hparams["lr"]
    if opt_name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if opt_name == "momentum":
        beta = 1.0 - hparams.get("one_minus_momentum", 1.0 - DEFAULTS["momentum"])
        return torch.optim.SGD(params, lr=lr, momentum=beta)
    if opt_name == "adam":
        b1 = 1.0 - hparams.get("one_minus_beta1", 1.0 - DEFAULTS["beta1"])
        b2 = 1.0 - hparams.get("one_minus_beta2", 1.0 - DEFAULTS["beta2"])
        return torch.optim.Adam(params, lr=lr, betas=(b1, b2), eps=hparams.get("eps", 1e-8))
    raise ValueError(f"unknown optimizer {opt_name!r}")


def init_params(workload: dict, generator: torch.Generator) -> list[Tensor]:
    """Fresh parameters for the workload's model (float64, requiring grad).

    ``"logreg"``: ``[W (d, C) zeros, b (C,) zeros]`` (no random draws). ``"mlp"``:
    ``W1 = randn(d, H, generator) / sqrt(d)``, ``b1`` zeros, then
    ``W2 = randn(H, C, generator) / sqrt(H)``, ``b2`` zeros, in that order.
    """
    X = workload["X_train"]
    d, C, dev = X.shape[1], workload["n_classes"], X.device
    kw = {"dtype": torch.float64, "device": dev}
    if workload["model"] == "logreg":
        ps = [torch.zeros(d, C, **kw), torch.zeros(C, **kw)]
    else:
        H = workload["hidden"]
        W1 = torch.randn(d, H, generator=generator, dtype=torch.float64).to(dev) / math.sqrt(d)
        W2 = torch.randn(H, C, generator=generator, dtype=torch.float64).to(dev) / math.sqrt(H)
        ps = [W1, torch.zeros(H, **kw), W2, torch.zeros(C, **kw)]
    return [p.requires_grad_(True) for p in ps]


def forward(params: list[Tensor], X: Tensor) -> Tensor:
    """Logits ``(n, C)``: ``X W + b`` (logreg) or ``relu(X W1 + b1) W2 + b2`` (mlp)."""
    if len(params) == 2:
        return X @ params[0] + params[1]
    return torch.relu(X @ params[0] + params[1]) @ params[2] + params[3]


def run_trial(
    opt_name: str, hparams: dict, workload: dict, steps: int, eval_every: int, seed: int
) -> dict:
    """Train once and record the validation curve.

    Exactly: ``g = torch.Generator().manual_seed(seed)``;
    ``params = init_params(workload, g)``; ``opt = make_optimizer(opt_name, params,
    hparams)``. For step = 1, …, steps: ``idx = torch.randint(n_train, (batch_size,),
    generator=g)``, zero the gradients, ``F.cross_entropy(forward(params, X_train[idx]),
    y_train[idx])``, backward, ``opt.step()``; when ``step % eval_every == 0`` evaluate on
    the validation set (no grad): cross-entropy (``inf`` if not finite) and accuracy.

    Returns ``{"val_curve": [...], "val_acc": [...], "eval_steps": [...],
    "steps_to_target": float, "best_val": float}``: the validation losses, accuracies and
    the step numbers at which they were taken (lists of floats / ints), the first eval
    step at which accuracy ≥ ``workload["target_acc"]`` (``math.inf`` if never), and the
    lowest validation loss.
    """
    # BEGIN SOLUTION q4
    g = torch.Generator().manual_seed(seed)
    params = init_params(workload, g)
    opt = make_optimizer(opt_name, params, hparams)
    Xtr, ytr = workload["X_train"], workload["y_train"]
    Xva, yva = workload["X_val"], workload["y_val"]
    n, bs = Xtr.shape[0], workload["batch_size"]
    losses, accs, at = [], [], []
    for step in range(1, steps + 1):
        idx = torch.randint(n, (bs,), generator=g).to(Xtr.device)
        opt.zero_grad()
        F.cross_entropy(forward(params, Xtr[idx]), ytr[idx]).backward()
        opt.step()
        if step % eval_every == 0:
            with torch.no_grad():
                logits = forward(params, Xva)
                loss = float(F.cross_entropy(logits, yva))
                acc = float((logits.argmax(dim=1) == yva).to(torch.float64).mean())
            losses.append(loss if math.isfinite(loss) else math.inf)
            accs.append(acc)
            at.append(step)
    reached = time_to_result(
        torch.tensor(accs, dtype=torch.float64),
        workload["target_acc"],
        times=torch.tensor(at, dtype=torch.float64),
        mode="max",
    )
    return {
        "val_curve": losses,
        "val_acc": accs,
        "eval_steps": at,
        "steps_to_target": reached,
        "best_val": min(losses) if losses else math.inf,
    }
    # END SOLUTION


def random_search(
    opt_name: str,
    space: dict[str, tuple[float, float, str]],
    n_trials: int,
    workload: dict,
    steps: int,
    seed: int,
    method: str = "halton",
) -> list[dict]:
    """A tuning protocol: ``n_trials`` configurations from ``space``, one training run each.

    Configurations: ``sample_space(space, n_trials, seed, method)``. Trial t runs
    ``run_trial(opt_name, config_t, workload, steps, eval_every=max(1, steps // 10),
    seed=seed + t)``. Returns, in trial order,
    ``[{"hparams": config_t, "best_val": ..., "steps_to_target": ...}, ...]``.
    """
    # BEGIN SOLUTION q4
    trials = []
    for t, hp in enumerate(sample_space(space, n_trials, seed, method)):
        r = run_trial(opt_name, hp, workload, steps, max(1, steps // 10), seed + t)
        trials.append(
            {"hparams": hp, "best_val": r["best_val"], "steps_to_target": r["steps_to_target"]}
        )
    return trials
    # END SOLUTION


def protocol_comparison(
    spaces: dict[str, dict[str, dict]], n_trials: int, workload: dict, steps: int, seed: int
) -> dict[str, dict[str, float]]:
    """Run ``random_search`` (Halton) for every protocol and optimiser.

    ``spaces[protocol][opt_name]`` is a search space. Returns
    ``{protocol: {opt_name: best validation loss over the n_trials trials}}``.
    """
    # BEGIN SOLUTION q4
    out: dict[str, dict[str, float]] = {}
    for protocol, per_opt in spaces.items():
        out[protocol] = {}
        for opt_name, space in per_opt.items():
            trials = random_search(opt_name, space, n_trials, workload, steps, seed)
            out[protocol][opt_name] = min(t["best_val"] for t in trials)
    return out
    # END SOLUTION


# ------------------------------------------------------------------------------ q5


def leaderboard_config() -> dict:
    """Your entry for the time-to-result leaderboard.

    Return ``{"optimizer": "sgd" | "momentum" | "adam", "lr": float, ...}`` plus any of
    ``make_optimizer``'s other keys. The grader trains the digits MLP
    (``make_workload("digits")``) with ``run_trial(..., steps=1500, eval_every=25,
    seed=0)``: full points if validation accuracy reaches 0.95 within 1500 steps; the
    leaderboard shows the number of steps it took (lower is better).
    """
    # BEGIN SOLUTION q5
    return {"optimizer": "momentum", "lr": 0.1, "one_minus_momentum": 0.1}
    # END SOLUTION


# ------------------------------------------------------------------------------ q6


def crossings(a: Tensor, b: Tensor) -> list[int]:
    """Indices i ≥ 1 where ``a − b`` changes sign strictly between i − 1 and i."""
    d = (a - b).tolist()
    return [i for i in range(1, len(d)) if d[i - 1] * d[i] < 0]


def plot_crossing(curves: dict[str, Tensor]) -> Figure:
    """Two runs' validation curves (left) and their best-so-far curves (right).

    ``curves`` has exactly two entries name → ``(T,)`` tensor (lower is better), plotted
    against steps 0, …, T − 1, each line labelled with its name. In each panel, mark the
    points where the two curves cross (``crossings(first, second)``) with one line
    labelled ``"crossing"`` through ``(i, first[i])`` (marker only). Linear axes; label
    every axis.
    """
    # BEGIN SOLUTION q6
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    names = list(curves)
    for ax, transform, title in zip(
        axes, (lambda c: c, best_so_far), ("validation loss", "best so far")
    ):
        shown = [transform(curves[n]) for n in names]
        for n, c in zip(names, shown):
            ax.plot(list(range(len(c))), c.tolist(), label=n)
        idx = crossings(shown[0], shown[1])
        ax.plot(idx, [float(shown[0][i]) for i in idx], "kx", label="crossing")
        ax.set_xlabel("step")
        ax.set_ylabel(title)
        ax.legend()
    fig.tight_layout()
    return fig
    # END SOLUTION


def plot_best_vs_trials(results: dict[str, list[float]]) -> Figure:
    """Best-so-far validation loss vs trial number, one line per study.

    ``results`` maps a label (e.g. ``"adam, lr-only"``) to the trials' best validation
    losses in trial order. x = 1, …, n; y = ``best_so_far`` of the list; linear x axis,
    log y axis; label both axes.
    """
    # BEGIN SOLUTION q6
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, vals in results.items():
        y = best_so_far(torch.tensor(vals, dtype=torch.float64))
        ax.plot(list(range(1, len(vals) + 1)), y.tolist(), label=label)
    ax.set_yscale("log")
    ax.set_xlabel("trial")
    ax.set_ylabel("best validation loss so far")
    ax.legend()
    fig.tight_layout()
    return fig
    # END SOLUTION


def plot_profile(taus: Tensor, rho: Tensor, names: list[str]) -> Figure:
    """Performance profiles: ``ax.step(taus, rho[s], where="post", label=names[s])`` for
    every solver s, log x axis, linear y axis, both axes labelled. ``taus`` ``(K,)``,
    ``rho`` ``(S, K)``."""
    # BEGIN SOLUTION q6
    fig, ax = plt.subplots(figsize=(6, 4))
    for s, name in enumerate(names):
        ax.step(taus.tolist(), rho[s].tolist(), where="post", label=name)
    ax.set_xscale("log")
    ax.set_xlabel("τ (time / fastest time)")
    ax.set_ylabel("fraction of workloads solved")
    ax.legend()
    fig.tight_layout()
    return fig
    # END SOLUTION
