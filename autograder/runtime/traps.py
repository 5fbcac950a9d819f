"""Runtime traps for forbidden APIs, installed in the sandbox child (and, for public
checks, in the student's kernel by ``autograde_check``).

Before the student's code is loaded, every callable any question forbids is replaced,
wherever a loaded module exposes it (or, for a module not imported yet, as soon as it is
imported), by a trap that consults the question whose probe is running: outside that
question it forwards to the original; inside, it records the violation and raises
``ForbiddenAPIError`` naming the call. Because the traps are in
place before the student's imports run, ``from torch.autograd import grad``, aliases,
``getattr(torch.autograd, "grad")`` and ``importlib.import_module`` all reach a trap.

A violation is recorded before the exception is raised, so catching the exception in the
student's code does not hide it. This is a strong speed bump, not a proof: code in the
same process can dig out the originals, which is why the static scan also flags
indirection for staff review (see docs/security.md).
"""

from __future__ import annotations

import importlib
import importlib.abc
import inspect
import sys
from collections.abc import Callable
from typing import Any, NamedTuple

__all__ = ["ForbiddenAPIError", "TrapState", "install_traps", "traps_for", "unresolvable"]


class ForbiddenAPIError(RuntimeError):
    """A forbidden API was called while a question that forbids it was being graded."""


class TrapState(NamedTuple):
    """Handles on the traps' state: which question's probe runs, what it reached for.

    The state itself lives in closures, not in attributes: a plain attribute write from
    student code (``traps._STATE.active = ...``, ``TrapState.enter = ...``) changes
    nothing, because the traps were built with, and the child keeps, the functions
    themselves. Digging the closures out (``__closure__``, ``gc``, ``ctypes``) is still
    possible in-process; the trusted side's static scan flags those constructs.
    """

    enter: Callable[[str, list[str]], None]
    leave: Callable[[], None]
    check: Callable[[str], None]  # raises ForbiddenAPIError if the running question forbids
    violations: list[str]


def _new_state() -> TrapState:
    current: dict[str, Any] = {"question": None, "active": frozenset()}
    violations: list[str] = []

    def enter(question: str, forbidden: list[str]) -> None:
        current["question"], current["active"] = question, frozenset(forbidden)
        violations.clear()

    def leave() -> None:
        current["question"], current["active"] = None, frozenset()

    def check(name: str) -> None:
        if name in current["active"]:
            violations.append(name)  # before raising: catching the error does not hide it
            raise ForbiddenAPIError(
                f"{name} is not allowed in {current['question']}: this question asks you "
                "to compute it yourself"
            )

    return TrapState(enter, leave, check, violations)


def _resolve(dotted: str) -> tuple[Any, str, Any]:
    """``"torch.autograd.grad"`` -> (owner object, attribute name, current value), from
    modules already imported: nothing is imported here."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        obj = sys.modules.get(".".join(parts[:cut]))
        if obj is None:
            continue
        for attr in parts[cut:-1]:
            obj = getattr(obj, attr)
        return obj, parts[-1], getattr(obj, parts[-1])
    raise LookupError(dotted)


def _make_trap(name: str, original: Any, check: Callable[[str], None]) -> Any:
    if isinstance(original, type):

        def __init__(self, *args, **kwargs):
            check(name)
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
        check(name)
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
    module = sys.modules.get(name[:-2])
    if module is None:
        raise LookupError(name)  # not imported (yet)
    public = getattr(module, "__all__", None) or [a for a in dir(module) if not a.startswith("_")]
    out = []
    for attr in public:
        value = getattr(module, attr, None)
        if callable(value) and not isinstance(value, type) and not inspect.ismodule(value):
            out.append(f"{module.__name__}.{attr}")
    return out


# The traps installed in this process: the zygote installs an assignment's once and every
# child it forks inherits them (installing walks every loaded torch module, ~60 ms).
_STATE = _new_state()
_INSTALLED: set[str] = set()


def traps_for(names: list[str]) -> TrapState:
    """This process's trap state, with traps for ``names`` installed (those that this
    process, or the fork server it was forked from, has not installed already)."""
    missing = sorted(set(names) - _INSTALLED)
    if missing:
        install_traps(missing, _STATE)
        _INSTALLED.update(missing)
    return _STATE


def install_traps(names: list[str], state: TrapState) -> None:
    """Replace each forbidden callable by a trap.

    The trap is keyed by the name as written in ``assignment.toml``; a ``module.*`` entry
    keys each of its members by the entry itself, so forbidding ``torch.func.*`` for a
    question activates all of them. An entry whose module is not imported yet is trapped
    when it is: importing a package only to forbid part of it (``scipy.stats.qmc.*`` costs
    half a second) would slow down every submission that never touches it.
    """
    for entry in names:
        if not _install(entry, state):
            _PENDING[entry] = state
    if _PENDING and _HOOK not in sys.meta_path:
        sys.meta_path.insert(0, _HOOK)


def _install(entry: str, state: TrapState) -> bool:
    """Trap ``entry`` if what it names is imported; False if not (yet)."""
    try:
        members = [(member, *_resolve(member)) for member in _expand(entry)]
    except (LookupError, AttributeError):
        return False
    for _member, owner, attr, original in members:
        trap = _make_trap(entry, original, state.check)
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
    return True


_PENDING: dict[str, TrapState] = {}  # entries whose modules are not imported yet


class _TrapOnImport(importlib.abc.MetaPathFinder):
    """First on ``sys.meta_path`` while entries are pending: when a module that a pending
    entry may live in has been executed, the entries that now resolve are trapped (before
    the importing code sees the module, so ``from m import f`` gets the trap)."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if not any(e == fullname or e.startswith(fullname + ".") for e in _PENDING):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is not None and hasattr(loader, "exec_module"):
            run = loader.exec_module

            def exec_module(module: Any) -> None:
                run(module)
                for entry, state in list(_PENDING.items()):
                    if _install(entry, state):
                        del _PENDING[entry]

            # deliberate: wrap this loader's own exec_module to install pending traps after it
            loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


_HOOK = _TrapOnImport()


def unresolvable(names: list[str]) -> list[str]:
    """Entries of a forbidden list that name nothing (typos): for checking an assignment
    on the trusted side, where importing their modules costs nothing that matters."""
    bad = []
    for entry in names:
        parts = entry.removesuffix(".*").split(".")
        for cut in range(len(parts), 0, -1):
            try:
                importlib.import_module(".".join(parts[:cut]))
                break
            except ImportError:
                continue
        try:
            members = _expand(entry)
            for member in members:
                _resolve(member)
        except (LookupError, AttributeError):
            bad.append(entry)
    return bad
