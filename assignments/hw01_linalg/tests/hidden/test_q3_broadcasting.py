import torch

from autograder.testing import T0, probe


@probe
def shapes_named(ns, pairs):
    # keyed by the pair, so that a mismatch is reported as, e.g., ['(3, 1) and (4,)']
    out = {}
    for a, b in pairs:
        r = ns.broadcast_shape(tuple(a), tuple(b))
        out[f"{tuple(a)} and {tuple(b)}"] = None if r is None else [int(v) for v in r]
    return out


@probe
def shapes_of(ns, pairs):
    out = []
    for a, b in pairs:
        r = ns.broadcast_shape(tuple(a), tuple(b))
        out.append(None if r is None else [int(v) for v in r])
    return out


def _shape(gen):
    ndim = int(torch.randint(0, 5, (1,), generator=gen))
    return [int(v) for v in torch.randint(1, 4, (ndim,), generator=gen)]


def _compatible_partner(gen, a):
    # drop some leading dims, set some sizes to 1, maybe prepend new dims
    keep = int(torch.randint(0, len(a) + 1, (1,), generator=gen))
    b = list(a[len(a) - keep :])
    b = [1 if torch.rand(1, generator=gen).item() < 0.4 else s for s in b]
    extra = int(torch.randint(0, max(1, 5 - len(b)), (1,), generator=gen))
    return [int(v) for v in torch.randint(1, 4, (extra,), generator=gen)] + b


def _pairs(gen, n):
    pairs = []
    for j in range(n):
        a = _shape(gen)
        b = _compatible_partner(gen, a) if j % 2 == 0 else _shape(gen)
        if torch.rand(1, generator=gen).item() < 0.5:
            a, b = b, a
        pairs.append([a, b])
    return pairs


def _truth(a, b):
    try:
        return list(torch.broadcast_shapes(tuple(a), tuple(b)))
    except RuntimeError:
        return None


def test_q3_random_shapes(grade):
    for _i, gen in grade.cases(5):
        pairs = _pairs(gen, 4)
        grade.compare(shapes_named, pairs, case=f"pairs {pairs}", **T0)


def test_q3_lecture_shapes(grade):
    pairs = [
        [[3, 1], [1, 4]],
        [[5, 4], [4]],
        [[2, 3], [3, 2]],
        [[], [2, 3]],
        [[8, 1, 6, 1], [7, 1, 5]],
        [[3], [4]],
    ]
    grade.compare(shapes_named, pairs, case=f"pairs {pairs}", **T0)


def test_q3_properties(grade):
    for i, gen in grade.cases(2):
        pairs = _pairs(gen, 6)
        swapped = [[b, a] for a, b in pairs]
        selves = [[a, a] for a, _ in pairs]
        case = f"commutative, (s, s) ↦ s, and the shape of zeros(a) + zeros(b) (case {i})"
        got = grade.run(shapes_of, pairs + swapped + selves, case=case)
        if got is None:
            continue
        n = len(pairs)
        got = got if isinstance(got, list) and len(got) == 3 * n else [None] * (3 * n)
        truth = [_truth(a, b) for a, b in pairs]
        right = got[:n] == truth
        # The two laws count only with the shapes right: None for every pair is
        # commutative, and echoing the first shape gives (s, s) ↦ s.
        wrong = (
            ""
            if right
            else f" (and for the pairs {pairs} torch gives {truth}, you gave {got[:n]}: the "
            "law counts once the shapes are right)"
        )
        grade.check(
            got[:n] == got[n : 2 * n] and right,
            case=f"broadcast_shape(a, b) = broadcast_shape(b, a) (case {i})",
            message=f"for the pairs {pairs} you gave {got[:n]}, swapped {got[n : 2 * n]}" + wrong,
        )
        grade.check(
            got[2 * n :] == [a for a, _ in pairs] and right,
            case=f"broadcast_shape(s, s) = s (case {i})",
            message=f"for the shapes {[a for a, _ in pairs]} you gave {got[2 * n :]}" + wrong,
        )
        grade.check(
            right,
            case=f"matches the shape of torch.zeros(a) + torch.zeros(b) (case {i})",
            message=f"for the pairs {pairs} torch gives {truth} (None: error), you gave {got[:n]}",
        )
