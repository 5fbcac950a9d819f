"""``autograde new``: a scaffolded assignment builds and verifies as it stands, and the
command refuses, in one line, what it cannot make.

Everything happens in a course folder of its own under a temporary folder (only
``assignments/``, ``solutions/`` and ``student_template/``), never in this checkout:
other tests list the checkout's assignments.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from autograder.build.scaffold import scaffold_assignment
from autograder.cli import main
from autograder.course import Course
from autograder.grading.runner import ReferenceBackend, collect_tests, load_reference, run_tests
from autograder.notebook.regions import find_regions, student_view
from autograder.runtime.outcomes import Failure

from ..conftest import REPO

NEW = "hw99_example"


def _empty_course(root: Path) -> Course:
    (root / "assignments").mkdir(parents=True)
    (root / "solutions").mkdir()
    shutil.copytree(REPO / "student_template", root / "student_template")
    return Course(root)


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    """A course holding only the assignment ``autograde new`` made."""
    course = _empty_course(tmp_path_factory.mktemp("new_course") / "course")
    code = main(["--course", str(course.root), "new", NEW, "--title", "An example"])
    assert code == 0
    return course


def test_new_writes_one_question_that_the_schema_accepts(course):
    folder = f"assignments/{NEW}"
    assert _files(course.root) >= {
        f"{folder}/assignment.toml",
        f"{folder}/notebook.py",
        f"{folder}/tests/public/test_q1.py",
        f"{folder}/tests/hidden/test_q1_gradient_step.py",
        f"solutions/{NEW}.py",
    }
    assert course.ids() == [NEW]
    a = course.assignment("hw99")
    assert (a.id, a.title, a.lecture) == (NEW, "An example", 99)
    assert [(q.id, q.points) for q in a.questions] == [("q1", 100)]
    assert re.fullmatch(r"hw99-[0-9a-f]{16}", a.salt)
    regions = find_regions(course.reference_path(NEW).read_text(encoding="utf-8"))
    assert [r.question for r in regions] == ["q1"]
    assert {t.question for t in collect_tests(a)} == {"q1"}
    assert {t.question for t in collect_tests(a, a.public_tests)} == {"q1"}


def test_each_new_assignment_gets_its_own_salt(course, tmp_path):
    other = scaffold_assignment(_empty_course(tmp_path / "c"), "hw98_other")
    salt = Course(tmp_path / "c").assignment("hw98").salt
    assert other.title == "Other" and other.lecture == 98
    assert re.fullmatch(r"hw98-[0-9a-f]{16}", salt)
    assert salt[5:] != course.assignment(NEW).salt[5:]


def test_the_reference_scores_full_marks_and_the_stub_zero(course):
    a = course.assignment(NEW)
    reference = load_reference(course, a)
    tests = collect_tests(a)
    full = run_tests(a, tests, reference, ReferenceBackend(reference))
    assert sum(t.score for t in full) == pytest.approx(100)
    names: dict = {"__name__": f"stub_{NEW}"}
    exec(compile(student_view(course.reference_path(NEW).read_text()), "<stub>", "exec"), names)
    empty = run_tests(a, tests, reference, ReferenceBackend(types.SimpleNamespace(**names)))
    assert sum(t.score for t in empty) == 0
    kinds = {r.kind for t in empty for r in t.records}
    assert kinds == {Failure.NOT_IMPLEMENTED}, kinds


def test_the_new_assignment_builds_and_verifies(course, tmp_path):
    """What ``make dist`` does, through the command line: both notebooks graded in the
    sandbox (full marks, 0 saying "not implemented"), no leak, the notebook executed."""
    command = ["--course", str(course.root), "build", NEW, "--verify", "--out", "dist"]
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", *command],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"ok    {NEW} verified" in proc.stderr
    for part in ("student", "gradescope"):
        assert (tmp_path / "dist" / part / f"{NEW}.zip").is_file()
    assert (tmp_path / "dist" / "instructor" / f"{NEW}.ipynb").is_file()


def test_the_new_files_pass_the_projects_lint(course):
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.is_file():
        pytest.skip("ruff is not installed in this environment")
    config = ["--config", str(REPO / "pyproject.toml")]
    # this course lies outside the project: tell ruff what is first-party here
    config += ["--config", "lint.isort.known-first-party = ['autograder']"]
    targets = [str(course.root / "assignments"), str(course.root / "solutions")]
    for command in (["check"], ["format", "--check"]):
        proc = subprocess.run(
            [str(ruff), *command, *config, *targets], capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "args, says",
    [
        (["hw9_short"], "is not an assignment id"),
        (["HW14_caps"], "is not an assignment id"),
        (["hw14_Slug"], "is not an assignment id"),
        (["hw14_"], "is not an assignment id"),
        (["hw14_a_slug_of_more_than_20"], "is not an assignment id"),
        (["hw14_x/../y"], "is not an assignment id"),
        (["hw98_other", "--lecture", "99"], f"lecture 99 already has an assignment, {NEW}"),
        (["hw99_twin", "--lecture", "5"], f"hw99 already names {NEW}"),
        ([NEW, "--lecture", "7"], "already exists"),
        (["hw97_folder"], "already exists"),
        (["hw96_orphan"], "already exists"),
        (["hw95_empty", "--title", "  "], "a title is one non-empty line"),
        (["hw95_lines", "--title", "two\nlines"], "a title is one non-empty line"),
        (["hw95_minus", "--lecture", "-1"], "a lecture number is 0 or more"),
    ],
)
def test_new_refuses_in_one_line_and_writes_nothing(course, capsys, args, says):
    (course.assignments_dir / "hw97_folder").mkdir(exist_ok=True)  # a folder, no toml
    course.reference_path("hw96_orphan").touch()  # a reference without its folder
    before = _files(course.root)
    code = main(["--course", str(course.root), "new", *args])
    err = capsys.readouterr().err
    assert code != 0
    assert err.startswith("autograde new: ") and says in err, err
    assert err.count("\n") == 1, err
    assert _files(course.root) == before
