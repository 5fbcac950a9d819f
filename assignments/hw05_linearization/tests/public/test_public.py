import torch

from autograder.testing import T1, probe, probe_helpers

W = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=torch.float64)
V = torch.tensor([[0.0, 1.0], [1.0, 0.0], [2.0, -1.0]], dtype=torch.float64)
G = torch.tensor([[1.0, 2.0], [0.0, -1.0]], dtype=torch.float64)


@probe
def q1_maps(ns, W, V, G):
    return {
        "jvp_gram": ns.jvp_gram(W, V),
        "vjp_gram": ns.vjp_gram(W, G),
        "jvp_outer": ns.jvp_outer(W, V, V, W),
    }


@probe
def q2_linear(ns, A):
    J1 = ns.jacobian_from_jvp(lambda v: A @ v, (A.shape[1],), (A.shape[0],))
    J2 = ns.jacobian_from_vjp(lambda u: A.T @ u, (A.shape[1],), (A.shape[0],))
    return {"from_jvp": J1, "from_vjp": J2}


@probe
def q3_two_layers(ns, A, x, v, u):
    layers = [
        (lambda z: A @ z, lambda z, t: A @ t, lambda z, c: A.T @ c),
        (lambda z: z * z, lambda z, t: 2 * z * t, lambda z, c: 2 * z * c),
    ]
    return {"jvp": ns.chain_jvp(layers, x, v), "vjp": ns.chain_vjp(layers, x, u)}


@probe
def q4_least_squares(ns, X, y, w):
    Js = list(ns.least_squares_jacobians(X, y, w))
    return {"jacobians": Js, "composed": ns.compose(Js)}


@probe
def q5_pieces(ns):
    x = torch.tensor([0.5, -1.0], dtype=torch.float64)
    v = torch.tensor([1.0, 2.0], dtype=torch.float64)
    hs = torch.tensor([0.1, 0.01], dtype=torch.float64)
    errs = ns.linearization_error(lambda z: (z**3).sum(), lambda z: 3 * z**2, x, v, hs)
    return {
        "errs": errs,
        "slope": float(ns.loglog_slope(hs, errs)),
        "bad": [ns.bad_f(torch.tensor(p, dtype=torch.float64)) for p in ([1.0, 2.0], [0.0, 0.0])],
    }


@probe
def q6_tangent(ns):
    def labelled(data):
        # only the labelled lines, which the docstring names: extra markers and
        # reference lines (unlabelled) are fine
        for ax in data.get("axes", []):
            ax["lines"] = [line for line in ax["lines"] if line["label"]]
        return data

    xs = torch.linspace(-1.0, 2.0, 4, dtype=torch.float64)
    fig = ns.plot_tangent(lambda x: 5 * x**3 - 2 * x + 7, lambda x: 15 * x**2 - 2, 1.0, xs)
    data = labelled(probe_helpers.figure_data(fig))
    ns.plt.close(fig)
    return data


@probe
def q6_errors(ns):
    def labelled(data):
        # only the labelled lines, which the docstring names: extra markers and
        # reference lines (unlabelled) are fine
        for ax in data.get("axes", []):
            ax["lines"] = [line for line in ax["lines"] if line["label"]]
        return data

    hs = torch.tensor([0.1, 0.01, 0.001], dtype=torch.float64)
    fig = ns.plot_linearization_error({"smooth": (hs, hs**2), "flat": (hs, 0.5 + 0 * hs)})
    data = labelled(probe_helpers.figure_data(fig))
    ns.plt.close(fig)
    return data


def test_q1_small(grade):
    grade.compare(q1_maps, W, V, G, case="3×2 W and V, 2×2 G", **T1)


def test_q2_small(grade):
    grade.compare(q2_linear, W, case="x ↦ Wx for the 3×2 W", **T1)


def test_q3_small(grade):
    x = torch.tensor([1.0, -1.0], dtype=torch.float64)
    u = torch.tensor([1.0, 0.0, 2.0], dtype=torch.float64)
    grade.compare(q3_two_layers, W, x, x.flip(0), u, case="x ↦ (Wx)⊙(Wx)", **T1)


def test_q4_small(grade):
    y = torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64)
    w = torch.tensor([0.5, 0.5], dtype=torch.float64)
    grade.compare(q4_least_squares, W, y, w, case="3×2 X", **T1)


def test_q5_small(grade):
    grade.compare(q5_pieces, case="f = Σ z³; bad_f at (1, 2) and (0, 0)", **T1)


def test_q6_small(grade):
    grade.compare(q6_tangent, case="tangent to 5x³ − 2x + 7 at a = 1", **T1)
    grade.compare(q6_errors, case="error figure with two curves", **T1)
