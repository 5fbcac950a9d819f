"""What a batch result was graded against, and whether a resumed batch may reuse it.

Every ``results/<student>.json`` a batch writes carries a stamp in ``extra_data``:

- ``assignment``: the assignment id (Gradescope's results already carry it);
- ``batch.grader``: a hash of everything the grade depends on besides the submission:
  ``assignment.toml`` (points, forbidden APIs, the salt), the reference solution and
  every file of the hidden tests;
- ``batch.submission``: a hash of the submitted file's bytes.

A result is reused only when all of them match what would be graded now, it is not a
grader fault, and its feedback file exists. A results folder holding another
assignment's results is refused outright: mixing two assignments' grades in one
``grades.csv`` is never what a TA wants.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..course import Course
from ..runtime.errors import AutogradeError
from ..spec import Assignment

__all__ = [
    "OutputLock",
    "Reuse",
    "check_results_belong",
    "decide",
    "file_hash",
    "grader_fingerprint",
    "remove_leftover_temp_files",
    "stamp",
]

STAMP_KEY = "batch"


class ResumeError(AutogradeError, ValueError):
    """The output folder cannot be resumed into; the message says why and what to do."""


def _add(digest: Any, label: str, data: bytes) -> None:
    # length-prefixed, so that moving bytes from one file to the next changes the hash
    digest.update(f"{label}\0{len(data)}\0".encode())
    digest.update(data)


def grader_fingerprint(course: Course, assignment: Assignment) -> str:
    """A hash of what grades depend on apart from the submission: ``assignment.toml``
    (with its salt), the reference solution and the hidden tests folder, file by file."""
    digest = hashlib.sha256()
    _add(digest, "assignment", assignment.id.encode())
    _add(digest, "salt", assignment.salt.encode())
    files = [
        ("assignment.toml", assignment.folder / "assignment.toml"),
        ("reference", course.reference_path(assignment.id)),
    ]
    hidden = assignment.hidden_tests
    if hidden.is_dir():
        files += [
            (f"hidden/{p.relative_to(hidden).as_posix()}", p)
            for p in sorted(hidden.rglob("*"))
            if p.is_file() and not _generated(p.relative_to(hidden))
        ]
    for label, path in files:
        try:
            _add(digest, label, path.read_bytes())
        except OSError as exc:
            raise ResumeError(f"cannot read {path}: {exc.strerror or exc}") from None
    return digest.hexdigest()


def _generated(relative: Path) -> bool:
    """Files no test is made of (bytecode, caches, a file manager's dot files): were they
    hashed, running the tests could change the hash and regrade the whole class."""
    return any(part == "__pycache__" or part.startswith(".") for part in relative.parts)


def file_hash(path: Path | None) -> str:
    """A hash of a submission file's bytes ("none" for a student without a file)."""
    if path is None:
        return "none"
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stamp(results: dict[str, Any], assignment: Assignment, grader: str, submission: str) -> None:
    """Record in ``results`` what it was graded against (see the module docstring)."""
    extra = results.setdefault("extra_data", {})
    extra["assignment"] = assignment.id
    extra[STAMP_KEY] = {"grader": grader, "submission": submission}


@dataclass(frozen=True)
class Reuse:
    """Whether a student's existing result may be kept, and if not, why not."""

    keep: bool
    reason: str = ""  # why it is graded (again): a key of REASONS
    detail: str = ""  # for a warning (a corrupt file's error)


#: Why a student is graded in this run, as the summary words it.
REASONS = {
    "new": "not graded before",
    "regrade": "named with --regrade",
    "resubmitted": "resubmitted (the file changed)",
    "grader": "graded against another reference, tests or assignment.toml",
    "fault": "retried after a grader fault",
    "corrupt": "results file unreadable",
    "unstamped": "results file without a record of what it was graded against",
    "feedback": "feedback file missing",
}


def read_results(path: Path) -> dict[str, Any] | None:
    """``path``'s results document; None if the file is missing. Raises ValueError
    (with the reason) for a file that is not a results document."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(str(exc)) from None
    data = json.loads(text)  # ValueError if not JSON
    if not isinstance(data, dict) or not isinstance(data.get("extra_data", {}), dict):
        raise ValueError("not a results document")
    return data


def decide(out: Path, student_id: str, grader: str, submission: str, regrade: bool) -> Reuse:
    """Keep ``results/<student_id>.json``, or grade the student (again), and why."""
    if regrade:
        return Reuse(False, "regrade")
    try:
        results = read_results(out / "results" / f"{student_id}.json")
    except ValueError as exc:
        return Reuse(False, "corrupt", str(exc)[:200])
    if results is None:
        return Reuse(False, "new")
    extra = results.get("extra_data", {})
    record = extra.get(STAMP_KEY)
    if extra.get("grader_fault"):
        return Reuse(False, "fault")
    if not isinstance(record, dict):
        return Reuse(False, "unstamped")
    if record.get("grader") != grader:
        return Reuse(False, "grader")
    if record.get("submission") != submission:
        return Reuse(False, "resubmitted")
    if not (out / "feedback" / f"{student_id}.md").is_file():
        return Reuse(False, "feedback")
    return Reuse(True)


def check_results_belong(out: Path, assignment: Assignment) -> None:
    """Stop if ``out/results`` holds another assignment's results (a reused ``--out``)."""
    results_dir = out / "results"
    if not results_dir.is_dir():
        return
    for path in sorted(results_dir.glob("*.json")):
        try:
            data = read_results(path)
        except ValueError:
            continue  # regraded, with a warning, when its student comes up
        other = (data or {}).get("extra_data", {}).get("assignment")
        if other and other != assignment.id:
            raise ResumeError(
                f"{out} holds results of {other} ({path.name}, and maybe more), not of "
                f"{assignment.id}: give {assignment.id} an --out folder of its own"
            )


def remove_leftover_temp_files(out: Path) -> int:
    """Delete the ``.<name>.tmp`` files an atomic write leaves when it is killed midway
    (only this batch writes there, under the lock); returns how many there were."""
    removed = 0
    for folder in (out, out / "results", out / "feedback"):
        if not folder.is_dir():
            continue
        for path in folder.glob(".*.tmp"):
            try:
                path.unlink()
                removed += 1
            except FileNotFoundError:
                pass
    return removed


class OutputLock:
    """An exclusive lock on ``out/.autograde.lock``, held while a batch writes to ``out``:
    two batches writing one folder would race on every file."""

    def __init__(self, out: Path) -> None:
        self.path = out / ".autograde.lock"
        self.fd: int | None = None

    def __enter__(self) -> OutputLock:
        import fcntl

        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.read(self.fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(self.fd)
            self.fd = None
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise ResumeError(
                    f"another batch (pid {holder}) is writing to {self.path.parent}; "
                    "wait for it to finish, or give this one another --out"
                ) from None
            raise
        os.ftruncate(self.fd, 0)
        os.write(self.fd, f"{os.getpid()}\n".encode())
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            # the pid is the holder's, for the message above: no holder now. The file
            # stays (deleting it would let two later batches lock two different files).
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, 0)
            os.close(self.fd)  # closing releases the lock
            self.fd = None
