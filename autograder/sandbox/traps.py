"""Runtime traps for forbidden APIs, installed in the sandbox child.

Before the student's code is loaded, every callable any question forbids is replaced,
wherever a loaded module exposes it, by a trap that consults the question whose probe is
running: outside that question it forwards to the original; inside, it records the
violation and raises ``ForbiddenAPIError`` naming the call. Because the traps are in
place before the student's imports run, ``from torch.autograd import grad``, aliases,
``getattr(torch.autograd, "grad")`` and ``importlib.import_module`` all reach a trap.

A violation is recorded before the exception is raised, so catching the exception in the
student's code does not hide it. This is a strong speed bump, not a proof: code in the
same process can dig out the originals, which is why the static scan also flags
indirection for staff review (see docs/security.md).
"""

from __future__ import annotations

import importlib
import inspect
import sys
from typing import Any

__all__ = ["ForbiddenAPIError", "TrapState", "install_traps", "traps_for"]


class ForbiddenAPIError(RuntimeError):
    """A forbidden API was called while a question that forbids it was being graded."""


class TrapState:
    """Which question's probe is running, and what it reached for."""

    def __init__(self) -> None:
        self.question: str | None = None
        self.active: frozenset[str] = frozenset()
        self.violations: list[str] = []
        self.unknown: list[str] = []

    def enter(self, question: str, forbidden: list[str]) -> None:
        self.question, self.active, self.violations = question, frozenset(forbidden), []

    def leave(self) -> None:
        self.question, self.active = None, frozenset()


def _resolve(dotted: str) -> tuple[Any, str, Any]:
    """``"torch.autograd.grad"`` -> (owner object, attribute name, current value)."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:-1]:
            obj = getattr(obj, attr)
        return obj, parts[-1], getattr(obj, parts[-1])
    raise LookupError(dotted)


def _make_trap(name: str, original: Any, state: TrapState) -> Any:
    def refuse() -> None:
        state.violations.append(name)
        raise ForbiddenAPIError(
            f"{name} is not allowed in {state.question}: this question asks you to "
            "compute it yourself"
        )

    if isinstance(original, type):

        def __init__(self, *args, **kwargs):
            if name in state.active:
                refuse()
            original.__init__(self, *args, **kwargs)

        return type(
            original.__name__,
            (original,),
            {
                "__init__": __init__,
                "__module__": original.__module__,
                "__qualname__": original.__qualname__,
                "__doc__": original.__doc__,
            },
        )

    def trap(*args, **kwargs):
        if name in state.active:
            refuse()
        return original(*args, **kwargs)

    for attr in ("__name__", "__qualname__", "__module__", "__doc__"):
        try:
            setattr(trap, attr, getattr(original, attr))
        except (AttributeError, TypeError):
            pass
    return trap


def _expand(name: str) -> list[str]:
    """``module.*`` means every public function the module exposes.

    Functions only: replacing a class that torch itself checks with ``isinstance`` (say
    ``torch.autograd.Function``) would break torch; name a class explicitly to trap its
    construction. Re-exported functions count (``torch.func.grad`` is defined in
    ``torch._functorch``).
    """
    if not name.endswith(".*"):
        return [name]
    module = importlib.import_module(name[:-2])
    public = getattr(module, "__all__", None) or [a for a in dir(module) if not a.startswith("_")]
    out = []
    for attr in public:
        value = getattr(module, attr, None)
        if callable(value) and not isinstance(value, type) and not inspect.ismodule(value):
            out.append(f"{module.__name__}.{attr}")
    return out


# The traps installed in this process: the zygote installs an assignment's once and every
# child it forks inherits them (installing walks every loaded torch module, ~60 ms).
_STATE = TrapState()
_INSTALLED: set[str] = set()


def traps_for(names: list[str]) -> TrapState:
    """This process's trap state, with traps for ``names`` installed (those that this
    process, or the fork server it was forked from, has not installed already)."""
    missing = sorted(set(names) - _INSTALLED)
    if missing:
        install_traps(missing, _STATE)
        _INSTALLED.update(missing)
    return _STATE


def install_traps(names: list[str], state: TrapState) -> dict[str, list[str]]:
    """Replace each forbidden callable by a trap; returns the trap names per entry.

    The trap is keyed by the name as written in ``assignment.toml``; a ``module.*`` entry
    keys each of its members by the entry itself, so forbidding ``torch.func.*`` for a
    question activates all of them.
    """
    groups: dict[str, list[str]] = {}
    for entry in names:
        try:
            members = _expand(entry)
        except ImportError:
            state.unknown.append(entry)
            continue
        groups[entry] = members
        for member in members:
            try:
                owner, attr, original = _resolve(member)
            except (LookupError, AttributeError):
                state.unknown.append(member)
                continue
            trap = _make_trap(entry, original, state)
            setattr(owner, attr, trap)
            # Re-exports: torch.optim.Adam is also torch.optim.adam.Adam.
            for mod in list(sys.modules.values()):
                mod_name = getattr(mod, "__name__", "") or ""
                if not mod_name.startswith("torch"):
                    continue
                try:
                    if getattr(mod, attr, None) is original:
                        setattr(mod, attr, trap)
                except Exception:
                    continue
    return groups
