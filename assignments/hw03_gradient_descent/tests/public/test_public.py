import torch

from autograder.testing import T0, T1, T2, probe, probe_helpers


@probe
def loss_and_gradient(ns, X, y, w):
    torch.set_num_threads(1)
    return {"loss": ns.ls_loss(X, y, w), "gradient": ns.ls_gradient(X, y, w)}


@probe
def gd_run(ns, X, y, step, n_steps):
    torch.set_num_threads(1)
    out = ns.gradient_descent(X, y, step, n_steps)
    return {"w": out["w"], "iterates": out["iterates"], "loss": out["loss"]}


@probe
def gd_rel(ns, X, y, step, n_steps):
    torch.set_num_threads(1)
    return ns.gradient_descent(X, y, step, n_steps)["rel_loss"]


@probe
def power(ns, X):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    return {
        "lam": float(ns.lambda_max_power(X, generator=g)),
        "step": float(ns.max_stable_step(X, generator=torch.Generator().manual_seed(0))),
    }


@probe
def power_steps(ns, X, n_iter):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    return float(ns.lambda_max_power(X, n_iter=n_iter, generator=g))


@probe
def lab(ns, kappa, step):
    torch.set_num_threads(1)
    A = ns.make_quadratic(kappa)
    return {
        "A": A,
        "path": ns.gd_path_2d(A, torch.tensor([1.0, 0.5], dtype=torch.float64), step, 5),
        "rho": float(ns.contraction_factor(A, step)),
    }


@probe
def count(ns, kappa, scale):
    return int(ns.iterations_to_tol(kappa, scale))


@probe
def convergence_figure(ns):
    def labelled(data):
        # only the labelled lines, which the docstring names: extra markers and
        # reference lines (unlabelled) are fine
        for ax in data.get("axes", []):
            ax["lines"] = [line for line in ax["lines"] if line["label"]]
        return data

    curve = torch.tensor([1.0, 0.5, 0.25], dtype=torch.float64)
    fig = ns.plot_convergence({1.0: curve}, {10.0: curve / 2})
    data = labelled(probe_helpers.figure_data(fig))
    ns.plt.close(fig)
    return data


@probe
def zigzag_figure(ns):
    def labelled(data):
        # only the labelled lines, which the docstring names: extra markers and
        # reference lines (unlabelled) are fine
        for ax in data.get("axes", []):
            ax["lines"] = [line for line in ax["lines"] if line["label"]]
        return data

    p = torch.tensor([[1.0, 0.5], [-0.5, 0.4], [0.3, 0.3]], dtype=torch.float64)
    fig = ns.plot_zigzag({(2.0, 0.1): p, (2.0, 1.8): p, (50.0, 0.1): p, (50.0, 1.8): -p})
    data = labelled(probe_helpers.figure_data(fig))
    ns.plt.close(fig)
    return data


X3 = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=torch.float64)
y3 = torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64)


def test_q1_small(grade):
    w = torch.tensor([0.5, -1.0], dtype=torch.float64)
    grade.compare(loss_and_gradient, X3, y3, w, case="3×2 X, w = (0.5, −1)", **T1)


def test_q2_small(grade):
    grade.compare(gd_run, X3, y3, 0.01, 5, case="3×2 X, α = 0.01, 5 steps", **T1)
    grade.compare(gd_rel, X3, y3, 0.01, 5, case="3×2 X, α = 0.01, 5 steps: rel_loss", **T2)


def test_q3_small(grade):
    X = torch.diag(torch.tensor([3.0, 1.0], dtype=torch.float64))
    grade.compare(power, X, case="X = diag(3, 1): λ_max = 9", **T2)
    X = torch.tensor([[2.0, 1.0], [1.0, 1.5], [0.0, 1.0]], dtype=torch.float64)
    grade.compare(power_steps, X, 2, case="a 3×2 X, n_iter = 2 (exactly two steps)", **T2)


def test_q4_small(grade):
    grade.compare(lab, 50.0, 1.8, case="κ = 50, α = 1.8/λ_max", **T1)


def test_q5_small(grade):
    grade.compare(count, 10.0, 1.0, case="κ = 10, α = 1/λ_max", **T0)


def test_q6_small(grade):
    grade.compare(convergence_figure, case="plot_convergence with one curve per panel", **T1)
    grade.compare(zigzag_figure, case="plot_zigzag on a 2×2 grid", **T1)
