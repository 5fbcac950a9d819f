"""Gradescope's results format, the feedback a student reads, and atomic writes.

Every string that came from the sandbox is cut to size and made valid UTF-8 before it
goes into results; numbers are checked finite, so ``json.dumps(allow_nan=False)`` can
never fail on a student's NaN.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..runtime.outcomes import Failure, Outcome
from ..spec import Assignment
from ..untrusted_text import student_text

if TYPE_CHECKING:  # the runner imports torch, which writing results does not need
    from .runner import GradeReport, TestResult

__all__ = ["error_results", "feedback_markdown", "gradescope_results", "write_json_atomic"]

MAX_TEST_OUTPUT = 8_000
MAX_CASES_SHOWN = 12


def clean(text: str, limit: int = MAX_TEST_OUTPUT) -> str:
    text = str(text).replace("\x00", "").encode("utf-8", errors="replace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 20] + "\n… (truncated)"


def _finite(x: float) -> float:
    return float(x) if math.isfinite(x) else 0.0


def pretty_test_name(name: str) -> str:
    """``test_q3_backward_matches_reference`` -> ``backward matches reference``."""
    parts = name.split("_", 2)
    return parts[2].replace("_", " ") if len(parts) == 3 else name


def test_output(t: TestResult) -> str:
    passed = sum(r.weight for r in t.records if r.passed)
    total = sum(r.weight for r in t.records)
    lines = [f"**{passed:g}/{total:g} cases passed** ({t.score:g}/{t.max_score:g} points)"]
    if not t.records:
        lines.append("No case ran.")
    failures = [r for r in t.records if not r.passed]
    if failures and all(r.kind in (Failure.NOT_IMPLEMENTED, Failure.NOT_REACHED) for r in failures):
        lines.append(f"\n{t.question.id}: {failures[0].message}")
        return clean("\n".join(lines))
    for r in failures[:MAX_CASES_SHOWN]:
        body = r.message.replace("\n", "\n  ")
        counts = (
            f" (counts as {r.weight:g} cases)"
            if r.weight != 1 and r.kind != Failure.NOT_REACHED
            else ""
        )
        lines.append(f"- ✗ *{r.case}*{counts}: {body}")
    if len(failures) > MAX_CASES_SHOWN:
        lines.append(f"- … and {len(failures) - MAX_CASES_SHOWN} more failed cases")
    return clean("\n".join(lines))


def _summary(report: GradeReport) -> str:
    a = report.assignment
    lines = [f"## {a.id}: {a.title}", f"Score: **{report.score:g} / {a.autograded_points:g}**", ""]
    for q in a.questions:
        tests = [t for t in report.tests if t.question.id == q.id]
        got = sum(t.score for t in tests)
        flag = "manual grading" if q.manual else f"{got:g} / {q.points:g}"
        lines.append(f"- {q.id} {q.title}: {flag}")
    if report.load_failure:
        lines += ["", f"**Your notebook could not be loaded:** {report.load_failure}"]
    if report.load_problems:
        lines += ["", "**Problems while loading your notebook** (the rest was graded):"]
        lines += [f"- {student_text(p, 500)}" for p in report.load_problems[:10]]
    if report.scan_notes:
        lines += ["", "**Forbidden calls found in your code:**"]
        lines += [f"- {n}" for n in report.scan_notes[:10]]
    return "\n".join(lines)


def gradescope_results(report: GradeReport) -> dict[str, Any]:
    """The ``results.json`` document for a graded submission."""
    if report.grader_fault:
        return error_results(
            report.assignment, report.grader_fault, grader_fault=True, seconds=report.seconds
        )
    tests: list[dict[str, Any]] = []
    if report.load_failure or report.load_problems:
        tests.append(
            {
                "name": "Loading your notebook",
                "status": "failed",
                "output": clean(
                    "\n".join(
                        ([report.load_failure] if report.load_failure else [])
                        + [f"- {student_text(p, 500)}" for p in report.load_problems]
                    )
                ),
                "output_format": "md",
                "visibility": "visible",
            }
        )
    for t in report.tests:
        tests.append(
            {
                "name": clean(
                    f"{t.question.id} {t.question.title}: {pretty_test_name(t.name)}", 200
                ),
                "score": _finite(t.score),
                "max_score": _finite(t.max_score),
                "status": "passed" if t.score >= t.max_score - 1e-9 else "failed",
                "output": test_output(t),
                "output_format": "md",
                "visibility": t.question.visibility,
                "tags": [t.question.id],
            }
        )
    leaderboard = [entry for t in report.tests for entry in t.leaderboard]
    results: dict[str, Any] = {
        "score": _finite(report.score),
        "execution_time": max(1, round(report.seconds)),
        "output": clean(_summary(report)),
        "output_format": "md",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if leaderboard:
        results["leaderboard"] = leaderboard
    # For staff only (Gradescope does not show extra_data to students).
    results["extra_data"] = {
        "outcome": (
            Outcome.GRADED_WITH_LOAD_PROBLEMS
            if report.load_failure or report.load_problems
            else Outcome.GRADED
        ).value,
        "grader_fault": False,
        "assignment": report.assignment.id,
        "isolation": report.isolation,
        "staff_flags": report.staff_flags,
        "retried_after_kill": report.retried_after_kill,
    }
    return results


def error_results(
    assignment: Assignment | None, message: str, *, grader_fault: bool, seconds: float = 0.0
) -> dict[str, Any]:
    """Results for a submission that could not be graded at all.

    A student's problem (not a notebook, say) is said plainly. A grader fault gets a
    neutral message for the student, is flagged in ``extra_data`` for staff, and the full
    text goes to stderr.
    """
    if grader_fault:
        text = (
            "The autograder failed while grading this submission: this is not your fault, "
            "and this is not your grade. Your instructor can see what went wrong in the "
            "autograder's output. You do not need to resubmit unless they ask you to."
        )
    else:
        text = f"Your submission could not be graded: {message}"
    return {
        "score": 0.0,
        "execution_time": max(1, round(seconds)),
        "output": clean(text),
        "output_format": "md",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": "Grading",
                "status": "failed",
                "output": clean(text),
                "output_format": "md",
                "visibility": "visible",
            }
        ],
        "extra_data": {
            "outcome": (Outcome.GRADER_FAULT if grader_fault else Outcome.NOT_GRADED).value,
            "grader_fault": grader_fault,
            "assignment": assignment.id if assignment else None,
        },
    }


def feedback_markdown(results: dict[str, Any]) -> str:
    """What the student sees, as one Markdown page (for local grading and ``run``)."""
    lines = [str(results.get("output", "")), ""]
    for t in results.get("tests", []):
        mark = "✓" if t.get("status") == "passed" else "✗"
        score = f" ({t['score']:g}/{t['max_score']:g})" if "score" in t else ""
        lines += [f"### {mark} {t['name']}{score}", "", str(t.get("output", "")), ""]
    return "\n".join(lines)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, whole."""
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
