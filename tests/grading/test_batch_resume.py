"""Resuming a batch never mixes things up: a result is reused only when it was graded
against this assignment, reference, hidden tests and submission file (issue 17)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from autograder.course import Course
from autograder.grading.batch import BatchError, grade_class
from autograder.grading.batch_resume import OutputLock
from tests.grading.test_batch import CASES, _rows

# Three students with different scores (see tests/grading/test_batch.py's CLASS).
SMALL = {
    "alice": "cheat_reseed_rngs.py",
    "bob": "broken_wrong_dtype.py",
    "carol": "partial_first_question_only.py",
}


def small_class(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    for student, case in SMALL.items():
        shutil.copy(CASES / case, folder / f"{student}.py")
    return folder


def course_copy(demo_course: Course, tmp_path: Path) -> Course:
    """A course of this test's own, to change its reference or tests."""
    root = tmp_path / "course"
    shutil.copytree(demo_course.root, root)
    return Course(root)


def _results(out: Path, student: str) -> dict:
    return json.loads((out / "results" / f"{student}.json").read_text())


@pytest.mark.slow
def test_each_result_records_what_it_was_graded_against_and_resume_checks_it(
    demo_course, tmp_path, capsys
):
    course = course_copy(demo_course, tmp_path)
    a = course.assignment("hw99")
    folder, out = small_class(tmp_path), tmp_path / "out"

    first = grade_class(course, a, [folder], out, jobs=2)
    assert (first.graded, first.skipped, first.failed) == (3, 0, [])
    totals = {s: float(r["total"]) for s, r in _rows(out).items()}
    assert len(set(totals.values())) == 3  # three different scores: a mix-up would show
    stamped = _results(out, "alice")["extra_data"]
    assert stamped["assignment"] == a.id
    digest = hashlib.sha256((folder / "alice.py").read_bytes()).hexdigest()
    assert stamped["batch"]["submission"] == digest
    grader = stamped["batch"]["grader"]
    assert all(_results(out, s)["extra_data"]["batch"]["grader"] == grader for s in SMALL)

    # Nothing changed: nothing graded, and a killed write's leftover is cleaned up.
    (out / "results" / ".alice.json.1234.tmp").write_text("{")
    again = grade_class(course, a, [folder], out, jobs=2)
    assert (again.graded, again.skipped) == (0, 3)
    assert not list(out.rglob(".*.tmp"))

    # A corrupt result, a lost feedback file and a resubmission: each is graded again,
    # the corrupt file is named in a warning, and the summary counts why.
    (out / "results" / "alice.json").write_text('{"score": 10')
    (out / "feedback" / "bob.md").unlink()
    shutil.copy(folder / "alice.py", folder / "carol.py")
    capsys.readouterr()
    third = grade_class(course, a, [folder], out, jobs=2)
    assert (third.graded, third.skipped) == (3, 0)
    assert third.reasons == {"corrupt": 1, "feedback": 1, "resubmitted": 1}
    assert any("results/alice.json is unreadable" in w for w in third.warnings)
    rows = _rows(out)
    assert float(rows["carol"]["total"]) == totals["alice"]  # graded on the new file
    assert float(rows["alice"]["total"]) == totals["alice"]
    assert float(rows["bob"]["total"]) == totals["bob"]
    assert (out / "feedback" / "bob.md").is_file()

    # A grader fault is never kept, and a changed reference regrades everyone.
    faulty = _results(out, "bob")
    faulty["extra_data"]["grader_fault"] = True
    (out / "results" / "bob.json").write_text(json.dumps(faulty))
    reference = course.reference_path(a.id)
    reference.write_text(reference.read_text() + "\n# a comment changes the reference\n")
    fourth = grade_class(course, a, [folder], out, jobs=2)
    assert fourth.reasons == {"fault": 1, "grader": 2}
    assert _results(out, "bob")["extra_data"]["batch"]["grader"] != grader
    assert {s: float(r["total"]) for s, r in _rows(out).items()} == {
        **totals,
        "carol": totals["alice"],
    }


def test_a_folder_of_another_assignment_is_refused_before_grading(demo_course, tmp_path):
    out = tmp_path / "out"
    (out / "results").mkdir(parents=True)
    other = {"score": 60, "tests": [], "extra_data": {"assignment": "hw04_autograd"}}
    (out / "results" / "alice.json").write_text(json.dumps(other))
    with pytest.raises(BatchError, match=r"holds results of hw04_autograd .* of hw99_demo"):
        grade_class(demo_course, demo_course.assignment("hw99"), [small_class(tmp_path)], out)
    assert json.loads((out / "results" / "alice.json").read_text()) == other  # untouched
    assert not (out / "grades.csv").exists()


def test_a_second_batch_on_one_out_folder_is_refused(demo_course, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with OutputLock(out), pytest.raises(BatchError, match=r"another batch .* is writing to"):
        grade_class(demo_course, demo_course.assignment("hw99"), [small_class(tmp_path)], out)
    assert not (out / "results").exists() or not list((out / "results").iterdir())


def test_the_grader_hash_follows_the_tests_not_their_caches(demo_course, tmp_path):
    from autograder.grading.batch_resume import grader_fingerprint

    course = course_copy(demo_course, tmp_path)
    a = course.assignment("hw99")
    before = grader_fingerprint(course, a)
    for junk in ("__pycache__/test_q1_square.cpython-311.pyc", ".pytest_cache/v/x", ".DS_Store"):
        (a.hidden_tests / junk).parent.mkdir(parents=True, exist_ok=True)
        (a.hidden_tests / junk).write_text("junk")
    assert grader_fingerprint(course, a) == before
    (a.hidden_tests / "helpers.py").write_text("X = 1\n")  # a file the tests may import
    assert grader_fingerprint(course, a) != before
    (a.hidden_tests / "helpers.py").unlink()
    toml = a.folder / "assignment.toml"
    toml.write_text(toml.read_text().replace("points = 40", "points = 41"))
    assert grader_fingerprint(course, course.assignment("hw99")) != before
