"""q3: the peak-memory model (T0), its best k, and the hook measurement (T0, bytes)."""

import math

import torch

from autograder.testing import T0, T1, Tolerance, assignment_helpers, compare, probe
from autograder.untrusted_text import escape_markdown

helpers = assignment_helpers(__file__)


@probe
def model(ns, n, ks):
    return [int(ns.peak_saved_units(n, k)) for k in ks]


@probe
def best(ns, ns_list):
    return [int(ns.best_n_segments(n)) for n in ns_list]


# measure_peak_bytes runs q2's checkpointed_forward and segment_bounds by design. The
# probe swaps segment_bounds, in the notebook's namespace and for the duration of the
# call, for the reference's bounds on exactly the (n, k) it measures (values, not code),
# and feeds an input that requires grad (so the first segment's backward runs whether or
# not q2 passes the parameters to apply). What else of q2 it uses is named in the note.
@probe
def measured(ns, n, width, batch, ks, seed, bounds):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    layers = helpers.tanh_stack(n, width, g)
    x = torch.randn(batch, width, generator=g).requires_grad_(True)
    table = {(int(n), int(k)): [int(b) for b in bs] for k, bs in zip(ks, bounds)}
    restore = helpers.swap_segment_bounds(ns, "measure_peak_bytes", table)
    try:
        return [int(ns.measure_peak_bytes(layers, x, k)) for k in ks]
    finally:
        restore()


@probe
def measured_side_effects(ns, n, width, batch, k, seed, bounds):
    # what measure_peak_bytes leaves behind: the hooks it registered (there should be none
    # left) and the parameters' .grad, next to the .grad that the notebook's own
    # checkpointed_forward gives for out.backward(torch.ones_like(out)) (so that a q2 bug
    # is not charged here); segment_bounds is swapped as in `measured`
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    F64 = torch.float64
    layers = helpers.tanh_stack(n, width, g, F64)
    x = torch.randn(batch, width, generator=g, dtype=F64).requires_grad_(True)
    params = list(layers.parameters())
    table = {(int(n), int(k)): [int(b) for b in bounds]}

    def hooks():
        kinds = ("_forward_pre_hooks", "_forward_hooks", "_backward_pre_hooks", "_backward_hooks")
        found = sum(len(getattr(m, a, {})) for m in layers.modules() for a in kinds)
        glob = torch.nn.modules.module
        return found + sum(len(getattr(glob, "_global" + a, {})) for a in kinds)

    def grads():
        return [None if t.grad is None else t.grad.detach().clone() for t in params]

    restore = helpers.swap_segment_bounds(ns, "measure_peak_bytes", table)
    try:
        before = hooks()
        nbytes = int(ns.measure_peak_bytes(layers, x, k))
        left = hooks() - before
        after = grads()
        for t in [x, *params]:
            t.grad = None
        try:
            out = ns.checkpointed_forward(layers, x, k)
            out.backward(torch.ones_like(out))
            expected = grads()
        except Exception as exc:
            expected = f"checkpointed_forward raised {type(exc).__name__}"
    finally:
        restore()
    return {
        "bytes": nbytes,
        "hooks left": int(left),
        "grads after measure_peak_bytes": after,
        "grads of checkpointed_forward": expected,
    }


@probe
def reference_bounds(ns, n, ks):
    return [[int(b) for b in ns.segment_bounds(n, k)] for k in ks]


def test_q3_peak_model(grade):
    grade.compare(
        model,
        16,
        [1, 2, 4, 8, 16],
        case="lecture case: n=16, k=1,2,4,8,16 (18, 11, 9, 11, 18)",
        **T0,
    )
    for _i, gen in grade.cases(4):
        n = int(torch.randint(1, 65, (1,), generator=gen))
        ks = sorted({int(v) for v in torch.randint(1, n + 1, (4,), generator=gen)})
        grade.compare(model, n, ks, case=f"n={n}, k in {ks}", **T0)


def test_q3_best_k(grade):
    grade.compare(best, [16, 1, 2, 3], case="n = 16 (k = 4), 1, 2, 3", **T0)
    for _i, gen in grade.cases(3):
        ns_list = sorted({int(v) for v in torch.randint(4, 200, (5,), generator=gen)})
        case = f"best_n_segments for n in {ns_list}"
        grade.compare(best, ns_list, case=case, **T0)


def test_q3_best_k_within_twice_the_sqrt_bound(grade):
    ns_list = [9, 16, 50, 100]
    case = (
        f"property: peak_saved_units(n, best_n_segments(n)) <= 2 * (2 sqrt(n)) for n in {ns_list}"
    )
    got_k = grade.run(best, ns_list, case=case)
    if got_k is None:
        return
    try:
        assert len(got_k) == len(ns_list) and all(1 <= k <= n for n, k in zip(ns_list, got_k))
        peaks = [k + math.ceil(n / k) + 1 for n, k in zip(ns_list, got_k)]
        ok = all(pk <= 4 * math.sqrt(n) for n, pk in zip(ns_list, peaks))
    except Exception:  # not one k in 1..n per n
        peaks, ok = "(not one k in 1..n for each n)", False
    grade.check(ok, case=case, message=f"your best k {got_k} give peaks {peaks}")


@probe
def q2_forward(ns, seed):
    # q2's checkpointed_forward on one stack, for the note below: its output and gradients
    # (a failure is a value here, not a case)
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(seed)
    F64 = torch.float64
    layers = helpers.tanh_stack(5, 4, g, F64)
    x = torch.randn(3, 4, generator=g, dtype=F64)
    try:
        out = ns.checkpointed_forward(layers, x, 2)
        out.sum().backward()
        return {"output": out.detach(), "grads": [p.grad for p in layers.parameters()]}
    except Exception as exc:
        return f"raised {type(exc).__name__}"


def _q2_note(grade):
    """Where q2 fails, a note for the measurement cases (measure_peak_bytes runs
    checkpointed_forward by design)."""
    mine, ref = grade.run_and_reference(
        q2_forward, 0, case="q2's checkpointed_forward, which this question uses"
    )
    if mine is not None and compare(ref, mine, Tolerance(**T1)) is None:
        return ""
    return " (note: q2 fails and this question uses it, through checkpointed_forward: fix q2 first)"


def test_q3_measured_peak(grade):
    note = _q2_note(grade)
    ok = grade.compare(
        measured,
        16,
        16,
        4,
        [1, 2, 4, 8, 16],
        0,
        grade.reference(reference_bounds, 16, [1, 2, 4, 8, 16]),
        case="lecture case: 16 blocks, width 16, batch 4, float32, k=1,2,4,8,16",
        **T0,
    )
    if not ok:
        grade.records[-1].message += note
    for _i, gen in grade.cases(4):
        n = int(torch.randint(2, 9, (1,), generator=gen))
        width = [8, 16][int(torch.randint(0, 2, (1,), generator=gen))]
        batch = int(torch.randint(1, 5, (1,), generator=gen))
        ks = sorted({int(v) for v in torch.randint(1, n + 1, (3,), generator=gen)})
        seed = int(torch.randint(0, 2**31, (1,), generator=gen))
        ok = grade.compare(
            measured,
            n,
            width,
            batch,
            ks,
            seed,
            grade.reference(reference_bounds, n, ks),
            case=f"{n} blocks, width {width}, batch {batch}, float32, k in {ks}",
            **T0,
        )
        if not ok:
            grade.records[-1].message += note
    _side_effects(grade, note)


def _side_effects(grade, note):
    # the docstring's side effects: the hooks are removed after, and the backward of
    # out.backward(torch.ones_like(out)) accumulates into the parameters' .grad
    n, k = 5, 2
    case = (
        f"{n} blocks, k={k}: the peak bytes, no hook left on the blocks afterwards, and the "
        "parameters' .grad holding the gradient of out.backward(torch.ones_like(out))"
    )
    bounds = grade.reference(reference_bounds, n, [k])[0]
    got, ref = grade.run_and_reference(measured_side_effects, n, 4, 2, k, 11, bounds, case=case)
    if got is None:
        grade.records[-1].message += note
        return
    try:
        right = got["bytes"] == ref["bytes"]
        left = got["hooks left"]
        mine, expected = got["grads after measure_peak_bytes"], got["grads of checkpointed_forward"]
        same = compare(expected, mine, Tolerance(**T1)) is None
    except Exception:  # not the probe's dict
        right, left, same = False, None, False
    if not right:
        message = "the peak bytes are not the expected ones (see the other measurement cases)"
    elif left != 0:
        message = (
            f"measure_peak_bytes left {escape_markdown(repr(left))[:40]} module hook(s) "
            "registered on the model: remove them after the measurement"
        )
    else:
        message = (
            "after measure_peak_bytes, the parameters' .grad is not the gradient that "
            "out.backward(torch.ones_like(out)) accumulates (compared with what your "
            "checkpointed_forward gives for that backward)"
        )
    grade.check(right and left == 0 and same, case=case, message=message + note)


def test_q3_measurement_agrees_with_model(grade):
    note = _q2_note(grade)
    for _i, gen in grade.cases(2):
        n = int(torch.randint(3, 10, (1,), generator=gen))
        ks = list(range(1, n + 1))
        case = f"property: measured peak = peak_saved_units × activation bytes, n={n}, all k"
        bounds = grade.reference(reference_bounds, n, ks)
        got = grade.run(measured, n, 8, 2, ks, 7, bounds, case=case)
        if got is None:
            grade.records[-1].message += note
            continue
        expected = [(k + math.ceil(n / k) + 1) * 8 * 2 * 4 for k in ks]
        grade.check(
            got == expected,
            case=case,
            message=f"measured {escape_markdown(repr(got))[:300]}, model {expected}{note}",
        )
