"""A grader fault is never a grade: the batch says so, exits non-zero, and retries it on
the next run; a course that cannot grade stops before anyone is graded (issue 17)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import autograder.grading.batch as batch
from autograder.cli import main
from autograder.grading.batch import BatchError
from tests.grading.test_batch import _rows
from tests.grading.test_batch_resume import course_copy, small_class


def _grade(course_root: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "autograder", "--course", str(course_root), "grade", "hw99"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=300)


def test_a_reference_that_raises_while_importing_stops_the_batch_up_front(demo_course, tmp_path):
    course = course_copy(demo_course, tmp_path)
    reference = course.reference_path("hw99_demo")
    # Raises partway: square is defined, add is not (a half-loaded reference).
    text = reference.read_text().replace(
        "def add(", 'raise RuntimeError("half-loaded")\n\n\ndef add('
    )
    reference.write_text(text)
    out = tmp_path / "out"
    done = _grade(course.root, str(small_class(tmp_path)), "--out", str(out), "--jobs", "1")
    assert done.returncode == 2, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("autograde grade:")]
    assert len(lines) == 1, done.stderr
    assert str(reference) in lines[0] and "RuntimeError: half-loaded" in lines[0]
    assert "nothing was graded" in lines[0]
    assert "Traceback" not in done.stderr
    assert not list((out / "results").glob("*.json"))


REAL_GRADE_ONE = batch._grade_one


def faulty_grade_one(course_root, assignment_id, path, problem, hide):
    """What a worker runs per student, with faults injected: bob's worker raises, and
    carol's grading ends in a grader fault (as when the sandbox machinery fails)."""
    from autograder.course import Course
    from autograder.grading.results import error_results

    student = Path(path).stem if path else ""
    if student == "bob":
        raise RuntimeError("simulated crash")
    if student == "carol":
        results = error_results(
            Course(Path(course_root)).assignment(assignment_id), "lost", grader_fault=True
        )
        results["extra_data"]["fault"] = "the sandbox was lost"
        return results
    return REAL_GRADE_ONE(course_root, assignment_id, path, problem, hide)


@pytest.mark.slow
def test_grader_faults_end_non_zero_with_their_causes_and_are_retried(
    demo_course, tmp_path, monkeypatch, capsys
):
    folder, out = small_class(tmp_path), tmp_path / "out"
    cmd = ["--course", str(demo_course.root), "grade", "hw99", str(folder), "--out", str(out)]
    # The workers (spawned) import this module to find the function they are sent.
    monkeypatch.setattr(batch, "_grade_one", faulty_grade_one)
    assert main([*cmd, "--jobs", "2"]) == 1
    err = capsys.readouterr().err
    summary = [ln for ln in err.splitlines() if "grader faults" in ln]
    assert summary == [
        "autograde grade: 2 grader faults (1 x RuntimeError: simulated crash; 1 x the "
        "sandbox was lost): not a grade; run the same command again to retry them"
    ], err
    # Who, per cause: the students to look at (or --regrade) are named, not only counted.
    assert "  grader fault: bob: RuntimeError: simulated crash" in err.splitlines()
    assert "  grader fault: carol: the sandbox was lost" in err.splitlines()
    rows = _rows(out)
    assert rows["bob"]["status"] == "grader fault: RuntimeError: simulated crash"
    assert rows["carol"]["status"] == "grader fault: the sandbox was lost"
    assert rows["alice"]["status"] == "graded"
    report = (out / "report.html").read_text()
    faults = report[report.index('<section id="faults">') :].split("</section>")[0]
    assert "<td>bob</td>" in faults and "RuntimeError: simulated crash" in faults
    assert "<td>carol</td>" in faults and "<td>alice</td>" not in faults

    monkeypatch.setattr(batch, "_grade_one", REAL_GRADE_ONE)  # the fault is gone
    assert main([*cmd, "--jobs", "2"]) == 0
    err = capsys.readouterr().err
    assert "1 already graded (results/ exists); grading 2 (2 retried after a grader fault)" in err
    assert "graded 2 (2 retried after a grader fault), skipped 1 already graded" in err
    assert all(r["status"] == "graded" for r in _rows(out).values()), _rows(out)


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_under_out_is_one_line_and_resumable(demo_course, tmp_path, monkeypatch):
    folder, out = small_class(tmp_path), tmp_path / "out"
    monkeypatch.setattr(batch, "write_json_atomic", _no_space)
    with pytest.raises(BatchError, match="No space left on device") as caught:
        batch.grade_class(demo_course, demo_course.assignment("hw99"), [folder], out, jobs=1)
    assert str(caught.value).startswith(f"cannot write to {out}")
    assert "run the same command again" in str(caught.value)


def test_a_full_tmp_is_one_line(demo_course, tmp_path, monkeypatch):
    monkeypatch.setattr(batch.tempfile, "TemporaryDirectory", _no_space)
    with pytest.raises(BatchError, match=r"cannot make a scratch folder .* \(set TMPDIR"):
        batch.grade_class(
            demo_course, demo_course.assignment("hw99"), [small_class(tmp_path)], tmp_path / "o"
        )


def test_a_killed_batchs_scratch_folder_is_removed_by_the_next(demo_course, tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid no process has now
    leftover = Path(tempfile.mkdtemp(prefix=batch.SCRATCH_PREFIX))
    (leftover / batch.SCRATCH_OWNER).write_text(f"{dead.pid}\n")
    alive = Path(tempfile.mkdtemp(prefix=batch.SCRATCH_PREFIX))
    (alive / batch.SCRATCH_OWNER).write_text(f"{os.getpid()}\n")
    empty = tmp_path / "class"
    empty.mkdir()
    try:
        batch.grade_class(demo_course, demo_course.assignment("hw99"), [empty], tmp_path / "o")
        assert not leftover.exists() and alive.is_dir()
    finally:
        shutil.rmtree(leftover, ignore_errors=True)
        shutil.rmtree(alive, ignore_errors=True)


def test_a_forbidden_name_that_does_not_exist_stops_the_batch_up_front(demo_course, tmp_path):
    course = course_copy(demo_course, tmp_path)
    toml = course.root / "assignments" / "hw99_demo" / "assignment.toml"
    toml.write_text(toml.read_text().replace('"torch.square"', '"torch.sqaure"'))
    out = tmp_path / "out"
    done = _grade(course.root, str(small_class(tmp_path)), "--out", str(out), "--jobs", "1")
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"autograde grade: {toml}: forbidden names that do not exist")
    assert "torch.sqaure" in last and "nothing was graded" in last
    assert not list((out / "results").glob("*.json"))


def fault_once_grade_one(course_root, assignment_id, path, problem, hide):
    """A grader fault on each student's first try only (a transient fault)."""
    marker = Path(path).parent.parent / f"{Path(path).stem}.tried"
    if not marker.exists():
        marker.write_text("")
        raise RuntimeError("transient")
    return REAL_GRADE_ONE(course_root, assignment_id, path, problem, hide)


@pytest.mark.slow
def test_a_transient_grader_fault_is_retried_in_the_same_run(demo_course, tmp_path, monkeypatch):
    folder, out = small_class(tmp_path), tmp_path / "out"
    monkeypatch.setattr(batch, "_grade_one", fault_once_grade_one)
    report = batch.grade_class(demo_course, demo_course.assignment("hw99"), [folder], out, jobs=2)
    assert report.failed == [] and report.graded == 3
    assert sorted(p.name for p in tmp_path.glob("*.tried")) == [
        "alice.tried",
        "bob.tried",
        "carol.tried",
    ]
    assert all(r["status"] == "graded" for r in _rows(out).values())


def test_a_hidden_test_that_cannot_be_imported_stops_the_batch_up_front(demo_course, tmp_path):
    course = course_copy(demo_course, tmp_path)
    test_file = course.root / "assignments" / "hw99_demo" / "tests" / "hidden" / "test_q2_add.py"
    test_file.write_text(test_file.read_text() + "\ndef broken(:\n")
    out = tmp_path / "out"
    done = _grade(course.root, str(small_class(tmp_path)), "--out", str(out), "--jobs", "1")
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("autograde grade: cannot load the hidden tests"), last
    assert "test_q2_add.py" in last and "nothing was graded" in last
    assert "Traceback" not in done.stderr
