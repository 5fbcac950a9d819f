import math

import torch

from autograder.testing import T0, probe


@probe
def strides_of(ns, shape):
    return [int(s) for s in ns.row_major_strides(tuple(shape))]


@probe
def strides_named(ns, shapes):
    # keyed by the shape, so that a mismatch is reported as, e.g., ['(3, 1)']
    return {str(tuple(s)): [int(v) for v in ns.row_major_strides(tuple(s))] for s in shapes}


@probe
def offsets_of(ns, indices, strides):
    return [int(ns.flat_offset(tuple(i), tuple(strides))) for i in indices]


@probe
def transpose_of(ns, shape, strides):
    new_shape, new_strides = ns.transpose_layout(tuple(shape), tuple(strides))
    return [[int(v) for v in new_shape], [int(v) for v in new_strides]]


@probe
def contiguous_of(ns, layouts):
    return [bool(ns.is_contiguous(tuple(s), tuple(st))) for s, st in layouts]


@probe
def lookup(ns, shape, indices):
    # t.reshape(-1)[flat_offset(i, row_major_strides(shape))] for t = 0, 1, 2, … in row-major order
    t = torch.arange(math.prod(shape)).reshape(shape)
    strides = ns.row_major_strides(tuple(shape))
    return [int(t.reshape(-1)[ns.flat_offset(tuple(i), strides)]) for i in indices]


@probe
def transpose_contiguity(ns, sizes):
    out = []
    for m, n in sizes:
        shape, strides = ns.transpose_layout((m, n), ns.row_major_strides((m, n)))
        out.append(bool(ns.is_contiguous(shape, strides)))
    return out


def _shape(gen, min_ndim=1, min_last=1):
    ndim = int(torch.randint(min_ndim, 5, (1,), generator=gen))
    shape = [int(v) for v in torch.randint(1, 6, (ndim,), generator=gen)]
    shape[-1] = max(shape[-1], min_last)
    return shape


def _indices(gen, shape, n):
    return [[int(torch.randint(0, s, (1,), generator=gen)) for s in shape] for _ in range(n)]


def test_q4_row_major_strides(grade):
    # at least two dimensions and a last size ≥ 2: no constant (all ones) and not the shape
    for _i, gen in grade.cases(4):
        shape = _shape(gen, min_ndim=2, min_last=2)
        grade.compare(strides_of, shape, case=f"shape {shape}", **T0)
    grade.compare(strides_of, [2, 3, 4], case="shape [2, 3, 4] (strides 12, 4, 1)", **T0)
    shapes = [[], [5], [3, 1], [2, 1, 4]]
    grade.compare(
        strides_named, shapes, case="a scalar (), a vector (5,), and size-1 dimensions", **T0
    )


def test_q4_flat_offset(grade):
    for _i, gen in grade.cases(4):
        shape = _shape(gen, min_last=2)
        strides = [int(v) for v in torch.randint(1, 30, (len(shape),), generator=gen)]
        # the last element and the first (offset 0) among them: no constant matches
        idx = [[s - 1 for s in shape], [0] * len(shape), *_indices(gen, shape, 2)]
        grade.compare(offsets_of, idx, strides, case=f"indices {idx} with strides {strides}", **T0)


def test_q4_transpose_layout(grade):
    for _i, gen in grade.cases(3):
        m, n = (int(v) for v in torch.randint(1, 6, (2,), generator=gen))
        strides = [int(v) for v in torch.randint(1, 30, (2,), generator=gen)]
        grade.compare(
            transpose_of, [m, n], strides, case=f"shape ({m}, {n}), strides {strides}", **T0
        )


def test_q4_is_contiguous(grade):
    for _i, gen in grade.cases(3):
        # a contiguous layout and a transposed (not contiguous) one first, so that the
        # answers are never all the same; then two random ones
        m, n = (int(v) for v in torch.randint(2, 6, (2,), generator=gen))
        layouts = [[[m, n], [n, 1]], [[n, m], [1, n]]]
        for _ in range(2):
            shape = _shape(gen)
            strides = [int(s) for s in torch.empty(shape).stride()]
            if torch.rand(1, generator=gen).item() < 0.5 and len(shape) > 1:
                perm = torch.randperm(len(shape), generator=gen).tolist()
                shape, strides = [shape[p] for p in perm], [strides[p] for p in perm]
            layouts.append([shape, strides])
        order = torch.randperm(4, generator=gen).tolist()
        layouts = [layouts[j] for j in order]
        grade.compare(contiguous_of, layouts, case=f"layouts {layouts}", **T0)


def test_q4_properties(grade):
    for _i, gen in grade.cases(3):
        shape = _shape(gen, min_ndim=2, min_last=2)
        idx = _indices(gen, shape, 5)
        case = f"t.reshape(-1)[flat_offset(i, strides)] == t[i] for shape {shape}"
        got = grade.run(lookup, shape, idx, case=case)
        if got is not None:
            t = torch.arange(math.prod(shape)).reshape(shape)
            want = [int(t[tuple(i)]) for i in idx]
            grade.check(
                got == want, case=case, message=f"at indices {idx} expected {want}, got {got}"
            )
    sizes = [[3, 4], [2, 2], [1, 5]]
    truth = [torch.empty(m, n).t().is_contiguous() for m, n in sizes]  # False, False, True
    case = "the transpose of a contiguous (3, 4), (2, 2), (1, 5) tensor is contiguous: " + (
        ", ".join(str(v) for v in truth)
    )
    got = grade.run(transpose_contiguity, sizes, case=case)
    if got is not None:
        grade.check(
            got == truth,
            case=case,
            message=f"torch says torch.empty(m, n).t().is_contiguous() is {truth} for (m, n) = "
            f"(3, 4), (2, 2), (1, 5); your transpose_layout + is_contiguous say {got}",
        )
