"""Grading a class: outputs, Gradescope exports, and resuming after a kill."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from autograder.grading.batch import BatchError, grade_class

CASES = Path(__file__).parents[1] / "adversarial" / "cases"
CLASS = {
    "alice": "cheat_reseed_rngs.py",  # 100
    "bob": "broken_wrong_dtype.py",  # 70
    "carol": "partial_first_question_only.py",  # 60
    "dan": "broken_renamed_function.py",  # 60
    "erin": "partial_second_question_only.py",  # 40
    "frank": "nb_pdf_renamed.ipynb",  # 0, not a notebook
}
EXPECTED = {"alice": 100, "bob": 70, "carol": 60, "dan": 60, "erin": 40, "frank": 0}


def _class_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    for student, case in CLASS.items():
        shutil.copy(CASES / case, folder / f"{student}{Path(case).suffix}")
    return folder


def _rows(out: Path) -> dict[str, dict]:
    with open(out / "grades.csv", newline="") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def _comparable(out: Path) -> dict[str, object]:
    """Every file a grading run leaves in ``out``, less its timings: ``execution_time``
    and the precise ``extra_data.seconds`` of results, the slowest-submissions section of
    report.html. (The lock file and a shard's shard.json are no output.)"""
    files: dict[str, object] = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if not path.is_file() or rel in (".autograde.lock", "shard.json"):
            continue
        if rel.startswith("results/"):
            data = json.loads(path.read_text())
            data.pop("execution_time")
            data["extra_data"].pop("seconds", None)
            files[rel] = data
        elif rel == "report.html":
            text = path.read_text()
            files[rel] = re.sub(r'<section id="slowest">.*?</section>', "", text, flags=re.S)
        else:
            files[rel] = path.read_bytes()
    return files


def test_grade_a_folder(demo_course, tmp_path):
    out = tmp_path / "out"
    report = grade_class(
        demo_course, demo_course.assignment("hw99"), [_class_folder(tmp_path)], out, jobs=2
    )
    assert report.graded == 6 and not report.failed
    rows = _rows(out)
    assert {s: float(r["total"]) for s, r in rows.items()} == EXPECTED
    assert rows["bob"]["q1"] == "30" and rows["bob"]["q2"] == "40"
    assert rows["frank"]["status"].startswith("not graded: Your submission could not be graded")
    assert (out / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "dtype float32, expected float64" in (out / "feedback" / "bob.md").read_text()
    if os.geteuid() == 0:  # the slot uids cannot read anyone's results or feedback
        for folder in (out, out / "results", out / "feedback"):
            assert folder.stat().st_mode & 0o777 == 0o700
    # Nothing to do the second time; --regrade redoes exactly one student.
    again = grade_class(
        demo_course, demo_course.assignment("hw99"), [tmp_path / "class"], out, jobs=2
    )
    assert (again.graded, again.skipped) == (0, 6)
    one = grade_class(
        demo_course, demo_course.assignment("hw99"), [tmp_path / "class"], out, regrade=["bob"]
    )
    assert (one.graded, one.skipped) == (1, 5)
    with pytest.raises(BatchError, match="unknown students: zed"):
        grade_class(
            demo_course, demo_course.assignment("hw99"), [tmp_path / "class"], out, regrade=["zed"]
        )


def test_gradescope_export_zip_with_metadata(demo_course, tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    meta = []
    for i, (student, case) in enumerate(list(CLASS.items())[:3]):
        folder = export / f"submission_{1000 + i}"
        folder.mkdir()
        shutil.copy(CASES / case, folder / f"hw99_demo{Path(case).suffix}")
        meta.append(
            f"submission_{1000 + i}:\n  :submitters:\n  - :name: {student.title()} Doe\n"
            f"    :sid: '{i}'\n    :email: {student}@example.edu\n  :score: 0.0\n"
        )
    meta.append(
        "submission_1099:\n  :submitters:\n  - :name: Ghost\n    :email: ghost@example.edu\n"
    )
    (export / "submission_metadata.yml").write_text("".join(meta))
    (export / "submission_2000").mkdir()  # a folder the metadata does not know
    shutil.copy(CASES / "cheat_reseed_rngs.py", export / "submission_2000" / "x.py")
    zip_path = tmp_path / "assignment_export.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        for path in export.rglob("*"):
            zf.write(path, f"assignment_123_export/{path.relative_to(export)}")
    out = tmp_path / "out"
    report = grade_class(demo_course, demo_course.assignment("hw99"), [zip_path], out, jobs=2)
    rows = _rows(out)
    assert rows["1000"]["name"] == "Alice Doe" and rows["1000"]["email"] == "alice@example.edu"
    assert float(rows["1000"]["total"]) == 100 and float(rows["1001"]["total"]) == 70
    assert "missing" in rows["1099"]["status"]  # listed, but no folder: reported, not skipped
    assert float(rows["2000"]["total"]) == 100
    assert any("1099" in w for w in report.warnings)
    assert any("submission_2000/ is not in submission_metadata.yml" in w for w in report.warnings)


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_files(demo_course, tmp_path):
    folder = _class_folder(tmp_path)
    for i in range(2):  # slow students (two 5 s timeouts each) so the kill lands mid-run
        shutil.copy(CASES / "dos_sleep_forever.py", folder / f"zz_slow{i}.py")
    cmd = [
        sys.executable,
        "-m",
        "autograder",
        "--course",
        str(demo_course.root),
        "grade",
        "hw99",
        str(folder),
        "--jobs",
        "1",
    ]
    full = tmp_path / "full"
    subprocess.run([*cmd, "--out", str(full)], check=True, capture_output=True, timeout=600)

    part = tmp_path / "part"
    proc = subprocess.Popen(
        [*cmd, "--out", str(part)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list((part / "results").glob("*.json"))) < 2:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list((part / "results").glob("*.json")))
    assert 2 <= done < len(CLASS) + 2, f"the kill should land mid-run ({done} graded)"
    assert not (part / "grades.csv").exists()
    resumed = subprocess.run(
        [*cmd, "--out", str(part)], capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{done} already graded" in resumed.stderr, resumed.stderr
    assert not list(part.rglob(".*.tmp"))
    resumed_files, full_files = _comparable(part), _comparable(full)
    differing = sorted(
        name
        for name in set(resumed_files) | set(full_files)
        if resumed_files.get(name) != full_files.get(name)
    )
    assert not differing, {
        name: (resumed_files.get(name), full_files.get(name)) for name in differing[:2]
    }


SNOOP = """
import glob

def square(x):
    return x * x

def add(a, b):
    seen = []
    for pattern in {patterns!r}:
        for path in glob.glob(pattern, recursive=True):
            try:
                with open(path) as fh:
                    seen.append(path + ": " + fh.read()[:40])
            except OSError as exc:
                seen.append(path + ": " + type(exc).__name__)
    raise RuntimeError("SNOOPED " + repr(seen))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="hiding folders needs root (mount namespaces)")
def test_a_students_code_cannot_read_classmates_or_results(demo_course):
    import tempfile

    # World-readable, as a TA's folders often are: only the hiding keeps them private.
    base = Path(tempfile.mkdtemp(prefix="autograde-test-class-"))
    base.chmod(0o755)
    folder, out = base / "class", base / "out"
    folder.mkdir(mode=0o755)
    (folder / "bea.py").write_text(
        "# SECRET-OF-BEA\ndef square(x):\n    return x * x\n\ndef add(a, b):\n    return a + b\n"
    )
    patterns = [str(folder / "*"), str(out / "**" / "*"), "/tmp/autograde-batch-*/**/*"]
    (folder / "zed.py").write_text(SNOOP.format(patterns=patterns))
    report = grade_class(demo_course, demo_course.assignment("hw99"), [folder], out, jobs=1)
    assert not report.failed
    feedback = (out / "feedback" / "zed.md").read_text()
    assert "SNOOPED []" in feedback, feedback  # the code ran and found nothing to read
    assert "SECRET-OF-BEA" not in feedback
    assert (out / "results" / "bea.json").is_file()  # graded, and invisible to zed
    shutil.rmtree(base)


def test_a_folder_the_sandbox_needs_is_not_hidden_and_that_is_said():
    import tempfile

    from autograder.grading.batch import private_folders

    warnings: list[str] = []
    mine = Path(tempfile.gettempdir()) / "some-class-folder"
    hidden = private_folders([mine, Path(tempfile.gettempdir()), Path("/")], warnings)
    assert hidden == (str(mine.resolve()),)
    assert len(warnings) == 2 and "stays visible" in warnings[0]


def test_a_retry_after_an_outside_kill_is_flagged_in_the_status():
    from autograder.grading.batch import _status

    results = {"tests": [], "extra_data": {"grader_fault": False, "retried_after_kill": 1}}
    assert _status(results) == "graded; sandbox killed from outside, call retried 1x"
    results["extra_data"]["retried_after_kill"] = 0
    assert _status(results) == "graded"
