from autograder.testing import T0, probe


@probe
def layout(ns):
    strides = ns.row_major_strides((3, 4))
    t_shape, t_strides = ns.transpose_layout((3, 4), strides)
    return {
        "strides": [int(s) for s in strides],
        "offset": int(ns.flat_offset((2, 1), strides)),
        "transpose": [[int(v) for v in t_shape], [int(v) for v in t_strides]],
        "contiguous": [
            bool(ns.is_contiguous((3, 4), strides)),
            bool(ns.is_contiguous(t_shape, t_strides)),
        ],
    }


def test_q4_public(grade):
    grade.compare(layout, case="a (3, 4) tensor and its transpose", **T0)
