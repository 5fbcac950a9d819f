"""Every assignment of the course: its tests against its reference, and its round trip.

- The hidden tests, run with the reference standing in for the student, give full marks
  (a test that fails its own reference is a broken test).
- The student view of the reference (regions stubbed) scores 0, every case saying "not
  implemented".
- ``autograde build`` writes the three artifacts, the instructor notebook gets full marks
  through the sandbox, the student notebook 0, and nothing leaks. Executing every
  instructor notebook is ``make dist``'s job (it takes minutes); see test_notebooks.py.
"""

from __future__ import annotations

import types

import pytest

from autograder.build.bundle import build_assignment
from autograder.build.verify import verify_build
from autograder.course import Course
from autograder.grading.runner import (
    ReferenceBackend,
    collect_tests,
    load_reference,
    reference_case_count,
    run_tests,
)
from autograder.notebook.regions import student_view

from .conftest import REPO

IDS = Course(REPO).ids()


def _stub_namespace(course: Course, aid: str) -> types.SimpleNamespace:
    source = course.reference_path(aid).read_text()
    names: dict = {"__name__": f"stub_{aid}"}
    exec(compile(student_view(source), f"<student view of {aid}>", "exec"), names)
    return types.SimpleNamespace(**names)


@pytest.mark.parametrize("aid", IDS)
def test_metadata_is_consistent(repo_course, aid):
    a = repo_course.assignment(aid)
    assert a.total_points == 100
    assert len([q for q in a.questions if not q.manual]) >= 4
    tests = collect_tests(a)
    for q in a.questions:
        if not q.manual:
            assert any(t.question == q.id for t in tests), f"{q.id} has no hidden test"


@pytest.mark.parametrize("aid", IDS)
def test_hidden_tests_give_the_reference_full_marks(repo_course, aid):
    a = repo_course.assignment(aid)
    reference = load_reference(repo_course, a)
    tests = collect_tests(a)
    # under a submission's own inputs (hidden inputs depend on its hash)...
    results = run_tests(a, tests, reference, ReferenceBackend(reference), submission_key="k1")
    lost = [f"{t.name}: {r.case}: {r.message}" for t in results for r in t.records if not r.passed]
    assert not lost, "\n".join(lost[:10])
    # ...a test records as many cases as under the inputs its denominator is counted on
    for test, result in zip(tests, results):
        assert len(result.records) == reference_case_count(a, test, reference), test.name
    assert sum(t.score for t in results) == pytest.approx(
        a.total_points - sum(q.points for q in a.questions if q.manual)
    )


@pytest.mark.parametrize("aid", IDS)
def test_stubbed_reference_scores_zero_saying_not_implemented(repo_course, aid):
    a = repo_course.assignment(aid)
    reference = load_reference(repo_course, a)
    results = run_tests(
        a, collect_tests(a), reference, ReferenceBackend(_stub_namespace(repo_course, aid))
    )
    assert sum(t.score for t in results) == 0
    odd = [
        f"{t.name}: {r.case}: {r.message}"
        for t in results
        for r in t.records
        if not r.passed and r.kind not in ("not_implemented", "not_reached")
    ]
    assert not odd, "\n".join(odd[:5])


@pytest.mark.parametrize("aid", IDS)
def test_round_trip_through_the_sandbox(repo_course, aid, tmp_path):
    result = build_assignment(repo_course, repo_course.assignment(aid), tmp_path)
    v = verify_build(repo_course, result, execute=False)
    assert v.ok, "\n".join(v.problems)
