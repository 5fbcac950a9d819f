"""``autograde gradescope``: what ``run_autograder`` calls inside Gradescope's container.

Layout under the root (``/autograder`` on Gradescope; a temporary folder in tests):
``submission/`` (the student's files), ``results/results.json`` (written here), and
``source/`` (the extracted autograder zip, the course folder). Paths come only from here.

A provisional "grader fault" result is written first and replaced atomically at the end,
so whatever happens in between (a crash of the grader, a kill), Gradescope finds a valid
``results.json`` that does not look like the student's zero.

What this prints is for staff: Gradescope shows ``run_autograder``'s output (which merges
stderr into stdout) to staff only. One line per run says what was graded; on a grader
fault the lines that follow give the fault and its traceback. The student's message says
only that the grader failed and that their instructor can see why.
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path
from typing import Any

from ..course import Course
from .pipeline import grade_file
from .results import error_results, write_json_atomic
from .submission import SubmissionError, choose_submission

__all__ = ["run_gradescope"]


def run_gradescope(
    root: Path, course: Course, assignment_name: str | None = None, zygote: Any = None
) -> int:
    """Grade ``root/submission`` and write ``root/results/results.json``; returns an exit
    code. ``zygote``: a fork server to start the sandbox from (see ``cli._fork_server``)."""
    started = time.monotonic()
    results_path = root / "results" / "results.json"
    assignment = None
    write_json_atomic(
        results_path, error_results(None, "grading did not finish", grader_fault=True)
    )
    try:
        ids = course.ids()
        if assignment_name is None and len(ids) != 1:
            raise RuntimeError(f"the autograder zip must hold exactly one assignment, found {ids}")
        assignment = course.assignment(assignment_name or ids[0])
        try:
            choice = choose_submission(root / "submission", assignment.id)
        except SubmissionError as exc:
            write_json_atomic(
                results_path,
                error_results(
                    assignment, str(exc), grader_fault=False, seconds=time.monotonic() - started
                ),
            )
            return 0
        graded = grade_file(
            course,
            assignment,
            choice.path,
            hide=(str(results_path.parent), str(root / "source")),
            zygote=zygote,
        )
        note = choice.note(assignment.id)
        if note:  # which file was graded, before anything else the student reads
            graded.results["output"] = f"{note}\n\n{graded.results.get('output', '')}"
        write_json_atomic(results_path, graded.results)
        # Gradescope shows run_autograder's output (stdout and stderr) to staff only: one
        # line per run says what was graded.
        print(
            f"[autograde] {assignment.id}: graded {choice.path.relative_to(root)} "
            f"({len(choice.ignored)} other file(s) not graded): score "
            f"{graded.results.get('score')} in {time.monotonic() - started:.1f} s"
            + (" -- GRADER FAULT" if graded.grader_fault else ""),
            file=sys.stderr,
        )
        if graded.grader_fault:
            fault = graded.report.grader_fault if graded.report else ""
            print(f"[autograde] GRADER FAULT: {fault}", file=sys.stderr)
            _print_load_traceback(course, assignment)
            return 2
        return 0
    except Exception as exc:
        print(f"[autograde] GRADER FAULT: {type(exc).__name__}: {exc}", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        write_json_atomic(
            results_path,
            error_results(
                assignment,
                f"{type(exc).__name__}: {exc}",
                grader_fault=True,
                seconds=time.monotonic() - started,
            ),
        )
        return 2


def _print_load_traceback(course: Course, assignment: Any) -> None:
    """The traceback of a reference or hidden-test module that does not load, for staff.

    The runner keeps only the error's one line for a load failure; loading again (a
    module that failed is not kept half-loaded) shows where in the course it broke. Faults
    of any other kind have had their traceback printed where they were caught."""
    from .runner import collect_tests, load_reference

    try:
        load_reference(course, assignment)
        collect_tests(assignment)
    except Exception:
        traceback.print_exc(file=sys.stderr)
