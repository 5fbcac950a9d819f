"""The sandbox child: load a student's definitions, then answer probe calls.

Run as ``python -I -m autograder.sandbox.child REQUEST_FD REPLY_FD`` by ``process.py``,
already inside its limits. Protocol (every message in the wire format):

1. parent -> child: ``{"op": "load", "cells": [[index, source], ...], "forbidden": [...]}``
   child -> parent: ``{"status": "loaded", "defined": [...], "problems": [...], ...}``
2. parent -> child: ``{"op": "call", "id": n, "question": "q1", "forbidden": [...],
   "probe": {"name", "source"}, "args": [...], "seed": int}``
   child -> parent: ``{"id": n, "status": "ok", "value": ...}`` or
   ``{"id": n, "status": "error", "kind": ..., "message": ...}``

The child only reports values; it never says whether anything passed. Nothing here is
trusted by the parent.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
import types

_STUDENT_FRAME_PREFIX = "<cell "


class MissingDefinition(AttributeError):
    """The notebook does not define a name a probe needs."""


class Namespace:
    """Attribute access to the student's definitions, with a clear error when missing."""

    def __init__(self, names: dict) -> None:
        object.__setattr__(self, "_names", names)

    def __getattr__(self, name: str):
        try:
            return object.__getattribute__(self, "_names")[name]
        except KeyError:
            raise MissingDefinition(name) from None

    def __contains__(self, name: str) -> bool:
        return name in object.__getattribute__(self, "_names")


def _student_traceback(exc: BaseException, limit: int = 6) -> str:
    """The frames of the student's own cells, and the exception line."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename.startswith(_STUDENT_FRAME_PREFIX)
    ]
    lines = [
        f"  {f.filename[1:-1]}, line {f.lineno}, in {f.name}"
        + (f"\n    {f.line}" if f.line else "")
        for f in frames[-limit:]
    ]
    summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return "\n".join([*lines, summary]) if lines else summary


def _runtime_stub_module() -> types.ModuleType:
    """``autograde_check`` as seen while grading: check() does nothing here."""
    mod = types.ModuleType("autograde_check")
    vars(mod).update(check=lambda *args, **kwargs: None, check_all=lambda *args, **kwargs: None)
    return mod


def _load(cells: list, names: dict) -> dict:
    import __future__

    import ast

    from ..runtime.extract import describe_cell, plan_cell

    problems, skipped, loaded_cells = [], 0, 0
    flags = 0  # __future__ features seen so far apply to later cells, as in IPython
    for index, source in cells:
        plan = plan_cell(int(index), str(source))
        if plan.error:
            problems.append(plan.error)
            continue
        skipped += plan.skipped
        for node in plan.statements:
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                for alias in node.names:
                    feature = getattr(__future__, alias.name, None)
                    flags |= getattr(feature, "compiler_flag", 0)
                continue
            code = compile(
                ast.Module([node], []), f"<cell {index}>", "exec", flags=flags, dont_inherit=True
            )
            try:
                exec(code, names)
            except NameError as exc:
                if isinstance(node, (ast.Assign, ast.AnnAssign)):
                    continue  # a value computed from an experiment's variables: not a constant
                problems.append(
                    f"{describe_cell(int(index), str(source))}, line {node.lineno}: running "
                    "this definition raised "
                    f"NameError: {str(exc)[:300]}"
                )
            except BaseException as exc:
                kind = type(exc).__name__
                problems.append(
                    f"{describe_cell(int(index), str(source))}, line {node.lineno}: running "
                    "this definition raised "
                    f"{kind}: {str(exc)[:300]}"
                )
        loaded_cells += 1
    defined = sorted(k for k in names if not k.startswith("__"))
    return {
        "status": "loaded",
        "defined": defined[:2000],
        "problems": problems[:100],
        "skipped_statements": skipped,
        "cells": loaded_cells,
        "default_dtype": str(__import__("torch").get_default_dtype()),
    }


def _compile_probe(spec: dict, cache: dict):
    """The probe function of ``spec`` (name, source, and the assignment's helpers source
    if it has one), compiled once, in the scope every side uses."""
    helpers = spec.get("helpers")
    key = (spec["name"], spec["source"], helpers)
    if key not in cache:
        from ..runtime.probe_helpers import probe_scope

        scope = probe_scope(helpers if isinstance(helpers, str) else None)
        exec(compile(spec["source"], f"<probe {spec['name']}>", "exec"), scope)
        cache[key] = scope[spec["name"]]
    return cache[key]


def _call(req: dict, ns: Namespace, traps: tuple, cache: dict) -> bytes:
    """Run one probe call; the reply, encoded for the wire.

    ``traps`` is ``(enter, leave, violations)``, taken from the trap state before any
    student code ran: what the student's code does to the traps module later does not
    change which functions run here."""
    enter, leave, violations = traps
    from ..runtime import probe_helpers
    from ..runtime.outcomes import CallStatus, Failure
    from ..runtime.traps import ForbiddenAPIError
    from ..runtime.wire import encode, frame

    reply = {"id": req["id"]}
    ERROR = CallStatus.ERROR.value
    main_pid = os.getpid()
    probe = _compile_probe(req["probe"], cache)
    probe_helpers.seed_all(req["seed"])
    enter(str(req["question"]), list(req["forbidden"]))
    started = time.perf_counter()
    try:
        value = probe(ns, *req["args"])
    except MissingDefinition as exc:
        reply.update(status=ERROR, kind=Failure.MISSING.value, message=str(exc.args[0]))
    except ForbiddenAPIError as exc:
        reply.update(status=ERROR, kind=Failure.FORBIDDEN.value, message=str(exc))
    except NotImplementedError as exc:
        reply.update(
            status=ERROR,
            kind=Failure.NOT_IMPLEMENTED.value,
            message=str(exc),
            traceback=_student_traceback(exc),
        )
    except (SystemExit, KeyboardInterrupt) as exc:
        reply.update(
            status=ERROR,
            kind=Failure.EXIT.value,
            message=f"your code raised {type(exc).__name__} ({exc!s:.100}) while being graded",
        )
    except BaseException as exc:
        reply.update(
            status=ERROR,
            kind=Failure.EXCEPTION.value,
            message=f"{type(exc).__name__}: {exc!s:.500}",
            traceback=_student_traceback(exc),
        )
    else:
        reply.update(status=CallStatus.OK.value, value=value)
    finally:
        leave()
        if os.getpid() != main_pid:  # a copy made by os.fork() in the student's code
            os._exit(0)
    reply["seconds"] = time.perf_counter() - started
    if violations:
        reply = {
            "id": req["id"],
            "status": "error",
            "kind": "forbidden",
            "message": f"called {violations[0]}, which {req['question']} forbids",
            "seconds": reply["seconds"],
        }
    try:
        return frame(*encode(reply))  # encoded once, here, where a failure can be reported
    except Exception as exc:
        return frame(
            *encode(
                {
                    "id": req["id"],
                    "status": "error",
                    "kind": "unencodable",
                    "message": f"the returned value could not be sent back: {exc}",
                }
            )
        )


def main(argv: list[str]) -> int:
    request_fd, reply_fd = int(argv[1]), int(argv[2])
    os.environ.setdefault("MPLBACKEND", "Agg")
    import torch

    torch.set_num_threads(int(os.environ.get("AUTOGRADE_THREADS", "1")))

    from ..runtime.traps import traps_for
    from .channel import ChannelClosed, read_message, write_frame, write_message

    hello = read_message(request_fd)
    enter, leave, _check, violations = traps_for(list(hello.get("forbidden", [])))
    traps = (enter, leave, violations)
    sys.modules["autograde_check"] = _runtime_stub_module()
    names: dict = {"__name__": "submission", "__builtins__": __builtins__}
    report = _load(hello["cells"], names)
    write_message(reply_fd, report)
    ns = Namespace(names)
    cache: dict = {}  # compiled probes, by name and source (_compile_probe)
    while True:
        try:
            req = read_message(request_fd)
        except ChannelClosed:
            return 0
        if req.get("op") == "exit":
            return 0
        reply = _call(req, ns, traps, cache)
        try:  # what the student printed, for the output tail the parent reads
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        write_frame(reply_fd, reply)


if __name__ == "__main__":
    try:
        code = main(sys.argv)
    finally:
        sys.stdout.flush()
    os._exit(code)
