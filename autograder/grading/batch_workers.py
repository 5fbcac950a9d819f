"""The grading workers of a batch: what runs in each worker process, the pool of them,
and the fork server their sandboxes are forked from.

Workers are spawned (never forked from the batch, which may hold threads and open
files), die with the batch (``PR_SET_PDEATHSIG``) and ignore the terminal's Ctrl-C: the
batch stops them itself. A pool left by an exception is killed at once.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..course import Course
from ..spec import Assignment

__all__ = ["MAX_ATTEMPTS", "ForkServers", "ServerDied", "check_course", "grade_one", "worker_pool"]

#: Attempts per student when workers die under it (the worker pool is replaced each time).
MAX_ATTEMPTS = 3
#: Failed cases kept per student for report.html (the feedback shows at most 12 per test).
MAX_CASES_KEPT = 60


def grade_one(
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
    elif graded.report is not None:
        _keep_cases(results, graded.report)
    return results


def _keep_cases(results: dict[str, Any], report: Any) -> None:
    """Record for staff (``extra_data``, which students never see) what report.html
    counts across the class: each failed case with the message the student got, the
    precise grading time (``execution_time`` is whole seconds), and whether loading the
    notebook hit its time limit."""
    from .results import clean

    cases = []
    for t in report.tests:
        for r in t.records:
            if r.passed:
                continue
            cases.append(
                {
                    "question": t.question.id,
                    "test": t.name,
                    "case": clean(r.case, 200),
                    "kind": r.kind,
                    "message": clean(r.message, 300),
                }
            )
    extra = results.setdefault("extra_data", {})
    extra["cases"] = cases[:MAX_CASES_KEPT]
    extra["seconds"] = round(report.seconds, 2)
    # the sandbox's words for a load that ran out of time (sandbox/process.py)
    extra["load_timed_out"] = "took longer than" in str(report.load_failure or "")


def check_course(course_root: str, assignment_id: str) -> str | None:
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
    from ..runtime.traps import unresolvable

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


def worker_init(zygote_path: str | None, may_warm: list[str], parent: int) -> None:
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


@contextlib.contextmanager
def _sigint_ignored_by_children() -> Iterator[None]:
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
def worker_pool(jobs: int, server: Any, may_warm: list[str]) -> Iterator[Any]:
    """A pool of grading workers. Left by an exception (a stop, a failed check), its
    workers are killed at once rather than left to finish their students."""
    pool = cf.ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=worker_init,
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


class ServerDied(Exception):
    """The fork server died mid-batch: its workers' connections are dead ends."""


class ForkServers:
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
