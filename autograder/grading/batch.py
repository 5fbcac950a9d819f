"""``autograde grade``: a whole class, locally, resumable.

Inputs are notebooks, folders of them, or the zip Gradescope gives under "Export
Submissions" (see ``batch_inputs`` for how students are identified). Outputs, under
``--out DIR``:

- ``results/<student>.json``: Gradescope's results document, written atomically, stamped
  with what it was graded against (see ``batch_resume``);
- ``feedback/<student>.md``: what the student would see;
- ``grades.csv``: a row per input entry (id, name, email, a column per question, total,
  status, source): graded, or skipped or unreadable with the reason;
- ``summary.png``: the score histogram and each question's mean as a fraction of its points.

A student whose result matches the assignment, reference, hidden tests and submission
file of this run, is no grader fault, and has its feedback, is not graded again (so a
killed run resumes where it stopped, and its final files equal an uninterrupted run's),
unless named with ``--regrade``. ``grades.csv`` and ``summary.png`` are always rebuilt
from the results folder, in student order.

Before anyone is graded, the reference and the hidden tests are loaded once (in a
worker): a course that cannot grade stops the batch with one line. A worker or fork
server that dies is replaced and its students graded again. A grader fault is retried
once in the run; one that stays is written (never as a grade: the next run retries it)
and makes the batch end non-zero with the causes counted. SIGINT and SIGTERM stop the
workers at once; ``BatchInterrupted`` says how many were graded.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import io
import json
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..course import Course
from ..spec import Assignment
from .batch_inputs import BatchError, Student, check_out_outside_inputs, collect_students
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
from .results import feedback_markdown, write_json_atomic

__all__ = [
    "BatchError",
    "BatchInterrupted",
    "BatchReport",
    "Student",
    "collect_students",
    "effective_jobs",
    "grade_class",
    "private_folders",
]

#: Attempts per student when workers die under it (the worker pool is replaced each time).
MAX_ATTEMPTS = 3
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
        if by_memory < wanted:
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


# ------------------------------------------------------------------------------ workers


def _grade_one(
    course_root: str, assignment_id: str, path: str | None, problem: str, hide: tuple[str, ...]
) -> dict[str, Any]:
    """Runs in a worker process: grade one file, return its results document (a grader
    fault's cause is kept in ``extra_data.fault``, for the batch's summary)."""
    from ..course import Course
    from .pipeline import grade_file
    from .results import clean, error_results

    course = Course(Path(course_root))
    assignment = course.assignment(assignment_id)
    if path is None:
        return error_results(assignment, problem or "no submission", grader_fault=False)
    graded = grade_file(course, assignment, Path(path), hide=hide, zygote=_ZYGOTE)
    _warm_what_the_reference_used()
    results = graded.results
    if graded.grader_fault and graded.report is not None and graded.report.grader_fault:
        results.setdefault("extra_data", {})["fault"] = clean(graded.report.grader_fault, 300)
    return results


def _check_course(course_root: str, assignment_id: str) -> str | None:
    """Runs in a worker before anyone is graded: load the reference and the hidden tests,
    and check the forbidden APIs exist. None if all is well, else one line naming the
    file and the error."""
    from ..course import Course
    from .runner import collect_tests, load_reference

    course = Course(Path(course_root))
    assignment = course.assignment(assignment_id)
    reference = course.reference_path(assignment.id)
    try:
        load_reference(course, assignment)
    except BaseException as exc:  # SystemExit too: a reference must not exit
        return f"cannot load the reference ({_where(exc, reference, course.root)}): {_what(exc)}"
    try:
        tests = collect_tests(assignment)
    except BaseException as exc:
        where = _where(exc, assignment.hidden_tests, course.root)
        return f"cannot load the hidden tests ({where}): {_what(exc)}"
    if not tests:
        return f"the hidden tests: {assignment.hidden_tests} holds no test_qK_* function"
    from ..sandbox.traps import unresolvable

    typos = unresolvable(assignment.forbidden_apis)
    if typos:
        return (
            f"{assignment.folder / 'assignment.toml'}: forbidden names that do not exist "
            f"(typos? nothing would be refused): {', '.join(typos)}"
        )
    return None


def _what(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _where(exc: BaseException, default: Path, root: Path) -> str:
    """The course file (and line) where ``exc`` was raised, else ``default``."""
    import traceback

    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}, line {exc.lineno}"
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith(str(root)):
            return f"{frame.filename}, line {frame.lineno}"
    return str(default)


def _open_to_sandboxes(paths: list[Path]) -> list[str]:
    """Warnings for input folders that a sandbox could read where no mount namespace hides
    them (no CAP_SYS_ADMIN): a class's notebooks are none of one student's business."""
    from ..sandbox.reach import mount_namespaces_work

    if mount_namespaces_work():
        return []
    warnings = []
    for path in paths:
        folder = path if path.is_dir() else path.parent
        try:
            mode = folder.stat().st_mode
        except OSError:
            continue
        if mode & 0o005:
            warnings.append(
                f"{folder} is readable by other users and no mount namespace can hide it "
                f"here: a submission could read its classmates' files (chmod 700 {folder})"
            )
    return warnings


def private_folders(
    folders: list[Path], warnings: list[str], needed: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The folders among ``folders`` that each sandbox can be kept out of: the class's
    submissions and everyone's results are none of one student's business.

    A folder that holds what the sandbox needs (the temporary folder its working folder
    is made in, Python, the autograder) cannot be hidden; that is reported.
    """
    import tempfile

    needed = (
        *needed,
        tempfile.gettempdir(),
        sys.prefix,
        str(Path(sys.executable).resolve().parent),
        str(Path(__file__).resolve().parents[1]),  # the engine (autograder/)
    )
    needed_paths = [Path(n).resolve() for n in needed]
    out: list[str] = []
    for folder in dict.fromkeys(f.resolve() for f in folders):
        if any(n == folder or folder in n.parents for n in needed_paths):
            warnings.append(
                f"{folder} also holds what the sandbox needs, so it stays visible to "
                "students' code (keep submissions in a folder of their own)"
            )
            continue
        out.append(str(folder))
    return tuple(out)


_ZYGOTE = None  # this worker's connection to the batch's fork server
_MAY_WARM: list[str] = []  # modules the notebook imports inside functions, not yet warm


def _warm_what_the_reference_used() -> None:
    """Modules the notebook imports only inside functions (a data set loader's, say) are
    not imported by the fork server up front, in case no test calls those functions. Once
    the reference (graded in this process) has imported one, children will too: have
    the server import it, once, for all of them."""
    global _MAY_WARM
    needed = [name for name in _MAY_WARM if name in sys.modules]
    if needed and _ZYGOTE is not None:
        _MAY_WARM = [name for name in _MAY_WARM if name not in needed]
        from ..sandbox.forkserver import ZygoteError

        try:
            _ZYGOTE.warm(needed)
        except ZygoteError:
            pass  # the sandbox falls back to spawning; nothing to warm


def _worker_init(zygote_path: str | None, may_warm: list[str], parent: int) -> None:
    """Set up a grading worker: it dies with the batch, ignores the terminal's Ctrl-C
    (the batch stops its workers itself, without a traceback from each), and connects to
    the fork server."""
    global _ZYGOTE, _MAY_WARM
    _MAY_WARM = list(may_warm)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    import atexit

    # A worker's results are sent by the time it exits; skip tearing down torch (about a
    # second of CPU per worker, at the end of every batch). Registered last, run first.
    atexit.register(os._exit, 0)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if zygote_path is not None:
        from ..sandbox.forkserver import Zygote, ZygoteError

        try:
            _ZYGOTE = Zygote.connect(zygote_path)
        except (OSError, ZygoteError) as exc:
            print(f"[autograde] no fork server ({exc}); spawning sandboxes", file=sys.stderr)
    import torch

    from ..sandbox.cpu_settings import grading_threads

    torch.set_num_threads(grading_threads())


class _Progress:
    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.tty = stream.isatty()
        self.started = time.monotonic()

    def step(self, student: str, text: str) -> None:
        self.done += 1
        if self.tty:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            rate = self.done / max(time.monotonic() - self.started, 1e-9)
            self.stream.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"{rate:.1f}/s  {student[:20]:<20}"
            )
            self.stream.flush()
            if self.done == self.total:
                self.stream.write("\n")
        else:
            print(
                f"graded {self.done}/{self.total} {student}: {text}", file=self.stream, flush=True
            )


def _die_with_parent(parent: int) -> None:
    """PR_SET_PDEATHSIG: the kernel kills this worker when the batch process dies, even
    by SIGKILL, so no worker grades on for minutes after its batch is gone."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pool's own checks remain
        return
    if os.getppid() != parent:  # the batch died before the line above took effect
        os._exit(1)


class _Stop(BaseException):
    """Raised in the main thread by SIGINT/SIGTERM (a BaseException: nothing on the way
    may swallow it)."""

    def __init__(self, signame: str) -> None:
        super().__init__(signame)
        self.signame = signame


class _Signals:
    """SIGINT and SIGTERM stop the batch, but never halfway through writing a student's
    files: inside ``critical()`` the stop waits for the block to end."""

    def __init__(self) -> None:
        self.pending: str | None = None
        self.depth = 0
        self.saved: dict[int, Any] = {}

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: object) -> None:
        self.pending = signal.Signals(signum).name
        if self.depth == 0:
            raise _Stop(self.pending)

    @contextlib.contextmanager
    def critical(self):  # type: ignore[no-untyped-def]
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
        if self.depth == 0 and self.pending:
            raise _Stop(self.pending)


@contextlib.contextmanager
def _sigint_ignored_by_children():  # type: ignore[no-untyped-def]
    """Start processes that ignore SIGINT (an ignored signal stays ignored across exec,
    and Python then installs no KeyboardInterrupt handler): Ctrl-C reaches the whole
    process group, and only the batch should answer it, by stopping the others itself,
    without a traceback from each."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


@contextlib.contextmanager
def _worker_pool(jobs: int, server: Any, may_warm: list[str]):  # type: ignore[no-untyped-def]
    """A pool of grading workers. Left by an exception (a stop, a failed check), its
    workers are killed at once rather than left to finish their students."""
    pool = cf.ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_init,
        initargs=(
            server.path if server is not None else None,
            may_warm if server is not None else [],
            os.getpid(),
        ),
    )
    try:
        yield pool
    except BaseException:
        # _processes is the executor's own table of its workers (CPython 3.10-3.13)
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                proc.kill()
        # Quick with its workers dead; waiting lets the pool close its queues, so that
        # multiprocessing's resource tracker has no "leaked semaphore" warning to print.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=False)  # the workers wind down while the summaries are written


def grade_class(
    course: Course,
    assignment: Assignment,
    paths: list[Path],
    out: Path,
    jobs: int | None = None,
    regrade: list[str] = (),
    zygote: bool = True,
) -> BatchReport:
    """Grade every submission in ``paths`` into ``out`` (see the module docstring).

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
            if os.geteuid() == 0:  # the slot uids must not read anyone's results or feedback
                for folder in (out, out / "results", out / "feedback"):
                    os.chmod(folder, 0o700)
        except ResumeError as exc:
            raise BatchError(str(exc)) from None
        except OSError as exc:
            raise BatchError(f"cannot write to {out}: {exc.strerror or exc}") from None
        if os.geteuid() == 0:
            report.warnings += _open_to_sandboxes(paths)
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
        with _Signals() as signals:
            try:
                _grade_todo(
                    course, assignment, todo, out, hide, grader, hashes, report, signals, zygote
                )
            except _Stop as stop:
                raise BatchInterrupted(stop.signame, report.graded, len(todo)) from None
            except _WriteFailed as exc:
                raise BatchError(
                    f"{exc}; free space (or fix the folder) and run the same command again"
                ) from None
            with signals.critical():
                try:
                    write_grades_csv(assignment, students, out)
                    write_summary_png(assignment, students, out)
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
    regrade: list[str] | tuple[str, ...],
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


class _ServerDied(Exception):
    """The fork server died mid-batch: its workers' connections are dead ends."""


class _ForkServers:
    """The batch's fork server, replaced when it dies (at most MAX_ATTEMPTS starts; then
    sandboxes are spawned directly, slower but sure)."""

    def __init__(self, course: Course, assignment: Assignment) -> None:
        # It imports torch and the notebook's modules while the workers start, and its
        # imports are paid once for all of them.
        from .warmup import modules_to_warm

        self.now, self.later = modules_to_warm(course, assignment)
        self.forbidden = assignment.forbidden_apis
        self.server: Any = None
        self.starts = 0

    def current(self) -> Any:
        """The live server, started (again) if need be; None once it died too often."""
        if self.server is not None and self.server.proc.poll() is None:
            return self.server
        self.close()
        if self.starts >= MAX_ATTEMPTS:
            return None
        from ..sandbox.forkserver import ZygoteServer

        self.starts += 1
        try:
            with _sigint_ignored_by_children():
                self.server = ZygoteServer(
                    warm=self.now, may_warm=self.later, forbidden=self.forbidden
                )
        except OSError as exc:  # no socket, no room in /tmp: slower, not broken
            print(f"[autograde] no fork server ({exc}); spawning sandboxes", file=sys.stderr)
            self.starts = MAX_ATTEMPTS
            return None
        return self.server

    def died(self) -> bool:
        return self.server is not None and self.server.proc.poll() is not None

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None


def _grade_todo(
    course: Course,
    assignment: Assignment,
    todo: list[Student],
    out: Path,
    hide: tuple[str, ...],
    grader: str,
    hashes: dict[str, str],
    report: BatchReport,
    signals: _Signals,
    zygote: bool,
) -> None:
    """Grade ``todo`` in worker processes, writing each result as it comes.

    Rounds of a fresh worker pool grade whatever is left: a worker that dies breaks the
    pool (its students are graded again, each up to MAX_ATTEMPTS times); a fork server
    that dies is replaced (with a new pool, whose workers connect to it); a grader fault
    is retried once before it is written."""
    if not todo:
        return
    progress = _Progress(len(todo))
    forks = _ForkServers(course, assignment) if zygote else None
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
                with _worker_pool(
                    report.jobs, server, forks.later if server is not None else []
                ) as pool:
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
                            raise _ServerDied
            except _ServerDied:
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
    """Load and check the reference and hidden tests in a worker (see _check_course).
    False if the worker died doing it (try again in a fresh pool); BatchError if the
    course cannot grade."""
    try:
        problem = pool.submit(_check_course, str(course.root), assignment.id).result()
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
    except _Stop:
        raise
    except BaseException as exc:  # a worker's SystemExit comes back too
        cause = f"{type(exc).__name__}: {exc}"
        results = error_results(assignment, cause, grader_fault=True)
        results["extra_data"]["fault"] = " ".join(cause.split())[:300]
        return results


def _write_student(out: Path, s: Student, results: dict[str, Any]) -> None:
    """Write a student's feedback, then results (what marks the student as graded)."""
    try:
        _write_text_atomic(out / "feedback" / f"{s.id}.md", feedback_markdown(results))
        write_json_atomic(out / "results" / f"{s.id}.json", results)
    except OSError as exc:
        where = exc.filename or out
        raise _WriteFailed(f"cannot write to {where}: {exc.strerror or exc}") from None


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _question_scores(assignment: Assignment, results: dict) -> dict[str, float]:
    scores = {q.id: 0.0 for q in assignment.questions if not q.manual}
    for t in results.get("tests", []):
        for tag in t.get("tags", []):
            if tag in scores and "score" in t:
                scores[tag] += float(t["score"])
    return scores


def _status(results: dict) -> str:
    extra = results.get("extra_data", {})
    if extra.get("grader_fault"):
        cause = str(extra.get("fault") or "").replace("\n", " ")[:120]
        return "grader fault" + (f": {cause}" if cause else "")
    tests = results.get("tests", [])
    if tests and tests[0].get("name") == "Grading":
        return "not graded: " + tests[0].get("output", "")[:120].replace("\n", " ")
    status = "graded"
    if any(t.get("name") == "Loading your notebook" for t in tests):
        status = "graded, with load problems"
    if extra.get("retried_after_kill"):  # staff: check the machine (OOM killer, a kill)
        status += f"; sandbox killed from outside, call retried {extra['retried_after_kill']}x"
    return status


def _load_results(path: Path) -> dict | None:
    """A student's results, or None when missing or unreadable (the row says so)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_grades_csv(assignment: Assignment, students: list[Student], out: Path) -> Path:
    """``grades.csv``: a row per student and per input entry that was not graded."""
    qids = [q.id for q in assignment.questions if not q.manual]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "name", "email", *qids, "total", "max", "status", "source"])
    for s in sorted(students, key=lambda s: (s.id, s.source)):
        results = _load_results(out / "results" / f"{s.id}.json") if s.gradable else None
        if results is None:
            if s.gradable:
                status = "not graded yet"
            else:
                status = f"{s.status}: {s.problem}"
            writer.writerow(
                [
                    s.id,
                    s.name,
                    s.email,
                    *[""] * len(qids),
                    "",
                    f"{assignment.autograded_points:g}",
                    status,
                    s.source,
                ]
            )
            continue
        per_q = _question_scores(assignment, results)
        writer.writerow(
            [
                s.id,
                s.name,
                s.email,
                *[f"{per_q[q]:g}" for q in qids],
                f"{results.get('score', 0):g}",
                f"{assignment.autograded_points:g}",
                _status(results),
                s.source,
            ]
        )
    target = out / "grades.csv"
    _write_text_atomic(target, buffer.getvalue())
    return target


def write_summary_png(assignment: Assignment, students: list[Student], out: Path) -> Path:
    """``summary.png``: the score histogram and each question's mean fraction."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    totals, per_q = [], {q.id: [] for q in assignment.questions if not q.manual}
    for s in sorted(students, key=lambda s: s.id):
        results = _load_results(out / "results" / f"{s.id}.json") if s.gradable else None
        if results is not None:
            totals.append(float(results.get("score", 0)))
            for q, v in _question_scores(assignment, results).items():
                per_q[q].append(v)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.hist(totals, bins=20, range=(0, assignment.autograded_points), color="#4C72B0")
    ax1.set(title=f"{assignment.id}: scores (n={len(totals)})", xlabel="score", ylabel="students")
    points = {q.id: q.points for q in assignment.questions}
    means = [(sum(v) / len(v) / points[q]) if v else 0.0 for q, v in per_q.items()]
    ax2.bar(list(per_q), means, color="#55A868")
    ax2.set(ylim=(0, 1), title="mean per question (fraction of its points)", ylabel="fraction")
    fig.tight_layout()
    target = out / "summary.png"
    tmp = out / ".summary.png.tmp"
    fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    os.replace(tmp, target)
    return target
