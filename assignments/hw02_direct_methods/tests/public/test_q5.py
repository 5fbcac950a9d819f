from autograder.testing import T1, probe


@probe
def problem_of(ns, kappa, n, p, seed):
    X, y, w = ns.make_problem(kappa, n, p, seed)
    return {"X": X, "y": y, "w_true": w}


def test_q5_public(grade):
    grade.compare(problem_of, 100.0, 6, 3, 0, case="make_problem(100, 6, 3, seed=0)", **T1)
