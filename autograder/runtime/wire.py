"""The wire format: plain data across a process boundary, without pickle.

A value is encoded as one JSON document plus one byte blob. JSON carries the structure
(``None``, ``bool``, ``int``, ``float``, ``str``, lists, dicts with string keys) and a
few tagged objects; tensor and array data live in the blob as raw little-endian bytes.
Decoding uses ``json.loads`` with no object hooks and rebuilds tensors from a *copy* of
the bytes, so it never runs code that the sender chose: a forged message can only claim
values, never act.

Anything else (a custom class, a tensor subclass, a generator) is encoded by the sender
as ``{"__unsupported__": "<type name>"}`` and compares unequal to everything, so the
student sees "returned a Value object, which cannot be compared" rather than a crash.

This module imports nothing from the rest of the package: the build copies it into the
student bundle, where ``check()`` uses it to read the recorded public-check values.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import struct
from typing import TYPE_CHECKING, Any

from .errors import AutogradeError


class _LazyTorch:
    """``torch``, imported on first use: a process that only frames plain messages (the
    CLI starting a sandbox) need not pay torch's import time before it has to."""

    def __getattr__(self, name: str) -> Any:
        import torch as real

        globals()["torch"] = real
        return getattr(real, name)


if TYPE_CHECKING:  # for the checker, the module itself; torch still loads on first use
    import torch
else:
    torch = _LazyTorch()

try:  # numpy is optional on the decoding side, but present wherever torch is
    import numpy as np
except ImportError:  # pragma: no cover
    np = None  # type: ignore[assignment]

__all__ = [
    "HEADER",
    "Limits",
    "Unsupported",
    "WireError",
    "decode",
    "encode",
    "from_text",
    "to_text",
]

#: Frame header: JSON length and blob length, both unsigned 32-bit little-endian.
HEADER = struct.Struct("<II")

_TENSOR_DTYPE_NAMES = (
    "float64 float32 float16 bfloat16 complex128 complex64 int64 int32 int16 int8 uint8 bool"
).split()


@functools.lru_cache(maxsize=1)
def _tensor_dtypes() -> dict[str, torch.dtype]:
    return {name: getattr(torch, name) for name in _TENSOR_DTYPE_NAMES}


@functools.lru_cache(maxsize=1)
def _dtype_names() -> dict[torch.dtype, str]:
    return {v: k for k, v in _tensor_dtypes().items()}


_NUMPY_DTYPES = (
    "float64 float32 float16 complex128 complex64 int64 int32 int16 int8 uint8 bool".split()
)


class WireError(AutogradeError, ValueError):
    """A message that is malformed or over a size limit."""


class Limits:
    """Caps that keep a hostile or careless sender from exhausting the receiver."""

    def __init__(
        self,
        max_json_bytes: int = 8 << 20,
        max_blob_bytes: int = 256 << 20,
        max_depth: int = 64,
        max_items: int = 200_000,
        max_str: int = 1 << 20,
    ) -> None:
        self.max_json_bytes = max_json_bytes
        self.max_blob_bytes = max_blob_bytes
        self.max_depth = max_depth
        self.max_items = max_items
        self.max_str = max_str


DEFAULT_LIMITS = Limits()


class Unsupported:
    """A decoded placeholder for a value the sender could not encode."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<unsupported {self.type_name}>"

    def __eq__(self, other: object) -> bool:  # never equal: it is not a value
        return False

    __hash__ = None  # type: ignore[assignment]


# ----------------------------------------------------------------------------- encoding


def _type_name(value: Any) -> str:
    cls = type(value)
    module = getattr(cls, "__module__", "") or ""
    name = getattr(cls, "__qualname__", "") or getattr(cls, "__name__", "object")
    return name if module in ("builtins", "__main__", "submission") else f"{module}.{name}"


def encode(value: Any, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes, bytes]:
    """Encode ``value`` as ``(json_bytes, blob)``.

    Tuples become lists; numpy scalars become Python numbers; tensors must be plain
    ``torch.Tensor`` (or ``nn.Parameter``) and are moved to the CPU and detached.
    """
    blob = bytearray()
    count = [0]

    def enc(v: Any, depth: int) -> Any:
        count[0] += 1
        if count[0] > limits.max_items:
            raise WireError(f"value has more than {limits.max_items} items")
        if depth > limits.max_depth:
            raise WireError(f"value is nested more than {limits.max_depth} levels deep")
        t = type(v)
        if v is None or t is bool or t is str:
            if t is str and len(v) > limits.max_str:
                raise WireError(f"string longer than {limits.max_str} characters")
            return v
        if t is int:
            return v if -(2**63) <= v < 2**63 else {"__bigint__": str(v)}
        if t is float:
            return v if math.isfinite(v) else {"__float__": repr(v)}
        if t is complex:
            return {"__complex__": [enc(v.real, depth + 1), enc(v.imag, depth + 1)]}
        if t in (list, tuple):
            return [enc(x, depth + 1) for x in v]
        if t is dict:
            out = {}
            for k, x in v.items():
                if type(k) is not str:
                    return {"__unsupported__": "dict with non-string keys"}
                if k.startswith("__") and k.endswith("__"):
                    k = "\\" + k  # keep user keys apart from our tags
                out[k] = enc(x, depth + 1)
            return out
        if t is torch.Tensor or t is torch.nn.Parameter:
            return enc_tensor(v)
        if np is not None and t is np.ndarray:
            return enc_ndarray(v)
        if np is not None and isinstance(v, np.generic) and t.__module__ == "numpy":
            return enc(v.item(), depth)
        if t is torch.Size:
            return [int(x) for x in v]
        if t is torch.dtype:
            return {"__dtype__": str(v)}
        return {"__unsupported__": _type_name(v)}

    def enc_tensor(v: torch.Tensor) -> Any:
        if v.layout != torch.strided:
            return {"__unsupported__": f"torch.Tensor with layout {v.layout}"}
        if v.dtype not in _dtype_names():
            return {"__unsupported__": f"torch.Tensor of dtype {v.dtype}"}
        data = torch.Tensor.contiguous(torch.Tensor.cpu(torch.Tensor.detach(v)))
        if data.dtype == torch.bfloat16:  # numpy has no bfloat16: ship the raw bits
            raw = data.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            raw = _le_bytes(data)
        return _blob_ref("__tensor__", _dtype_names()[v.dtype], list(v.shape), raw)

    def enc_ndarray(v: Any) -> Any:
        name = v.dtype.name
        if name not in _NUMPY_DTYPES:
            return {"__unsupported__": f"numpy.ndarray of dtype {name}"}
        raw = np.ascontiguousarray(v).astype(v.dtype.newbyteorder("<"), copy=False).tobytes()
        return _blob_ref("__ndarray__", name, list(v.shape), raw)

    def _blob_ref(tag: str, dtype: str, shape: list[int], raw: bytes) -> dict:
        offset = len(blob)
        if offset + len(raw) > limits.max_blob_bytes:
            raise WireError(f"tensor data exceeds {limits.max_blob_bytes} bytes")
        blob.extend(raw)
        return {tag: {"dtype": dtype, "shape": shape, "offset": offset, "nbytes": len(raw)}}

    doc = json.dumps(enc(value, 0), allow_nan=False, separators=(",", ":")).encode()
    if len(doc) > limits.max_json_bytes:
        raise WireError(f"message exceeds {limits.max_json_bytes} bytes")
    return doc, bytes(blob)


def _le_bytes(t: torch.Tensor) -> bytes:
    """Raw little-endian bytes of a contiguous CPU tensor."""
    t = t.resolve_conj().resolve_neg()
    arr = t.numpy()
    return arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()


# ----------------------------------------------------------------------------- decoding


def decode(doc: bytes, blob: bytes, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Rebuild a value from ``encode``'s output; raises ``WireError`` on anything odd."""
    if len(doc) > limits.max_json_bytes or len(blob) > limits.max_blob_bytes:
        raise WireError("message over the size limit")
    try:
        tree = json.loads(doc.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise WireError(f"message is not valid JSON: {exc}") from None
    count = [0]

    def dec(node: Any, depth: int) -> Any:
        count[0] += 1
        if count[0] > limits.max_items or depth > limits.max_depth:
            raise WireError("message too large or too deeply nested")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [dec(x, depth + 1) for x in node]
        if not isinstance(node, dict):
            raise WireError(f"unexpected JSON node {type(node).__name__}")
        if len(node) == 1:
            ((key, body),) = node.items()
            if key == "__tensor__":
                return _dec_array(body, tensor=True)
            if key == "__ndarray__":
                return _dec_array(body, tensor=False)
            if key == "__float__":
                if body not in ("nan", "inf", "-inf"):
                    raise WireError(f"bad float {body!r}")
                return float(body)
            if key == "__bigint__":
                if not isinstance(body, str) or len(body) > 4000:
                    raise WireError("bad big integer")
                return int(body)
            if key == "__complex__":
                re, im = (dec(x, depth + 1) for x in body)
                return complex(re, im)
            if key == "__dtype__":
                return f"dtype:{body}"
            if key == "__unsupported__":
                return Unsupported(str(body)[:200])
        out = {}
        for k, v in node.items():
            if k.startswith("\\__"):
                k = k[1:]
            elif k.startswith("__") and k.endswith("__"):
                raise WireError(f"unknown tag {k[:40]!r}")
            out[k] = dec(v, depth + 1)
        return out

    def _dec_array(body: Any, tensor: bool) -> Any:
        try:
            dtype, shape = body["dtype"], body["shape"]
            offset, nbytes = body["offset"], body["nbytes"]
        except (KeyError, TypeError):
            raise WireError("malformed array header") from None
        ok_types = all(isinstance(x, int) and not isinstance(x, bool) for x in (offset, nbytes))
        if not ok_types or not isinstance(shape, list):
            raise WireError("malformed array header")
        if any(not isinstance(s, int) or isinstance(s, bool) or s < 0 for s in shape):
            raise WireError("malformed array shape")
        if offset < 0 or nbytes < 0 or offset + nbytes > len(blob):
            raise WireError("array data out of range")
        if tensor and dtype not in _TENSOR_DTYPE_NAMES:
            raise WireError(f"unknown tensor dtype {dtype!r}")
        if not tensor and dtype not in _NUMPY_DTYPES:
            raise WireError(f"unknown array dtype {dtype!r}")
        numel = math.prod(shape)
        raw = blob[offset : offset + nbytes]
        if tensor and dtype == "bfloat16":
            itemsize = 2
        else:
            itemsize = np.dtype(dtype).itemsize
        if numel * itemsize != nbytes:
            raise WireError("array size does not match its shape")
        if tensor and dtype == "bfloat16":
            bits = np.frombuffer(raw, dtype="<i2").copy()
            return torch.from_numpy(bits).view(torch.bfloat16).reshape(shape)
        arr = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).copy()
        arr = arr.astype(np.dtype(dtype), copy=False).reshape(shape)
        return torch.from_numpy(arr) if tensor else arr

    return dec(tree, 0)


# --------------------------------------------------------------------- framing and text


def frame(doc: bytes, blob: bytes) -> bytes:
    """One message on a byte stream: header, JSON, blob."""
    return HEADER.pack(len(doc), len(blob)) + doc + blob


def to_text(value: Any) -> dict:
    """A JSON-able dict holding ``value`` (its blob base64-encoded), for files."""
    doc, blob = encode(value)
    return {"json": doc.decode(), "blob": base64.b64encode(blob).decode("ascii")}


def from_text(obj: dict) -> Any:
    """Inverse of ``to_text``."""
    return decode(obj["json"].encode(), base64.b64decode(obj["blob"]))
