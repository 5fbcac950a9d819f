from autograder.testing import T0, T1, probe


@probe
def schedules(ns, p, m):
    def plain(grid):
        return [[None if c is None else [str(c[0]), int(c[1])] for c in row] for row in grid]

    gp, ofob = ns.gpipe_schedule(p, m), ns.one_f_one_b_schedule(p, m)
    return {
        "gpipe": plain(gp),
        "1f1b": plain(ofob),
        "valid": [bool(ns.validate_schedule(gp, p, m)), bool(ns.validate_schedule(ofob, p, m))],
        "bubble": [float(ns.bubble_fraction(gp)), float(ns.bubble_fraction(ofob))],
        "peaks": [list(ns.peak_inflight(gp)), list(ns.peak_inflight(ofob))],
    }


@probe
def broken(ns):
    grid = [[("F", 0), None], [("B", 0), ("F", 0)], [None, ("B", 0)]]
    return bool(ns.validate_schedule(grid, 2, 1))


def test_q4_public(grade):
    grade.compare(schedules, 3, 4, case="p = 3, m = 4", **T1)
    grade.compare(schedules, 2, 1, case="p = 2, m = 1", **T1)
    grade.compare(broken, case="B(0, 0) before B(1, 0) is not valid", **T0)
