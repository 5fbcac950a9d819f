import math

import torch

from autograder.testing import T1, probe


@probe
def sample(ns, space, n, seed, method):
    return ns.sample_space(space, n, seed, method)


@probe
def sample_run(ns, space, n, seed, method):
    # wrapped, so that an answer of None is a value the test sees, not a missing case
    return {"points": ns.sample_space(space, n, seed, method)}


@probe
def sample_then_unknown(ns, space, n, seed):
    # Halton points, then what an unknown method does: one case, so that raising
    # ValueError earns nothing without a working sampler
    out = {"points": ns.sample_space(space, n, seed, "halton")}
    try:
        ns.sample_space(space, n, seed, "sobol")
        out["an unknown method"] = "no error"
    except ValueError:
        out["an unknown method"] = "ValueError"
    except NotImplementedError:  # a stub: let the grader report "not implemented"
        raise
    except Exception as e:  # a different error type
        out["an unknown method"] = type(e).__name__
    return out


@probe
def radical_inverse(ns, indices, base):
    return [float(ns.halton(i, base)) for i in indices]


def test_q3_halton(grade):
    for i, gen in grade.cases(4):
        space = {"lr": (1e-4, 1.0, "log"), "momentum": (0.0, 0.99, "linear")}
        if i >= 2:
            space["eps"] = (1e-10, 1e-6, "log")
        seed = int(torch.randint(0, 50, (1,), generator=gen))
        n = int(torch.randint(3, 12, (1,), generator=gen))
        grade.compare(
            sample,
            space,
            n,
            seed,
            "halton",
            case=f"halton, {sorted(space)}, n={n}, seed={seed}",
            **T1,
        )


def test_q3_halton_ten_names(grade):
    # as many names as PRIMES has bases: name j uses PRIMES[j], up to the last one
    space = {
        f"h{j}": (1e-3, 1.0, "log") if j % 2 == 0 else (-1.0, 1.0, "linear") for j in range(10)
    }
    grade.compare(sample, space, 4, 7, "halton", case="halton, ten names, n=4, seed=7", **T1)
    grade.compare(
        sample_then_unknown,
        {"lr": (1e-4, 1.0, "log")},
        3,
        2,
        case="halton, then an unknown method raises ValueError",
        **T1,
    )


def test_q3_random(grade):
    for _, gen in grade.cases(2):
        seed = int(torch.randint(0, 1000, (1,), generator=gen))
        space = {"b": (0.5, 2.0, "linear"), "a": (1e-3, 10.0, "log")}
        grade.compare(sample, space, 6, seed, "random", case=f"random, seed={seed}", **T1)


def test_q3_radical_inverse(grade):
    grade.compare(radical_inverse, [1, 2, 3, 4, 5, 6, 7], 2, case="base 2: 1/2, 1/4, 3/4, …", **T1)
    grade.compare(radical_inverse, [1, 2, 3, 4, 10], 3, case="base 3", **T1)


def test_q3_properties(grade):
    space = {"lr": (1e-4, 1.0, "log"), "x": (-1.0, 2.0, "linear")}
    case = "256 Halton points: inside the bounds, log-uniform in lr (KS bound)"
    pts = grade.run(sample_run, space, 256, 0, "halton", case=case)
    if pts is None:
        return
    pts = pts["points"]
    try:
        lr = sorted(float(p["lr"]) for p in pts)
        x = [float(p["x"]) for p in pts]
        inside = all(1e-4 <= v <= 1.0 for v in lr) and all(-1.0 <= v <= 2.0 for v in x)
        z = [(math.log(v) - math.log(1e-4)) / -math.log(1e-4) for v in lr]
        ks = max(max((i + 1) / 256 - v, v - i / 256) for i, v in enumerate(z))
        # Halton points are computed in Python floats (no kernels): the reference's KS
        # distance is 0.0039 under every CPU setting, against the bound 0.1019.
        ok = inside and len(pts) == 256 and ks < 1.63 / 16
        msg = (
            "a sample lies outside its bounds"
            if not inside
            else f"KS distance {ks:.3f} of log10(lr) from uniform is too large (scale 'log' means uniform in log space)"
        )
    except Exception as e:
        ok, msg = False, f"could not read the samples: {e}"
    grade.check(ok, case=case, message=msg)
