"""Reference solution for hw07_nqm: SGD on the Noisy Quadratic Model (NQM).

Lecture 7 (Stat 4830, 2025 notes), with lecture 6's noise floor and lecture 8's table of
tweaks. The model (Zhang et al. 2019, "Which algorithmic choices matter at which batch
sizes?"):

    L(w) = ½ Σᵢ hᵢ wᵢ²,        g = h ⊙ w + ξ,        ξ = √(c/B) ⊙ z,  z ~ N(0, I).

Coordinates are independent, so every expected risk is a sum of d one-dimensional
problems. With rᵢ = 1 − αhᵢ, SGD's expected risk per coordinate is

    E[ℓᵢ(w_k)] = rᵢ^{2k} ℓᵢ(w₀) + (1 − rᵢ^{2k}) · αcᵢ / (2B(2 − αhᵢ)),

whose second term, the noise floor, is ∝ α/B. Pinned conventions: w̃₀ = w₀ (EMA), m₀ = 0
(momentum: m ← βm + g, w ← w − αm, as ``torch.optim.SGD``), the EMA's risk is measured
at w̃, and preconditioning scales coordinate i's step by hᵢ^{−p}.

Broadcasting: the exact-risk and steady-state functions (q2–q5) take ``alpha`` and the
method's hyperparameter either as floats or as tensors that broadcast against ``h``, so
q6 can evaluate a whole grid of settings in one recursion (``alpha`` of shape (G, 1)
against ``h`` of shape (d,) gives results of shape (..., G, d)). All graded computations
are float64.
"""

from __future__ import annotations

import cmath
import itertools

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import Tensor

# ----------------------------------------------------------------------------- q1


def nqm_step(
    w: Tensor,
    state: dict,
    h: Tensor,
    c: Tensor,
    alpha: float,
    B: int,
    z: Tensor,
    method: str = "sgd",
    beta: float = 0.0,
    gamma: float = 0.0,
    p: float = 0.0,
) -> tuple[Tensor, dict]:
    """One step of ``method`` on the NQM, for R independent runs at once.

    The stochastic gradient is g = h ⊙ w + √(c/B) ⊙ z (z is given, so tests control the
    noise). The methods:

    - ``"sgd"``:      w ← w − α g.
    - ``"momentum"``: m ← β m + g, then w ← w − α m (heavy ball, as ``torch.optim.SGD``).
    - ``"ema"``:      w ← w − α g, then w̃ ← γ w̃ + (1 − γ) w (with the new w).
    - ``"precond"``:  w ← w − α h^{−p} ⊙ g (coordinate i's step is α hᵢ^{−p}).

    Args:
        w: (R, d) float64 iterates, one row per run.
        state: the method's extra state, ``{}`` before the first step. ``"momentum"``
            keeps ``state["m"]`` ((R, d); zeros when missing, so m₀ = 0); ``"ema"`` keeps
            ``state["ema"]`` ((R, d) w̃; a copy of the incoming ``w`` when missing, so
            w̃₀ = w₀). ``"sgd"`` and ``"precond"`` keep nothing.
        h, c: (d,) float64 curvatures and noise scales (all positive).
        alpha: step size α.
        B: batch size (the noise variance is c/B).
        z: (R, d) float64 standard normal draws for this step.
        method: one of ``"sgd"``, ``"momentum"``, ``"ema"``, ``"precond"``.
        beta, gamma, p: the momentum, EMA and preconditioning parameters.

    Returns:
        ``(w_new, new_state)``: the (R, d) new iterates and a **new** dict (``{}``,
        ``{"m": ...}`` or ``{"ema": ...}``). Do not modify ``w`` or ``state`` in place.

    Raises:
        ValueError: for an unknown ``method``.
    """
    # BEGIN SOLUTION q1
    if method not in ("sgd", "momentum", "ema", "precond"):
        raise ValueError(f"unknown method {method!r}")
    g = h * w + torch.sqrt(c / B) * z
    if method == "sgd":
        return w - alpha * g, {}
    if method == "precond":
        return w - alpha * h ** (-p) * g, {}
    if method == "momentum":
        m = beta * state.get("m", torch.zeros_like(w)) + g
        return w - alpha * m, {"m": m}
    ema = state.get("ema", w)
    w_new = w - alpha * g
    return w_new, {"ema": gamma * ema + (1.0 - gamma) * w_new}
    # END SOLUTION


def simulate_nqm(
    h: Tensor,
    c: Tensor,
    alpha: float,
    B: int,
    w0: Tensor,
    n_steps: int,
    n_runs: int,
    generator: torch.Generator,
    method: str = "sgd",
    beta: float = 0.0,
    gamma: float = 0.0,
    p: float = 0.0,
) -> Tensor:
    """Monte Carlo estimate of the per-coordinate risk E[½ hᵢ wᵢ²] along ``method``'s run.

    All ``n_runs`` runs start at ``w0`` and advance together through ``nqm_step`` (no
    Python loop over runs). Each step calls
    ``torch.randn(n_runs, h.shape[0], generator=generator, dtype=torch.float64)`` exactly
    once (on the CPU; then moved to ``h.device``) and uses it as ``z``: the size comes
    from ``h``, so the same code runs for any number of coordinates. For ``"ema"`` the
    risk is measured at the average w̃, for the other methods at w.

    Args:
        h, c: (d,) float64.
        alpha, B, method, beta, gamma, p: as in ``nqm_step``.
        w0: (d,) float64 start.
        n_steps: number of steps.
        n_runs: number of independent runs R.
        generator: a CPU ``torch.Generator``.

    Returns:
        (n_steps + 1, d) float64: row k is the average over runs of ½ h ⊙ x_k², where x is
        w (or w̃ for ``"ema"``); row 0 is ½ h ⊙ w0².
    """
    # BEGIN SOLUTION q1
    w = w0.to(h.device).expand(n_runs, h.shape[0]).clone()
    state: dict = {}
    risks = [0.5 * h * (w**2).mean(0)]
    for _ in range(n_steps):
        z = torch.randn(n_runs, h.shape[0], generator=generator, dtype=torch.float64)
        z = z.to(h.device)
        w, state = nqm_step(w, state, h, c, alpha, B, z, method, beta, gamma, p)
        x = state["ema"] if method == "ema" else w
        risks.append(0.5 * h * (x**2).mean(0))
    return torch.stack(risks)
    # END SOLUTION


def plot_noise_floor(
    curves: dict[tuple[float, int], Tensor], floors: dict[tuple[float, int], float]
) -> Figure:
    """Total risk against iteration on log-log axes, one solid line per (α, B), its floor dashed.

    Args:
        curves: maps (α, B) to a (K + 1,) total-risk curve (k = 0, …, K).
        floors: maps the same (α, B) to the summed steady-state risk Σᵢ floorᵢ.

    Returns:
        A Figure with one axes, x and y scales ``"log"``, axis labels. For each (α, B):
        a line labelled ``f"α = {alpha:g}, B = {B}"`` with x = 1, …, K and
        y = curve[1:] (log axes have no k = 0), and a dashed line labelled
        ``f"α = {alpha:g}, B = {B} (floor)"`` through the two points (1, floor) and
        (K, floor).
    """
    # BEGIN SOLUTION q1
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for alpha, B in sorted(curves):
        curve = curves[(alpha, B)].detach().cpu()
        K = len(curve) - 1
        label = f"α = {alpha:g}, B = {B}"
        (line,) = ax.plot(range(1, K + 1), curve[1:].numpy(), label=label)
        floor = float(floors[(alpha, B)])
        ax.plot([1, K], [floor, floor], "--", color=line.get_color(), label=f"{label} (floor)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("iteration k")
    ax.set_ylabel("E[L(w_k)]")
    ax.legend(fontsize=8)
    return fig
    # END SOLUTION


# ----------------------------------------------------------------------------- q2


def sgd_risk(
    h: Tensor, c: Tensor, alpha: float | Tensor, B: int, w0: Tensor, n_steps: int
) -> Tensor:
    """Exact expected risk E[½ hᵢ wᵢ²] of SGD at k = 0, …, n_steps.

    With rᵢ = 1 − αhᵢ: E[ℓᵢ(w_k)] = rᵢ^{2k} ℓᵢ(w₀) + (1 − rᵢ^{2k}) · αcᵢ/(2B(2 − αhᵢ)),
    where ℓᵢ(w₀) = ½ hᵢ w₀ᵢ².

    Args:
        h, c, w0: (d,) float64.
        alpha: float, or a float64 tensor that broadcasts against h (e.g. (G, 1)).
        B: batch size.
        n_steps: last k.

    Returns:
        (n_steps + 1, *S) float64, where S is the broadcast shape of h and alpha ((d,) for
        a float alpha): row k is the risk per coordinate after k steps.
    """
    # BEGIN SOLUTION q2
    r2 = (1.0 - alpha * h) ** 2
    start = 0.5 * h * w0**2
    floor = sgd_steady_state(h, c, alpha, B)
    decay = torch.stack([r2**k for k in range(n_steps + 1)])
    return decay * start + (1.0 - decay) * floor
    # END SOLUTION


def sgd_steady_state(h: Tensor, c: Tensor, alpha: float | Tensor, B: int) -> Tensor:
    """SGD's noise floor per coordinate, lim_k E[ℓᵢ(w_k)] = αcᵢ/(2B(2 − αhᵢ)) (needs αhᵢ < 2).

    Args:
        h, c: (d,) float64; alpha: float or a tensor broadcasting against h; B: batch size.

    Returns:
        float64 tensor of the broadcast shape of h and alpha.
    """
    # BEGIN SOLUTION q2
    return alpha * c / (2.0 * B * (2.0 - alpha * h))
    # END SOLUTION


# ----------------------------------------------------------------------------- q3


def ema_risk(
    h: Tensor,
    c: Tensor,
    alpha: float | Tensor,
    B: int,
    gamma: float | Tensor,
    w0: Tensor,
    n_steps: int,
) -> Tensor:
    """Exact expected risk E[½ hᵢ w̃ᵢ²] of the EMA w̃ of SGD's iterates, k = 0, …, n_steps.

    w_{k+1} = rᵢ w_k − α √(cᵢ/B) z_k and w̃_{k+1} = γ w̃_k + (1 − γ) w_{k+1}, w̃₀ = w₀.
    Iterate the recursion of the three second moments E[w²], E[w w̃], E[w̃²], which
    starts at (w₀², w₀², w₀²) and is exact (no Monte Carlo).

    Args:
        h, c, w0: (d,) float64.
        alpha, gamma: floats, or float64 tensors that broadcast against h.
        B: batch size.
        n_steps: last k.

    Returns:
        (n_steps + 1, *S) float64 (S the broadcast shape of h, alpha, gamma).
    """
    # BEGIN SOLUTION q3
    r = 1.0 - alpha * h
    q = alpha**2 * c / B  # variance of the noise added to w in one step
    ww = torch.zeros_like(r * gamma) + w0**2
    we, ee = ww.clone(), ww.clone()
    risks = [0.5 * h * ee]
    for _ in range(n_steps):
        # moments of the new w first; the EMA mixes the new w with the old w̃
        ww_new = r**2 * ww + q
        we_old_new = r * we  # E[w_{k+1} w̃_k]
        ee = gamma**2 * ee + 2 * gamma * (1 - gamma) * we_old_new + (1 - gamma) ** 2 * ww_new
        we = gamma * we_old_new + (1 - gamma) * ww_new
        ww = ww_new
        risks.append(0.5 * h * ee)
    return torch.stack(risks)
    # END SOLUTION


def ema_steady_state(
    h: Tensor, c: Tensor, alpha: float | Tensor, B: int, gamma: float | Tensor
) -> Tensor:
    """The EMA's floor per coordinate: SGD's floor times (1 − γ)(1 + rᵢγ)/((1 + γ)(1 − rᵢγ)).

    Args:
        h, c: (d,) float64; alpha, gamma: floats or tensors broadcasting against h.

    Returns:
        float64 tensor of the broadcast shape.
    """
    # BEGIN SOLUTION q3
    r = 1.0 - alpha * h
    factor = (1 - gamma) * (1 + r * gamma) / ((1 + gamma) * (1 - r * gamma))
    return factor * sgd_steady_state(h, c, alpha, B)
    # END SOLUTION


# ----------------------------------------------------------------------------- q4


def momentum_roots(alpha: float, h: float, beta: float) -> tuple[complex, complex]:
    """The roots of z² − (1 − αh + β) z + β = 0, the modes of heavy ball on one coordinate.

    Returns:
        ``(z1, z2)`` as Python complex numbers with |z1| ≥ |z2|. A complex pair comes with
        z1 in the upper half-plane (positive imaginary part); real roots of equal modulus
        come with the positive one first.
    """
    # BEGIN SOLUTION q4
    trace = 1.0 - alpha * h + beta
    # the principal square root: +i√|Δ| when Δ < 0, so z1 is in the upper half-plane
    root = cmath.sqrt(trace * trace - 4.0 * beta)
    z1, z2 = (trace + root) / 2, (trace - root) / 2
    if abs(z2) > abs(z1):
        z1, z2 = z2, z1
    return complex(z1), complex(z2)
    # END SOLUTION


def momentum_rate(alpha: float, h: float, beta: float) -> float:
    """The convergence rate of heavy ball on a coordinate: the larger root modulus |z1|."""
    # BEGIN SOLUTION q4
    return max(abs(z) for z in momentum_roots(alpha, h, beta))
    # END SOLUTION


def momentum_risk(
    h: Tensor,
    c: Tensor,
    alpha: float | Tensor,
    B: int,
    beta: float | Tensor,
    w0: Tensor,
    n_steps: int,
) -> Tensor:
    """Exact expected risk E[½ hᵢ wᵢ²] of heavy-ball momentum at k = 0, …, n_steps.

    Per coordinate, (w, m) evolves as m_{k+1} = β m_k + h w_k + s z_k and
    w_{k+1} = w_k − α m_{k+1}, with s = √(c/B), m₀ = 0. Iterate the recursion of the
    three second moments E[w²], E[w m], E[m²], starting at (w₀², 0, 0).

    Args:
        h, c, w0: (d,) float64.
        alpha, beta: floats, or float64 tensors that broadcast against h.
        B: batch size.
        n_steps: last k.

    Returns:
        (n_steps + 1, *S) float64 (S the broadcast shape of h, alpha, beta).
    """
    # BEGIN SOLUTION q4
    q = c / B  # variance of the gradient noise
    ww = torch.zeros_like(alpha * h * beta) + w0**2
    wm, mm = torch.zeros_like(ww), torch.zeros_like(ww)
    risks = [0.5 * h * ww]
    for _ in range(n_steps):
        # m' = h w + β m + s z;  w' = w − α m'
        mm_new = h**2 * ww + 2 * h * beta * wm + beta**2 * mm + q
        wm_new = h * ww + beta * wm - alpha * mm_new  # E[w m'] − α E[m'²]
        ww = ww - 2 * alpha * (h * ww + beta * wm) + alpha**2 * mm_new
        wm, mm = wm_new, mm_new
        risks.append(0.5 * h * ww)
    return torch.stack(risks)
    # END SOLUTION


def momentum_steady_state(
    h: Tensor, c: Tensor, alpha: float | Tensor, B: int, beta: float | Tensor
) -> Tensor:
    """Heavy ball's floor per coordinate: (1 + β) α cᵢ / (2B (2β + 2 − αhᵢ)(1 − β)).

    Args:
        h, c: (d,) float64; alpha, beta: floats or tensors broadcasting against h.

    Returns:
        float64 tensor of the broadcast shape.
    """
    # BEGIN SOLUTION q4
    return (1 + beta) * alpha * c / (2.0 * B * (2 * beta + 2 - alpha * h) * (1 - beta))
    # END SOLUTION


# ----------------------------------------------------------------------------- q5


def precond_risk(
    h: Tensor, c: Tensor, alpha: float | Tensor, B: int, p: float | Tensor, w0: Tensor, n_steps: int
) -> Tensor:
    """Exact expected risk of preconditioned SGD (coordinate i steps by α hᵢ^{−p}), k = 0…n_steps.

    Args:
        h, c, w0: (d,) float64.
        alpha, p: floats, or float64 tensors that broadcast against h.
        B: batch size.
        n_steps: last k.

    Returns:
        (n_steps + 1, *S) float64 (S the broadcast shape of h, alpha, p).
    """
    # BEGIN SOLUTION q5
    # each coordinate is plain SGD with its own step size α hᵢ^{−p}
    return sgd_risk(h, c, alpha * h ** (-p), B, w0, n_steps)
    # END SOLUTION


def precond_steady_state(
    h: Tensor, c: Tensor, alpha: float | Tensor, B: int, p: float | Tensor
) -> Tensor:
    """Preconditioned SGD's floor per coordinate: α cᵢ hᵢ^{−p} / (2B(2 − α hᵢ^{1−p})).

    Args:
        h, c: (d,) float64; alpha, p: floats or tensors broadcasting against h.

    Returns:
        float64 tensor of the broadcast shape.
    """
    # BEGIN SOLUTION q5
    return sgd_steady_state(h, c, alpha * h ** (-p), B)
    # END SOLUTION


# ----------------------------------------------------------------------------- q6


def steps_to_target(
    method: str,
    h: Tensor,
    c: Tensor,
    B: int,
    w0: Tensor,
    target: float,
    grid: dict[str, list[float]],
    k_max: int,
) -> tuple[int, dict[str, float]]:
    """The fewest steps after which the exact total risk Σᵢ E[ℓᵢ(w_k)] is ≤ ``target``.

    For every setting in the grid (all combinations, in ``itertools.product`` order over
    the grid's keys in their given order), find the first k ∈ {0, …, k_max} with total
    risk ≤ target, using the exact risk of q2–q5 (``sgd_risk``, ``momentum_risk``
    (``beta``), ``ema_risk`` (``gamma``), ``precond_risk`` (``p``)). Evaluate the whole
    grid in one call of the risk function by passing tensors of shape (G, 1) for the
    hyperparameters (G settings); a loop over settings is much slower.

    Args:
        method: ``"sgd"``, ``"momentum"``, ``"ema"`` or ``"precond"``.
        h, c, w0: (d,) float64.
        B: batch size.
        target: the total-risk target.
        grid: maps ``"alpha"`` and the method's hyperparameter name to candidate values,
            e.g. ``{"alpha": [0.1, 0.5], "beta": [0.5, 0.9]}``.
        k_max: the longest run considered.

    Returns:
        ``(steps, best)``: the smallest first-hit step over the grid and the first
        setting (in product order) that attains it, as ``{name: float value}`` with the
        grid's keys. If no setting reaches the target by k_max: ``(k_max + 1, {})``.
    """
    # BEGIN SOLUTION q6
    risk_fns = {"momentum": momentum_risk, "ema": ema_risk, "precond": precond_risk}
    names = list(grid)
    settings = list(itertools.product(*(grid[name] for name in names)))
    columns = {
        name: torch.tensor([s[j] for s in settings], dtype=torch.float64, device=h.device)
        for j, name in enumerate(names)
    }
    alpha = columns["alpha"][:, None]
    extra = [columns[name][:, None] for name in names if name != "alpha"]
    if method == "sgd":
        risk = sgd_risk(h, c, alpha, B, w0, k_max)
    else:
        risk = risk_fns[method](h, c, alpha, B, extra[0], w0, k_max)
    hit = risk.sum(-1) <= target  # (k_max + 1, G)
    first = torch.where(hit.any(0), hit.to(torch.int64).argmax(0), k_max + 1)
    best = int(first.argmin())
    if int(first[best]) > k_max:
        return k_max + 1, {}
    return int(first[best]), {name: float(v) for name, v in zip(names, settings[best])}
    # END SOLUTION


def regime_table(
    batch_sizes: list[int],
    h: Tensor,
    c: Tensor,
    w0: Tensor,
    target: float,
    grids: dict[str, dict[str, list[float]]],
    k_max: int,
) -> dict[str, list[int]]:
    """Steps to target for each method (the keys of ``grids``) at each batch size.

    Returns:
        ``{method: [steps_to_target(method, h, c, B, w0, target, grids[method], k_max)[0]
        for B in batch_sizes]}``.
    """
    # BEGIN SOLUTION q6
    return {
        method: [steps_to_target(method, h, c, B, w0, target, grid, k_max)[0] for B in batch_sizes]
        for method, grid in grids.items()
    }
    # END SOLUTION


def plot_steps_vs_batch(batch_sizes: list[int], table: dict[str, list[int]]) -> Figure:
    """Steps to target against batch size on log-log axes, one line per method.

    Returns:
        A Figure with one axes, x and y scales ``"log"``, axis labels, and for each method
        in ``table`` a line labelled with the method's name, x = batch_sizes,
        y = table[method].
    """
    # BEGIN SOLUTION q6
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for method, steps in table.items():
        ax.plot(list(batch_sizes), list(steps), "o-", label=method)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("batch size B")
    ax.set_ylabel("steps to target")
    ax.legend()
    return fig
    # END SOLUTION
