"""Probes: self-contained functions that run on both sides, and the tolerance tiers."""

from __future__ import annotations

import inspect
import re
import textwrap
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..runtime.wire import decode, encode

__all__ = [
    "HELPERS_FILE",
    "T0",
    "T1",
    "T2",
    "Probe",
    "assignment_helpers",
    "helpers_module",
    "helpers_source_for",
    "probe",
    "probe_scope",
    "roundtrip",
]

T0: dict[str, float] = {"rtol": 0.0, "atol": 0.0}
T1: dict[str, float] = {"rtol": 1e-10, "atol": 1e-12}
T2: dict[str, float] = {"rtol": 1e-6, "atol": 1e-9}


# ------------------------------------------------------------------------------- probes


#: An assignment's probe helpers: ``assignments/<id>/tests/helpers.py``. Probes of that
#: assignment's tests use them as ``helpers.name(...)``. The file's source is shipped to the
#: sandbox with each probe, so it must hold nothing secret (the build checks it).
HELPERS_FILE = "helpers.py"


def probe_scope(helpers_source: str | None = None) -> dict:
    """The globals a probe runs with (``runtime.probe_helpers.probe_scope``: the same on
    every side)."""
    from ..runtime.probe_helpers import probe_scope as scope

    return scope(helpers_source)


def helpers_module(source: str) -> types.ModuleType:
    """The helpers file as a module, compiled in the probes' own restricted scope."""
    return probe_scope(source)["helpers"]


def helpers_source_for(test_file: str | None) -> str | None:
    """The source of ``tests/helpers.py`` of the assignment a test file belongs to
    (``tests/hidden/test_*.py`` or ``tests/public/test_*.py``), or None."""
    if not test_file:
        return None
    tests = Path(test_file).resolve().parent.parent
    helpers = tests / HELPERS_FILE
    if tests.name != "tests" or not helpers.is_file():
        return None
    return helpers.read_text(encoding="utf-8")


class Probe:
    """A self-contained function ``fn(ns, *args) -> plain data``.

    Its source is what runs on both sides: in the sandbox, and here, compiled in the same
    restricted scope (``torch``, ``np``, ``math``, ``probe_helpers``, and the assignment's
    ``helpers`` where it has a ``tests/helpers.py``), so a probe that
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
        # only a probe that uses the helpers carries them (public checks ship their probes)
        uses = re.search(r"\bhelpers\b", self.source) is not None
        self.helpers = helpers_source_for(inspect.getsourcefile(fn)) if uses else None
        scope = probe_scope(self.helpers)
        exec(compile(self.source, f"<probe {self.name}>", "exec"), scope)
        self.fn = scope[self.name]

    @property
    def spec(self) -> dict:
        spec = {"name": self.name, "source": self.source}
        if self.helpers is not None:
            spec["helpers"] = self.helpers
        return spec

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


def assignment_helpers(test_file: str) -> types.ModuleType:
    """The assignment's probe helpers (``tests/helpers.py``) for a test module:
    ``helpers = assignment_helpers(__file__)``. The same module object the test's probes
    see as ``helpers``, on both sides."""
    source = helpers_source_for(test_file)
    if source is None:
        raise FileNotFoundError(f"no tests/{HELPERS_FILE} next to {test_file}")
    return helpers_module(source)
