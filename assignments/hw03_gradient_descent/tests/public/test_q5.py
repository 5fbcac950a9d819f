from autograder.testing import T0, probe


@probe
def count(ns, kappa, scale):
    return int(ns.iterations_to_tol(kappa, scale))


def test_q5_small(grade):
    grade.compare(count, 10.0, 1.0, case="κ = 10, α = 1/λ_max", **T0)
