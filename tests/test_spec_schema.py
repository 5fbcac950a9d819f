"""assignment.toml is validated against a schema, with one line naming the file and the
key; a mistyped --course is an error; --jobs is validated and capped (issue 17).

Named forbidden sets, "did you mean" at every level, and one table of defaults that the
docs show verbatim (issue 14)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.course import Course
from autograder.grading.batch import effective_jobs
from autograder.spec import SpecError, load_assignment, schema_markdown

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
            a = load_assignment(folder)
            assert a.questions
            for q in a.questions:  # resolved: plain API names, each once
                assert len(set(q.forbidden)) == len(q.forbidden), (a.id, q.id)
                assert not any(f.startswith("@") for f in q.forbidden), (a.id, q.id)


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
    import autograder.grading.batch as batch

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
    from autograder.grading.batch import _available_mib

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
    from autograder.course import CourseError
    from autograder.grading.batch_inputs import BatchError
    from autograder.grading.batch_resume import ResumeError
    from autograder.grading.runner import GraderFault
    from autograder.grading.submission import SubmissionError
    from autograder.notebook.notebooks import BuildError
    from autograder.notebook.regions import RegionError
    from autograder.runtime.errors import AutogradeError
    from autograder.runtime.wire import WireError
    from autograder.sandbox.forkserver import ZygoteError
    from autograder.sandbox.reach import SandboxUnreachable
    from autograder.spec import SpecError

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


# --------------------------------------------------------------- named forbidden sets

MINIMAL = """\
id = "hw99_demo"
title = "Sets"

[forbidden_sets]
grads = ["torch.autograd.grad", "torch.Tensor.backward"]
optims = ["torch.optim.*"]

[[questions]]
id = "q1"
points = 50
forbidden = ["torch.square", "@grads", "torch.autograd.grad", "@optims"]

[[questions]]
id = "q2"
points = 50
forbidden = ["@grads"]
"""


def _load_text(tmp_path: Path, text: str):
    """``text`` loaded as hw99_demo's assignment.toml (no other file is needed)."""
    folder = tmp_path / "hw99_demo"
    folder.mkdir(exist_ok=True)
    (folder / "assignment.toml").write_text(text, encoding="utf-8")
    return load_assignment(folder)


def test_named_sets_are_expanded_in_place_each_name_once(tmp_path):
    a = _load_text(tmp_path, MINIMAL)
    assert a.question("q1").forbidden == (
        "torch.square",
        "torch.autograd.grad",
        "torch.Tensor.backward",
        "torch.optim.*",
    )
    assert a.question("q2").forbidden == ("torch.autograd.grad", "torch.Tensor.backward")
    assert not any(f.startswith("@") for f in a.forbidden_apis)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # an unknown set, with the nearest defined one
        (
            'forbidden = ["@grads"]',
            'forbidden = ["@grad"]',
            r"forbidden in question 'q2' names the set '@grad', which \[forbidden_sets\] "
            r"does not define \(did you mean '@grads'\?\); defined sets: grads, optims",
        ),
        ('"@optims"]', '"@nothing_like_it"]', r"'@nothing_like_it'.*does not define; defined"),
        # unknown keys at the top level and in a question, with the nearest known key
        ("[forbidden_sets]", "[forbiden_sets]", r"unknown key 'forbiden_sets' \(did you mean "),
        ('id = "q2"', 'id = "q2"\npoint = 5', r"'point' in question 'q2' \(did you mean 'points'"),
        # sets hold API names only, are non-empty and are used
        ('optims = ["torch.optim.*"]', 'optims = ["@grads"]', r"forbidden_sets.optims holds "),
        ('optims = ["torch.optim.*"]', "optims = []", r"forbidden_sets.optims is empty"),
        ('optims = ["torch.optim.*"]', 'optims = "torch.optim.*"', r"optims must be a list of"),
        ('optims = ["torch.optim.*"]', 'optims = ["torch optim"]', r"not a dotted Python name"),
        ('"torch.autograd.grad", "@optims"]', '"torch.optim.*"]', r"optims is used by no question"),
        ("[forbidden_sets]", "forbidden_sets = 3", r"forbidden_sets must be a table"),
        # required keys
        ('title = "Sets"\n', "", r"the file has no title"),
    ],
)
def test_a_wrong_set_or_key_is_one_line_with_a_suggestion(tmp_path, old, new, message):
    assert old in MINIMAL
    with pytest.raises(SpecError, match=message) as caught:
        _load_text(tmp_path, MINIMAL.replace(old, new, 1))
    text = str(caught.value)
    assert text.startswith(str(tmp_path / "hw99_demo" / "assignment.toml")) and "\n" not in text


def test_shared_lists_of_the_course_are_written_once_and_resolve_as_before():
    """hw04 and hw09 used to copy one list into every question; the named sets resolve
    to the same lists, in the same order (checked in full, by hand, when they came in)."""
    hw04 = load_assignment(REPO / "assignments" / "hw04_autograd")
    autodiff = hw04.question("q1").forbidden
    assert len(autodiff) == 14 and autodiff[:2] == (
        "torch.autograd.grad",
        "torch.autograd.forward_ad.*",
    )
    assert all(hw04.question(q).forbidden == autodiff for q in ("q2", "q3", "q4", "q5"))
    assert hw04.question("q6").forbidden == ()

    hw09 = load_assignment(REPO / "assignments" / "hw09_adamw")
    family = hw09.question("q1").forbidden
    assert len(family) == 20 and family[7] == "torch.optim._functional.*"
    assert all(hw09.question(q).forbidden == family for q in ("q2", "q3", "q4", "q6"))
    # q5's baselines are SGD: no torch.optim._functional.* (it would trap SGD's own
    # functional form), the Adam family's functional forms one by one instead
    without = tuple(f for f in family if f != "torch.optim._functional.*")
    extra = ("torch.optim.nadam.nadam", "torch.optim.radam.radam", "torch.optim.adamax.adamax")
    assert hw09.question("q5").forbidden == without + extra


# ------------------------------------------------------------ defaults in one place


def _docs_schema_table() -> str:
    text = (REPO / "docs" / "authoring.md").read_text(encoding="utf-8")
    begin = text.index("<!-- BEGIN schema")
    begin = text.index("\n", begin) + 1
    return text[begin : text.index("<!-- END schema -->")]


def test_the_docs_table_is_the_schema():
    assert _docs_schema_table() == schema_markdown(), (
        "docs/authoring.md's schema table is stale: replace it with the output of "
        ".venv/bin/python -c 'from autograder.spec import schema_markdown as s; print(s())'"
    )


def test_every_default_comes_from_the_schema(tmp_path):
    """A file that gives only the required keys gets every default of the table; the
    dataclasses and the bare sandbox agree with it."""
    from dataclasses import MISSING
    from dataclasses import fields as dataclass_fields

    from autograder.sandbox import SandboxConfig
    from autograder.spec import FIELDS, Assignment, Question, default_of

    a = _load_text(
        tmp_path, 'id = "hw99_demo"\ntitle = "T"\n\n[[questions]]\nid = "q1"\npoints = 1\n'
    )
    q = a.questions[0]
    assert a.lecture == 99 and q.title == "q1"  # the derived defaults
    for field in FIELDS:
        try:
            default = default_of(field.key, field.table)
        except KeyError:  # required, derived or documentation only
            continue
        if field.table == "questions":
            assert getattr(q, field.key) == default, field.key
        elif field.key not in ("forbidden_sets", "questions"):
            assert getattr(a, field.key) == default, field.key
    for cls, table in ((Assignment, ""), (Question, "questions")):
        for f in dataclass_fields(cls):
            if f.default is not MISSING:  # a field with a default has the schema's
                assert f.default == default_of(f.name, table), f.name
    # the sandbox package may not import spec (it is a layer above); its defaults, used
    # where no assignment is involved, must still be the schema's
    bare = SandboxConfig()
    assert bare.load_timeout_s == default_of("load_timeout_s")
    assert bare.memory_mb == default_of("memory_mb")
