import torch

from autograder.testing import T1, probe, probe_helpers

X = torch.tensor([1.0, 2.0, 4.0, 7.0, 11.0], dtype=torch.float64)


@probe
def q1_run(ns, x):
    return ns.sgd_mean(x, 0.5, 6, 0.0, 2, torch.Generator().manual_seed(0))


@probe
def q2_values(ns):
    return {
        "mean": float(ns.mean_closed_form(0.0, 2.0, 0.1, 10)),
        "mse": float(ns.mse_closed_form(0.0, 2.0, 1.0, 0.1, 10, 4)),
        "floor_eta1": float(ns.mse_floor(1.0, 1.0)),
        "floor": float(ns.mse_floor(2.0, 0.1, 4)),
    }


@probe
def q3_mc(ns, x):
    return ns.mse_monte_carlo(x, 0.3, 8, 1.0, 2, 5, torch.Generator().manual_seed(1))


@probe
def q4_pieces(ns, x):
    idx = torch.tensor([0, 0, 3], dtype=torch.int64)
    return {
        "g": ns.minibatch_gradient(x, 1.5, idx),
        "var": float(ns.gradient_variance_theory(x, 4)),
    }


@probe
def q5_pieces(ns, x):
    out = ns.compare_batch_vs_steps(x, 0.2, 2, 5, 4, torch.Generator().manual_seed(2))
    return {
        "decaying": ns.sgd_decaying(x, 6, 10.0, torch.Generator().manual_seed(3)),
        "batch": float(out["batch"]),
        "single": float(out["single"]),
    }


@probe
def q6_figures(ns):
    def labelled(data):
        # only the labelled lines, which the docstring names: extra markers and
        # reference lines (unlabelled) are fine
        for ax in data.get("axes", []):
            ax["lines"] = [line for line in ax["lines"] if line["label"]]
        return data

    c = torch.tensor([1.0, 0.5, 0.3, 0.25], dtype=torch.float64)
    f1 = ns.plot_noise_floor({0.1: c}, {0.1: c * 0.9}, c / 2)
    f2 = ns.plot_minibatch({1: (5e-4, c), 100: (5e-2, c / 3)})
    data = [labelled(probe_helpers.figure_data(f1)), labelled(probe_helpers.figure_data(f2))]
    ns.plt.close(f1)
    ns.plt.close(f2)
    return data


def test_q1_small(grade):
    grade.compare(q1_run, X, case="5 points, η = 0.5, B = 2, seed 0", **T1)


def test_q2_small(grade):
    grade.compare(q2_values, case="w₀ = 0, μ = 2, η = 0.1, k = 10", **T1)


def test_q3_small(grade):
    grade.compare(q3_mc, X, case="5 runs, 8 steps, seed 1", **T1)


def test_q4_small(grade):
    grade.compare(q4_pieces, X, case="idx = (0, 0, 3); σ²/4", **T1)


def test_q5_small(grade):
    grade.compare(q5_pieces, X, case="decaying from w₀ = 10; batch vs steps", **T1)


def test_q6_small(grade):
    grade.compare(q6_figures, case="both figures on 4-point curves", **T1)
