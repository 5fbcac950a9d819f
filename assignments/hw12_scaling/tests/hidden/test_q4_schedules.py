"""q4: pipeline schedules as data.

GPipe's ASAP grid is unique, so it is compared exactly (T0). 1F1B is checked by the
trusted side with the reference's own checker: validity, makespan 2(m+p−1), bubble
(p−1)/(m+p−1) (T1) and per-stage peaks min(p−s, m) (T0).
"""

import pytest
import torch

from autograder.testing import T0, T1, probe


@probe
def gpipe(ns, p, m):
    return [
        [None if c is None else [str(c[0]), int(c[1])] for c in row]
        for row in ns.gpipe_schedule(p, m)
    ]


@probe
def ofob(ns, p, m):
    grid = ns.one_f_one_b_schedule(p, m)
    return [[None if c is None else [str(c[0]), int(c[1])] for c in row] for row in grid]


@probe
def asap(ns, orders):
    try:
        grid = ns.asap_schedule([[(str(op), int(j)) for op, j in order] for order in orders])
    except ValueError:
        return "ValueError"
    return [[None if c is None else [str(c[0]), int(c[1])] for c in row] for row in grid]


@probe
def validate(ns, grid, p, m):
    cells = [[None if c is None else (c[0], c[1]) for c in row] for row in grid]
    return bool(ns.validate_schedule(cells, p, m))


@probe
def validate_each(ns, grids, p, m):
    # cells travel as lists: each becomes a tuple of the entries it has (a malformed cell
    # stays malformed: three entries stay three)
    out = []
    for grid in grids:
        cells = [[c if c is None else tuple(c) for c in row] for row in grid]
        out.append(bool(ns.validate_schedule(cells, p, m)))
    return out


@probe
def asap_each(ns, order_sets):
    out = []
    for orders in order_sets:
        try:
            grid = ns.asap_schedule([[(str(op), int(j)) for op, j in order] for order in orders])
        except ValueError:
            out.append("ValueError")
            continue
        out.append([[None if c is None else [str(c[0]), int(c[1])] for c in row] for row in grid])
    return out


@probe
def bubble(ns, grid):
    cells = [[None if c is None else (c[0], c[1]) for c in row] for row in grid]
    return float(ns.bubble_fraction(cells))


@probe
def peaks(ns, grid):
    cells = [[None if c is None else (c[0], c[1]) for c in row] for row in grid]
    return [int(v) for v in ns.peak_inflight(cells)]


def _pm(gen):
    return int(torch.randint(1, 7, (1,), generator=gen)), int(
        torch.randint(1, 11, (1,), generator=gen)
    )


def test_q4_gpipe_grid(grade):
    grade.compare(gpipe, 4, 8, case="lecture case: GPipe, p=4, m=8", **T0)
    grade.compare(gpipe, 3, 1, case="GPipe, p=3, m=1", **T0)
    for _i, gen in grade.cases(4):
        p, m = _pm(gen)
        grade.compare(gpipe, p, m, case=f"GPipe, p={p}, m={m}", **T0)


# weight: 1F1B is the schedule the lecture builds
@pytest.mark.weight(2)
def test_q4_one_f_one_b(grade):
    grade.compare(
        ofob, 4, 8, case="lecture case: 1F1B, p=4, m=8 (the order in the docstring)", **T0
    )
    pms = [(4, 4), (2, 6), (5, 2)]
    for _i, gen in grade.cases(3):
        pms.append(_pm(gen))
    for p, m in pms:
        case = f"1F1B, p={p}, m={m}: valid, 2(m+p-1) steps, bubble (p-1)/(m+p-1), peaks min(p-s, m)"
        got = grade.run(ofob, p, m, case=case)
        if got is None:
            continue
        problems = []
        if not grade.reference(validate, got, p, m):
            problems.append("the grid is not a valid schedule")
        else:
            if len(got) != 2 * (m + p - 1):
                problems.append(f"{len(got)} steps, expected {2 * (m + p - 1)}")
            b = grade.reference(bubble, got)
            if abs(b - (p - 1) / (m + p - 1)) > 1e-12:
                problems.append(f"bubble {b:.6f}, expected {(p - 1) / (m + p - 1):.6f}")
            pk = grade.reference(peaks, got)
            want = [min(p - s, m) for s in range(p)]
            if pk != want:
                problems.append(f"peak stored micro-batches per stage {pk}, expected {want}")
        grade.check(not problems, case=case, message="; ".join(problems))


def test_q4_asap_schedule(grade):
    cases = {
        "two stages, interleaved orders": [
            [["F", 0], ["F", 1], ["B", 0], ["B", 1]],
            [["F", 0], ["B", 0], ["F", 1], ["B", 1]],
        ],
        "a deadlock (B before its F) raises ValueError": [
            [["B", 0], ["F", 0]],
            [["F", 0], ["B", 0]],
        ],
        "one stage": [[["F", 0], ["B", 0], ["F", 1], ["B", 1]]],
    }
    # a deadlock's answer (ValueError) is credited together with a schedule that works:
    # each case of orders that may deadlock is paired with ones that cannot
    grade.compare(
        asap, cases["two stages, interleaved orders"], case="two stages, interleaved orders", **T0
    )
    grade.compare(
        asap_each,
        [
            cases["two stages, interleaved orders"],
            cases["a deadlock (B before its F) raises ValueError"],
        ],
        case="interleaved orders schedule, and a deadlock (B before its F) raises ValueError",
        **T0,
    )
    grade.compare(asap, cases["one stage"], case="one stage", **T0)
    for _i, gen in grade.cases(3):
        # random per-stage orders: each stage a random shuffle of F's in order and B's in order
        p, m = _pm(gen)
        orders = []
        for _s in range(p):
            kinds = ["F"] * m + ["B"] * m
            perm = torch.randperm(2 * m, generator=gen).tolist()
            kinds = [kinds[i] for i in perm]
            nf = nb = 0
            order = []
            for kd in kinds:
                if kd == "F":
                    order.append(["F", nf])
                    nf += 1
                else:
                    order.append(["B", nb])
                    nb += 1
            orders.append(order)
        # every F in order, then every B in order, on each stage: never deadlocks (GPipe)
        plain = [[["F", j] for j in range(m)] + [["B", j] for j in range(m)] for _s in range(p)]
        grade.compare(
            asap_each,
            [plain, orders],
            case=f"all-F-then-all-B orders and random stage orders (may deadlock), p={p}, m={m}",
            **T0,
        )


def _corruptions(grid, p, m):
    where = {(c[0], s, c[1]): t for t, row in enumerate(grid) for s, c in enumerate(row) if c}
    out = {}
    g = [list(r) for r in grid]
    t1, t0 = where[("F", p - 1, 0)], where[("F", p - 2, 0)] if p > 1 else None
    if t0 is not None:
        g[t1][p - 1], g[t0][p - 1] = g[t0][p - 1], g[t1][p - 1]
        out["F(p-1, 0) swapped before F(p-2, 0): broken dependency"] = g
    g = [list(r) for r in grid] + [[["F", 0]] + [None] * (p - 1)]
    out["an extra F(0, 0): duplicated op"] = g
    g = [list(r) for r in grid]
    g[where[("B", 0, m - 1)]][0] = None
    out["B(0, m-1) removed: missing op"] = g
    g = [list(r) for r in grid] + [[None] * (p - 1) + [["B", m]]]
    out["micro-batch index m: out of range"] = g
    g = [list(r) for r in grid]
    g[where[("B", 0, m - 1)]][0] = ["B", m]
    out["B(0, m-1) renamed B(0, m): out of range, in its place"] = g
    g = [list(r) for r in grid] + [[["X", 0]] + [None] * (p - 1)]
    out["an op named 'X'"] = g
    out["rows with p + 1 cells"] = [[*r, None] for r in grid]
    g = [list(r) for r in grid]
    g[where[("B", 0, m - 1)]][0] = ["B", m - 1, 0]
    out["B(0, m-1) written as a triple ('B', m-1, 0): not a pair"] = g
    g = [list(r) for r in grid]
    g[where[("B", 0, m - 1)]][0] = ["B", float(m - 1)]
    out["B(0, m-1) with the float index m-1.0: not an int"] = g
    g = [list(r) for r in grid]
    g[where[("B", 0, 0)]][0] = ["B", -1]
    out["B(0, 0) renamed B(0, -1): a negative index, in its place"] = g
    # the ordering faults below are made one at a time on a spread copy of the grid (two
    # idle rows around every step), so that each breaks exactly one dependency
    when = _spread(grid)
    late = when[("F", 1, m - 1)] - 2
    when[("F", 0, m - 1)] = when[("F", 1, m - 1)] = late
    out["F(1, m-1) in the same step as F(0, m-1): broken dependency"] = _render(when, p)
    when = _spread(grid)
    when[("B", p - 1, 0)] = when[("F", p - 1, 0)] - 1
    out["B(p-1, 0) one step before F(p-1, 0): broken dependency"] = _render(when, p)
    when = _spread(grid)
    late = when[("B", p - 2, 0)] - 2
    when[("B", p - 1, 0)] = when[("B", p - 2, 0)] = late
    out["B(p-2, 0) in the same step as B(p-1, 0): broken dependency"] = _render(when, p)
    return out


def _spread(grid):
    """Each op's step in a copy of ``grid`` with two idle rows around every step."""
    return {
        (c[0], s, c[1]): 3 * t + 1 for t, row in enumerate(grid) for s, c in enumerate(row) if c
    }


def _render(when, p):
    """The grid of the steps in ``when``; no two ops share a cell."""
    rows = [[None] * p for _ in range(max(when.values()) + 1)]
    for (op, s, j), t in when.items():
        assert rows[t][s] is None, "two ops in one cell"
        rows[t][s] = [op, j]
    return rows


def test_q4_validate_schedule(grade):
    for i, gen in grade.cases(3):
        p = int(torch.randint(2, 6, (1,), generator=gen))
        m = int(torch.randint(1, 7, (1,), generator=gen))
        good = grade.reference(ofob if i % 2 else gpipe, p, m)
        name = "1F1B" if i % 2 else "GPipe"
        padded = [r for row in good for r in (row, [None] * p)]
        # a verdict is a bool, which a constant answer gets right half the time: each case
        # asks for a valid grid accepted and a corrupted one rejected together
        for j, (what, bad) in enumerate(_corruptions(good, p, m).items()):
            valid, kind = (padded, "with idle rows inserted") if j % 2 else (good, "as is")
            grade.compare(
                validate_each,
                [valid, bad],
                p,
                m,
                case=f"{name} p={p}, m={m}: the valid grid ({kind}) accepted, with {what} rejected",
                **T0,
            )


# weight: the bubble fraction is the lecture's measure of a schedule
@pytest.mark.weight(2)
def test_q4_bubble(grade):
    grid = grade.reference(gpipe, 4, 8)
    grade.compare(bubble, grid, case="lecture case: GPipe p=4, m=8 (bubble 3/11)", **T1)
    grid = grade.reference(ofob, 3, 3)
    grade.compare(bubble, grid, case="1F1B p=3, m=3 (bubble 2/5)", **T1)
    for i, gen in grade.cases(4):
        p, m = _pm(gen)
        g = grade.reference(ofob if i % 2 else gpipe, p, m)
        # an idle row after every other step
        padded = [r for t, row in enumerate(g) for r in ((row, [None] * p) if t % 2 else (row,))]
        grade.compare(bubble, padded, case=f"bubble of a padded grid, p={p}, m={m}", **T1)


def test_q4_peaks(grade):
    grid = grade.reference(gpipe, 4, 8)
    grade.compare(peaks, grid, case="lecture case: GPipe p=4, m=8, peaks [8, 8, 8, 8]", **T0)
    for i, gen in grade.cases(4):
        p, m = _pm(gen)
        g = grade.reference(ofob if i % 2 else gpipe, p, m)
        grade.compare(peaks, g, case=f"peaks, {'1F1B' if i % 2 else 'GPipe'} p={p}, m={m}", **T0)
    # the peak comes after a backward: F0 B0 F1 F2 B1 B2 on one stage holds two at once
    order = [["F", 0], ["B", 0], ["F", 1], ["F", 2], ["B", 1], ["B", 2]]
    grade.compare(peaks, [[c] for c in order], case="one stage: F0 B0 F1 F2 B1 B2 (peak 2)", **T0)
    # a prefix of a schedule: the stages that have run no forward yet hold nothing
    grade.compare(
        peaks,
        [[["F", 0], None, None]],
        case="the first step of GPipe p=3 alone, a one-row grid: peaks [1, 0, 0]",
        **T0,
    )
