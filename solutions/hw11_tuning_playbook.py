"""Reference solution for hw11_tuning_playbook: tuning as a process (lecture 11).

Lecture 11 of Stat 4830 (2025 notes, "The Tuning Process" and "Determining Training
Duration"). A tuning *study* answers one question ("does weight decay help?"). In each
round every hyperparameter is

* **scientific**: the one whose effect we measure (weight decay on/off, its strength);
* **nuisance**: must be optimised away before scientific values are compared (the
  learning rate: each scientific value gets its own best learning rate);
* **fixed**: held constant, and the conclusion is conditional on it (the activation).

The module provides the bookkeeping of such a study (q1, q2), a fixed-budget training run
with retrospective checkpoint selection (q3), the batch-size scaling curve of the Noisy
Quadratic Model from its exact SGD risk (q4), and the three figures of the lecture (q6).
All graded computations are float64.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import Tensor

# ----------------------------------------------------------------------------- data (given)


def load_digits_split(
    n_train: int = 300, n_val: int = 500, seed: int = 0, device: str | torch.device = "cpu"
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """A small train/validation split of scikit-learn's 8×8 digits (given, not graded).

    The 1797 images are shuffled by ``torch.randperm(1797, generator=g)`` with
    ``g = torch.Generator().manual_seed(seed)``; the first ``n_train`` go to training and
    the next ``n_val`` to validation. Pixels are divided by 16 so they lie in [0, 1].

    Returns:
        ``(X_train (n_train, 64) float64, y_train (n_train,) int64,
        X_val (n_val, 64) float64, y_val (n_val,) int64)`` on ``device``.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = torch.tensor(digits.data, dtype=torch.float64) / 16.0
    y = torch.tensor(digits.target, dtype=torch.int64)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    tr, va = perm[:n_train], perm[n_train : n_train + n_val]
    return X[tr].to(device), y[tr].to(device), X[va].to(device), y[va].to(device)


# ----------------------------------------------------------------------------- q1


def isolation_table(
    trials: list[dict[str, float]], scientific: str, metric: str, mode: str = "min"
) -> dict[float, dict]:
    """The best trial for each value of the scientific hyperparameter.

    This is the data of the *isolation plot*: for each scientific value, the nuisance
    hyperparameters (everything else in the trial) have been optimised away by keeping
    only the best trial.

    Args:
        trials: one dict per trial, e.g. ``{"weight_decay": 1e-3, "lr": 0.01,
            "val_loss": 0.31}``; every trial has the keys ``scientific`` and ``metric``.
        scientific: the key of the scientific hyperparameter.
        metric: the key of the metric to optimise.
        mode: ``"min"`` (lower is better) or ``"max"`` (higher is better).

    Returns:
        ``{value: best_trial}`` with one entry per distinct ``trial[scientific]``, keys in
        increasing order; ``best_trial`` is the trial dict itself (not a copy). Ties go to
        the trial that comes first in ``trials``.

    Raises:
        ValueError: if ``mode`` is neither ``"min"`` nor ``"max"``.
    """
    # BEGIN SOLUTION q1
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    sign = 1.0 if mode == "min" else -1.0
    best: dict[float, dict] = {}
    for trial in trials:
        key = trial[scientific]
        # strict improvement only, so that the first of tied trials is kept
        if key not in best or sign * trial[metric] < sign * best[key][metric]:
            best[key] = trial
    return {key: best[key] for key in sorted(best)}
    # END SOLUTION


# ----------------------------------------------------------------------------- q2


def boundary_check(
    trials: list[dict],
    hparam: str,
    metric: str,
    bounds: tuple[float, float],
    log_scale: bool = True,
    top_k: int = 3,
    edge_frac: float = 0.1,
) -> str:
    """Whether the best trials crowd an edge of the search range (lower metric is better).

    Take the ``top_k`` trials with the lowest ``metric`` (ties: earlier trials first) and
    map each one's ``hparam`` to its relative position in the range,
    ``u = (x − lo)/(hi − lo)``, or ``u = (log x − log lo)/(log hi − log lo)`` when
    ``log_scale``. A trial is at the low edge if ``u <= edge_frac`` and at the high edge
    if ``u >= 1 − edge_frac``.

    Args:
        trials: trial dicts with the keys ``hparam`` and ``metric``.
        hparam: the hyperparameter whose range is checked (e.g. ``"lr"``).
        metric: the metric key (lower is better).
        bounds: ``(lo, hi)`` of the search range, lo < hi (both > 0 if ``log_scale``).
        log_scale: measure positions on a log scale.
        top_k: how many of the best trials to look at (all of them if fewer exist).
        edge_frac: the width of each edge zone, as a fraction of the range.

    Returns:
        ``"expand_low"`` if some top trial is at the low edge and none at the high edge,
        ``"expand_high"`` in the mirror case, ``"expand_both"`` if both edges have one,
        and ``"ok"`` otherwise.
    """
    # BEGIN SOLUTION q2
    lo, hi = bounds
    order = sorted(range(len(trials)), key=lambda i: trials[i][metric])  # stable: ties by index
    low = high = False
    for i in order[:top_k]:
        x = trials[i][hparam]
        if log_scale:
            u = (math.log(x) - math.log(lo)) / (math.log(hi) - math.log(lo))
        else:
            u = (x - lo) / (hi - lo)
        low = low or u <= edge_frac
        high = high or u >= 1.0 - edge_frac
    if low and high:
        return "expand_both"
    if low:
        return "expand_low"
    if high:
        return "expand_high"
    return "ok"
    # END SOLUTION


# ----------------------------------------------------------------------------- q3


def init_mlp(
    d_in: int,
    width: int,
    d_out: int,
    generator: torch.Generator,
    device: str | torch.device = "cpu",
) -> list[Tensor]:
    """The parameters ``[W1 (d_in, width), b1 (width,), W2 (width, d_out), b2 (d_out,)]`` (given).

    Exactly two draws: ``W1 = torch.randn(d_in, width, generator=generator,
    dtype=torch.float64) / sqrt(d_in)``, then ``W2 = torch.randn(width, d_out, …) /
    sqrt(width)``; the biases start at zero. Every tensor has ``requires_grad=True``.
    (The generator must live on ``device``; on the CPU use a CPU generator.)
    """
    W1 = torch.randn(d_in, width, generator=generator, dtype=torch.float64, device=device)
    W2 = torch.randn(width, d_out, generator=generator, dtype=torch.float64, device=device)
    params = [
        W1 / math.sqrt(d_in),
        torch.zeros(width, dtype=torch.float64, device=device),
        W2 / math.sqrt(width),
        torch.zeros(d_out, dtype=torch.float64, device=device),
    ]
    return [p.requires_grad_(True) for p in params]


def mlp_forward(params: list[Tensor], X: Tensor) -> Tensor:
    """Logits (n, d_out) of the one-hidden-layer tanh MLP ``tanh(X W1 + b1) W2 + b2`` (given)."""
    W1, b1, W2, b2 = params
    return torch.tanh(X @ W1 + b1) @ W2 + b2


def train_fixed_budget(
    config: dict, max_train_steps: int, eval_every: int, seed: int, data: tuple
) -> dict:
    """Train the digits MLP for a fixed number of steps, evaluating as it goes.

    The workload: ``mlp_forward`` with ``init_mlp(64, config["width"], 10, g)``, where
    ``g = torch.Generator(device=X_train.device).manual_seed(seed)``, trained with
    ``torch.optim.AdamW(params, lr=config["lr"], weight_decay=config["weight_decay"])``
    (other AdamW arguments at their defaults) on the mean cross-entropy. Each step draws
    its mini-batch with one call ``torch.randint(0, n_train, (config["batch_size"],),
    generator=g, device=X_train.device)`` (after the initialisation's draws), then does
    ``zero_grad``, forward, backward and ``step``. After steps ``eval_every``,
    ``2·eval_every``, …, ``max_train_steps`` the mean cross-entropy on the validation
    set is recorded (without building a graph).

    Args:
        config: ``{"lr": float, "weight_decay": float, "width": int, "batch_size": int}``.
        max_train_steps: the fixed budget; a multiple of ``eval_every``.
        eval_every: evaluation interval in steps.
        seed: seeds the generator ``g`` above.
        data: ``(X_train (n, 64) float64, y_train (n,) int64, X_val, y_val)``.

    Returns:
        ``{"val_curve": [(step, val_loss), …], "best_step": int, "best_val": float,
        "final_val": float}``: the best entry comes from ``retrospective_best`` and
        ``final_val`` is the loss after ``max_train_steps`` steps.
    """
    # BEGIN SOLUTION q3
    X_train, y_train, X_val, y_val = data
    g = torch.Generator(device=X_train.device).manual_seed(seed)
    params = init_mlp(64, int(config["width"]), 10, g, device=X_train.device)
    opt = torch.optim.AdamW(params, lr=config["lr"], weight_decay=config["weight_decay"])
    n = len(y_train)
    curve: list[tuple[int, float]] = []
    for step in range(1, max_train_steps + 1):
        idx = torch.randint(0, n, (int(config["batch_size"]),), generator=g, device=X_train.device)
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(mlp_forward(params, X_train[idx]), y_train[idx])
        loss.backward()
        opt.step()
        if step % eval_every == 0:
            with torch.no_grad():
                val = torch.nn.functional.cross_entropy(mlp_forward(params, X_val), y_val)
            curve.append((step, float(val)))
    best_step, best_val = retrospective_best(curve)
    return {
        "val_curve": curve,
        "best_step": best_step,
        "best_val": best_val,
        "final_val": curve[-1][1],
    }
    # END SOLUTION


def retrospective_best(val_curve: list[tuple[int, float]]) -> tuple[int, float]:
    """The checkpoint with the lowest validation loss, ``(step, val_loss)``; ties: earliest."""
    # BEGIN SOLUTION q3
    best = min(range(len(val_curve)), key=lambda i: val_curve[i][1])
    step, val = val_curve[best]
    return int(step), float(val)
    # END SOLUTION


def trial_variance(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof = 1) of repeated trials, as floats.

    Needs at least two values.
    """
    # BEGIN SOLUTION q3
    n = len(values)
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    return float(mean), float(math.sqrt(var))
    # END SOLUTION


# ----------------------------------------------------------------------------- q4


def steps_to_target_vs_batch(
    batch_sizes: list[int], alphas: list[float], target: float, nqm: dict, k_max: int
) -> dict[int, tuple[float, int]]:
    """For each batch size, the learning rate that reaches the target risk in fewest steps.

    The Noisy Quadratic Model of lecture 7 (hw07): ``L(w) = ½ Σᵢ hᵢ wᵢ²`` with mini-batch
    gradient noise of variance ``cᵢ/B``. SGD with step α has the exact expected risk

        E[L(w_k)] = Σᵢ rᵢ^{2k} ½hᵢw₀ᵢ² + (1 − rᵢ^{2k}) αcᵢ/(2B(2 − αhᵢ)),   rᵢ = 1 − αhᵢ.

    For each B and each α, the steps to target are the first k ∈ {0, …, k_max} with
    E[L(w_k)] ≤ target. The learning rate is re-tuned for every batch size: keep the α
    with the fewest steps (ties: the earlier α in ``alphas``).

    Args:
        batch_sizes: the batch sizes B.
        alphas: candidate step sizes (each with αhᵢ < 2 for all i, or it never counts).
        target: the total-risk target (an absolute value, e.g. 1 % of the initial risk).
        nqm: ``{"h": (d,) float64, "c": (d,) float64, "w0": (d,) float64}``.
        k_max: the longest run considered.

    Returns:
        ``{B: (best_alpha, steps)}`` in the order of ``batch_sizes``; if no α reaches the
        target within k_max steps, ``(math.nan, k_max + 1)``.
    """
    # BEGIN SOLUTION q4
    h, c, w0 = nqm["h"], nqm["c"], nqm["w0"]
    start = 0.5 * h * w0**2
    k = torch.arange(k_max + 1, dtype=torch.float64, device=h.device)[:, None]
    # E[L(w_k)] = A_k + F_k / B: the decay does not depend on B, so compute it once per α
    curves = []
    for alpha in alphas:
        if float((alpha * h).max()) >= 2.0:
            curves.append(None)  # unstable: the risk diverges
            continue
        decay = (1.0 - alpha * h) ** (2.0 * k)  # (k_max + 1, d)
        A = (decay * start).sum(-1)
        F = ((1.0 - decay) * alpha * c / (2.0 * (2.0 - alpha * h))).sum(-1)
        curves.append((A, F))
    out: dict[int, tuple[float, int]] = {}
    for B in batch_sizes:
        best_alpha, best_steps = math.nan, k_max + 1
        for alpha, curve in zip(alphas, curves):
            if curve is None:
                continue
            hit = torch.nonzero(curve[0] + curve[1] / B <= target)
            if len(hit) and int(hit[0, 0]) < best_steps:
                best_alpha, best_steps = float(alpha), int(hit[0, 0])
        out[int(B)] = (best_alpha, best_steps)
    return out
    # END SOLUTION


# ----------------------------------------------------------------------------- q6


def plot_isolation(table: dict[float, float]) -> Figure:
    """The isolation plot: best validation loss against the scientific value (log x).

    Args:
        table: ``{weight_decay: best_val_loss}``, each value already the best over the
            learning rates tried for it (positive weight decays only: log axis).

    Returns:
        A Figure with one axes, x scale ``"log"``, y scale ``"linear"``, axis labels and a
        title, and one line labelled ``"best over lr"`` with x = the sorted keys and y =
        their values, drawn with markers.
    """
    # BEGIN SOLUTION q6
    xs = sorted(table)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(xs, [float(table[x]) for x in xs], "o-", label="best over lr")
    ax.set_xscale("log")
    ax.set_xlabel("weight decay (scientific)")
    ax.set_ylabel("best validation loss")
    ax.set_title("Isolation plot: lr tuned for each weight decay")
    ax.legend()
    return fig
    # END SOLUTION


def plot_axis(trials: list[dict], hparam: str, bounds: tuple[float, float]) -> Figure:
    """Validation loss of every trial against one hyperparameter (log x), bounds marked.

    Args:
        trials: trial dicts with keys ``hparam`` and ``"val_loss"``.
        hparam: the hyperparameter on the x axis (e.g. ``"lr"``).
        bounds: ``(lo, hi)`` of its search range.

    Returns:
        A Figure with one axes, x scale ``"log"``, y scale ``"linear"``, axis labels, and
        three lines: ``"trials"`` (markers only; x = the trials' ``hparam`` and y = their
        ``val_loss``, sorted by x with ties kept in trial order), ``"lower bound"`` and
        ``"upper bound"`` (vertical lines: x = [lo, lo] (resp. [hi, hi]) and y = [min, max]
        of the trials' losses).
    """
    # BEGIN SOLUTION q6
    order = sorted(range(len(trials)), key=lambda i: trials[i][hparam])
    xs = [float(trials[i][hparam]) for i in order]
    ys = [float(trials[i]["val_loss"]) for i in order]
    span = [min(ys), max(ys)]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(xs, ys, "o", label="trials")
    ax.plot([bounds[0]] * 2, span, "k--", label="lower bound")
    ax.plot([bounds[1]] * 2, span, "k:", label="upper bound")
    ax.set_xscale("log")
    ax.set_xlabel(hparam)
    ax.set_ylabel("validation loss")
    ax.legend()
    return fig
    # END SOLUTION


def plot_batch_scaling(table: dict[int, tuple[float, int]]) -> Figure:
    """Steps to target against batch size (log-log), with a perfect-scaling guide.

    Args:
        table: the output of ``steps_to_target_vs_batch``: ``{B: (alpha, steps)}``.

    Returns:
        A Figure with one axes, both scales ``"log"``, axis labels, and two lines:
        ``"NQM, lr re-tuned per B"`` with x = the sorted batch sizes and y = their steps,
        and ``"perfect scaling"``: x = the same batch sizes, y = steps(B₀)·B₀/B where B₀
        is the smallest batch size.
    """
    # BEGIN SOLUTION q6
    bs = sorted(table)
    steps = [float(table[b][1]) for b in bs]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(bs, steps, "o-", label="NQM, lr re-tuned per B")
    ax.plot(bs, [steps[0] * bs[0] / b for b in bs], "k--", label="perfect scaling")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("batch size B")
    ax.set_ylabel("steps to target")
    ax.legend()
    return fig
    # END SOLUTION


# ----------------------------------------------------------------------------- q5 (manual)


def q5_rubric() -> str:
    """The grading rubric of the written answers (q5), filled in only in the instructor's copy.

    Students: there is nothing to implement here; write your answers in the markdown cells
    of q5. q5 is graded by hand.
    """
    # BEGIN SOLUTION q5
    rubric = """
(a) 8 pts, 1 per hyperparameter + 1 for the sentences. Weight decay on/off: scientific
    (it is the question). Weight-decay strength: nuisance (each "on" needs its best
    strength; the notes' own example) — scientific is also accepted when the study's
    question is "which strength?", as in our isolation plot, if argued. Learning rate:
    nuisance (interacts with decay; must be re-tuned per scientific value). Batch size:
    fixed (or nuisance if re-tuned; must mention that lr then has to be re-tuned with
    it). Width: fixed (the conclusion holds for this width only). Activation: fixed (the
    notes' example). Number of steps: fixed budget (max_train_steps), with the checkpoint
    chosen retrospectively. A fixed hyperparameter must come with "the conclusion is
    conditional on it".
(b) 6 pts. Trustworthy only if the lr boundary checks say "ok" for every weight decay
    (2); names the value(s) whose best lr sits at an edge, or the edge of the
    weight-decay range itself, and the direction to expand (2); notes that 8
    quasi-random lr trials per value and one seed leave noise comparable to the
    differences (2).
(c) 6 pts. Compares the improvement with the seed-to-seed standard deviation from
    trial_variance (2); adopts only if the gain clearly exceeds the noise (e.g. > 2
    standard deviations of the difference) (2); weighs the added complexity (one more
    hyperparameter to tune) — the incremental strategy of the notes (2). Either decision
    earns full marks if justified by the numbers.
"""
    return rubric
    # END SOLUTION
