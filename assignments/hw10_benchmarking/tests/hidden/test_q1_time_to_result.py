import torch

from autograder.testing import T0, T1, probe


@probe
def ttr(ns, curve, target, times, mode):
    return float(ns.time_to_result(curve, target, times, mode))


@probe
def ttr_then_unknown(ns, curve, target, times):
    # a valid call, then what an unknown mode does: one case, so that raising ValueError
    # earns nothing without a working time-to-result
    out = {"mode max": float(ns.time_to_result(curve, target, times, "max"))}
    try:
        ns.time_to_result(curve, target, times, "median")
        out["an unknown mode"] = "no error"
    except ValueError:
        out["an unknown mode"] = "ValueError"
    except NotImplementedError:  # a stub: let the grader report "not implemented"
        raise
    except Exception as e:  # a different error type
        out["an unknown mode"] = type(e).__name__
    return out


@probe
def running_best(ns, curve, mode):
    return ns.best_so_far(curve, mode)


@probe
def both(ns, curve, target, mode):
    b = ns.best_so_far(curve, mode)
    return {
        "raw": float(ns.time_to_result(curve, target, None, mode)),
        "best": float(ns.time_to_result(b, target, None, mode)),
        "running best": b,
    }


def test_q1_time_to_result(grade):
    for i, gen in grade.cases(5):
        T = int(torch.randint(5, 30, (1,), generator=gen))
        curve = torch.randn(T, generator=gen, dtype=torch.float64).cumsum(0)
        mode = "min" if i % 2 == 0 else "max"
        if i < 3:
            # the target equals the curve's best value up to T // 2: reached exactly there
            # (a tie counts as reached), never at index 0 or 1 (a constant answer)
            curve[:2] = curve.max() + 1 if mode == "min" else curve.min() - 1
            head = curve[: T // 2 + 1]
            target = float(head.min() if mode == "min" else head.max())
            what = "target = a point of the curve"
        else:
            target = round(float(curve[T // 2]), 6)
            what = "target between points"
        times = torch.rand(T, generator=gen, dtype=torch.float64).cumsum(0) if i % 2 else None
        grade.compare(
            ttr,
            curve,
            target,
            times,
            mode,
            case=f"T={T}, mode {mode}, {what}, times {'given' if times is not None else 'None'}",
            **T1,
        )


def test_q1_edge_cases(grade):
    c = torch.tensor([0.5, 0.4, 0.4, 0.2, 0.3], dtype=torch.float64)
    steps = torch.tensor([25.0, 50.0, 75.0, 100.0, 125.0], dtype=torch.float64)
    grade.compare(ttr, c, 0.6, steps, "min", case="reached at the first point", **T0)
    grade.compare(ttr, c, 0.1, steps, "min", case="never reached: inf", **T0)
    grade.compare(ttr, c, 0.4, steps, "min", case="a tie with the target counts as reached", **T0)
    # reached at index 3, not 0: an answer of 0 (or of 1) must not pass this case
    rising = torch.tensor([0.1, 0.3, 0.2, 0.5, 0.4], dtype=torch.float64)
    grade.compare(ttr, rising, 0.45, None, "max", case="mode max, no times: the index", **T0)
    grade.compare(
        ttr_then_unknown,
        rising,
        0.45,
        steps,
        case="mode max with times, then an unknown mode ('median') raises ValueError",
        **T0,
    )


def test_q1_best_so_far(grade):
    for i, gen in grade.cases(4):
        T = int(torch.randint(3, 25, (1,), generator=gen))
        curve = torch.randn(T, generator=gen, dtype=torch.float64)
        mode = ["min", "max"][i % 2]
        grade.compare(running_best, curve, mode, case=f"T={T}, mode {mode}", **T1)


def test_q1_properties(grade):
    for mode in ("min", "max"):
        curve = torch.tensor([3.0, 1.0, 2.0, 0.5, 4.0, 0.1], dtype=torch.float64)
        if mode == "max":
            curve = -curve
        target = 0.3 if mode == "min" else -0.3
        case = f"best_so_far is monotone and has the same time-to-result ({mode})"
        got = grade.run(both, curve, target, mode, case=case)
        if got is None:
            continue
        b = got["running best"]
        if not (isinstance(b, torch.Tensor) and b.shape == curve.shape):
            grade.check(
                False, case=case, message=f"expected a running best of shape {tuple(curve.shape)}"
            )
            continue
        mono = bool((b[1:] <= b[:-1]).all()) if mode == "min" else bool((b[1:] >= b[:-1]).all())
        ok = mono and got["raw"] == got["best"] == 5.0
        grade.check(
            ok,
            case=case,
            message=f"running best {b.tolist()}, time-to-result {got['raw']} "
            f"(raw) vs {got['best']} (running best), expected monotone and 5.0 for both",
        )
