from autograder.testing import T0, probe


@probe
def shapes_named(ns, pairs):
    # keyed by the pair, so that a mismatch is reported as, e.g., ['(3, 1) and (4,)']
    out = {}
    for a, b in pairs:
        r = ns.broadcast_shape(tuple(a), tuple(b))
        out[f"{tuple(a)} and {tuple(b)}"] = None if r is None else [int(v) for v in r]
    return out


def test_q3_public(grade):
    pairs = [[[4, 1], [3]], [[2, 1, 3], [5, 1]], [[3], [2]], [[], []]]
    grade.compare(shapes_named, pairs, case=f"pairs {pairs}", **T0)
