"""Planted bugs (tests/submissions/<id>/bug_*.py) graded in-process: the points each one
loses, per question.

A bug file starts with ``# question: qK``: the question it belongs to. Its cell is
executed after the whole reference module in one namespace (so every function sees it,
as in a notebook), and the hidden tests run against that namespace, as the reference's
own check in tests/test_assignments.py does (no sandbox: what is measured is the tests).
"""

from __future__ import annotations

import re
import types
from pathlib import Path

from autograder.course import Course
from autograder.grading.runner import ReferenceBackend, collect_tests, load_reference, run_tests

REPO = Path(__file__).resolve().parent.parent.parent
SUBMISSIONS = REPO / "tests" / "submissions"


def bug_files(aid: str) -> list[Path]:
    return sorted((SUBMISSIONS / aid).glob("bug_*.py"))


def declared_question(path: Path) -> str:
    m = re.match(r"# question: (q\d+)", path.read_text(encoding="utf-8"))
    assert m, f"{path.name} does not start with '# question: qK'"
    return m.group(1)


def points_lost(aid: str, path: Path) -> dict[str, float]:
    """Question id -> points the submission loses there (questions with no loss left out)."""
    course = Course(REPO)
    a = course.assignment(aid)
    reference = load_reference(course, a)
    # a module, not a copy of its names: a replay swaps names in the module's globals and
    # the probes must see the swap, as they do in the sandbox
    student = types.ModuleType(f"planted_{path.stem}")
    exec(compile(course.reference_path(aid).read_text(), f"<{aid}>", "exec"), vars(student))
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), vars(student))
    results = run_tests(a, collect_tests(a), reference, ReferenceBackend(student), None, "k1")
    lost: dict[str, float] = {}
    for t in results:
        if t.max_score - t.score > 1e-9:
            lost[t.question.id] = lost.get(t.question.id, 0.0) + t.max_score - t.score
    return lost


def template_staff_flags(aid: str, edit: tuple[str, str] | None = None) -> list[str]:
    """The static scan's staff flags on the student template, as grading computes them
    (given code left as given draws none). ``edit``: replace this text by that in the
    template's code first, to see a flag come back once given code is changed."""
    from autograder.grading.provided import drop_findings_in_given_code, provided_code
    from autograder.grading.runner import explain_findings
    from autograder.grading.staticscan import scan_submission
    from autograder.notebook.notebooks import build_notebooks

    course = Course(REPO)
    a = course.assignment(aid)
    built = build_notebooks(a, course.reference_path(aid).read_text())
    cells = [(i, c.source) for i, c in enumerate(built.student.cells) if c.cell_type == "code"]
    if edit is not None:
        cells = [(i, src.replace(*edit)) for i, src in cells]
    findings = [f.__dict__ for f in scan_submission(cells, a.forbidden_apis)]
    findings = drop_findings_in_given_code(findings, cells, provided_code(course, a))
    return explain_findings(course, a, findings)[1]
