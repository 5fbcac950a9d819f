"""One submission file in, one Gradescope results document out: the path every command takes.

:class:`Grader` owns the lifecycle of grading one assignment: the fork server (started
before anything secret is read, so that it holds nothing secret), reading the reference
and the hidden tests before any student code runs, reading each submission once, starting
its sandbox early (the child imports while this process loads the reference), and
releasing it. ``autograde run``, ``autograde gradescope`` and batch grading all go
through it.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..course import Course
from ..sandbox.forkserver import Zygote
from ..spec import Assignment
from .loading import read_secrets_first
from .results import error_results, gradescope_results
from .runner import GradeReport, grade_cells
from .submission import SubmissionError, read_submission

__all__ = ["Graded", "Grader", "grade_file", "start_fork_server"]


@dataclass
class Graded:
    results: dict[str, Any]
    report: GradeReport | None  # None when the file could not be read at all

    @property
    def grader_fault(self) -> bool:
        return bool(self.results.get("extra_data", {}).get("grader_fault"))


def start_fork_server() -> Zygote | None:
    """A fork server copied from this process once torch is imported: sandbox children
    start without importing torch again. Call it before the assignment (its salt), the
    reference or the tests are read. None where forking is not possible."""
    try:
        return Zygote.fork_here()
    except OSError as exc:
        print(f"[autograde] no fork server ({exc}); spawning the sandbox", file=sys.stderr)
        return None


class Grader:
    """Grades submissions of one assignment.

    ``hide``: folders the sandbox must not see, beyond the course's reference library and
    assignments (always hidden). ``zygote``: a fork server to fork sandbox children from
    (None: spawn them).
    """

    def __init__(
        self,
        course: Course,
        assignment: Assignment,
        *,
        hide: tuple[str, ...] = (),
        zygote: Zygote | None = None,
    ) -> None:
        self.course = course
        self.assignment = assignment
        self.hide = hide
        self.zygote = zygote

    @classmethod
    @contextlib.contextmanager
    def session(
        cls, course: Course, assignment_name: str, *, hide: tuple[str, ...] = ()
    ) -> Iterator[Grader]:
        """A grader with its own fork server, closed at the end. The fork server starts
        first, before the assignment's file (its salt) is read."""
        zygote = start_fork_server()
        try:
            assignment = course.assignment(assignment_name)
            read_secrets_first(course, assignment)
            yield cls(course, assignment, hide=hide, zygote=zygote)
        finally:
            if zygote is not None:
                zygote.close()

    def grade_path(self, path: Path) -> Graded:
        """Read, grade and turn into results; never raises for anything the student did."""
        started = time.monotonic()
        try:
            submission = read_submission(path)
        except SubmissionError as exc:
            results = error_results(
                self.assignment, str(exc), grader_fault=False, seconds=time.monotonic() - started
            )
            return Graded(results, None)
        course, assignment = self.course, self.assignment
        # grade_cells reads the reference and tests first where there is no uid boundary,
        # then starts the sandbox child and loads the reference while the child imports.
        report = grade_cells(
            course, assignment, submission.cells, hide=self.hide, zygote=self.zygote
        )
        report.load_problems = submission.notes + report.load_problems
        if submission.assignment_tag and submission.assignment_tag != assignment.id:
            report.load_problems.insert(
                0,
                f"this notebook was made for {submission.assignment_tag}, "
                f"but it was submitted to {assignment.id}",
            )
        return Graded(gradescope_results(report), report)


def grade_file(
    course: Course,
    assignment: Assignment,
    path: Path,
    hide: tuple[str, ...] = (),
    zygote: Zygote | None = None,
) -> Graded:
    """``Grader(course, assignment, hide=hide, zygote=zygote).grade_path(path)``."""
    return Grader(course, assignment, hide=hide, zygote=zygote).grade_path(path)
