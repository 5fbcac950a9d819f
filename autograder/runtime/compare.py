"""Compare a student's decoded value with the expected one, and say how they differ.

Both sides arrive as the wire format decodes them (``wire.decode``): Python scalars,
lists, dicts with string keys, plain ``torch.Tensor`` and ``numpy.ndarray``. The first
difference found is described in words a student can act on: where it is (a path such as
``["df_dw"][3]``), what was expected, what came back, and for arrays the first
mismatching index and the largest error.

Like ``wire``, this module is copied into the student bundle for ``check()``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from .wire import Unsupported

try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None  # type: ignore[assignment]

__all__ = ["Mismatch", "Tolerance", "compare", "describe"]


@dataclass(frozen=True)
class Tolerance:
    """Elementwise ``|got - expected| <= atol + rtol * |expected|``; NaN matches only NaN."""

    rtol: float = 0.0
    atol: float = 0.0


@dataclass(frozen=True)
class Mismatch:
    """The first difference between two values."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def describe(value: Any, limit: int = 120) -> str:
    """A short, readable rendering of a decoded value."""
    if isinstance(value, torch.Tensor):
        text = f"tensor(shape={tuple(value.shape)}, dtype={str(value.dtype).replace('torch.', '')}"
        if value.numel() <= 6:
            text += f", values={value.tolist()}"
        return text + ")"
    if np is not None and isinstance(value, np.ndarray):
        text = f"numpy.ndarray(shape={value.shape}, dtype={value.dtype}"
        if value.size <= 6:
            text += f", values={value.tolist()}"
        return text + ")"
    if isinstance(value, Unsupported):
        return f"an object of type {value.type_name}"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, complex):
        return "complex"
    if isinstance(value, torch.Tensor):
        return "tensor"
    if np is not None and isinstance(value, np.ndarray):
        return "ndarray"
    if isinstance(value, Unsupported):
        return "unsupported"
    if value is None:
        return "None"
    return type(value).__name__


_KIND_WORDS = {
    "tensor": "a torch.Tensor",
    "ndarray": "a numpy array",
    "number": "a number",
    "bool": "a bool",
    "str": "a string",
    "list": "a list (or tuple)",
    "dict": "a dict",
    "None": "None",
    "complex": "a complex number",
}


def _close_scalar(exp: float, got: float, tol: Tolerance) -> bool:
    if math.isnan(exp) or math.isnan(got):
        return math.isnan(exp) and math.isnan(got)
    if math.isinf(exp) or math.isinf(got):
        return exp == got
    return abs(got - exp) <= tol.atol + tol.rtol * abs(exp)


def _compare_arrays(exp: torch.Tensor, got: torch.Tensor, tol: Tolerance, what: str) -> str | None:
    if tuple(exp.shape) != tuple(got.shape):
        return f"{what} has shape {tuple(got.shape)}, expected {tuple(exp.shape)}"
    if exp.dtype != got.dtype:
        e, g = (str(t.dtype).replace("torch.", "") for t in (exp, got))
        return f"{what} has dtype {g}, expected {e}"
    if exp.numel() == 0:
        return None
    if exp.dtype == torch.bool or not (exp.is_floating_point() or exp.is_complex()):
        bad = exp != got
    else:
        e64 = exp.to(torch.complex128 if exp.is_complex() else torch.float64)
        g64 = got.to(e64.dtype)
        both_nan = torch.isnan(e64) & torch.isnan(g64)
        diff = (g64 - e64).abs()
        allowed = tol.atol + tol.rtol * e64.abs()
        finite = torch.isfinite(e64) & torch.isfinite(g64)
        ok = torch.where(finite, diff <= allowed, (e64 == g64) | both_nan)
        bad = ~ok
    if not bool(bad.any()):
        return None
    n_bad = int(bad.sum())
    first = tuple(int(i) for i in torch.nonzero(bad)[0].tolist())
    e_val, g_val = exp[first].item(), got[first].item()
    msg = (
        f"{n_bad} of {exp.numel()} values differ; first at index {first}: "
        f"expected {e_val!r}, got {g_val!r}"
    )
    if exp.is_floating_point() or exp.is_complex():
        finite = torch.isfinite(exp) & torch.isfinite(got)
        if bool(finite.any()):
            err = got[finite].to(torch.complex128 if exp.is_complex() else torch.float64) - exp[
                finite
            ].to(torch.complex128 if exp.is_complex() else torch.float64)
            msg += f" (max abs error {float(err.abs().max()):.3g}"
            msg += f"; allowed: rtol={tol.rtol:g}, atol={tol.atol:g})"
    return msg


def compare(
    expected: Any, got: Any, tol: Tolerance = Tolerance(), path: str = ""
) -> Mismatch | None:
    """Return ``None`` if ``got`` matches ``expected`` within ``tol``, else the first difference."""
    ek, gk = _kind(expected), _kind(got)
    if gk == "unsupported":
        return Mismatch(
            path,
            f"got {describe(got)}, which cannot be compared; "
            f"expected {_KIND_WORDS.get(ek, ek)}: {describe(expected)}",
        )
    if ek != gk:
        hint = ""
        if {ek, gk} == {"tensor", "ndarray"}:
            hint = " (convert with torch.from_numpy / .numpy())"
        return Mismatch(
            path,
            f"expected {_KIND_WORDS.get(ek, ek)} ({describe(expected)}), "
            f"got {_KIND_WORDS.get(gk, gk)} ({describe(got)}){hint}",
        )
    if ek == "tensor":
        msg = _compare_arrays(expected, got, tol, "the tensor")
        return Mismatch(path, msg) if msg else None
    if ek == "ndarray":
        msg = _compare_arrays(torch.from_numpy(expected), torch.from_numpy(got), tol, "the array")
        return Mismatch(path, msg) if msg else None
    if ek == "number":
        if isinstance(expected, int) and isinstance(got, int):
            ok = expected == got
        else:
            ok = _close_scalar(float(expected), float(got), tol)
        if ok:
            return None
        detail = ""
        if isinstance(expected, float) and math.isfinite(expected) and math.isfinite(float(got)):
            err = abs(float(got) - expected)
            detail = f" (abs error {err:.3g}; rtol={tol.rtol:g}, atol={tol.atol:g})"
        return Mismatch(path, f"expected {expected!r}, got {got!r}{detail}")
    if ek == "complex":
        if _close_scalar(expected.real, got.real, tol) and _close_scalar(
            expected.imag, got.imag, tol
        ):
            return None
        return Mismatch(path, f"expected {expected!r}, got {got!r}")
    if ek == "list":
        if len(expected) != len(got):
            return Mismatch(
                path, f"expected a list of length {len(expected)}, got length {len(got)}"
            )
        for i, (e, g) in enumerate(zip(expected, got)):
            found = compare(e, g, tol, f"{path}[{i}]")
            if found:
                return found
        return None
    if ek == "dict":
        missing = [k for k in expected if k not in got]
        extra = [k for k in got if k not in expected]
        if missing:
            return Mismatch(path, f"missing key(s) {missing}; got keys {sorted(got)}")
        if extra:
            return Mismatch(path, f"unexpected key(s) {extra}; expected keys {sorted(expected)}")
        for k in expected:
            found = compare(expected[k], got[k], tol, f"{path}[{k!r}]")
            if found:
                return found
        return None
    if expected == got:
        return None
    return Mismatch(path, f"expected {describe(expected)}, got {describe(got)}")
