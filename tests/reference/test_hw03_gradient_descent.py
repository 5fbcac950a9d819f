"""hw03_gradient_descent: the reference cross-checked against independent oracles.

Oracles: torch.autograd (gradient), torch.optim.SGD (the GD trajectory),
torch.linalg.eigvalsh (λ_max, eigenvalues of the 2-D quadratic), brute-force simulation
(iteration counts), and the lecture's theory (stability threshold, κ·ln(1/tol)/2).
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import pytest
import torch

from solutions import hw03_gradient_descent as ref


def _problem(seed: int, n: int = 25, p: int = 5):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, p, generator=g, dtype=torch.float64)
    y = torch.randn(n, generator=g, dtype=torch.float64)
    w = torch.randn(p, generator=g, dtype=torch.float64)
    return X, y, w


@pytest.mark.parametrize("seed", range(3))
def test_loss_and_gradient_match_autograd(seed):
    X, y, w = _problem(seed)
    w = w.requires_grad_()
    loss = 0.5 * ((X @ w - y) ** 2).sum()
    (grad,) = torch.autograd.grad(loss, w)
    torch.testing.assert_close(ref.ls_loss(X, y, w.detach()), loss.detach(), rtol=1e-12, atol=0)
    torch.testing.assert_close(ref.ls_gradient(X, y, w.detach()), grad, rtol=1e-12, atol=1e-12)


def test_gradient_memory_wall_is_cheap():
    # (4, 40 000): XᵀX would be 12.8 GB = 1.28e10 bytes, the lecture's "memory wall"
    assert 40_000**2 * 8 == 12_800_000_000
    g = torch.Generator().manual_seed(0)
    X = torch.randn(4, 40_000, generator=g, dtype=torch.float64)
    y = torch.randn(4, generator=g, dtype=torch.float64)
    w = torch.randn(40_000, generator=g, dtype=torch.float64)
    expected = sum(X[i] * (X[i] @ w - y[i]) for i in range(4))  # Σᵢ xᵢ rᵢ, row by row
    torch.testing.assert_close(ref.ls_gradient(X, y, w), expected, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("scale", [0.1, 1.0, 1.8])
def test_gradient_descent_matches_torch_optim_sgd(scale):
    X, y, _ = _problem(7)
    lam = float(torch.linalg.eigvalsh(X.T @ X)[-1])
    step = scale / lam
    out = ref.gradient_descent(X, y, step, 25)
    w = torch.zeros(X.shape[1], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=step)
    traj, losses = [w.detach().clone()], []
    for _ in range(25):
        opt.zero_grad()
        loss = 0.5 * ((X @ w - y) ** 2).sum()
        losses.append(loss.item())
        loss.backward()
        opt.step()
        traj.append(w.detach().clone())
    losses.append(0.5 * float(((X @ traj[-1] - y) ** 2).sum()))
    torch.testing.assert_close(out["iterates"], torch.stack(traj), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(out["w"], traj[-1], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(
        out["loss"], torch.tensor(losses, dtype=torch.float64), rtol=1e-10, atol=1e-12
    )
    # f* from the normal equations (independent of lstsq)
    w_star = torch.linalg.solve(X.T @ X, X.T @ y)
    f_star = 0.5 * float(((X @ w_star - y) ** 2).sum())
    rel = (torch.tensor(losses, dtype=torch.float64) - f_star) / (losses[0] - f_star)
    torch.testing.assert_close(out["rel_loss"], rel, rtol=1e-6, atol=1e-9)


def test_step_size_regimes_follow_the_theory():
    X, y, _ = _problem(3, n=30, p=4)
    lam = float(torch.linalg.eigvalsh(X.T @ X)[-1])
    small = ref.gradient_descent(X, y, 1.0 / lam, 30)["loss"]
    assert bool((small[1:] <= small[:-1] * (1 + 1e-12)).all())
    assert ref.gradient_descent(X, y, 1.8 / lam, 300)["rel_loss"][-1].abs() < 1e-6
    big = ref.gradient_descent(X, y, 2.2 / lam, 30)["loss"]
    assert big[-1] > 100 * big[0]


@pytest.mark.parametrize("seed", range(3))
def test_power_iteration_matches_eigvalsh(seed):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(20, 5, generator=g, dtype=torch.float64)
    ev = torch.linalg.eigvalsh(X.T @ X)
    assert ev[-1] / ev[-2] > 1.05  # a gap, so 2000 iterations converge
    lam = ref.lambda_max_power(X, n_iter=2000, generator=torch.Generator().manual_seed(1))
    assert lam == pytest.approx(float(ev[-1]), rel=1e-10)
    step = ref.max_stable_step(X, n_iter=2000, generator=torch.Generator().manual_seed(1))
    assert step == pytest.approx(2 / float(ev[-1]), rel=1e-10)


def test_power_iteration_pins_its_random_call():
    X = torch.diag(torch.tensor([2.0, 1.0], dtype=torch.float64))
    g = torch.Generator().manual_seed(5)
    ref.lambda_max_power(X, n_iter=3, generator=g)
    after = torch.randn(1, generator=g, dtype=torch.float64)
    g2 = torch.Generator().manual_seed(5)
    torch.randn(2, generator=g2, dtype=torch.float64)
    assert torch.equal(after, torch.randn(1, generator=g2, dtype=torch.float64))


@pytest.mark.parametrize("kappa", [2.0, 50.0])
@pytest.mark.parametrize("theta", [0.5236, 1.1])
def test_make_quadratic_spectrum(kappa, theta):
    A = ref.make_quadratic(kappa, lam_max=3.0, theta=theta)
    ev, vecs = torch.linalg.eigh(A)
    torch.testing.assert_close(ev, torch.tensor([3.0 / kappa, 3.0], dtype=torch.float64))
    top = torch.tensor([math.cos(theta), math.sin(theta)], dtype=torch.float64)
    assert abs(float(vecs[:, 1] @ top)) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("kappa,scale", [(2.0, 0.1), (2.0, 1.8), (50.0, 0.1), (50.0, 1.8)])
def test_gd_path_matches_eigen_coordinates(kappa, scale):
    # closed form: each eigen-coordinate is multiplied by (1 − αλᵢ) per step
    A = ref.make_quadratic(kappa)
    ev, Q = torch.linalg.eigh(A)
    w0 = torch.tensor([1.0, 0.6], dtype=torch.float64)
    path = ref.gd_path_2d(A, w0, scale, 30)
    k = torch.arange(31, dtype=torch.float64).unsqueeze(1)
    coords = (Q.T @ w0) * (1 - scale * ev) ** k
    torch.testing.assert_close(path, coords @ Q.T, rtol=1e-10, atol=1e-13)
    assert ref.contraction_factor(A, scale) == pytest.approx(
        float((1 - scale * ev).abs().max()), rel=1e-13
    )


def test_zigzag_and_late_ratio():
    A = ref.make_quadratic(50.0)
    path = ref.gd_path_2d(A, torch.tensor([1.0, 1.0], dtype=torch.float64), 1.8, 80)
    norms = path.norm(dim=1)
    assert abs(float(norms[-1] / norms[-2]) - ref.contraction_factor(A, 1.8)) < 1e-3
    top = path[:20] @ torch.tensor([math.cos(0.5236), math.sin(0.5236)], dtype=torch.float64)
    assert bool((top[1:] * top[:-1] < 0).all())


def _brute_force_count(kappa, scale, tol=1e-6, max_iter=100_000):
    A = ref.make_quadratic(kappa)
    ev, Q = torch.linalg.eigh(A)  # ascending: (1/κ, 1)
    w = Q @ ev.rsqrt()  # eigen-coordinates λᵢ^{-1/2}: equal initial loss per direction
    f0 = 0.5 * float(w @ A @ w)
    for k in range(max_iter + 1):
        if 0.5 * float(w @ A @ w) <= tol * f0:
            return k
        w = w - scale * (A @ w)
    return max_iter


@pytest.mark.parametrize("kappa,scale", [(2.0, 0.5), (10.0, 1.0), (50.0, 1.8), (100.0, 0.7)])
def test_iterations_to_tol_matches_simulation(kappa, scale):
    assert ref.iterations_to_tol(kappa, scale) == _brute_force_count(kappa, scale)


def test_iterations_grow_linearly_in_kappa():
    counts = [ref.iterations_to_tol(k, 1.0) for k in (2.0, 5.0, 10.0, 30.0, 100.0)]
    assert counts == sorted(counts) and len(set(counts)) == 5
    # theory: about (κ/2)·ln(1/(2 tol)) at α = 1/λ_max
    for kappa, n in zip((10.0, 100.0), (counts[2], counts[4])):
        assert n == pytest.approx(kappa / 2 * math.log(1 / 2e-6), rel=0.06)
    assert 8 <= counts[4] / counts[2] <= 13
    assert ref.iterations_to_tol(10.0, 2.0, max_iter=500) == 500  # divergent step


def test_figures_carry_their_data():
    from autograder.runtime.probe_helpers import figure_data

    p = torch.tensor([[1.0, 0.5], [-0.5, 0.4]], dtype=torch.float64)
    fig = ref.plot_zigzag({(2.0, 0.1): p, (2.0, 1.8): p, (50.0, 0.1): p, (50.0, 1.8): 2 * p})
    data = figure_data(fig)
    assert data["n_axes"] == 4
    assert data["axes"][3]["lines"][0]["x"] == [2.0, -1.0]
    c = torch.tensor([1.0, 0.1, 0.01], dtype=torch.float64)
    data = figure_data(ref.plot_convergence({0.1: c, 1.8: c}, {10.0: c}))
    assert data["n_axes"] == 2 and data["axes"][0]["yscale"] == "log"
    assert [ln["label"] for ln in data["axes"][0]["lines"]] == ["α = 0.1/λ_max", "α = 1.8/λ_max"]
    assert data["axes"][1]["lines"][0]["y"] == pytest.approx([1.0, 0.1, 0.01])
