"""``autograde merge``: the outputs of a sharded batch, combined into one class's.

Each shard's ``--out`` holds ``results/`` and ``feedback/`` for its slice and a
``shard.json`` (``batch_shard``) naming the slice, the assignment, the engine, the grader
and the whole class. Merging refuses, with one line naming the folders:

- a folder without ``shard.json`` (not a shard, or one that did not finish);
- shards of different assignments, engines, graders (reference, hidden tests,
  ``assignment.toml``), numbers of shards, or classes (different inputs);
- a shard given twice, a shard missing, a student in two shards;
- a shard whose results are missing or were graded against another grader;
- a course here that differs from the one the shards were graded with;
- an ``--out`` that holds anything but an earlier merge's files.

Results and feedback files are copied byte for byte; ``grades.csv``, ``summary.png``
and ``report.html`` are written by the same code as a single machine's run, from the
same rows, so they are the same files.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..course import Course
from ..runtime.errors import AutogradeError
from .batch_inputs import Student
from .batch_outputs import write_grades_csv, write_summary_png
from .batch_report import write_report_html
from .batch_resume import STAMP_KEY, OutputLock, ResumeError, grader_fingerprint, read_results
from .batch_shard import MANIFEST, ShardError, engine_fingerprint, read_manifest, shard_of

__all__ = ["MergeReport", "merge_shards"]

#: What an earlier merge leaves in its --out (which a new merge may replace).
MERGE_OUTPUTS = {
    "grades.csv",
    "results",
    "feedback",
    "summary.png",
    "report.html",
    ".autograde.lock",
}


@dataclass
class MergeReport:
    """What a merge did, for the command's summary."""

    shards: int = 0
    rows: int = 0
    graded: int = 0
    failed: list[str] = field(default_factory=list)  # students whose result is a fault
    faults: dict[str, list[str]] = field(default_factory=dict)  # cause -> students
    seconds: float = 0.0

    def fault_line(self) -> str:
        """One line: how many grader faults, their causes, and how to retry them."""
        causes = sorted(self.faults.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        words = "; ".join(f"{len(ids)} x {cause}" for cause, ids in causes)
        n = len(self.failed)
        return (
            f"{n} grader fault{'s' if n != 1 else ''} ({words}): not a grade; run the "
            "shards that hold them again (the same command) and merge again"
        )


@dataclass
class _Shard:
    folder: Path
    manifest: dict[str, Any]

    @property
    def name(self) -> str:
        return f"shard {self.manifest['shard']['index']}/{self.manifest['shard']['count']}"


def _read_shards(folders: list[Path]) -> list[_Shard]:
    shards = []
    for folder in folders:
        if not folder.is_dir():
            raise ShardError(f"{folder} is not a folder (give the shards' --out folders)")
        manifest = read_manifest(folder)
        if manifest is None:
            raise ShardError(
                f"{folder} has no {MANIFEST}: not a shard's output, or its run did not finish "
                "(run that shard's autograde grade --shard K/N again)"
            )
        shards.append(_Shard(folder, manifest))
    return shards


def _check_agree(shards: list[_Shard]) -> None:
    """Every shard graded the same assignment, with the same engine and grader, in the
    same number of slices, of the same class; each slice once."""
    first = shards[0]
    checks = [
        (lambda m: m["assignment"], "graded {a} and {b}: merge one assignment's shards"),
        (
            lambda m: m["engine"],
            "were graded by engines {a} and {b}: grade every shard with one engine version",
        ),
        (
            lambda m: m["grader"],
            "were graded against a different reference, hidden tests or "
            "assignment.toml: grade every shard against one course",
        ),
        (
            lambda m: m["shard"]["count"],
            "split the class into {a} and {b} shards: grade every shard with one N in --shard K/N",
        ),
        (
            lambda m: (m["class"]["key"], m["class"]["rows"]),
            "read different classes ({a[1]} and {b[1]} rows): give every shard the same inputs",
        ),
    ]
    for key, words in checks:
        for other in shards[1:]:
            a, b = key(first.manifest), key(other.manifest)
            if a != b:
                raise ShardError(f"{first.folder} and {other.folder} {words.format(a=a, b=b)}")
    count = first.manifest["shard"]["count"]
    seen: dict[int, Path] = {}
    for s in shards:
        index = s.manifest["shard"]["index"]
        if index in seen:
            raise ShardError(f"{s.name} is given twice: {seen[index]} and {s.folder}")
        seen[index] = s.folder
    missing = [f"{k}/{count}" for k in range(1, count + 1) if k not in seen]
    if missing:
        raise ShardError(
            f"missing shard{'s' if len(missing) > 1 else ''} {', '.join(missing)}: grade "
            f"{'them' if len(missing) > 1 else 'it'} (autograde grade ... --shard K/N) and "
            "merge again"
        )


def _check_out(out: Path, folders: list[Path]) -> None:
    """``out`` may be new, empty, an earlier merge's, or hold the shards being merged."""
    target = out.resolve()
    inputs = {f.resolve() for f in folders}
    for folder in inputs:
        if target == folder or folder in target.parents:
            raise ShardError(f"--out {out} is inside the shard {folder}; put it elsewhere")
    if not out.exists():
        return
    if not out.is_dir():
        raise ShardError(f"--out {out} is not a folder")
    stray = sorted(
        p.name for p in out.iterdir() if p.name not in MERGE_OUTPUTS and p.resolve() not in inputs
    )
    if stray:
        raise ShardError(
            f"--out {out} holds {', '.join(stray[:3])}{', ...' if len(stray) > 3 else ''}: "
            "not an earlier merge; give the merge an --out of its own"
        )


def _copy_atomic(src: Path, dest: Path) -> None:
    tmp = dest.with_name(f".{dest.name}.tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)


def merge_shards(course: Course, folders: list[Path], out: Path) -> MergeReport:
    """Combine the shards' ``--out`` folders into ``out`` (see the module docstring).

    Raises ShardError (a BatchError) for anything that cannot be merged, in one line."""
    started = time.monotonic()
    if not folders:
        raise ShardError("name the shards' --out folders to merge")
    shards = _read_shards(folders)
    _check_agree(shards)
    first = shards[0].manifest
    try:
        assignment = course.assignment(first["assignment"])
        here = grader_fingerprint(course, assignment)
    except (AutogradeError, ResumeError) as exc:
        raise ShardError(f"cannot read {first['assignment']} in {course.root}: {exc}") from None
    if here != first["grader"]:
        raise ShardError(
            f"the course in {course.root} differs from the one the shards were graded with "
            "(reference, hidden tests or assignment.toml): merge with that course"
        )
    if engine_fingerprint() != first["engine"]:
        raise ShardError(
            f"this engine ({engine_fingerprint()}) is not the one the shards were graded with "
            f"({first['engine']}): merge with that engine"
        )
    _check_out(out, folders)
    report = MergeReport(shards=len(shards))
    rows: list[Student] = []
    owner: dict[str, _Shard] = {}
    for s in sorted(shards, key=lambda s: s.manifest["shard"]["index"]):
        count, index = s.manifest["shard"]["count"], s.manifest["shard"]["index"]
        for r in s.manifest["rows"]:
            row = Student(
                str(r["id"]),
                None,
                str(r["name"]),
                str(r["email"]),
                str(r["problem"]),
                str(r["source"]),
                str(r["status"]),
            )
            if shard_of(row.id, count) != index:
                raise ShardError(f"{s.folder} lists {row.id}, who belongs to another shard")
            if row.gradable:
                if row.id.casefold() in owner:
                    other = owner[row.id.casefold()].folder
                    raise ShardError(f"student {row.id} is in both {other} and {s.folder}")
                owner[row.id.casefold()] = s
            rows.append(row)
    if len(rows) != first["class"]["rows"]:
        raise ShardError(
            f"the shards list {len(rows)} rows, but the class has {first['class']['rows']}: "
            "grade the shards again"
        )
    sources = _results_to_copy(rows, owner, assignment.id, first["grader"], report)
    try:  # nothing is written before everything was checked
        for folder in (out, out / "results", out / "feedback"):
            folder.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:  # as a batch: the slot uids read nobody's results
                os.chmod(folder, 0o700)
        with OutputLock(out):
            _copy(sources, out)
            write_grades_csv(assignment, rows, out)
            write_summary_png(assignment, rows, out)
            write_report_html(assignment, rows, out)
    except ResumeError as exc:
        raise ShardError(str(exc)) from None
    except OSError as exc:
        raise ShardError(f"cannot write to {exc.filename or out}: {exc.strerror or exc}") from None
    report.rows = len(rows)
    report.seconds = time.monotonic() - started
    return report


def _results_to_copy(
    rows: list[Student],
    owner: dict[str, _Shard],
    assignment_id: str,
    grader: str,
    report: MergeReport,
) -> list[Path]:
    """Each graded row's results and feedback files, checked: present, readable, and
    graded against what its shard says; grader faults counted into ``report``."""
    sources: list[Path] = []
    for row in rows:
        if not row.gradable:
            continue
        shard = owner[row.id.casefold()]
        src = shard.folder / "results" / f"{row.id}.json"
        try:
            results = read_results(src)
        except ValueError as exc:
            results, why = None, f"is unreadable ({exc})"
        else:
            why = "is missing"
        if results is None:
            raise ShardError(
                f"{src} {why}: run {shard.name} again (the same command) and merge again"
            )
        extra = results.get("extra_data") or {}
        stamp = extra.get(STAMP_KEY) or {}
        if extra.get("assignment") != assignment_id or stamp.get("grader") != grader:
            raise ShardError(
                f"{src} was graded against another assignment or grader than its shard "
                f"says: run {shard.name} again and merge again"
            )
        feedback = shard.folder / "feedback" / f"{row.id}.md"
        if not feedback.is_file():
            raise ShardError(f"{feedback} is missing: run {shard.name} again and merge again")
        sources += [src, feedback]
        report.graded += 1
        if extra.get("grader_fault"):
            report.failed.append(row.id)
            cause = str(extra.get("fault") or "unknown cause")
            report.faults.setdefault(cause, []).append(row.id)
    return sources


def _copy(sources: list[Path], out: Path) -> None:
    """Copy ``sources`` (results/ and feedback/ files) into ``out`` byte for byte, and
    remove what an earlier merge left there for students no longer in the class."""
    for src in sources:
        _copy_atomic(src, out / src.parent.name / src.name)
    kept = {(src.parent.name, src.name) for src in sources}
    for folder in (out / "results", out / "feedback"):
        for path in folder.iterdir():
            if (folder.name, path.name) not in kept:
                path.unlink()
