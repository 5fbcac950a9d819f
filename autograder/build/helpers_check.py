"""An assignment's probe helpers (``tests/helpers.py``) are shipped to the sandbox with
every probe, where the student's code can read them: they must hold nothing secret.

Checked at build time: no two consecutive lines of the reference's solution regions, no salt, and no
import of the reference library, the hidden tests or the grading side of the engine.
"""

from __future__ import annotations

import ast
import itertools

from ..course import Course
from ..notebook.regions import distinctive_lines
from ..spec import Assignment
from ..testing.probes import HELPERS_FILE

__all__ = ["helpers_problems"]

# What a helper may import: what a probe's scope already holds, and the standard library.
_FORBIDDEN_IMPORTS = ("solutions", "assignments", "autograder", "tests")


def helpers_problems(course: Course, assignment: Assignment) -> list[str]:
    """Why ``assignment``'s helpers file may not ship (empty: it may, or there is none)."""
    path = assignment.folder / "tests" / HELPERS_FILE
    if not path.is_file():
        return []
    source = path.read_text(encoding="utf-8")
    where = f"{assignment.id}/tests/{HELPERS_FILE}"
    problems: list[str] = []
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        return [f"{where} does not parse: {exc}"]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if not node.level else ["(relative import)"]
        else:
            continue
        for name in names:
            if name == "(relative import)" or name.split(".")[0] in _FORBIDDEN_IMPORTS:
                problems.append(f"{where} line {node.lineno} imports {name}")
    if assignment.salt and assignment.salt in source:
        problems.append(f"{where} holds the assignment's salt")
    # Two consecutive lines of a solution region: one alone can be a coincidence
    # (``for _ in range(steps):``), two in a row are copied code.
    reference = course.reference_path(assignment.id).read_text(encoding="utf-8")
    secret = distinctive_lines(reference)
    lines = [line.strip() for line in source.splitlines()]
    for lineno, (line, after) in enumerate(itertools.pairwise(lines), 1):
        if line in secret and after in secret:
            q, n = secret[line]
            problems.append(
                f"{where} lines {lineno}-{lineno + 1} are the reference's ({q}, line {n})"
            )
    return problems
