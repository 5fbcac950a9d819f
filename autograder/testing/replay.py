"""Replays: a later question's probe calls an earlier question's functions by design; in the
sandbox those answer with the reference's recorded values (values, never code), so a bug
in the earlier question is charged there only."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch

from .probes import Probe, probe_scope, roundtrip

if TYPE_CHECKING:
    from .grade import Grade

__all__ = ["reference_calls", "replaying"]


def reference_calls(
    grade: Grade,
    probe_: Probe,
    names: tuple[str, ...],
    *args: Any,
    torch_classes: dict | None = None,
) -> dict:
    """What an earlier question's functions answered while ``probe_`` ran on the reference.

    For a later question whose function calls earlier ones by design (``precond_risk``
    calling ``sgd_risk``): ``probe_`` runs here, on the reference, with each function
    of ``names`` wrapped to record its calls (arguments, result, and the new values of
    arguments it changed in place). Pass the returned replay, with the same arguments,
    to a probe made by :meth:`replaying`: in the sandbox those functions then answer
    the recorded calls with the reference's values (values, never code), so a bug in an
    earlier question is charged there only. ``torch_classes`` maps names of earlier
    *classes* to a torch class that behaves as the reference's (``{"SGD":
    "torch.optim.SGD"}``), used instead of the student's while the probe runs (list
    them in ``allow`` where the question forbids them).
    """
    target = vars(grade.reference_ns) if not isinstance(grade.reference_ns, dict) else None
    scope = None
    for value in [getattr(grade.reference_ns, n, None) for n in names] + list(
        vars(grade.reference_ns).values()
    ):
        if inspect.isfunction(value) and value.__module__ == getattr(
            grade.reference_ns, "__name__", None
        ):
            scope = value.__globals__
            break
    calls: list = []
    saved: dict[int, tuple[dict, dict]] = {}  # id(namespace) -> (namespace, originals)
    spaces = {id(d): d for d in (scope, target) if d is not None}
    for where in spaces.values():
        for name in names:
            if name in where and callable(where[name]):
                saved.setdefault(id(where), (where, {}))[1][name] = where[name]
                where[name] = _recording(name, where[name], calls)
    try:
        grade._compute_reference(probe_, list(roundtrip(list(args))), grade._seed())
    finally:
        for where, originals in saved.values():
            where.update(originals)
    # where the notebook's functions look names up: found, in the sandbox, through any
    # function the notebook defines (a class has no globals of its own)
    anchors = sorted(
        n
        for n, v in vars(grade.reference_ns).items()
        if not n.startswith("_") and getattr(v, "__globals__", None) is scope
    )[:50]
    return {
        "calls": roundtrip(calls),
        "torch": dict(torch_classes or {}),
        "anchors": [*names, *anchors],
    }


def replaying(probe_: Probe) -> Probe:
    """``probe_`` taking a replay (:meth:`reference_calls`) as its first argument:
    ``grade.compare(grade.replaying(p), replay, *args, ...)``. While ``p`` runs, on both
    sides, a call to a recorded function with the recorded arguments (tensors within
    1e-9 relative) returns the reference's recorded value, in recording order; any
    other call reaches the notebook's own function."""
    name = f"{probe_.name}_replaying"
    source = (
        _REPLAY_SOURCE.replace("__PROBE__", probe_.name).replace("__NAME__", name)
        + "\n"
        + probe_.source
    )
    made = Probe.__new__(Probe)
    made.name = name
    made.source = source
    made.helpers = probe_.helpers
    scope = probe_scope(made.helpers)
    exec(compile(source, f"<probe {name}>", "exec"), scope)
    made.fn = scope[name]
    return made


def _recording(name: str, fn: Callable, calls: list) -> Callable:
    """``fn``, recording each call as [name, positional args, keyword args, result, after]."""
    code = getattr(fn, "__code__", None)
    params = code.co_varnames[: code.co_argcount] if code is not None else ()

    def recorded(*args: Any, **kwargs: Any) -> Any:
        pos = list(args) + [kwargs[p] for p in params[len(args) :] if p in kwargs]
        rest = {k: v for k, v in kwargs.items() if k not in params[len(args) :]}
        before = _plain(pos, clone=True)
        result = fn(*args, **kwargs)
        after = [
            _plain(a, clone=True) if not _same_value(_plain(a), b) else None
            for a, b in zip(pos, before)
        ]
        calls.append([name, before, _plain(rest, clone=True), _plain(result, clone=True), after])
        return result

    return recorded


def _plain(value: Any, clone: bool = False) -> Any:
    """``value`` as wire data; what cannot cross (a generator, a module) becomes None,
    which the replay reads as "any value"."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone() if clone else value.detach()
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v, clone) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _plain(v, clone) for k, v in value.items()}
    return None


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a.shape == b.shape and a.dtype == b.dtype and bool(torch.equal(a, b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and not isinstance(a, torch.Tensor) and a == b


# The replay's side of Grade.replaying: compiled with the probe (same restricted scope),
# shipped to the sandbox as source. It holds no answer: only the recorded values it gets.
_REPLAY_SOURCE = """
def __NAME__(ns, replay, *args):
    def same(a, b):
        if b is None:
            return True
        if isinstance(b, torch.Tensor):
            if not isinstance(a, torch.Tensor) or a.shape != b.shape:
                return False
            a = a.detach()
            if a.dtype != b.dtype and not (a.is_floating_point() and b.is_floating_point()):
                return False
            return bool(torch.allclose(a.to(b.dtype).cpu(), b, rtol=1e-9, atol=1e-12))
        if isinstance(b, (list, tuple)):
            return (
                isinstance(a, (list, tuple))
                and len(a) == len(b)
                and all(same(x, y) for x, y in zip(a, b))
            )
        if isinstance(b, dict):
            return isinstance(a, dict) and set(a) == set(b) and all(same(a[k], b[k]) for k in b)
        if isinstance(b, bool) or isinstance(a, bool):
            return a is b or a == b
        if isinstance(b, (int, float)) and isinstance(a, (int, float)):
            return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-300)
        return a == b

    def copy(value):
        if isinstance(value, torch.Tensor):
            return value.clone()
        if isinstance(value, list):
            return [copy(v) for v in value]
        if isinstance(value, dict):
            return {k: copy(v) for k, v in value.items()}
        return value

    def write(dst, src):
        if isinstance(dst, torch.Tensor) and isinstance(src, torch.Tensor):
            with torch.no_grad():
                dst.copy_(src.to(dst.dtype))
        elif isinstance(dst, (list, tuple)) and isinstance(src, list):
            for d, s in zip(dst, src):
                write(d, s)

    def fake(name, own, calls, used):
        code = getattr(own, "__code__", None)
        params = code.co_varnames[: code.co_argcount] if code is not None else ()

        def answer(*a, **kw):
            pos = list(a) + [kw[p] for p in params[len(a):] if p in kw]
            rest = {k: v for k, v in kw.items() if k not in params[len(a):]}
            for i, call in enumerate(calls):
                if call[0] != name or i in used:
                    continue
                if same(pos, call[1]) and same(rest, call[2]):
                    used.add(i)
                    for arg, new in zip(pos, call[4]):
                        if new is not None:
                            write(arg, new)
                    return copy(call[3])
            if own is None:
                raise NameError(name)
            return own(*a, **kw)

        return answer

    calls = list(replay.get("calls", []))
    names = sorted({c[0] for c in calls} | set(replay.get("torch", {})))
    scope = None
    for n in [*names, *replay.get("anchors", [])]:
        try:
            scope = getattr(getattr(ns, n), "__globals__", None)
        except Exception:
            scope = None
        if scope is not None and n in scope:
            break
        scope = None
    if scope is None:
        return __PROBE__(ns, *args)
    saved, used = {}, set()
    try:
        for n in names:
            saved[n] = scope.get(n, saved)
            if n in replay.get("torch", {}):
                obj = torch
                for part in replay["torch"][n].split(".")[1:]:
                    obj = getattr(obj, part)
                scope[n] = obj
            else:
                own = scope.get(n)
                scope[n] = fake(n, own, calls, used)
        return __PROBE__(ns, *args)
    finally:
        for n, old in saved.items():
            if old is saved:
                scope.pop(n, None)
            else:
                scope[n] = old
"""
