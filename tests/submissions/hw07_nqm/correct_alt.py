# An independent correct solution. Differs from the reference: the noise scale is
# √c/√B; the simulator preallocates its output, takes d from h (never the notebook's
# global d) and averages ½h·x·x; SGD's exact risk iterates the one-step recursion
# E[ℓ_{k+1}] = r²E[ℓ_k] + ½hα²c/B instead of the closed form; the EMA and momentum risks
# propagate the 2×2 second-moment matrix S ← A S Aᵀ + q b bᵀ written out entry by entry
# (with their own transition matrices); preconditioning is written out on its own
# (h^{−p} as exp(−p log h)) instead of calling the SGD functions; the momentum roots use
# the stable Vieta form (the small root as β / big root) and the rate √β when complex;
# steps_to_target builds the grid with meshgrid and counts leading misses with a cumsum;
# the figures use loglog and their own loops.
import itertools
import math

import matplotlib.pyplot as plt
import torch


def _noise_scale(c, B):
    return torch.sqrt(c) / math.sqrt(B)


def nqm_step(w, state, h, c, alpha, B, z, method="sgd", beta=0.0, gamma=0.0, p=0.0):
    known = {"sgd", "momentum", "ema", "precond"}
    if method not in known:
        raise ValueError(f"method must be one of {sorted(known)}, got {method!r}")
    grad = torch.addcmul(h * w, _noise_scale(c, B).expand_as(z), z)
    if method == "momentum":
        prev = state["m"] if "m" in state else torch.zeros_like(w)
        m_new = prev * beta + grad
        return w - m_new * alpha, {"m": m_new}
    if method == "precond":
        scale = torch.exp(-p * torch.log(h))
        return w - (alpha * scale) * grad, {}
    w_new = w - grad * alpha
    if method == "ema":
        avg = state["ema"] if "ema" in state else w.clone()
        return w_new, {"ema": avg + (1.0 - gamma) * (w_new - avg)}
    return w_new, {}


def simulate_nqm(
    h, c, alpha, B, w0, n_steps, n_runs, generator, method="sgd", beta=0.0, gamma=0.0, p=0.0
):
    dim = h.numel()  # the problem's own size, not the notebook's d
    out = torch.empty(n_steps + 1, dim, dtype=torch.float64, device=h.device)
    w = w0.to(device=h.device, dtype=torch.float64).repeat(n_runs, 1)
    half_h = 0.5 * h
    out[0] = (half_h * w * w).mean(dim=0)
    state = {}
    for k in range(1, n_steps + 1):
        noise = torch.randn(n_runs, dim, generator=generator, dtype=torch.float64)
        w, state = nqm_step(w, state, h, c, alpha, B, noise.to(h.device), method, beta, gamma, p)
        x = state.get("ema", w) if method == "ema" else w
        out[k] = (half_h * x * x).mean(dim=0)
    return out


def plot_noise_floor(curves, floors):
    fig = plt.figure(figsize=(7, 4.5))
    ax = fig.add_subplot(1, 1, 1)
    for key in sorted(curves):
        alpha, B = key
        y = curves[key].detach().cpu().numpy()[1:]
        xs = list(range(1, len(y) + 1))
        name = f"α = {alpha:g}, B = {B}"
        line = ax.loglog(xs, y, label=name)[0]
        level = float(floors[key])
        ax.loglog(
            [xs[0], xs[-1]],
            [level, level],
            linestyle=":",
            color=line.get_color(),
            label=name + " (floor)",
        )
    ax.set_xlabel("k")
    ax.set_ylabel("total risk")
    ax.legend()
    return fig


def sgd_steady_state(h, c, alpha, B):
    return (alpha * c) / ((2.0 - alpha * h) * (2.0 * B))


def sgd_risk(h, c, alpha, B, w0, n_steps):
    contraction = (1.0 - alpha * h) ** 2
    injected = 0.5 * h * alpha**2 * c / B  # ½h times the noise variance added per step
    ell = 0.5 * h * w0 * w0 + torch.zeros_like(contraction * injected)
    rows = [ell]
    for _ in range(n_steps):
        ell = contraction * ell + injected
        rows.append(ell)
    return torch.stack(rows, dim=0)


def ema_risk(h, c, alpha, B, gamma, w0, n_steps):
    # state (w, w̃): w' = r w − αs z, w̃' = (1−γ) r w + γ w̃ − (1−γ) α s z
    r = 1.0 - alpha * h
    q = alpha * alpha * c / B
    a11, a21, a22 = r, (1.0 - gamma) * r, gamma
    b1, b2 = 1.0, 1.0 - gamma
    s11 = torch.zeros_like(r * gamma * h) + w0 * w0
    s12, s22 = s11.clone(), s11.clone()
    rows = [0.5 * h * s22]
    for _ in range(n_steps):
        n11 = a11 * a11 * s11 + q * b1 * b1
        n12 = a11 * (a21 * s11 + a22 * s12) + q * b1 * b2
        n22 = a21 * a21 * s11 + 2.0 * a21 * a22 * s12 + a22 * a22 * s22 + q * b2 * b2
        s11, s12, s22 = n11, n12, n22
        rows.append(0.5 * h * s22)
    return torch.stack(rows, dim=0)


def ema_steady_state(h, c, alpha, B, gamma):
    r = 1.0 - alpha * h
    shrink = (1.0 - gamma) * (1.0 + gamma * r) / ((1.0 + gamma) * (1.0 - gamma * r))
    return shrink * (alpha * c) / (2.0 * B * (2.0 - alpha * h))


def momentum_roots(alpha, h, beta):
    tr = 1.0 - alpha * h + beta
    disc = tr * tr - 4.0 * beta
    if disc < 0:
        half = math.sqrt(-disc) / 2.0
        return complex(tr / 2.0, half), complex(tr / 2.0, -half)
    s = math.sqrt(disc)
    big = (tr + math.copysign(s, tr)) / 2.0
    small = beta / big if big != 0 else 0.0
    if abs(big) == abs(small) and big < small:
        big, small = small, big
    return complex(big), complex(small)


def momentum_rate(alpha, h, beta):
    z1, _ = momentum_roots(alpha, h, beta)
    if z1.imag != 0:
        return math.sqrt(beta)
    return abs(z1.real)


def momentum_risk(h, c, alpha, B, beta, w0, n_steps):
    # state (w, m): m' = h w + β m + s z, w' = (1 − αh) w − αβ m − α s z
    q = c / B
    a11, a12 = 1.0 - alpha * h, -alpha * beta
    a21, a22 = h, beta
    b1, b2 = -alpha, 1.0
    s11 = torch.zeros_like(alpha * beta * h) + w0 * w0
    s12, s22 = torch.zeros_like(s11), torch.zeros_like(s11)
    rows = [0.5 * h * s11]
    for _ in range(n_steps):
        n11 = a11 * a11 * s11 + 2.0 * a11 * a12 * s12 + a12 * a12 * s22 + q * b1 * b1
        n12 = a11 * a21 * s11 + (a11 * a22 + a12 * a21) * s12 + a12 * a22 * s22 + q * b1 * b2
        n22 = a21 * a21 * s11 + 2.0 * a21 * a22 * s12 + a22 * a22 * s22 + q * b2 * b2
        s11, s12, s22 = n11, n12, n22
        rows.append(0.5 * h * s11)
    return torch.stack(rows, dim=0)


def momentum_steady_state(h, c, alpha, B, beta):
    return alpha * c * (1.0 + beta) / (2.0 * B * (1.0 - beta) * (2.0 * (1.0 + beta) - alpha * h))


def _per_coordinate_step(h, alpha, p):
    return alpha * torch.exp(-p * torch.log(h))


def precond_risk(h, c, alpha, B, p, w0, n_steps):
    step = _per_coordinate_step(h, alpha, p)
    r2 = (1.0 - step * h) ** 2
    start = 0.5 * h * w0 * w0
    floor = step * c / (2.0 * B * (2.0 - step * h))
    out = []
    power = torch.ones_like(r2 * start)
    for _ in range(n_steps + 1):
        out.append(floor + power * (start - floor))
        power = power * r2
    return torch.stack(out, dim=0)


def precond_steady_state(h, c, alpha, B, p):
    step = _per_coordinate_step(h, alpha, p)
    return step * c / (2.0 * B * (2.0 - step * h))


def _grid_columns(grid, device):
    names = list(grid)
    axes = [torch.tensor(grid[n], dtype=torch.float64, device=device) for n in names]
    mesh = torch.meshgrid(*axes, indexing="ij")  # last name varies fastest: product order
    return names, {n: m.reshape(-1, 1) for n, m in zip(names, mesh)}


def steps_to_target(method, h, c, B, w0, target, grid, k_max):
    names, cols = _grid_columns(grid, h.device)
    hyper = {"momentum": "beta", "ema": "gamma", "precond": "p"}
    if method == "sgd":
        risk = sgd_risk(h, c, cols["alpha"], B, w0, k_max)
    elif method in hyper:
        fn = {"momentum": momentum_risk, "ema": ema_risk, "precond": precond_risk}[method]
        risk = fn(h, c, cols["alpha"], B, cols[hyper[method]], w0, k_max)
    else:
        raise ValueError(method)
    total = risk.sum(dim=-1)  # (k_max + 1, G)
    misses_before = (total <= target).to(torch.int64).cumsum(dim=0).eq(0).sum(dim=0)
    first = misses_before.tolist()  # k_max + 1 where never reached
    best_k = min(first)
    if best_k > k_max:
        return k_max + 1, {}
    j = first.index(best_k)
    setting = list(itertools.product(*(grid[n] for n in names)))[j]
    return best_k, {n: float(v) for n, v in zip(names, setting)}


def regime_table(batch_sizes, h, c, w0, target, grids, k_max):
    table = {}
    for method in grids:
        table[method] = []
        for B in batch_sizes:
            k, _ = steps_to_target(method, h, c, B, w0, target, grids[method], k_max)
            table[method].append(k)
    return table


def plot_steps_vs_batch(batch_sizes, table):
    fig = plt.figure(figsize=(6, 4.5))
    ax = fig.add_subplot(111)
    for method in table:
        ax.loglog(
            [float(b) for b in batch_sizes], [float(s) for s in table[method]], "s-", label=method
        )
    ax.set_xlabel("B")
    ax.set_ylabel("steps")
    ax.legend()
    return fig
