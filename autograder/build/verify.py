"""Verify built artifacts: what ``make dist`` promises of every assignment.

1. The instructor notebook scores full marks.
2. The student notebook (from the student zip) scores 0, without crashing, and every
   failed case says its question is not implemented yet.
3. No line of a solution region appears in the student zip.
4. The instructor notebook executes top to bottom (nbclient), public checks strict,
   within the assignment's time budget.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..course import Course
from ..grading.runner import GradeReport, grade_cells
from ..grading.submission import read_submission
from ..runtime.outcomes import Failure
from .bundle import BuildResult, copy_runtime_next_to, find_leaks, read_zip, unpack_student_bundle
from .helpers_check import helpers_problems

__all__ = ["Verification", "execute_notebook", "verify_build"]


@dataclass
class Verification:
    assignment: str
    problems: list[str] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _grade_file(course: Course, result: BuildResult, path: Path) -> GradeReport:
    return grade_cells(course, result.assignment, read_submission(path).cells)


def execute_notebook(path: Path, timeout_s: float) -> float:
    """Run every cell of ``path`` in a fresh kernel, in its folder; returns seconds taken."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    env_before = os.environ.get("AUTOGRADE_CHECK_STRICT")
    os.environ["AUTOGRADE_CHECK_STRICT"] = "1"
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        client = NotebookClient(
            nb,
            timeout=int(max(timeout_s, 1)),
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        started = time.monotonic()
        client.execute()
        return time.monotonic() - started
    finally:
        if env_before is None:
            os.environ.pop("AUTOGRADE_CHECK_STRICT", None)
        else:
            os.environ["AUTOGRADE_CHECK_STRICT"] = env_before


def verify_build(course: Course, result: BuildResult, execute: bool = True) -> Verification:
    a = result.assignment
    v = Verification(a.id)
    reference_source = course.reference_path(a.id).read_text(encoding="utf-8")

    leaks = find_leaks(read_zip(result.student_zip), reference_source)
    v.problems += helpers_problems(course, a)
    if leaks:
        v.problems.append("student zip leaks solution lines: " + "; ".join(leaks[:5]))
    from ..runtime.traps import unresolvable

    typos = unresolvable(a.forbidden_apis)
    if typos:
        v.problems.append(
            "assignment.toml forbids names that do not exist (typos? nothing would be "
            "refused): " + ", ".join(typos)
        )

    started = time.monotonic()
    full = _grade_file(course, result, result.instructor_notebook)
    v.figures["grade_instructor_s"] = time.monotonic() - started
    if full.grader_fault or full.load_failure or abs(full.score - a.autograded_points) > 1e-3:
        lost = [
            f"{t.name}: {r.case}: {r.message}"
            for t in full.tests
            for r in t.records
            if not r.passed
        ]
        v.problems.append(
            f"instructor notebook scored {full.score:g}/{a.autograded_points:g} "
            f"({full.grader_fault or full.load_failure or '; '.join(lost[:5])})"
        )
    if full.load_problems:
        v.problems.append(
            "instructor notebook has load problems: " + "; ".join(full.load_problems[:3])
        )

    with tempfile.TemporaryDirectory() as tmp:
        folder = unpack_student_bundle(result.student_zip, Path(tmp))
        empty = _grade_file(course, result, folder / f"{a.id}.ipynb")
        if empty.grader_fault or empty.score != 0:
            v.problems.append(
                f"student notebook scored {empty.score:g} (expected 0) "
                f"{empty.grader_fault or ''}".strip()
            )
        wrong = [
            (t.name, r)
            for t in empty.tests
            for r in t.records
            if not r.passed and r.kind not in (Failure.NOT_IMPLEMENTED, Failure.NOT_REACHED)
        ]
        if wrong:
            name, r = wrong[0]
            v.problems.append(
                f"student notebook: {len(wrong)} failed cases do not say "
                f"'not implemented' (first: {name}: {r.case}: {r.message[:200]})"
            )
        if not any(t.records for t in empty.tests):
            v.problems.append("student notebook: no test ran a case")

    if execute:
        with tempfile.TemporaryDirectory() as tmp:
            nb_path = copy_runtime_next_to(
                result.instructor_notebook, result.student_zip, Path(tmp)
            )
            try:
                seconds = execute_notebook(nb_path, a.notebook_budget_s)
                v.figures["execute_s"] = seconds
                if seconds > a.notebook_budget_s:
                    v.problems.append(
                        f"instructor notebook took {seconds:.1f} s, over its "
                        f"{a.notebook_budget_s:g} s budget"
                    )
            except Exception as exc:
                v.problems.append(
                    f"instructor notebook failed to execute: {type(exc).__name__}: "
                    f"{str(exc)[-1500:]}"
                )
    return v
