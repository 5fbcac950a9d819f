"""Grading a class on many machines: ``--shard K/N``, Slurm and Kubernetes indices, and
``autograde merge`` giving the files one machine would have written."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.grading.batch import grade_class
from autograder.grading.batch_merge import merge_shards
from autograder.grading.batch_shard import (
    MANIFEST,
    Shard,
    ShardError,
    check_shard_folder,
    parse_shard,
    resolve_shard,
    shard_of,
)

from .test_batch import CASES, CLASS, EXPECTED, _comparable

# --------------------------------------------------------------------- choosing a slice


def test_a_students_shard_depends_only_on_the_id_and_the_count():
    # Pinned values: a machine, a Python or an engine version that sliced differently
    # would grade some students twice and others never.
    assert (shard_of("alice", 3), shard_of("dan", 3), shard_of("erin", 3)) == (3, 2, 1)
    assert shard_of("zoë", 7) == 2
    ids = [f"student{i:04d}" for i in range(3000)]
    sizes = [sum(shard_of(s, 8) == k for s in ids) for k in range(1, 9)]
    assert sum(sizes) == 3000 and min(sizes) > 300, sizes  # every id once, evenly enough
    for n in (1, 2, 5):
        assert all(1 <= shard_of(s, n) <= n for s in ids[:200])


@pytest.mark.parametrize(("text", "shard"), [("1/3", (1, 3)), ("3/3", (3, 3)), (" 2 / 8 ", (2, 8))])
def test_shard_k_of_n(text, shard):
    s = parse_shard(text)
    assert (s.index, s.count) == shard and str(s) == f"{shard[0]}/{shard[1]}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0/3", "shards count from 1 to 3 (the first is 1/3)"),
        ("4/3", "shard 4 of 3 does not exist"),
        ("1/0", "the number of shards must be at least 1"),
        ("-1/3", "shards count from 1"),
        ("2", "--shard expects K/N"),
        ("a/b", "--shard expects K/N"),
        ("1/3/5", "--shard expects K/N"),
    ],
)
def test_a_bad_shard_is_one_clear_line(text, message):
    with pytest.raises(ShardError, match=re.escape(message)):
        parse_shard(text)


def _slurm(task: int, first: int, count: int, step: int | None = None, last: int | None = None):
    env = {
        "SLURM_ARRAY_TASK_ID": str(task),
        "SLURM_ARRAY_TASK_MIN": str(first),
        "SLURM_ARRAY_TASK_COUNT": str(count),
        "SLURM_ARRAY_TASK_MAX": str(
            last if last is not None else first + (count - 1) * (step or 1)
        ),
    }
    if step is not None:
        env["SLURM_ARRAY_TASK_STEP"] = str(step)
    return env


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (_slurm(0, 0, 4), (1, 4)),  # --array=0-3
        (_slurm(3, 0, 4), (4, 4)),
        (_slurm(1, 1, 4), (1, 4)),  # --array=1-4: task 1 is the first shard
        (_slurm(4, 1, 4), (4, 4)),
        (_slurm(14, 10, 3, step=2), (3, 3)),  # --array=10-14:2
        ({"JOB_COMPLETION_INDEX": "0", "AUTOGRADE_SHARD_COUNT": "5"}, (1, 5)),
        ({"JOB_COMPLETION_INDEX": "4", "AUTOGRADE_SHARD_COUNT": "5"}, (5, 5)),
    ],
)
def test_the_slice_comes_from_slurm_or_kubernetes(env, expected):
    shard = resolve_shard(None, None, env)
    assert (shard.index, shard.count) == expected
    assert "SLURM" in shard.origin or "JOB_COMPLETION_INDEX" in shard.origin


def test_shard_count_flag_and_precedence():
    k8s = {"JOB_COMPLETION_INDEX": "2"}
    assert str(resolve_shard(None, 3, k8s)) == "3/3"
    assert resolve_shard(None, None, {}) is None  # no scheduler: the whole class
    assert str(resolve_shard("1/2", None, _slurm(3, 0, 4))) == "1/2"  # the flag wins
    assert resolve_shard("1/1", None, _slurm(3, 0, 4)) is None  # the whole class, in an array
    assert str(resolve_shard(None, None, _slurm(0, 0, 1))) == "1/1"  # a one-task array: a shard
    assert str(resolve_shard(None, 4, _slurm(2, 0, 4))) == "3/4"


@pytest.mark.parametrize(
    ("text", "count", "env", "message"),
    [
        (None, None, {"JOB_COMPLETION_INDEX": "1"}, "pass --shard-count N"),
        (None, 3, {"JOB_COMPLETION_INDEX": "3"}, "shard 4 of 3 does not exist"),
        (None, 3, {"JOB_COMPLETION_INDEX": "x"}, "JOB_COMPLETION_INDEX must be a whole number"),
        (None, None, {"JOB_COMPLETION_INDEX": "0", "AUTOGRADE_SHARD_COUNT": "0"}, "at least 1"),
        (None, 3, {}, "--shard-count needs a shard index"),
        ("1/3", 4, {}, "--shard 1/3 and --shard-count 4 disagree"),
        (None, None, {"SLURM_ARRAY_TASK_ID": "2"}, "SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_"),
        (None, None, _slurm(5, 0, 3, last=7), "not one evenly spaced range"),  # --array=0,5,7
        (None, None, _slurm(3, 0, 3, step=2), "not a task of an array from 0 in steps of 2"),
        (None, None, _slurm(0, 1, 4), "not a task of an array from 1"),
        (None, 5, _slurm(0, 0, 4), "--shard-count 5 disagrees with the Slurm array's 4 tasks"),
    ],
)
def test_bad_scheduler_values_are_one_clear_line(text, count, env, message):
    with pytest.raises(ShardError, match=re.escape(message)):
        resolve_shard(text, count, env)


def test_the_command_refuses_a_bad_slice_before_reading_anything(
    demo_course, tmp_path, monkeypatch, capsys
):
    cmd = ["--course", str(demo_course.root), "grade", "hw99", str(tmp_path / "nowhere")]
    assert main([*cmd, "--out", str(tmp_path / "o"), "--shard", "0/3"]) == 2
    assert "autograde grade: --shard 0/3: shard 0 of 3 does not exist" in capsys.readouterr().err
    monkeypatch.setenv("JOB_COMPLETION_INDEX", "1")
    monkeypatch.delenv("AUTOGRADE_SHARD_COUNT", raising=False)
    monkeypatch.delenv("SLURM_ARRAY_TASK_ID", raising=False)
    assert main([*cmd, "--out", str(tmp_path / "o")]) == 2
    assert "pass --shard-count N" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------- three shards, one merge


def _class(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    for student, case in CLASS.items():
        shutil.copy(CASES / case, folder / f"{student}{Path(case).suffix}")
    (folder / "notes.txt").write_text("not a submission")  # a skipped row belongs somewhere
    (folder / "gus").mkdir()  # a student folder without a notebook: a "no submission" row
    return folder


@pytest.fixture(scope="module")
def graded(demo_course, tmp_path_factory) -> dict[str, object]:
    """One unsharded run and three shards of the same class (graded once per module)."""
    tmp = tmp_path_factory.mktemp("sharded")
    folder = _class(tmp)
    a = demo_course.assignment("hw99")
    whole = tmp / "whole"
    grade_class(demo_course, a, [folder], whole, jobs=2)
    started = time.monotonic()
    shards = [tmp / f"shard-{k}" for k in (1, 2, 3)]
    reports = [
        grade_class(demo_course, a, [folder], out, jobs=1, shard=Shard(k, 3))
        for k, out in enumerate(shards, 1)
    ]
    return {
        "tmp": tmp,
        "folder": folder,
        "whole": whole,
        "shards": shards,
        "reports": reports,
        "seconds": time.monotonic() - started,
    }


@pytest.mark.slow
def test_three_shards_and_a_merge_equal_one_run(demo_course, graded, capsys):
    shards, whole = graded["shards"], graded["whole"]
    rows = [json.loads((s / MANIFEST).read_text())["rows"] for s in shards]
    assert sum(len(r) for r in rows) == len(CLASS) + 2  # every row in exactly one shard
    assert sorted(r["id"] for rs in rows for r in rs) == sorted([*CLASS, "gus", "notes.txt"])
    assert sum(r.graded for r in graded["reports"]) == len(CLASS) + 1
    merged = graded["tmp"] / "merged"
    cmd = ["--course", str(demo_course.root), "merge", *map(str, shards), "--out", str(merged)]
    assert main(cmd) == 0
    err = capsys.readouterr().err
    assert f"merged 3 shards: {len(CLASS) + 2} rows, {len(CLASS) + 1} results" in err
    assert _comparable(merged) == _comparable(whole)
    totals = {
        line.split(",")[0]: line.split(",")[5]
        for line in (merged / "grades.csv").read_text().splitlines()[1:]
    }
    assert {s: float(totals[s]) for s in CLASS} == EXPECTED
    # Merging again into the same --out replaces it: the same files.
    assert main(cmd) == 0
    assert _comparable(merged) == _comparable(whole)
    print(f"3 shards graded in {graded['seconds']:.1f} s")


def _edited_copy(shard: Path, tmp: Path, edit) -> Path:
    copy = tmp / f"{shard.name}-edited-{len(list(tmp.iterdir()))}"
    shutil.copytree(shard, copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    edit(manifest)
    (copy / MANIFEST).write_text(json.dumps(manifest))
    return copy


def test_merge_refuses_what_would_not_be_one_class(demo_course, graded, tmp_path):
    s1, s2, s3 = graded["shards"]

    def refused(folders, message, out=None):
        with pytest.raises(ShardError, match=re.escape(message)):
            merge_shards(demo_course, folders, out or tmp_path / "m")
        assert out is not None or not (tmp_path / "m").exists()

    refused([s1, s2], "missing shard 3/3: grade it (autograde grade ... --shard K/N)")
    refused([s1], "missing shards 2/3, 3/3")
    refused([s1, s2, s2, s3], f"shard 2/3 is given twice: {s2} and {s2}")
    refused([s1, s2, graded["whole"]], f"{graded['whole']} has no shard.json: not a shard's")

    def other_assignment(m):
        m["assignment"] = "hw04_autograd"

    def other_engine(m):
        m["engine"] = "0.0.1+0123456789abcdef"

    def other_count(m):
        m["shard"] = {"index": 3, "count": 4}

    def other_class(m):
        m["class"] = {"rows": 99, "key": "x"}

    def other_grader(m):
        m["grader"] = "0" * 64

    for edit, message in [
        (other_assignment, "graded hw99_demo and hw04_autograd"),
        (other_engine, "were graded by engines"),
        (other_count, "split the class into 3 and 4 shards"),
        (other_class, "read different classes"),
        (other_grader, "a different reference, hidden tests or assignment.toml"),
    ]:
        refused([s1, s2, _edited_copy(s3, tmp_path, edit)], message)
    # A shard whose results went missing, and an --out holding something else.
    broken = tmp_path / "broken"
    shutil.copytree(s1, broken)
    graded_ids = [r["id"] for r in json.loads((s1 / MANIFEST).read_text())["rows"]]
    assert graded_ids[0] == "erin"  # shard 1/3 of this class: erin, and the notes.txt row
    (broken / "results" / "erin.json").unlink()
    refused([broken, s2, s3], "results/erin.json is missing: run shard 1/3 again")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "thesis.tex").write_text("mine")
    refused([s1, s2, s3], "holds thesis.tex: not an earlier merge", out=busy)
    refused([s1, s2, s3], "is inside the shard", out=s1 / "merged")


def test_a_shards_out_is_its_own(graded):
    s1 = graded["shards"][0]
    check_shard_folder(s1, Shard(1, 3))  # the same slice resumes into it
    with pytest.raises(ShardError, match="holds shard 1/3, not 2/3"):
        check_shard_folder(s1, Shard(2, 3))
    with pytest.raises(ShardError, match="holds shard 1/3 of a sharded run"):
        check_shard_folder(s1, None)


def test_a_shard_resumes_and_an_empty_shard_still_finishes(demo_course, graded, tmp_path):
    a = demo_course.assignment("hw99")
    s1 = graded["shards"][0]
    rows = json.loads((s1 / MANIFEST).read_text())["rows"]
    again = grade_class(demo_course, a, [graded["folder"]], s1, shard=Shard(1, 3))
    assert (again.graded, again.skipped) == (0, sum(r["status"] == "grade" for r in rows))
    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copy(CASES / CLASS["alice"], lone / "alice.py")
    empty = next(k for k in (1, 2, 3) if k != shard_of("alice", 3))
    out = tmp_path / "empty"
    report = grade_class(demo_course, a, [lone], out, shard=Shard(empty, 3))
    assert report.graded == 0
    assert json.loads((out / MANIFEST).read_text())["rows"] == []
    assert (out / "grades.csv").read_text().count("\n") == 1  # the header only
    assert (out / "report.html").is_file()
