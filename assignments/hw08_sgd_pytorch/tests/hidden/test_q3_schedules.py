import torch

from autograder.testing import T1, probe


@probe
def values(ns, kind, n, lr0, kw):
    return ns.schedule_values(kind, n, lr0, **kw)


@probe
def single(ns, kind, ks, lr0, kw):
    return [float(ns.lr_schedule(kind, k, lr0, **kw)) for k in ks]


@probe
def values_run(ns, kind, n, lr0, kw):
    # wrapped, so that an answer of None is a value the test sees, not a missing case
    return {"lr": ns.schedule_values(kind, n, lr0, **kw)}


@probe
def step_then_unknown(ns, ks):
    # the step schedule's values, then what an unknown kind does: one case, so that
    # raising ValueError earns nothing without a working schedule
    out = {"step": [float(ns.lr_schedule("step", k, 0.1, s=10, gamma=0.5)) for k in ks]}
    try:
        ns.lr_schedule("no_such_schedule", 3, 0.1)
        out["an unknown kind"] = "no error"
    except ValueError:
        out["an unknown kind"] = "ValueError"
    except NotImplementedError:  # a stub: let the grader report "not implemented"
        raise
    except Exception as e:  # a different error type
        out["an unknown kind"] = type(e).__name__
    return out


def _random_kw(kind, gen):
    u = float(torch.rand(1, generator=gen))
    if kind == "step":
        return {
            "s": int(torch.randint(2, 9, (1,), generator=gen)),
            "gamma": round(0.2 + 0.7 * u, 3),
        }
    if kind == "exponential":
        return {"gamma": round(0.8 + 0.19 * u, 3)}
    if kind == "inverse_time":
        return {"beta": round(0.05 + u, 3)}
    T = int(torch.randint(10, 40, (1,), generator=gen))
    if kind == "cosine":
        return {"T_max": T, "eta_min": round(1e-3 * (1 + 10 * u), 5)}
    return {"warmup": int(torch.randint(2, 6, (1,), generator=gen)), "T_max": T, "eta_min": 1e-4}


KINDS = ["step", "exponential", "inverse_time", "cosine", "warmup_cosine"]


def test_q3_schedule_values(grade):
    for i, gen in grade.cases(5):
        kind = KINDS[i]
        kw = _random_kw(kind, gen)
        lr0 = round(float(torch.rand(1, generator=gen)) * 0.5 + 0.01, 4)
        n = 45
        grade.compare(values, kind, n, lr0, kw, case=f"{kind}, lr0={lr0}, {kw}, {n} steps", **T1)


def test_q3_lr_schedule_points(grade):
    for i, gen in grade.cases(5):
        kind = KINDS[(i + 2) % 5]
        kw = _random_kw(kind, gen)
        ks = sorted(set(torch.randint(0, 60, (6,), generator=gen).tolist()))
        grade.compare(single, kind, ks, 0.3, kw, case=f"{kind} at k={ks}, {kw}", **T1)


def test_q3_lecture_cases(grade):
    # the notes' cosine: 0.1 → 1e-3 over 50 epochs; step: halve every 10
    grade.compare(
        values,
        "cosine",
        51,
        0.1,
        {"T_max": 50, "eta_min": 1e-3},
        case="cosine 0.1→1e-3, K=50",
        **T1,
    )
    grade.compare(
        step_then_unknown,
        [0, 9, 10, 19, 20, 30],
        case="step: drops at multiples of s=10, and an unknown kind raises ValueError",
        **T1,
    )


def test_q3_cosine_properties(grade):
    for lr0, K, eta in [(0.5, 30, 0.01), (0.1, 17, 0.0)]:
        case = f"cosine properties, lr0={lr0}, K={K}, eta_min={eta}"
        v = grade.run(values_run, "cosine", K + 1, lr0, {"T_max": K, "eta_min": eta}, case=case)
        if v is None:
            continue
        v = v["lr"]
        ok = isinstance(v, torch.Tensor) and v.shape == (K + 1,)
        msg = "expected a tensor of shape (K+1,)"
        if ok:
            if abs(float(v[0]) - lr0) > 1e-12:
                ok, msg = False, f"starts at {float(v[0])}, not lr0={lr0}"
            elif abs(float(v[-1]) - eta) > 1e-12:
                ok, msg = False, f"ends at {float(v[-1])}, not eta_min={eta} at k=K"
            elif not bool((v[1:] <= v[:-1] + 1e-15).all()):
                ok, msg = False, "the cosine schedule increases somewhere on [0, K]"
        grade.check(ok, case=case, message=msg)
