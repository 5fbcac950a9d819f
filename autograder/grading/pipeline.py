"""One submission file in, one Gradescope results document out: the path every command takes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..course import Course
from ..spec import Assignment
from .results import error_results, gradescope_results
from .runner import GradeReport, grade_cells
from .submission import SubmissionError, read_submission

__all__ = ["Graded", "grade_file"]


@dataclass
class Graded:
    results: dict[str, Any]
    report: GradeReport | None  # None when the file could not be read at all

    @property
    def grader_fault(self) -> bool:
        return bool(self.results.get("extra_data", {}).get("grader_fault"))


def grade_file(
    course: Course,
    assignment: Assignment,
    path: Path,
    hide: tuple[str, ...] = (),
    zygote: Any = None,
    sandbox: Any = None,
) -> Graded:
    """Read, grade and turn into results; never raises for anything the student did."""
    started = time.monotonic()
    try:
        submission = read_submission(path)
    except SubmissionError as exc:
        if sandbox is not None:
            sandbox.release()
        return Graded(
            error_results(
                assignment, str(exc), grader_fault=False, seconds=time.monotonic() - started
            ),
            None,
        )
    report = grade_cells(
        course, assignment, submission.cells, hide=hide, zygote=zygote, sandbox=sandbox
    )
    report.load_problems = submission.notes + report.load_problems
    if submission.assignment_tag and submission.assignment_tag != assignment.id:
        report.load_problems.insert(
            0,
            f"this notebook was made for {submission.assignment_tag}, "
            f"but it was submitted to {assignment.id}",
        )
    return Graded(gradescope_results(report), report)
