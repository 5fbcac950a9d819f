import math

import torch

from autograder.testing import T0, probe


@probe
def strides_of(ns, shape):
    return [int(s) for s in ns.row_major_strides(tuple(shape))]


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
def transpose_contiguity(ns, m, n):
    shape, strides = ns.transpose_layout((m, n), ns.row_major_strides((m, n)))
    return bool(ns.is_contiguous(shape, strides))


def _shape(gen):
    ndim = int(torch.randint(1, 5, (1,), generator=gen))
    return [int(v) for v in torch.randint(1, 6, (ndim,), generator=gen)]


def _indices(gen, shape, n):
    return [[int(torch.randint(0, s, (1,), generator=gen)) for s in shape] for _ in range(n)]


def test_q4_row_major_strides(grade):
    for _i, gen in grade.cases(4):
        shape = _shape(gen)
        grade.compare(strides_of, shape, case=f"shape {shape}", **T0)
    grade.compare(strides_of, [2, 3, 4], case="shape [2, 3, 4] (strides 12, 4, 1)", **T0)


def test_q4_flat_offset(grade):
    for _i, gen in grade.cases(4):
        shape = _shape(gen)
        strides = [int(v) for v in torch.randint(1, 30, (len(shape),), generator=gen)]
        idx = _indices(gen, shape, 4)
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
        layouts = []
        for _ in range(4):
            shape = _shape(gen)
            strides = [int(s) for s in torch.empty(shape).stride()]
            if torch.rand(1, generator=gen).item() < 0.5 and len(shape) > 1:
                perm = torch.randperm(len(shape), generator=gen).tolist()
                shape, strides = [shape[p] for p in perm], [strides[p] for p in perm]
            layouts.append([shape, strides])
        grade.compare(contiguous_of, layouts, case=f"layouts {layouts}", **T0)


def test_q4_properties(grade):
    for i, gen in grade.cases(3):
        shape = _shape(gen)
        idx = _indices(gen, shape, 5)
        case = f"t.reshape(-1)[flat_offset(i, strides)] == t[i] for shape {shape}"
        got = grade.run(lookup, shape, idx, case=case)
        if got is not None:
            t = torch.arange(math.prod(shape)).reshape(shape)
            want = [int(t[tuple(i)]) for i in idx]
            grade.check(
                got == want, case=case, message=f"at indices {idx} expected {want}, got {got}"
            )
    for m, n in ((3, 4), (2, 2), (1, 5)):
        case = f"the transpose of a contiguous ({m}, {n}) tensor is contiguous: {m == 1 or n == 1}"
        got = grade.run(transpose_contiguity, m, n, case=case)
        if got is not None:
            truth = torch.empty(m, n).t().is_contiguous()
            grade.check(
                got == truth,
                case=case,
                message=f"torch says torch.empty({m}, {n}).t().is_contiguous() is {truth}, "
                f"your transpose_layout + is_contiguous say {got}",
            )
