from autograder.testing import T1, probe


@probe
def values(ns, kind, n, lr0, kw):
    return ns.schedule_values(kind, n, lr0, **kw)


def test_q3_public(grade):
    grade.compare(values, "step", 8, 1.0, {"s": 3, "gamma": 0.5}, case="step, s=3, γ=0.5", **T1)
    grade.compare(values, "cosine", 5, 1.0, {"T_max": 4, "eta_min": 0.0}, case="cosine, K=4", **T1)
    grade.compare(
        values,
        "warmup_cosine",
        8,
        1.0,
        {"warmup": 3, "T_max": 7, "eta_min": 0.1},
        case="warmup 3 then cosine",
        **T1,
    )
