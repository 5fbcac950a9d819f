"""Each planted bug in tests/submissions/<id>/bug_*.py costs points on its own question, and
only there (issue #13): a later question whose function uses an earlier one by design gets
the earlier one's expected values (``Grade.replaying``), so a student's bug is charged once.

Graded in-process, as ``autograder.tools.mutants`` grades its mutants: the reference module's
source, then the bug's cell on top (as the bug notebook is the solution notebook plus that
cell), with the hidden tests run against that namespace. ``make matrix`` grades the same
files as notebooks, in the sandbox.
"""

from __future__ import annotations

import re
import types

import pytest

from autograder.grading.runner import (
    ReferenceBackend,
    collect_tests,
    load_reference,
    run_tests,
)

from .conftest import REPO

IDS = ["hw07_nqm", "hw08_sgd_pytorch", "hw09_adamw"]
BUGS = [
    (aid, path.name)
    for aid in IDS
    for path in sorted((REPO / "tests" / "submissions" / aid).glob("bug_*.py"))
]


def _notebook_like(course, aid: str, cell: str) -> types.ModuleType:
    mod = types.ModuleType(f"planted_{aid}")
    source = course.reference_path(aid).read_text(encoding="utf-8")
    exec(compile(source, f"<reference of {aid}>", "exec"), mod.__dict__)
    exec(compile(cell, "<cell bug>", "exec"), mod.__dict__)
    return mod


def test_each_assignment_plants_at_least_three_bugs():
    for aid in IDS:
        assert len([b for b in BUGS if b[0] == aid]) >= 3, aid


@pytest.mark.parametrize("aid, name", BUGS)
def test_a_planted_bug_costs_its_own_question_only(repo_course, aid, name):
    cell = (REPO / "tests" / "submissions" / aid / name).read_text(encoding="utf-8")
    question = re.search(r"^# question: (q\d+)", cell, re.M).group(1)
    a = repo_course.assignment(aid)
    reference = load_reference(repo_course, a)
    student = _notebook_like(repo_course, aid, cell)
    results = run_tests(
        a, collect_tests(a), reference, ReferenceBackend(student), submission_key="k"
    )
    lost: dict[str, float] = {}
    for t in results:
        if t.score < t.max_score - 1e-9:
            lost[t.question.id] = lost.get(t.question.id, 0.0) + t.max_score - t.score
    assert question in lost, f"{name} costs nothing on {question}"
    assert set(lost) == {question}, f"{name} is charged elsewhere too: {lost}"
