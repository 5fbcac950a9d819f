"""Public checks for your notebook: ``check("q1")`` and ``check_all()``.

Each check calls your functions on fixed inputs and compares the result with values
recorded from the reference solution (in ``checks.json`` next to this file). Passing the
public checks is a good sign, not a guarantee: the grader runs more cases, with other
inputs. Nothing here sends your work anywhere.

Importing this module (the notebook's first cell) puts the grader's traps on the APIs a
question forbids, as the grader does: outside a check they do nothing, and during
``check("q5")`` a call that q5 forbids is refused with the grader's own message.
"""

from __future__ import annotations

import html
import json
import os
import sys
import traceback
from pathlib import Path

import torch  # noqa: F401 - loaded first: the traps below go onto torch's functions

from . import probe_helpers, traps
from .compare import Tolerance, compare
from .wire import decode, encode, from_text

__all__ = ["check", "check_all"]

_CHECKS = Path(__file__).with_name("checks.json")


def _install_traps() -> traps.TrapState | None:
    """The grader's traps on every API some check forbids, before your imports bind them
    (so ``from torch.autograd import grad`` reaches the trap too)."""
    try:
        data = json.loads(_CHECKS.read_text(encoding="utf-8"))
        names = sorted(
            {
                n
                for items in data["questions"].values()
                for i in items
                for n in i.get("forbidden", [])
            }
        )
        return traps.traps_for(names)
    except Exception:  # no checks.json, or an older one: the checks run without traps
        return None


_TRAPS = _install_traps()


class _Namespace:
    def __init__(self, names: dict) -> None:
        self._names = names

    def __getattr__(self, name: str):
        try:
            return self._names[name]
        except KeyError:
            raise NameError(
                f"`{name}` is not defined: run the cell that defines it first "
                "(and keep the names given in the notebook)"
            ) from None


def _load() -> dict:
    try:
        return json.loads(_CHECKS.read_text(encoding="utf-8"))
    except OSError:
        raise RuntimeError(
            f"cannot find {_CHECKS}: keep the autograde_check folder next to your notebook"
        ) from None


def _probe(spec: dict):
    helpers = spec.get("helpers")  # the assignment's probe helpers, if the check uses them
    scope = probe_helpers.probe_scope(helpers if isinstance(helpers, str) else None)
    exec(compile(spec["source"], f"<check {spec['name']}>", "exec"), scope)
    return scope[spec["name"]]


class CheckResults:
    """The outcome of ``check``: shows as a table in Jupyter, as text elsewhere."""

    def __init__(self, rows: list[tuple[str, str, bool, str]]) -> None:
        self.rows = rows

    @property
    def passed(self) -> bool:
        return all(ok for _, _, ok, _ in self.rows)

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        lines = []
        for q, case, ok, msg in self.rows:
            lines.append(
                f"{'PASS' if ok else 'FAIL'}  {q}  {case}" + (f"\n      {msg}" if msg else "")
            )
        n_ok = sum(ok for *_, ok, _ in self.rows)
        lines.append(f"{n_ok}/{len(self.rows)} public checks passed")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><td>{'✅' if ok else '❌'}</td><td>{html.escape(q)}</td>"
            f"<td>{html.escape(case)}</td><td><pre style='margin:0;white-space:pre-wrap'>"
            f"{html.escape(msg)}</pre></td></tr>"
            for q, case, ok, msg in self.rows
        )
        n_ok = sum(ok for *_, ok, _ in self.rows)
        return (
            f"<table><thead><tr><th></th><th>question</th><th>case</th><th>message</th></tr>"
            f"</thead><tbody>{body}</tbody></table>"
            f"<p>{n_ok}/{len(self.rows)} public checks passed</p>"
        )


def _run_case(q: str, item: dict, ns: _Namespace) -> tuple[str, str, bool, str]:
    case = item["case"]
    try:
        fn = _probe(item["probe"])
        args = from_text(item["args"])
        # the seed the expected value was recorded under; your random state is kept
        with probe_helpers.seeded(int(item.get("seed", 0))):
            if _TRAPS is not None:
                _TRAPS.enter(q, list(item.get("forbidden", [])))
            try:
                got = decode(*encode(fn(ns, *args)))
            finally:
                if _TRAPS is not None:
                    _TRAPS.leave()
    except traps.ForbiddenAPIError as exc:
        return q, case, False, f"refused: {exc}"
    except NotImplementedError as exc:
        return q, case, False, f"not implemented yet ({exc})"
    except Exception as exc:
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if f.filename.startswith("<ipython") or f.filename.startswith("/tmp/ipykernel")
        ]
        where = f" (in {frames[-1].name}, line {frames[-1].lineno})" if frames else ""
        return q, case, False, f"{type(exc).__name__}: {exc}{where}"
    expected = from_text(item["expected"])
    mismatch = compare(expected, got, Tolerance(item["rtol"], item["atol"]))
    return q, case, mismatch is None, "" if mismatch is None else f"wrong result: {mismatch}"


def check(question: str, namespace: dict | None = None) -> CheckResults:
    """Run the public checks of one question (``"q1"``) on your definitions."""
    data = _load()
    if question not in data["questions"]:
        raise ValueError(f"no question {question!r}; questions: {', '.join(data['questions'])}")
    names = namespace if namespace is not None else vars(sys.modules["__main__"])
    ns = _Namespace(names)
    result = CheckResults([_run_case(question, item, ns) for item in data["questions"][question]])
    if os.environ.get("AUTOGRADE_CHECK_STRICT") and not result.passed:
        raise AssertionError(f"public checks failed:\n{result!r}")
    return result


def check_all(namespace: dict | None = None) -> CheckResults:
    """Run every question's public checks."""
    data = _load()
    names = namespace if namespace is not None else vars(sys.modules["__main__"])
    ns = _Namespace(names)
    rows = [_run_case(q, item, ns) for q, items in data["questions"].items() for item in items]
    result = CheckResults(rows)
    if os.environ.get("AUTOGRADE_CHECK_STRICT") and not result.passed:
        raise AssertionError(f"public checks failed:\n{result!r}")
    return result
