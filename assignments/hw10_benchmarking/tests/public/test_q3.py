from autograder.testing import T1, probe


@probe
def sample(ns, space, n, seed, method):
    return ns.sample_space(space, n, seed, method)


def test_q3_public(grade):
    space = {"lr": (1e-3, 1.0, "log"), "beta": (0.0, 1.0, "linear")}
    grade.compare(sample, space, 4, 0, "halton", case="4 Halton points, seed 0", **T1)
