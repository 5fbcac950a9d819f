"""hw13_rl: the reference cross-checked against independent oracles.

Oracles: Monte Carlo rollouts (numpy's RNG, 5 standard errors) and fixed-point iteration
of the Bellman operator for policy evaluation; brute force over all deterministic policies
and policy iteration for value iteration; the deterministic grid world's closed form
Q*(s, right) = γ^{dist−1} and the exact Q* for Q-learning; ``torch.softmax``;
``torch.autograd`` through ``expected_return`` for the exact policy gradient; autograd of
the REINFORCE surrogate on fixed episodes; the Monte Carlo mean of REINFORCE against the
exact gradient (5 standard errors, with and without the baseline) and the variance
reduction of the baseline; empirical transition frequencies and the generator's draw count
for the sampler; autograd and the naive formulas for the §7 objectives.
"""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from matplotlib import pyplot as plt

from autograder.runtime import probe_helpers
from solutions import hw13_rl as ref

F64 = torch.float64


def _random_mdp(seed: int, S: int = 4, A: int = 3):
    g = torch.Generator().manual_seed(seed)
    P = torch.rand(S, A, S, generator=g, dtype=F64) ** 3
    P = P / P.sum(-1, keepdim=True)
    R = torch.randn(S, A, S, generator=g, dtype=F64)
    pi = torch.rand(S, A, generator=g, dtype=F64)
    return P, R, pi / pi.sum(-1, keepdim=True)


# ----------------------------------------------------------------------------- q1


@pytest.mark.parametrize("seed", range(3))
def test_policy_evaluation_is_the_bellman_fixed_point(seed):
    P, R, pi = _random_mdp(seed)
    gamma = 0.8
    V = ref.policy_evaluation(P, R, pi, gamma)
    # fixed-point iteration of V ← Σ_a π Σ_s′ P (R + γV), written with loops
    W = np.zeros(P.shape[0])
    Pn, Rn, pin = P.numpy(), R.numpy(), pi.numpy()
    for _ in range(400):
        W = np.array(
            [
                sum(
                    pin[s, a] * sum(Pn[s, a, t] * (Rn[s, a, t] + gamma * W[t]) for t in range(4))
                    for a in range(3)
                )
                for s in range(4)
            ]
        )
    np.testing.assert_allclose(V.numpy(), W, rtol=1e-10, atol=1e-12)
    Q = ref.q_from_v(P, R, V, gamma)
    torch.testing.assert_close((pi * Q).sum(1), V, rtol=1e-12, atol=1e-12)


def test_policy_evaluation_matches_monte_carlo():
    P, R, pi = _random_mdp(7, S=3, A=2)
    gamma, n, T = 0.7, 4000, 60  # γ^60 ≈ 5e-10: truncation far below the standard error
    V = ref.policy_evaluation(P, R, pi, gamma).numpy()
    rng = np.random.default_rng(0)
    Pn, Rn, pin = P.numpy(), R.numpy(), pi.numpy()
    for s0 in range(3):
        G = np.zeros(n)
        s = np.full(n, s0)
        for t in range(T):
            a = (rng.random(n)[:, None] > np.cumsum(pin[s], 1)).sum(1)
            s2 = (rng.random(n)[:, None] > np.cumsum(Pn[s, a], 1)).sum(1)
            s2 = np.minimum(s2, 2)
            a = np.minimum(a, 1)
            G += gamma**t * Rn[s, a, s2]
            s = s2
        assert abs(G.mean() - V[s0]) < 5 * G.std(ddof=1) / np.sqrt(n)


# ----------------------------------------------------------------------------- q2


@pytest.mark.parametrize("seed", range(3))
def test_value_iteration_matches_brute_force_over_policies(seed):
    P, R, _ = _random_mdp(seed + 10, S=4, A=3)
    gamma = 0.9
    V, Q, pi_star = ref.value_iteration(P, R, gamma)
    best = torch.full((4,), -torch.inf, dtype=F64)
    for actions in itertools.product(range(3), repeat=4):
        pi = torch.zeros(4, 3, dtype=F64)
        pi[range(4), list(actions)] = 1.0
        best = torch.maximum(best, ref.policy_evaluation(P, R, pi, gamma))
    torch.testing.assert_close(V, best, rtol=1e-8, atol=1e-9)
    assert pi_star.dtype == torch.int64
    onehot = torch.nn.functional.one_hot(pi_star, 3).to(F64)
    torch.testing.assert_close(ref.policy_evaluation(P, R, onehot, gamma), V, rtol=1e-8, atol=1e-9)
    torch.testing.assert_close(Q, ref.q_from_v(P, R, V, gamma))


def test_grid_world_q_star_closed_form():
    n = 6
    P, R = ref.grid_world(n)
    for gamma in (0.0, 0.5, 0.9):
        _, Q, pi = ref.value_iteration(P, R, gamma)
        # moving right from s reaches the goal after n−1−s steps: Q*(s, right) = γ^(n−2−s)
        right = torch.tensor([gamma ** (n - 2 - s) for s in range(n - 1)], dtype=F64)
        torch.testing.assert_close(Q[: n - 1, 1], right, rtol=1e-9, atol=1e-12)
        if gamma > 0:
            assert pi[: n - 1].tolist() == [1] * (n - 1)


def test_value_iteration_stops_at_the_first_change_below_tol():
    # grid world, γ = 0.5: after k sweeps from 0, V_k(s) = 0.5^(4−s) for s ≥ 5 − k, else 0
    # (closed form), so sweep k changes V by exactly 0.5^(k−1); with tol = 0.25 the rule
    # "stop when the change is < tol" stops after sweep 4 (a change equal to tol goes on)
    P, R = ref.grid_world(6)
    V, Q, _ = ref.value_iteration(P, R, 0.5, tol=0.25)
    expected = torch.tensor([0.0, 0.125, 0.25, 0.5, 1.0, 0.0], dtype=F64)
    assert torch.equal(V, expected)
    torch.testing.assert_close(Q, ref.q_from_v(P, R, expected, 0.5), rtol=0, atol=0)
    # a tol between two sweeps' changes on a random MDP: the number of sweeps is the first
    # k whose change is below tol, the same as with max_iter = k and tol = 0
    P, R, _ = _random_mdp(21, S=4, A=3)
    W, changes = torch.zeros(4, dtype=F64), []
    for _ in range(6):
        W_new = torch.stack(
            [
                torch.tensor(
                    [
                        sum(float(P[s, a, t] * (R[s, a, t] + 0.9 * W[t])) for t in range(4))
                        for a in range(3)
                    ]
                ).max()
                for s in range(4)
            ]
        ).to(F64)
        changes.append(float((W_new - W).abs().max()))
        W = W_new
    tol = (changes[2] + changes[3]) / 2
    V = ref.value_iteration(P, R, 0.9, tol=tol)[0]
    torch.testing.assert_close(V, ref.value_iteration(P, R, 0.9, tol=0.0, max_iter=4)[0])


# ----------------------------------------------------------------------------- q3


def test_q_learning_update_by_hand():
    Q = torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=F64)
    new = ref.q_learning_update(Q, 0, 1, 0.5, 1, False, 0.1, 0.9)
    assert new[0, 1] == pytest.approx(1.0 + 0.1 * (0.5 + 0.9 * 3.0 - 1.0))
    assert Q[0, 1] == 1.0  # not modified in place
    done = ref.q_learning_update(Q, 0, 1, 0.5, 1, True, 0.1, 0.9)
    assert done[0, 1] == pytest.approx(1.0 + 0.1 * (0.5 - 1.0))


def test_q_learning_finds_the_optimal_policy_on_the_grid():
    P, R = ref.grid_world(6)
    terminal = torch.zeros(6, dtype=torch.bool)
    terminal[5] = True
    _, Q_star, pi_star = ref.value_iteration(P, R, 0.9)
    Q = ref.q_learning(P, R, 0.9, 0.5, 0.5, 20_000, torch.Generator().manual_seed(0), 0, terminal)
    assert Q[:5].argmax(1).tolist() == pi_star[:5].tolist()
    torch.testing.assert_close(Q[:5], Q_star[:5], rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------- q4


def test_softmax_and_exact_gradient_match_autograd():
    g = torch.Generator().manual_seed(0)
    P, R, _ = _random_mdp(3)
    theta = 3 * torch.randn(4, 3, generator=g, dtype=F64)
    torch.testing.assert_close(ref.softmax_policy(theta), torch.softmax(theta, 1))
    rho0 = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=F64)
    th = theta.clone().requires_grad_(True)
    J = ref.expected_return(th, P, R, rho0, 0.85)
    (auto,) = torch.autograd.grad(J, th)
    torch.testing.assert_close(
        ref.exact_policy_gradient(theta, P, R, rho0, 0.85), auto, rtol=1e-10, atol=1e-12
    )
    # J by the truncated series Σ_t γ^t ρ₀ᵀ P_π^t r_π
    pi = torch.softmax(theta, 1)
    P_pi, r_pi = torch.einsum("sa,sat->st", pi, P), torch.einsum("sa,sat,sat->s", pi, P, R)
    series, x = 0.0, rho0.clone()
    for t in range(300):
        series += 0.85**t * float(x @ r_pi)
        x = x @ P_pi
    assert float(J.detach()) == pytest.approx(series, rel=1e-10)


def test_reinforce_matches_autograd_surrogate_on_fixed_episodes():
    P, R, rho0, terminal = ref.chain_mdp()
    theta = torch.randn(5, 2, generator=torch.Generator().manual_seed(1), dtype=F64)
    eps = ref.sample_episodes(theta, P, R, rho0, 50, 30, torch.Generator().manual_seed(2), terminal)
    b = torch.rand(5, generator=torch.Generator().manual_seed(3), dtype=F64)
    for baseline in (None, b):
        th = theta.clone().requires_grad_(True)
        logp = torch.log_softmax(th, 1)
        surrogate = 0.0
        for ep in eps:
            rewards = [r for _, _, r in ep]
            for t, (s, a, _) in enumerate(ep):
                G = sum(0.9**k * r for k, r in enumerate(rewards[t:]))
                bs = 0.0 if baseline is None else float(baseline[s])
                surrogate = surrogate + 0.9**t * (G - bs) * logp[s, a]
        (auto,) = torch.autograd.grad(surrogate / len(eps), th)
        got = ref.reinforce_gradient(theta, eps, 0.9, baseline)
        torch.testing.assert_close(got, auto, rtol=1e-10, atol=1e-12)


def test_sampler_frequencies_and_draw_count():
    P, R, rho0, terminal = ref.chain_mdp(p_advance=0.6)
    theta = torch.tensor([[0.0, 1.0]] * 5, dtype=F64)
    g = torch.Generator().manual_seed(5)
    eps = ref.sample_episodes(theta, P, R, rho0, 50, 3000, g, terminal)
    steps = sum(len(e) for e in eps)
    # the pinned call sequence: 1 draw per episode, 2 per step
    check = torch.Generator().manual_seed(5)
    torch.rand(3000 + 2 * steps, generator=check, dtype=F64)
    assert torch.equal(
        torch.rand(4, generator=g, dtype=F64), torch.rand(4, generator=check, dtype=F64)
    )
    # P(advance | s) = σ(1) and advancing succeeds w.p. 0.6
    first = [e[0] for e in eps]
    p_adv = torch.sigmoid(torch.tensor(1.0)).item()
    freq = np.mean([a for _, a, _ in first])
    assert abs(freq - p_adv) < 5 * np.sqrt(p_adv * (1 - p_adv) / len(first))
    adv = [(e, t) for e in eps for t, (_, a, _) in enumerate(e) if a == 1 and e[t][0] < 3]
    moved = np.mean([t + 1 < len(e) for e, t in adv])
    assert abs(moved - 0.6) < 5 * np.sqrt(0.24 / len(adv))


@pytest.fixture(scope="module")
def mc_gradients():
    P, R, rho0, terminal = ref.chain_mdp()
    gamma = 0.9
    theta = torch.randn(5, 2, generator=torch.Generator().manual_seed(3), dtype=F64)
    eps = ref.sample_episodes(
        theta, P, R, rho0, 50, 20_000, torch.Generator().manual_seed(1), terminal
    )
    V = ref.policy_evaluation(P, R, ref.softmax_policy(theta), gamma)
    per = {
        name: torch.stack([ref.reinforce_gradient(theta, [e], gamma, b) for e in eps])
        for name, b in (("plain", None), ("baseline", V))
    }
    return per, ref.exact_policy_gradient(theta, P, R, rho0, gamma)


def test_reinforce_is_unbiased_with_and_without_baseline(mc_gradients):
    per, exact = mc_gradients
    for name, g in per.items():
        se = g.std(0) / len(g) ** 0.5
        z = (g.mean(0) - exact).abs() / se.clamp_min(1e-12)
        assert float(z[:4].max()) < 5, name  # the terminal row is exactly 0 on both sides
        assert torch.equal(g.mean(0)[4], torch.zeros(2, dtype=F64))
    assert float(exact[:4].abs().min()) > 1e-3  # a nontrivial gradient to compare against


def test_baseline_reduces_variance(mc_gradients):
    per, _ = mc_gradients
    plain, based = per["plain"].var(0).sum(), per["baseline"].var(0).sum()
    assert based <= 0.7 * plain  # measured ≈ 0.6


# ----------------------------------------------------------------------------- q5


def test_ppo_clip_against_autograd_and_cases():
    g = torch.Generator().manual_seed(0)
    old = torch.randn(40, generator=g, dtype=F64)
    new = (old + 0.5 * torch.randn(40, generator=g, dtype=F64)).requires_grad_(True)
    adv = torch.randn(40, generator=g, dtype=F64)
    obj = ref.ppo_clip_objective(new, old, adv, 0.2)
    ratio = torch.exp(new.detach() - old)
    naive = np.mean(
        [min(r * a, min(max(r, 0.8), 1.2) * a) for r, a in zip(ratio.tolist(), adv.tolist())]
    )
    assert float(obj.detach()) == pytest.approx(naive, rel=1e-12)
    (grad,) = torch.autograd.grad(obj, new)
    clipped_out = ((adv > 0) & (ratio > 1.2)) | ((adv < 0) & (ratio < 0.8))
    assert torch.all(grad[clipped_out] == 0)
    assert torch.all(grad[~clipped_out] != 0)
    assert float(ref.ppo_clip_objective(old, old, adv, 0.2)) == pytest.approx(float(adv.mean()))
    # a single sample: ρ = e^0.3 > 1.2 with A = 2 is clipped to 2·1.2; with A = −2 it is not
    one = torch.tensor([0.3], dtype=F64)
    zero = torch.zeros(1, dtype=F64)
    two = torch.tensor([2.0], dtype=F64)
    assert ref.ppo_clip_objective(one, zero, two, 0.2).shape == ()
    assert float(ref.ppo_clip_objective(one, zero, two, 0.2)) == pytest.approx(2.4, rel=1e-12)
    assert float(ref.ppo_clip_objective(one, zero, -two, 0.2)) == pytest.approx(
        -2 * np.exp(0.3), rel=1e-12
    )


def test_grpo_and_dpo():
    r = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0], dtype=F64)
    torch.testing.assert_close(ref.grpo_advantages(r), r - 0.6)
    assert abs(float(ref.grpo_advantages(r).sum())) < 1e-15
    g = torch.Generator().manual_seed(1)
    w, l, rw, rl = (torch.randn(20, generator=g, dtype=F64) for _ in range(4))
    naive = -torch.log(torch.sigmoid(0.5 * ((w - rw) - (l - rl)))).mean()
    torch.testing.assert_close(ref.dpo_loss(w, l, rw, rl, 0.5), naive, rtol=1e-12, atol=1e-14)
    assert float(ref.dpo_loss(w, l, w, l, 0.3)) == pytest.approx(np.log(2))
    # extreme margins: stable where the naive form gives inf or 0
    big = torch.tensor([2000.0], dtype=F64)
    zero = torch.zeros(1, dtype=F64)
    assert float(ref.dpo_loss(zero, big, zero, zero, 1.0)) == pytest.approx(2000.0)
    assert float(ref.dpo_loss(big, zero, zero, zero, 1.0)) == 0.0
    lo = ref.dpo_loss(w + 1.0, l, rw, rl, 0.5)
    assert lo < ref.dpo_loss(w, l, rw, rl, 0.5)
    # the smallest batches: one answer in a group (advantage 0), one preference pair
    assert ref.grpo_advantages(torch.tensor([0.7], dtype=F64)).tolist() == [0.0]
    one = [torch.tensor([v], dtype=F64) for v in (-1.0, -2.0, -1.5, -1.5)]
    assert ref.dpo_loss(*one, 0.5).shape == ()
    assert float(ref.dpo_loss(*one, 0.5)) == pytest.approx(np.log1p(np.exp(-0.5)), rel=1e-12)


# ----------------------------------------------------------------------------- q6


def test_figures_carry_their_data():
    P, R = ref.grid_world(4)
    Qs = {gm: ref.value_iteration(P, R, gm)[1] for gm in (0.9, 0.0)}
    fig = ref.plot_grid_q(Qs)
    data = probe_helpers.figure_data(fig)
    plt.close(fig)
    assert data["n_axes"] == 2
    first = {ln["label"]: ln for ln in data["axes"][0]["lines"]}
    assert first["right"]["y"] == Qs[0.0][:, 1].tolist()
    assert first["left"]["x"] == [0, 1, 2, 3]
    curves = {"plain": torch.tensor([[0.0, 1.0, 2.0], [2.0, 3.0, 4.0]], dtype=F64)}
    fig = ref.plot_learning_curves(curves)
    data = probe_helpers.figure_data(fig)
    plt.close(fig)
    (line,) = data["axes"][0]["lines"]
    assert line == {"label": "plain", "x": [1.0, 2.0, 3.0], "y": [1.0, 2.0, 3.0]}


# ------------------------------------------------------------------------ provided cells

_AID = "hw13_rl"


def test_provided_cells_warn_nothing():
    """The template's provided code (setup and include cells, regions stubbed) and the q5
    demonstration cell (run on the reference's definitions) raise no warning at all."""
    import sys
    import types
    import warnings

    from autograder.course import Course
    from autograder.notebook.notebooks import build_notebooks

    from .planted_bugs import REPO

    course = Course(REPO)
    a = course.assignment(_AID)
    built = build_notebooks(a, course.reference_path(_AID).read_text())
    stub = types.ModuleType("autograde_check")
    stub.check = stub.check_all = lambda *args, **kwargs: None
    saved = sys.modules.get("autograde_check")
    sys.modules["autograde_check"] = stub
    dtype = torch.get_default_dtype()
    try:
        for notebook, wanted in (
            (built.student, "def "),
            (built.instructor, "ppo_clip_objective(new"),
        ):
            names: dict = {"__name__": "notebook"}
            for cell in notebook.cells:
                source = cell.source
                if cell.cell_type != "code" or source.startswith("check"):
                    continue
                if "from autograde_check import" in source:
                    source = "\n".join(
                        ln
                        for ln in source.splitlines()
                        if not ln.startswith(("try:", "    ", "except"))
                    )
                    source = "from autograde_check import check, check_all\n" + source
                elif "def " not in source and wanted not in source:
                    continue  # an experiment cell (minutes in all): not run here
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    exec(compile(source, "<cell>", "exec"), names)
                    plt.close("all")
    finally:
        torch.set_default_dtype(dtype)
        if saved is None:
            sys.modules.pop("autograde_check", None)
        else:
            sys.modules["autograde_check"] = saved
