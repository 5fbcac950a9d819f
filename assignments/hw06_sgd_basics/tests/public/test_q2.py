from autograder.testing import T1, probe


@probe
def q2_values(ns):
    return {
        "mean": float(ns.mean_closed_form(0.0, 2.0, 0.1, 10)),
        "mse": float(ns.mse_closed_form(0.0, 2.0, 1.0, 0.1, 10, 4)),
        "floor_eta1": float(ns.mse_floor(1.0, 1.0)),
        "floor": float(ns.mse_floor(2.0, 0.1, 4)),
    }


def test_q2_small(grade):
    grade.compare(q2_values, case="w₀ = 0, μ = 2, η = 0.1, k = 10", **T1)
