"""The wire format: round trips, and hostile messages that must not decode."""

import json
import math

import numpy as np
import pytest
import torch

from autograder.runtime.wire import (
    HEADER,
    Unsupported,
    WireError,
    decode,
    encode,
    frame,
    from_text,
    to_text,
)


def roundtrip(value):
    return decode(*encode(value))


@pytest.mark.parametrize(
    "dtype",
    [
        torch.float64,
        torch.float32,
        torch.float16,
        torch.bfloat16,
        torch.int64,
        torch.bool,
        torch.complex128,
    ],
)
def test_tensors_round_trip_bit_exact(dtype):
    x = (torch.randn(3, 4, dtype=torch.float64) * 10).to(dtype)
    y = roundtrip(x)
    assert type(y) is torch.Tensor and y.dtype == dtype and y.shape == x.shape
    assert torch.equal(y, x)


def test_structure_round_trips():
    value = {
        "a": [1, 2.5, None, True, "s", (3, 4)],
        "b": {"c": np.arange(3.0)},
        "n": float("nan"),
        "i": float("-inf"),
        "big": 2**70,
        "z": 1 + 2j,
        "__tag__": 1,
    }
    out = roundtrip(value)
    assert out["a"] == [1, 2.5, None, True, "s", [3, 4]]
    assert isinstance(out["b"]["c"], np.ndarray) and out["b"]["c"].tolist() == [0.0, 1.0, 2.0]
    assert math.isnan(out["n"]) and out["i"] == float("-inf")
    assert out["big"] == 2**70 and out["z"] == 1 + 2j
    assert out["__tag__"] == 1  # user keys that look like tags survive


def test_non_contiguous_and_views():
    x = torch.arange(12.0).reshape(3, 4).t()
    assert torch.equal(roundtrip(x), x)
    assert torch.equal(roundtrip(torch.tensor(5.0)), torch.tensor(5.0))


def test_unsupported_objects_become_placeholders():
    class Lying(torch.Tensor):
        pass

    class Thing:
        def __eq__(self, other):
            return True

    out = roundtrip([Thing(), torch.zeros(2).as_subclass(Lying), (x for x in [])])
    assert all(isinstance(o, Unsupported) for o in out)
    assert out[0] != out[0]  # a placeholder equals nothing, itself included


def test_gradient_carrying_tensor_is_detached():
    x = torch.ones(2, requires_grad=True) * 2
    y = roundtrip(x)
    assert not y.requires_grad and torch.equal(y, torch.full((2,), 2.0))


@pytest.mark.parametrize(
    "doc, blob",
    [
        (b"not json", b""),
        (
            b'{"__tensor__": {"dtype": "float64", "shape": [2], "offset": 0, "nbytes": 16}}',
            b"\0" * 8,
        ),
        (
            b'{"__tensor__": {"dtype": "float64", "shape": [3], "offset": 0, "nbytes": 16}}',
            b"\0" * 16,
        ),
        (b'{"__tensor__": {"dtype": "object", "shape": [1], "offset": 0, "nbytes": 8}}', b"\0" * 8),
        (
            b'{"__tensor__": {"dtype": "float64", "shape": [-1], "offset": 0, "nbytes": 8}}',
            b"\0" * 8,
        ),
        (
            b'{"__tensor__": {"dtype": "float64", "shape": [1], "offset": -8, "nbytes": 8}}',
            b"\0" * 8,
        ),
        (b'{"__reduce__": 1}', b""),
        (b'{"__float__": "1e999999"}', b""),
        (b"[" * 100_000 + b"]" * 100_000, b""),
    ],
)
def test_hostile_messages_raise_wire_error(doc, blob):
    with pytest.raises(WireError):
        decode(doc, blob)


def test_decoded_tensor_owns_its_memory():
    doc, blob = encode(torch.arange(4.0))
    blob = bytearray(blob)
    t = decode(doc, bytes(blob))
    blob[:] = b"\xff" * len(blob)
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_size_caps():
    from autograder.runtime.wire import Limits

    small = Limits(max_blob_bytes=1024)
    with pytest.raises(WireError):
        encode(torch.zeros(1000), small)
    with pytest.raises(WireError):
        encode([[[[[1]]]]], Limits(max_depth=3))


def test_frame_and_text_forms():
    doc, blob = encode({"x": torch.ones(2)})
    framed = frame(doc, blob)
    n_doc, n_blob = HEADER.unpack(framed[: HEADER.size])
    assert (n_doc, n_blob) == (len(doc), len(blob))
    text = to_text({"x": torch.ones(2)})
    json.dumps(text)
    assert torch.equal(from_text(text)["x"], torch.ones(2))
