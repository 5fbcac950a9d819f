"""The build's three artifacts, its refusal to leak, and the real Gradescope zip."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import pytest

from autograder.build.bundle import build_assignment, read_zip
from autograder.build.verify import verify_build
from autograder.course import Course
from autograder.notebook.notebooks import BuildError

SCHEMA = json.loads((Path(__file__).with_name("gradescope_results.schema.json")).read_text())


@pytest.fixture(scope="module")
def demo_build(demo_course, tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    return build_assignment(demo_course, demo_course.assignment("hw99"), out)


def test_build_writes_three_valid_artifacts(demo_build):
    assert demo_build.student_zip.is_file() and demo_build.gradescope_zip.is_file()
    # what holds the reference is closed to other users; the student bundle is not
    for private in (demo_build.gradescope_zip.parent, demo_build.instructor_notebook.parent):
        assert private.stat().st_mode & 0o777 == 0o700, private
    nb = nbformat.read(demo_build.instructor_notebook, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["autograde"]["assignment"] == "hw99_demo"
    files = read_zip(demo_build.student_zip)
    assert set(files) >= {
        "hw99_demo.ipynb",
        "README.md",
        "autograde_check/__init__.py",
        "autograde_check/checks.json",
    }
    # no top folder: "Extract All" makes the one folder (hw99_demo/, not hw99_demo/hw99_demo/)
    assert {n.split("/")[0] for n in files} == {"hw99_demo.ipynb", "README.md", "autograde_check"}
    student = nbformat.reads(files["hw99_demo.ipynb"].decode(), as_version=4)
    nbformat.validate(student)
    sources = "\n".join(c.source for c in student.cells)
    assert 'raise NotImplementedError("q1: implement square")' in sources
    assert "product = x * x" not in sources
    gs = read_zip(demo_build.gradescope_zip)
    assert {
        "setup.sh",
        "run_autograder",
        "constraints.txt",
        "wheels/optim_autograder-0.1.0-py3-none-any.whl",
        "solutions/hw99_demo.py",
        "assignments/hw99_demo/assignment.toml",
    } <= set(gs)
    assert not any(n.startswith("assignments/hw99_demo/notebook") for n in gs)
    # the engine ships as a built wheel, not as sources to build in the image
    assert not any(n.startswith("autograder/") for n in gs) and "pyproject.toml" not in gs
    with zipfile.ZipFile(demo_build.gradescope_zip) as zf:
        assert zf.getinfo("run_autograder").external_attr >> 16 & 0o111


def test_builds_are_reproducible(demo_course, demo_build, tmp_path):
    again = build_assignment(demo_course, demo_course.assignment("hw99"), tmp_path)
    for a, b in (
        (demo_build.student_zip, again.student_zip),
        (demo_build.gradescope_zip, again.gradescope_zip),
    ):
        assert a.read_bytes() == b.read_bytes()


def test_a_public_check_that_runs_the_student_side_is_refused_in_one_line(demo_course, tmp_path):
    """Public checks are recorded at build time (expected values only): one that calls
    grade.run is the author's mistake, reported as a BuildError, not an AttributeError."""
    # a copy of its own: test modules are read once per process, by path
    course = Course(Path(shutil.copytree(demo_course.root, tmp_path / "course")))
    public = course.assignment("hw99").public_tests / "test_public.py"
    public.write_text(
        public.read_text()
        + "\n\ndef test_q2_run(grade):\n    grade.run(add_of, 1, 2, case='run')\n"
    )
    with pytest.raises(BuildError, match=r"may only use grade\.compare"):
        build_assignment(course, course.assignment("hw99"), tmp_path / "out")


def test_build_refuses_a_leaking_bundle(demo_course, tmp_path):
    nb_source = demo_course.assignment("hw99").notebook_source
    original = nb_source.read_text()
    try:
        nb_source.write_text(original + "\n# %% [markdown]\n# Hint:\n#     total_sum = a + b\n")
        with pytest.raises(BuildError, match="leaks solution lines"):
            build_assignment(demo_course, demo_course.assignment("hw99"), tmp_path)
    finally:
        nb_source.write_text(original)
    assert not (tmp_path / "student" / "hw99_demo.zip").exists()


def test_verification_passes_on_the_demo(demo_course, demo_build):
    v = verify_build(demo_course, demo_build, execute=True)
    assert v.ok, v.problems
    assert v.figures["execute_s"] < 60


def _gradescope_root(tmp_path: Path, zip_path: Path, submission: Path | None) -> Path:
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root / "source")
    os.chmod(root / "source" / "run_autograder", 0o755)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    if submission is not None:
        shutil.copy(submission, root / "submission" / submission.name)
    return root


def _run_autograder(root: Path, python: str = sys.executable) -> dict:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADE_PYTHON": python}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as on Gradescope: run_autograder sets it
    proc = subprocess.run(
        [str(root / "source" / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    return {"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr, **results}


def test_run_autograder_from_the_real_zip(demo_build, tmp_path):
    root = _gradescope_root(tmp_path, demo_build.gradescope_zip, demo_build.instructor_notebook)
    res = _run_autograder(root)
    assert res["rc"] == 0, res["stdout"]
    assert res["score"] == 100 and res["stdout_visibility"] == "hidden"
    # staff's one line per run, on stdout (run_autograder merges stderr into it)
    assert "[autograde] hw99_demo: graded submission/" in res["stdout"]
    assert "GRADER FAULT" not in res["stdout"]
    assert not list((root / "source").rglob("__pycache__"))  # nothing written there
    assert all(t["status"] == "passed" for t in res["tests"])


def test_run_autograder_with_the_student_notebook_scores_zero(demo_build, tmp_path):
    with zipfile.ZipFile(demo_build.student_zip) as zf:
        zf.extract("hw99_demo.ipynb", tmp_path / "student")
    root = _gradescope_root(
        tmp_path, demo_build.gradescope_zip, tmp_path / "student/hw99_demo.ipynb"
    )
    res = _run_autograder(root)
    assert res["score"] == 0
    assert all("not implemented" in t["output"] for t in res["tests"])


@pytest.mark.parametrize(
    "name, content, phrase",
    [
        ("hw99_demo.ipynb", b"%PDF-1.4 binary", "is a PDF file"),
        ("hw99_demo.ipynb", b"{not json", "not valid notebook JSON"),
        ("hw99_demo.ipynb", b"", "is empty"),
        ("notes.txt", b"hello", "no notebook found"),
    ],
)
def test_run_autograder_on_unreadable_submissions(demo_build, tmp_path, name, content, phrase):
    bad = tmp_path / "upload" / name
    bad.parent.mkdir()
    bad.write_bytes(content)
    root = _gradescope_root(tmp_path, demo_build.gradescope_zip, bad)
    res = _run_autograder(root)
    assert res["rc"] == 0 and res["score"] == 0
    assert phrase in res["output"]
    assert res["extra_data"]["grader_fault"] is False


def test_a_broken_course_is_a_grader_fault_not_a_zero(demo_build, tmp_path):
    root = _gradescope_root(tmp_path, demo_build.gradescope_zip, demo_build.instructor_notebook)
    (root / "source" / "solutions" / "hw99_demo.py").write_text(
        "raise RuntimeError('broken reference')\n"
    )
    res = _run_autograder(root)
    assert res["rc"] == 2
    assert res["extra_data"]["grader_fault"] is True
    # the student: the grader failed, not them, and their instructor can see why; no
    # claim that anyone was notified (nothing notifies anyone)
    assert "not your fault" in res["output"] and "instructor can see" in res["output"]
    assert "notified" not in json.dumps(res["tests"]) + res["output"]
    # staff: run_autograder's stdout (Gradescope shows it to staff only) has the fault and
    # the traceback down to the reference's line
    out = res["stdout"]
    assert "[autograde] GRADER FAULT" in out
    assert "Traceback (most recent call last)" in out
    assert "solutions/hw99_demo.py" in out and "RuntimeError: broken reference" in out
    assert res["stderr"] == ""  # merged into stdout


def test_a_grader_that_cannot_start_still_leaves_a_fault_result(demo_build, tmp_path):
    """No interpreter, a broken venv: run_autograder writes the fault result itself."""
    from autograder.grading.results import error_results

    root = _gradescope_root(tmp_path, demo_build.gradescope_zip, demo_build.instructor_notebook)
    res = _run_autograder(root, python="/bin/false")
    assert res["rc"] == 2
    assert res["extra_data"]["grader_fault"] is True and res["score"] == 0
    assert res["output"] == error_results(None, "", grader_fault=True)["output"]
    assert "GRADER FAULT: /bin/false exited with 1" in res["stdout"]


def test_a_killed_grader_is_a_fault_and_staff_are_told_why(demo_build, tmp_path):
    """Killed (Gradescope's memory limit, say): the provisional fault result stands, and
    the staff output names the signal and the likely cause."""
    root = _gradescope_root(tmp_path, demo_build.gradescope_zip, demo_build.instructor_notebook)
    killer = tmp_path / "python"
    killer.write_text(
        "#!/bin/sh\n"
        f'printf \'%s\' \'{{"score": 0.0, "output": "grading did not finish", '
        f'"extra_data": {{"grader_fault": true}}}}\' > {root}/results/results.json\n'
        "kill -9 $$\n"
    )
    killer.chmod(0o755)
    res = _run_autograder(root, python=str(killer))
    assert res["rc"] == 137 and res["extra_data"]["grader_fault"] is True
    assert "GRADER FAULT: the grader was killed by signal 9 (KILL)" in res["stdout"]
    assert "memory limit" in res["stdout"]


def test_cli_run_json_prints_only_results(demo_build, demo_course):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "--course",
            str(demo_course.root),
            "run",
            "hw99",
            str(demo_build.instructor_notebook),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    jsonschema.validate(results, SCHEMA)
    assert results["score"] == 100


def test_cli_list(demo_course):
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "--course", str(demo_course.root), "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert "hw99_demo  Engine demo  (100 points)" in proc.stdout
    assert "q1     60  Square by hand" in proc.stdout


def _two_notebooks(demo_build, tmp_path: Path, names: tuple[str, str]) -> Path:
    """A submission folder: the student template (scores 0) as names[0], uploaded first,
    and the solution (scores 100) as names[1], uploaded a minute later."""
    root = _gradescope_root(tmp_path, demo_build.gradescope_zip, None)
    with zipfile.ZipFile(demo_build.student_zip) as zf:
        template = zf.read("hw99_demo.ipynb")
    (root / "submission" / names[0]).write_bytes(template)
    shutil.copy(demo_build.instructor_notebook, root / "submission" / names[1])
    os.utime(root / "submission" / names[0], (1_700_000_000, 1_700_000_000))
    os.utime(root / "submission" / names[1], (1_700_000_060, 1_700_000_060))
    return root


def test_several_notebooks_the_newest_for_this_assignment_is_graded_and_named(demo_build, tmp_path):
    res = _run_autograder(_two_notebooks(demo_build, tmp_path, ("draft.ipynb", "final.ipynb")))
    assert res["score"] == 100
    assert res["output"].startswith("Graded final.ipynb; not graded: draft.ipynb.")
    assert "graded submission/final.ipynb (1 other file(s) not graded)" in res["stdout"]


def test_several_notebooks_the_one_named_for_the_assignment_wins(demo_build, tmp_path):
    root = _two_notebooks(demo_build, tmp_path, ("final.ipynb", "hw99_demo.ipynb"))
    os.utime(root / "submission" / "final.ipynb", (1_800_000_000, 1_800_000_000))  # newer
    res = _run_autograder(root)
    assert res["score"] == 100
    assert res["output"].startswith("Graded hw99_demo.ipynb; not graded: final.ipynb.")


def test_one_notebook_gets_no_note_about_a_choice(demo_build, tmp_path):
    root = _gradescope_root(tmp_path, demo_build.gradescope_zip, demo_build.instructor_notebook)
    res = _run_autograder(root)
    assert "not graded" not in res["output"]


def test_a_course_without_its_student_template_is_one_line(demo_course, tmp_path):
    course = Course(Path(shutil.copytree(demo_course.root, tmp_path / "course")))
    shutil.rmtree(course.root / "student_template")
    with pytest.raises(BuildError, match=r"no student_template/README\.md"):
        build_assignment(course, course.assignment("hw99"), tmp_path / "out")
