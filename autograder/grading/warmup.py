"""What a fork server should import before forking: the modules an assignment's notebook
imports, read from the student notebook's code (public, like everything a fork server
holds)."""

from __future__ import annotations

import sys
from collections.abc import Set as AbstractSet

from ..course import Course
from ..spec import Assignment

__all__ = ["modules_to_warm", "notebook_imports"]


def notebook_imports(cells: list[str]) -> tuple[list[str], list[str]]:
    """The modules that code cells import (``import a.b``, ``from c.d import e``), in order:
    those imported when the cells run, and those imported only inside functions. Cells
    that are not Python (magics) are skipped."""
    import ast

    top: list[str] = []
    inner: list[str] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        names = top if not in_function else inner
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
        in_function = in_function or isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
        )
        for child in ast.iter_child_nodes(node):
            visit(child, in_function)

    for cell in cells:
        try:
            visit(ast.parse(cell), False)
        except SyntaxError:
            continue

    def clean(names: list[str], skip: AbstractSet[str] = frozenset()) -> list[str]:
        return [
            n
            for n in dict.fromkeys(names)
            if n.split(".")[0] != "autograde_check" and n not in skip
        ]

    top = clean(top)
    return top, clean(inner, set(top))


def modules_to_warm(course: Course, assignment: Assignment) -> tuple[list[str], list[str]]:
    """What the fork server imports: what the student notebook imports when it runs
    (before serving), and what it imports inside functions, such as a data loader's
    ``sklearn.datasets`` (once the reference is seen to need it)."""
    from ..notebook.notebooks import build_notebooks

    try:
        reference = course.reference_path(assignment.id).read_text(encoding="utf-8")
        student = build_notebooks(assignment, reference).student
    except Exception as exc:  # the grading itself reports a broken assignment
        print(f"warning: no modules pre-imported ({type(exc).__name__}: {exc})", file=sys.stderr)
        return [], []
    return notebook_imports([c.source for c in student.cells if c.cell_type == "code"])
