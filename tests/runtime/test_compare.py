"""Comparison and the words it uses for a student."""

import numpy as np
import torch

from autograder.runtime.compare import Tolerance, compare
from autograder.runtime.wire import Unsupported

T1 = Tolerance(1e-10, 1e-12)


def test_equal_within_tolerance():
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    assert compare(x, x + 1e-13, T1) is None
    assert compare({"a": [1, 2.0]}, {"a": [1, 2.0 + 1e-12]}, T1) is None


def test_first_mismatch_is_named():
    e = torch.zeros(3, 2, dtype=torch.float64)
    g = e.clone()
    g[1, 0] = 0.5
    m = compare({"df_dw": e}, {"df_dw": g}, T1)
    assert m.path == "['df_dw']"
    assert "first at index (1, 0)" in m.message and "expected 0.0, got 0.5" in m.message
    assert "max abs error 0.5" in m.message


def test_shape_dtype_and_type_messages():
    e = torch.zeros(3, dtype=torch.float64)
    assert "shape (2,), expected (3,)" in compare(e, torch.zeros(2, dtype=torch.float64)).message
    assert "dtype float32, expected float64" in compare(e, torch.zeros(3)).message
    msg = compare(e, np.zeros(3)).message
    assert (
        "expected a torch.Tensor" in msg
        and "got a numpy array" in msg
        and "torch.from_numpy" in msg
    )
    assert "cannot be compared" in compare(1.0, Unsupported("Value")).message


def test_nan_and_inf():
    nan = float("nan")
    assert compare(nan, nan) is None
    assert compare(1.0, nan, T1) is not None
    assert compare(torch.tensor([nan, 1.0]), torch.tensor([nan, 1.0])) is None
    assert (
        compare(torch.tensor([1.0, 1.0]), torch.tensor([float("inf"), 1.0]), Tolerance(1, 1))
        is not None
    )


def test_lists_and_dicts():
    assert "length 2" in compare([1, 2, 3], [1, 2]).message
    assert "missing key(s) ['b']" in compare({"a": 1, "b": 2}, {"a": 1}).message
    assert "unexpected key(s) ['c']" in compare({"a": 1}, {"a": 1, "c": 3}).message
    assert compare([1, 2], [1, 2]) is None
    assert compare(True, 1) is not None  # a bool is not a number here
