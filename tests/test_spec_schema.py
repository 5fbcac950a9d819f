"""assignment.toml is validated against a schema, with one line naming the file and the
key; a mistyped --course is an error; --jobs is validated and capped (issue 17)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.batch import effective_jobs
from autograder.cli import main
from autograder.course import Course
from autograder.spec import SpecError, load_assignment

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "tests" / "fixtures" / "course" / "assignments" / "hw99_demo"


def _demo_with(tmp_path: Path, old: str, new: str) -> Path:
    """The demo assignment's folder with one edit to its assignment.toml."""
    folder = tmp_path / "hw99_demo"
    shutil.copytree(DEMO, folder)
    toml = folder / "assignment.toml"
    text = toml.read_text()
    assert old in text
    toml.write_text(text.replace(old, new, 1))
    return folder


def test_every_assignment_of_the_course_passes_the_schema():
    for folder in sorted((REPO / "assignments").iterdir()):
        if (folder / "assignment.toml").is_file():
            assert load_assignment(folder).questions


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # a typo must never lift a restriction silently
        (
            "forbidden = [",
            "forbiden = [",
            r"unknown key 'forbiden' in question 'q1' \(did you mean 'forbidden'\?\)",
        ),
        ("probe_timeout_s = 5", "probe_timout_s = 5", r"did you mean 'probe_timeout_s'"),
        ('salt = "demo-salt"', 'salt = "demo-salt"\nsalty = 1', r"unknown key 'salty'"),
        # a string would forbid single letters
        (
            'forbidden = ["torch.autograd.grad", "torch.autograd.backward", '
            '"torch.Tensor.backward", "torch.square"]',
            'forbidden = "torch.autograd.grad"',
            r"forbidden in question 'q1' must be a list of strings",
        ),
        ("points = 60", "points = -60", r"points in question 'q1' must be positive"),
        ("points = 60", "points = 0", r"must be positive"),
        ("points = 60", 'points = "60"', r"points in question 'q1' must be a number"),
        ("points = 60", "points = true", r"must be a number"),
        ("probe_timeout_s = 5", "probe_timeout_s = -5", r"probe_timeout_s must be positive"),
        ("lecture = 99", "lecture = 9.5", r"lecture must be an integer"),
        (
            '"torch.square"]',
            '"torch square"]',
            r"holds 'torch square', which is not a dotted Python name",
        ),
        ('[[questions]]\nid = "q2"', '[[questions]]\nid = "q2"\nmanual = "yes"', r"true or false"),
        ("points = 40", "", r"question #2 has no points"),
    ],
)
def test_a_wrong_assignment_toml_is_one_line_naming_file_and_key(tmp_path, old, new, message):
    folder = _demo_with(tmp_path, old, new)
    with pytest.raises(SpecError, match=message) as caught:
        load_assignment(folder)
    text = str(caught.value)
    assert text.startswith(str(folder / "assignment.toml")) and "\n" not in text


def test_the_command_line_says_it_in_one_line(tmp_path, capsys):
    root = tmp_path / "course"
    shutil.copytree(REPO / "tests" / "fixtures" / "course", root)
    toml = root / "assignments" / "hw99_demo" / "assignment.toml"
    toml.write_text(toml.read_text().replace("forbidden = [", "forbiden = [", 1))
    assert main(["--course", str(root), "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("autograde: ") and "did you mean 'forbidden'" in err
    assert len(err.splitlines()) == 1


def test_a_mistyped_course_is_an_error(tmp_path, capsys):
    assert main(["--course", str(tmp_path / "no-such-course"), "list"]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["--course", str(tmp_path), "build", "hw99", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not a course folder" in err and "built" not in err


@pytest.mark.parametrize("jobs", ["0", "-3", "two"])
def test_jobs_must_be_a_whole_number_of_at_least_one(jobs):
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "hw04", "x", "--out", "o", "--jobs", jobs],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--jobs" in done.stderr and "Traceback" not in done.stderr


def test_jobs_are_capped_by_cpus_and_by_memory(monkeypatch):
    import autograder.batch as batch

    a = Course(REPO / "tests" / "fixtures" / "course").assignment("hw99")
    per_job = batch.WORKER_MIB + a.memory_mb // 2
    monkeypatch.setattr(batch.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(batch, "_available_mib", lambda: 100 * per_job)
    assert effective_jobs(None, a) == (4, "")
    assert effective_jobs(2, a) == (2, "")
    jobs, note = effective_jobs(1000, a)
    assert jobs == 4 and note.startswith("--jobs 1000 capped to 4 (4 CPUs")
    monkeypatch.setattr(batch, "_available_mib", lambda: 3 * per_job + 1)
    jobs, note = effective_jobs(1000, a)
    assert jobs == 3 and "GiB of memory available" in note
    monkeypatch.setattr(batch, "_available_mib", lambda: 10)  # nearly none: still one
    assert effective_jobs(None, a)[0] == 1


def test_a_reader_that_leaves_early_is_no_traceback(monkeypatch, capsys):
    import io

    class ClosedPipe(io.TextIOBase):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["--course", str(REPO / "tests" / "fixtures" / "course"), "list"]) == 1
    assert capsys.readouterr().err == ""


def test_available_memory_is_the_machines_or_a_containers_limit(tmp_path):
    from autograder.batch import _available_mib

    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 16777216 kB\nMemAvailable: 8388608 kB\n")
    cgroup = tmp_path / "cgroup"
    cgroup.mkdir()
    assert _available_mib(str(meminfo), str(cgroup)) == 8192  # no cgroup files: the machine
    (cgroup / "memory.max").write_text("max\n")
    assert _available_mib(str(meminfo), str(cgroup)) == 8192
    (cgroup / "memory.max").write_text(f"{4 << 30}\n")
    (cgroup / "memory.current").write_text(f"{1 << 30}\n")
    assert _available_mib(str(meminfo), str(cgroup)) == 3072  # the container allows less
    assert _available_mib(str(tmp_path / "none"), str(tmp_path / "none")) is None


def test_a_mistyped_autograde_course_is_an_error_not_the_checkouts_course(tmp_path, monkeypatch):
    from autograder.course import CourseError, find_course

    monkeypatch.setenv("AUTOGRADE_COURSE", str(tmp_path / "no-such-course"))
    with pytest.raises(CourseError, match=r"AUTOGRADE_COURSE .* is not a course folder"):
        find_course()


def test_every_error_the_engine_raises_on_purpose_shares_one_base():
    """The command line turns any of them into one line (exit 2), never a traceback."""
    from autograder.batch_inputs import BatchError
    from autograder.batch_resume import ResumeError
    from autograder.course import CourseError
    from autograder.errors import AutogradeError
    from autograder.notebooks import BuildError
    from autograder.regions import RegionError
    from autograder.runner import GraderFault
    from autograder.sandbox.forkserver import ZygoteError
    from autograder.sandbox.reach import SandboxUnreachable
    from autograder.spec import SpecError
    from autograder.submission import SubmissionError
    from autograder.wire import WireError

    for error in (
        BatchError,
        ResumeError,
        CourseError,
        BuildError,
        RegionError,
        GraderFault,
        ZygoteError,
        SandboxUnreachable,
        SpecError,
        SubmissionError,
        WireError,
    ):
        assert issubclass(error, AutogradeError), error
