"""Code the course gave the student, as the student notebook has it.

The static scan's staff flags (``importlib``, ``sys``, ``inspect`` ...) are for code a
student wrote. Given code that needs such a module (hw12's process launcher, the notebook's
own ``autograde_check`` import cell) would otherwise flag every submission, and flags that
fire on everyone teach staff to ignore them. A flag is dropped only where the student left
the given code exactly as given: the whole cell, for top-level code, or the whole
top-level definition, for code inside one. Any edit there brings the flag back.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

from ..course import Course
from ..spec import Assignment

__all__ = ["ProvidedCode", "drop_findings_in_given_code", "provided_code"]


@dataclass(frozen=True)
class ProvidedCode:
    cells: frozenset[str]  # every code cell of the student notebook, stripped
    definitions: frozenset[str]  # every top-level def/class of it, as source text


def _definitions(source: str) -> dict[str, str]:
    """Top-level definitions of ``source`` by name, as their source text."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            segment = ast.get_source_segment(source, node)
            if segment is not None:
                found[node.name] = segment
    return found


@functools.lru_cache(maxsize=32)
def _provided(course_root: str, assignment_id: str, mtimes: tuple[int, int]) -> ProvidedCode:
    from ..notebook.notebooks import build_notebooks

    course = Course(Path(course_root))
    assignment = course.assignment(assignment_id)
    reference = course.reference_path(assignment_id).read_text(encoding="utf-8")
    student = build_notebooks(assignment, reference).student
    sources = [c.source for c in student.cells if c.cell_type == "code"]
    definitions = {d for s in sources for d in _definitions(s).values()}
    return ProvidedCode(frozenset(s.strip() for s in sources), frozenset(definitions))


def provided_code(course: Course, assignment: Assignment) -> ProvidedCode:
    """The student notebook's code (cached while its sources are unchanged); empty when
    the notebook cannot be built (the grading reports a broken assignment elsewhere)."""
    try:
        mtimes = (
            assignment.notebook_source.stat().st_mtime_ns,
            course.reference_path(assignment.id).stat().st_mtime_ns,
        )
        return _provided(str(course.root), assignment.id, mtimes)
    except Exception:
        return ProvidedCode(frozenset(), frozenset())


def drop_findings_in_given_code(
    findings: list[dict], cells: list[tuple[int, str]], given: ProvidedCode
) -> list[dict]:
    """``findings`` (the scan's, as dicts) without the staff flags that point into given
    code left as given. Forbidden-API findings are always kept: they are the student's
    feedback, and given code never calls a forbidden API."""
    by_index = dict(cells)
    kept = []
    for f in findings:
        if f["kind"] != "forbidden" and f["cell"] in by_index:
            source = by_index[f["cell"]]
            if not f["function"]:
                if source.strip() in given.cells:
                    continue
            else:
                top = f["function"].split(".")[0]
                if _definitions(source).get(top) in given.definitions:
                    continue
        kept.append(f)
    return kept
