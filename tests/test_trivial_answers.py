"""Trivial answers score 0 on every question of every assignment.

A hidden test that a constant, an echo of the input or a tensor of zeros of the right
shape can pass grades nothing. Each graded name of a question (its ``#| include:`` cell in
the notebook) is replaced by a trivial answer, everything else stays the reference, and
that question must score 0:

- ``zeros`` / ``ones``: the reference's own output on the same call (on copies of the
  arguments, so nothing the reference changes in place counts), with every tensor,
  number and bool replaced by zeros or ones: the right shapes, dtypes and containers;
- ``echo``: the first argument, returned as is;
- ``none``: ``None``;
- ``constant``: ``0.5``.

A class (hw04's ``Value``) is replaced by one that accepts any arguments and has nothing.
The hidden tests run in-process against these namespaces, as the reference's own check in
test_assignments.py does (no sandbox: what is measured is the tests, not the isolation).
"""

from __future__ import annotations

import copy
import inspect
import re
import types
from typing import Any

import pytest
import torch

from autograder.course import Course
from autograder.grading.runner import ReferenceBackend, collect_tests, load_reference, run_tests

from .conftest import REPO

IDS = Course(REPO).ids()
KINDS = ("zeros", "ones", "echo", "none", "constant")
#: Where a trivial answer still earns points today: being fixed, assignment by assignment.
#: An entry that passes is reported (XPASS) so that it can be removed.
STILL_EARNS: dict[str, set[str]] = {}
_HEADING = re.compile(r"^# #+ (q\d+)\b")
_INCLUDE = re.compile(r"^#\|\s*include:\s*(.+?)\s*$")


def graded_names(course: Course, aid: str) -> dict[str, list[str]]:
    """Question id -> the names its ``#| include:`` cells bring in, from notebook.py."""
    found: dict[str, list[str]] = {}
    question = None
    for line in course.assignment(aid).notebook_source.read_text().splitlines():
        if m := _HEADING.match(line):
            question = m.group(1)
        elif (m := _INCLUDE.match(line)) and question is not None:
            found.setdefault(question, []).extend(n.strip() for n in m.group(1).split(","))
    return found


def _like(value: Any, fill: float) -> Any:
    """``value`` with every tensor, number and bool replaced by ``fill``."""
    if isinstance(value, torch.Tensor):
        return torch.full_like(value, fill)
    if isinstance(value, bool):
        return bool(fill)
    if isinstance(value, (int, float)):
        return type(value)(fill)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_like(v, fill) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(_like(v, fill) for v in value)
    if isinstance(value, dict):
        return {k: _like(v, fill) for k, v in value.items()}
    return None


def _trivial_function(original: Any, kind: str) -> Any:
    def trivial(*args: Any, **kwargs: Any) -> Any:
        if kind == "none":
            return None
        if kind == "constant":
            return 0.5
        if kind == "echo":
            return args[0] if args else next(iter(kwargs.values()), None)
        out = original(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        return _like(out, 0.0 if kind == "zeros" else 1.0)

    trivial.__signature__ = inspect.signature(original)  # type: ignore[attr-defined]
    trivial.__name__ = original.__name__
    return trivial


class _Nothing:
    """A class that accepts anything and has nothing (a trivial class answer)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass


def trivial_namespace(reference: Any, names: list[str], kind: str) -> types.SimpleNamespace:
    values = dict(vars(reference))
    for name in names:
        original = values[name]
        if isinstance(original, type):
            values[name] = _Nothing
        elif inspect.isfunction(original):
            values[name] = _trivial_function(original, kind)
        # anything else (a constant the question provides) stays as it is
    return types.SimpleNamespace(**values)


@pytest.mark.parametrize("aid", IDS)
def test_every_question_has_graded_names(repo_course, aid):
    a = repo_course.assignment(aid)
    names = graded_names(repo_course, aid)
    reference = load_reference(repo_course, a)
    for q in a.questions:
        if not q.manual:
            assert names.get(q.id), f"{q.id}: no `#| include:` cell under its heading"
            assert all(hasattr(reference, n) for n in names[q.id]), names[q.id]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("aid", IDS)
def test_trivial_answers_score_zero(repo_course, aid, kind, request):
    if kind in STILL_EARNS.get(aid, ()):
        request.applymarker(pytest.mark.xfail(reason="a trivial answer still earns points"))
    a = repo_course.assignment(aid)
    reference = load_reference(repo_course, a)
    tests = collect_tests(a)
    earned = {}
    for question, names in graded_names(repo_course, aid).items():
        backend = ReferenceBackend(trivial_namespace(reference, names, kind))
        own = [t for t in tests if t.question == question]
        results = run_tests(a, own, reference, backend, submission_key=f"trivial-{kind}")
        score = sum(r.score for r in results)
        if score:
            passed = [f"{r.name}: {c.case}" for r in results for c in r.records if c.passed]
            earned[question] = (score, passed[:6])
    assert not earned, earned
