"""``autograde grade``: a whole class, locally, resumable.

Inputs are notebooks, folders of them, or the zip Gradescope gives under "Export
Submissions" (see ``batch_inputs`` for how students are identified). Outputs, under
``--out DIR``:

- ``results/<student>.json``: Gradescope's results document, written atomically, stamped
  with what it was graded against (see ``batch_resume``);
- ``feedback/<student>.md``: what the student would see;
- ``grades.csv``: a row per input entry (id, name, email, a column per question, total,
  status, source): graded, or skipped or unreadable with the reason;
- ``summary.png``: the score histogram and each question's mean as a fraction of its points;
- ``report.html``: what the class got wrong, for the instructor (``batch_report``);
- ``shard.json``, for a shard of a class graded on many machines (``batch_shard``; merged
  by ``batch_merge``).

A student whose result matches the assignment, reference, hidden tests and submission
file of this run, is no grader fault, and has its feedback, is not graded again (so a
killed run resumes where it stopped, and its final files equal an uninterrupted run's),
unless named with ``--regrade``. ``grades.csv``, ``summary.png`` and ``report.html`` are
always rebuilt from the results folder, in student order (``batch_outputs``).

Before anyone is graded, the reference and the hidden tests are loaded once (in a
worker): a course that cannot grade stops the batch with one line. A worker or fork
server that dies is replaced and its students graded again. A grader fault is retried
once in the run; one that stays is written (never as a grade: the next run retries it)
and makes the batch end non-zero with the causes counted. SIGINT and SIGTERM stop the
workers at once; ``BatchInterrupted`` says how many were graded.

This module runs the batch; the workers, their pool and the fork server are
``batch_workers``'s, signals and progress ``batch_signals``'s, and keeping sandboxes out
of the class's folders ``batch_private``'s.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..course import Course
from ..spec import Assignment
from .batch_inputs import BatchError, Student, check_out_outside_inputs, collect_students
from .batch_outputs import row_status as _status  # noqa: F401  (tests import it from here)
from .batch_outputs import write_grades_csv, write_summary_png, write_text_atomic
from .batch_private import open_to_sandboxes, private_folders
from .batch_report import write_report_html
from .batch_resume import (
    REASONS,
    OutputLock,
    ResumeError,
    check_results_belong,
    decide,
    file_hash,
    grader_fingerprint,
    remove_leftover_temp_files,
    stamp,
)
from .batch_shard import Shard, check_shard_folder, write_manifest
from .batch_signals import Progress, Signals, Stop
from .batch_workers import MAX_ATTEMPTS, ForkServers, ServerDied, check_course, worker_pool
from .batch_workers import grade_one as _grade_one  # a name tests replace, looked up here
from .results import feedback_markdown, write_json_atomic

__all__ = [
    "BatchError",
    "BatchInterrupted",
    "BatchReport",
    "Shard",
    "Student",
    "collect_students",
    "effective_jobs",
    "grade_class",
    "private_folders",
    "write_grades_csv",
    "write_report_html",
    "write_summary_png",
]

#: What one job may hold in memory: a worker (torch, the reference: about half a GiB) and
#: a sandbox, budgeted at half its limit (few submissions come near it).
WORKER_MIB = 512
#: Scratch folders (unpacked exports) are named so, and name their batch's pid in a file.
SCRATCH_PREFIX = "autograde-batch-"
SCRATCH_OWNER = ".owner-pid"


class _WriteFailed(Exception):
    """Writing under ``--out`` failed (a full disk, say); the message names the file."""


class BatchInterrupted(Exception):
    """SIGINT or SIGTERM stopped the batch; ``graded`` results were written this run."""

    def __init__(self, signame: str, graded: int, total: int) -> None:
        super().__init__(f"stopped by {signame}")
        self.signame, self.graded, self.total = signame, graded, total


@dataclass
class BatchReport:
    """What a batch did, for the command's summary."""

    graded: int = 0  # results written in this run
    skipped: int = 0  # results reused from an earlier run
    failed: list[str] = field(default_factory=list)  # students whose result is a grader fault
    faults: dict[str, list[str]] = field(default_factory=dict)  # cause -> students
    reasons: dict[str, int] = field(default_factory=dict)  # why graded (REASONS) -> count
    not_graded: dict[str, int] = field(default_factory=dict)  # "skipped"/"unreadable" rows
    warnings: list[str] = field(default_factory=list)
    jobs: int = 0
    seconds: float = 0.0
    shard: str = ""  # which slice of the class, where sharded

    def why_graded(self) -> str:
        """Why students with an earlier result were graded again, counted ("" if none)."""
        return ", ".join(f"{n} {REASONS[r]}" for r, n in sorted(self.reasons.items()))

    def fault_line(self) -> str:
        """One line: how many grader faults, and their causes with counts."""
        causes = sorted(self.faults.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        words = "; ".join(f"{len(ids)} x {cause}" for cause, ids in causes)
        return (
            f"{len(self.failed)} grader fault{'s' if len(self.failed) != 1 else ''} "
            f"({words}): not a grade; run the same command again to retry "
            f"{'them' if len(self.failed) != 1 else 'it'}"
        )


def effective_jobs(requested: int | None, assignment: Assignment) -> tuple[int, str]:
    """How many submissions to grade at once, and a note when ``requested`` was capped.

    At most one per CPU (torch runs one thread per sandbox, so more only queue), and no
    more than the available memory holds: under memory pressure, sandboxes die and
    students get grader faults instead of grades."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpus = cpus or 1
    per_job = WORKER_MIB + assignment.memory_mb // 2
    available = _available_mib()
    by_memory = max(1, available // per_job) if available is not None else cpus
    wanted = requested or cpus
    jobs = max(1, min(wanted, cpus, by_memory))
    note = ""
    if jobs < wanted:
        why = []
        if cpus < wanted:
            why.append(f"{cpus} CPUs")
        if available is not None and by_memory < wanted:  # None: memory unknown
            why.append(
                f"{available / 1024:.1f} GiB of memory available, about "
                f"{per_job / 1024:.1f} GiB per job"
            )
        note = f"--jobs {wanted} capped to {jobs} ({'; '.join(why)})"
    return jobs, note


def _available_mib(meminfo: str = "/proc/meminfo", cgroup: str = "/sys/fs/cgroup") -> int | None:
    """Memory this batch may still use, in MiB: the machine's MemAvailable, or less where
    a cgroup (a container's limit) allows less. None where neither can be read."""
    found: list[int] = []
    try:
        with open(meminfo, encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) // 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:  # cgroup v2: the limit of the container this runs in, less what it uses
        limit = Path(cgroup, "memory.max").read_text().strip()
        if limit != "max":
            used = int(Path(cgroup, "memory.current").read_text())
            found.append(max(0, int(limit) - used) >> 20)
    except (OSError, ValueError):
        pass
    return min(found) if found else None


def grade_class(
    course: Course,
    assignment: Assignment,
    paths: list[Path],
    out: Path,
    jobs: int | None = None,
    regrade: Sequence[str] = (),
    zygote: bool = True,
    shard: Shard | None = None,
) -> BatchReport:
    """Grade every submission in ``paths`` into ``out`` (see the module docstring); with
    ``shard``, only that slice of the class (``batch_shard``), recorded in
    ``out/shard.json`` for ``autograde merge``.

    Raises BatchError for what stops a batch before or while grading (one line, naming
    the file), and BatchInterrupted when SIGINT or SIGTERM stopped it."""
    started = time.monotonic()
    report = BatchReport()
    check_out_outside_inputs(paths, out)  # before --out is made inside an input
    with contextlib.ExitStack() as stack:
        try:
            for folder in (out, out / "results", out / "feedback"):
                folder.mkdir(parents=True, exist_ok=True)
            stack.enter_context(OutputLock(out))
            remove_leftover_temp_files(out)
            check_results_belong(out, assignment)
            check_shard_folder(out, shard)
            if os.geteuid() == 0:  # the slot uids must not read anyone's results or feedback
                for folder in (out, out / "results", out / "feedback"):
                    os.chmod(folder, 0o700)
        except ResumeError as exc:
            raise BatchError(str(exc)) from None
        except OSError as exc:
            raise BatchError(f"cannot write to {out}: {exc.strerror or exc}") from None
        if os.geteuid() == 0:
            report.warnings += open_to_sandboxes(paths)
        _remove_stale_scratch()
        try:
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX)))
            (scratch / SCRATCH_OWNER).write_text(f"{os.getpid()}\n")
        except OSError as exc:
            raise BatchError(
                f"cannot make a scratch folder in {tempfile.gettempdir()}: "
                f"{exc.strerror or exc} (set TMPDIR to a folder with room)"
            ) from None
        students = collect_students(paths, scratch, report.warnings, out)
        hide = private_folders(
            [out, scratch, *(p if p.is_dir() else p.parent for p in paths)], report.warnings
        )
        unknown = set(regrade) - {s.id for s in students if s.gradable}
        if unknown:
            raise BatchError(f"--regrade names unknown students: {', '.join(sorted(unknown))}")
        try:
            grader = grader_fingerprint(course, assignment)
        except ResumeError as exc:
            raise BatchError(str(exc)) from None
        whole_class = students
        if shard is not None:
            students = shard.select(students)
            report.shard = f"shard {shard} ({shard.origin}): {len(students)} of "
            report.shard += f"{len(whole_class)} rows"
            print(report.shard, file=sys.stderr)
            elsewhere = sorted(r for r in set(regrade) if not shard.holds(r))
            if elsewhere:  # an array's every task gets the same --regrade: not an error
                print(f"--regrade {', '.join(elsewhere)}: in other shards", file=sys.stderr)
        todo, hashes = _to_grade(students, out, grader, regrade, report)
        for w in report.warnings:
            print(f"warning: {w}", file=sys.stderr)
        for s in students:
            if not s.gradable:
                report.not_graded[s.status] = report.not_graded.get(s.status, 0) + 1
        if report.skipped or report.reasons:
            why = report.why_graded()
            print(
                f"{report.skipped} already graded (results/ exists); grading {len(todo)}"
                + (f" ({why})" if why else ""),
                file=sys.stderr,
            )
        report.jobs, note = effective_jobs(jobs, assignment)
        if note and todo:
            report.warnings.append(note)
            print(f"warning: {note}", file=sys.stderr)
        with Signals() as signals:
            try:
                _grade_todo(
                    course, assignment, todo, out, hide, grader, hashes, report, signals, zygote
                )
            except Stop as stop:
                raise BatchInterrupted(stop.signame, report.graded, len(todo)) from None
            except _WriteFailed as exc:
                raise BatchError(
                    f"{exc}; free space (or fix the folder) and run the same command again"
                ) from None
            with signals.critical():
                try:
                    write_grades_csv(assignment, students, out)
                    write_summary_png(assignment, students, out)
                    write_report_html(assignment, students, out)
                    if shard is not None:  # last: a shard without it did not finish
                        write_manifest(out, assignment, grader, shard, students, whole_class)
                except OSError as exc:
                    raise BatchError(
                        f"cannot write to {out}: {exc.strerror or exc}; free space (or fix "
                        "the folder) and run the same command again"
                    ) from None
    report.seconds = time.monotonic() - started
    return report


def _remove_stale_scratch() -> None:
    """Delete the scratch folders (unpacked exports) of batches that were killed: each
    names its process in a file; a folder whose process is gone is a leftover. Folders of
    other users, or of a live process, are left alone."""
    import shutil

    base = Path(tempfile.gettempdir())
    for folder in base.glob(f"{SCRATCH_PREFIX}*"):
        try:
            if folder.is_symlink() or folder.stat().st_uid != os.geteuid():
                continue
            pid = int((folder / SCRATCH_OWNER).read_text().strip())
        except (OSError, ValueError):
            continue  # not ours to judge (no owner file: still being set up, or older)
        try:
            os.kill(pid, 0)
            continue  # that batch is still running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        shutil.rmtree(folder, ignore_errors=True)


def _to_grade(
    students: list[Student],
    out: Path,
    grader: str,
    regrade: Sequence[str],
    report: BatchReport,
) -> tuple[list[Student], dict[str, str]]:
    """The students to grade in this run (and each one's file hash); the others' results
    are reused. A file unreadable now becomes an "unreadable" row."""
    todo, hashes = [], {}
    for s in students:
        if not s.gradable:
            continue
        try:
            hashes[s.id] = file_hash(s.path)
        except OSError as exc:
            s.status, s.problem = "unreadable", f"cannot read the file: {exc.strerror or exc}"
            s.path = None
            report.warnings.append(f"{s.source}: {s.problem}")
            continue
        verdict = decide(out, s.id, grader, hashes[s.id], s.id in regrade)
        if verdict.keep:
            report.skipped += 1
            continue
        if verdict.reason == "corrupt":
            report.warnings.append(
                f"results/{s.id}.json is unreadable ({verdict.detail}); grading {s.id} again"
            )
        if verdict.reason != "new":
            report.reasons[verdict.reason] = report.reasons.get(verdict.reason, 0) + 1
        todo.append(s)
    return todo, hashes


def _grade_todo(
    course: Course,
    assignment: Assignment,
    todo: list[Student],
    out: Path,
    hide: tuple[str, ...],
    grader: str,
    hashes: dict[str, str],
    report: BatchReport,
    signals: Signals,
    zygote: bool,
) -> None:
    """Grade ``todo`` in worker processes, writing each result as it comes.

    Rounds of a fresh worker pool grade whatever is left: a worker that dies breaks the
    pool (its students are graded again, each up to MAX_ATTEMPTS times); a fork server
    that dies is replaced (with a new pool, whose workers connect to it); a grader fault
    is retried once before it is written."""
    if not todo:
        return
    progress = Progress(len(todo))
    forks = ForkServers(course, assignment) if zygote else None
    with contextlib.ExitStack() as stack:
        if forks is not None:
            stack.callback(forks.close)
        deaths: Counter[str] = Counter()  # worker deaths under each student
        retried: set[str] = set()  # students whose grader fault was retried once
        checked, pending = False, list(todo)
        while pending:
            server = forks.current() if forks is not None else None
            written: set[str] = set()
            futures: dict[cf.Future, Student] = {}
            try:
                may_warm = forks.later if forks is not None and server is not None else []
                with worker_pool(report.jobs, server, may_warm) as pool:
                    if not checked:
                        checked = _check_in(pool, course, assignment, deaths)
                        if not checked:
                            continue
                    futures = {
                        pool.submit(
                            _grade_one,
                            str(course.root),
                            assignment.id,
                            str(s.path) if s.path else None,
                            s.problem,
                            hide,
                        ): s
                        for s in pending
                    }
                    for future in cf.as_completed(futures):
                        s = futures[future]
                        results = _outcome(future, s, assignment, deaths)
                        if results is None:
                            continue  # graded again in the next round
                        extra = results.get("extra_data", {})
                        if extra.get("grader_fault") and s.id not in retried:
                            retried.add(s.id)
                            continue
                        stamp(results, assignment, grader, hashes[s.id])
                        with signals.critical():
                            _write_student(out, s, results)
                        written.add(s.id)
                        report.graded += 1
                        if extra.get("grader_fault"):
                            report.failed.append(s.id)
                            cause = str(extra.get("fault") or "unknown cause")
                            report.faults.setdefault(cause, []).append(s.id)
                        progress.step(s.id, f"{results.get('score', 0):g}")
                        if forks is not None and forks.died():
                            raise ServerDied
            except ServerDied:
                print(
                    "[autograde] the sandbox fork server died; starting a new one",
                    file=sys.stderr,
                )
            pending = [s for s in futures.values() if s.id not in written]
            if pending:
                print(
                    f"[autograde] grading {len(pending)} student(s) again in fresh workers "
                    "(a worker or the fork server died, or a grader fault is retried)",
                    file=sys.stderr,
                )


def _check_in(
    pool: cf.ProcessPoolExecutor, course: Course, assignment: Assignment, deaths: Counter[str]
) -> bool:
    """Load and check the reference and hidden tests in a worker (see check_course).
    False if the worker died doing it (try again in a fresh pool); BatchError if the
    course cannot grade."""
    try:
        problem = pool.submit(check_course, str(course.root), assignment.id).result()
    except BrokenProcessPool:
        deaths["(check)"] += 1
        if deaths["(check)"] >= MAX_ATTEMPTS:
            raise BatchError(
                "the grading workers die while loading the reference "
                f"({MAX_ATTEMPTS} times); nothing was graded"
            ) from None
        return False
    if problem:
        raise BatchError(f"{problem}; nothing was graded")
    return True


def _outcome(
    future: cf.Future, s: Student, assignment: Assignment, deaths: Counter[str]
) -> dict[str, Any] | None:
    """A finished future's results document; None to grade the student again (its worker
    died, fewer than MAX_ATTEMPTS times). What the worker raised is a grader fault."""
    from .results import error_results

    try:
        return future.result()
    except BrokenProcessPool:
        deaths[s.id] += 1
        if deaths[s.id] < MAX_ATTEMPTS:
            return None
        results = error_results(assignment, "a grading worker died", grader_fault=True)
        results["extra_data"]["fault"] = f"the grading worker died ({MAX_ATTEMPTS} tries)"
        return results
    except Stop:
        raise
    except BaseException as exc:  # a worker's SystemExit comes back too
        cause = f"{type(exc).__name__}: {exc}"
        results = error_results(assignment, cause, grader_fault=True)
        results["extra_data"]["fault"] = " ".join(cause.split())[:300]
        return results


def _write_student(out: Path, s: Student, results: dict[str, Any]) -> None:
    """Write a student's feedback, then results (what marks the student as graded)."""
    try:
        write_text_atomic(out / "feedback" / f"{s.id}.md", feedback_markdown(results))
        write_json_atomic(out / "results" / f"{s.id}.json", results)
    except OSError as exc:
        where = exc.filename or out
        raise _WriteFailed(f"cannot write to {where}: {exc.strerror or exc}") from None
