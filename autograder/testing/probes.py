"""Probes: self-contained functions that run on both sides, and the tolerance tiers."""

from __future__ import annotations

import inspect
import math
import textwrap
from collections.abc import Callable
from typing import Any

import torch

from ..runtime.wire import decode, encode

__all__ = ["T0", "T1", "T2", "Probe", "probe", "probe_scope", "roundtrip"]

T0: dict[str, float] = {"rtol": 0.0, "atol": 0.0}
T1: dict[str, float] = {"rtol": 1e-10, "atol": 1e-12}
T2: dict[str, float] = {"rtol": 1e-6, "atol": 1e-9}


# ------------------------------------------------------------------------------- probes


def probe_scope() -> dict:
    import numpy as np

    from ..runtime import probe_helpers

    return {
        "torch": torch,
        "np": np,
        "numpy": np,
        "math": math,
        "probe_helpers": probe_helpers,
        "__name__": "probe",
    }


class Probe:
    """A self-contained function ``fn(ns, *args) -> plain data``.

    Its source is what runs on both sides: in the sandbox, and here, compiled in the same
    restricted scope (``torch``, ``np``, ``math``, ``probe_helpers``), so a probe that
    leans on its test module's globals fails on the reference too and the build's
    verification catches it.
    """

    def __init__(self, fn: Callable) -> None:
        if fn.__code__.co_freevars:
            raise TypeError(
                f"probe {fn.__name__} must not capture variables "
                f"({', '.join(fn.__code__.co_freevars)})"
            )
        lines = textwrap.dedent(inspect.getsource(fn)).splitlines()
        while lines and lines[0].lstrip().startswith("@"):
            lines.pop(0)
        self.name = fn.__name__
        self.source = "\n".join(lines) + "\n"
        scope = probe_scope()
        exec(compile(self.source, f"<probe {self.name}>", "exec"), scope)
        self.fn = scope[self.name]

    @property
    def spec(self) -> dict:
        return {"name": self.name, "source": self.source}

    def __call__(self, ns: Any, *args: Any) -> Any:
        return self.fn(ns, *args)

    def __repr__(self) -> str:
        return f"<probe {self.name}>"


def probe(fn: Callable) -> Probe:
    """Decorator: mark ``fn(ns, *args)`` as a probe."""
    return Probe(fn)


def roundtrip(value: Any) -> Any:
    """``value`` as it looks after crossing the wire (tuples become lists, and so on)."""
    return decode(*encode(value))
