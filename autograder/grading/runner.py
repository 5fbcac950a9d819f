"""Grade one submission: pytest runs the hidden tests against the sandbox; score.

The trusted process holds the reference module and the hidden tests; the sandbox child
holds only the student's definitions and the probes' source. Scores are computed here,
from comparisons made here.

The hidden tests are pytest tests and pytest runs them, in this process
(``pytest.main`` with an ``autograder.grading.pytest_plugin.GradingSession`` passed in
``plugins=[...]``): the session's ``grade`` fixture is bound to the reference and to the
sandbox, and its report hook turns each test's cases into a :class:`TestResult`. What
decides a score stays here: the share of each test, the cases passed, and the
denominator, the cases the reference records (``reference_case_count``).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import os
import re
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from ..course import Course
from ..runtime.errors import AutogradeError
from ..sandbox import CallResult, Sandbox, SandboxConfig
from ..sandbox.cpu_settings import grading_threads
from ..sandbox.process import sandbox_for
from ..spec import Assignment, Question, SpecError
from ..testing import CaseRecord, Grade, Probe, StudentOutcome
from ..untrusted_text import code_span, escape_markdown
from .staticscan import scan_submission

__all__ = [
    "GradeReport",
    "GraderFault",
    "HiddenTest",
    "ReferenceBackend",
    "SandboxBackend",
    "TestResult",
    "collect_tests",
    "grade_cells",
    "load_reference",
]

TEST_NAME = re.compile(r"^test_(q\d+)_\w+$")
_TEST_NAME = TEST_NAME


class GraderFault(AutogradeError, RuntimeError):
    """pytest could not grade (a test that does not import, a crash of pytest itself):
    the grader's fault, reported as such, never as the student's zero."""


@dataclass(frozen=True)
class HiddenTest:
    """A test as pytest collected it (``nodeid`` set), or a function made into a test
    (``nodeid`` empty; the project's own tests build some)."""

    name: str  # the item's name: the function's, with [parameters] when parametrized
    question: str
    fn: Callable[[Grade], Any]  # called with a grade alone (parameters bound)
    path: Path
    nodeid: str = ""


@dataclass
class TestResult:
    question: Question
    name: str
    max_score: float
    score: float
    records: list[CaseRecord]
    seconds: float
    note: str = ""
    leaderboard: list[dict] = field(default_factory=list)


@dataclass
class GradeReport:
    """Everything a results writer needs."""

    assignment: Assignment
    tests: list[TestResult] = field(default_factory=list)
    load_problems: list[str] = field(default_factory=list)
    load_failure: str | None = None
    grader_fault: str | None = None
    output_tail: str = ""
    seconds: float = 0.0
    isolation: dict[str, bool] = field(default_factory=dict)
    scan_notes: list[str] = field(default_factory=list)  # for the student
    staff_flags: list[str] = field(default_factory=list)  # for staff review, never scored
    retried_after_kill: int = 0  # calls made again after an outside SIGKILL (staff only)

    @property
    def score(self) -> float:
        # Shares like 20/3 are not exact in binary: round the total, not each test.
        return round(sum(t.score for t in self.tests), 4)

    @property
    def max_score(self) -> float:
        return self.assignment.autograded_points


def _import_file(path: Path, module_name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]  # never used half-loaded: the next import raises again
        raise
    return module


def load_reference(course: Course, assignment: Assignment) -> ModuleType:
    """The reference module ``solutions.<id>``, imported from the course folder."""
    name = f"solutions.{assignment.id}"
    if name in sys.modules:
        return sys.modules[name]
    if str(course.root) not in sys.path:
        sys.path.insert(0, str(course.root))
    return _import_file(course.reference_path(assignment.id), name)


def _compile_test_source(path: Path) -> Any:
    """The code of a test file with its asserts rewritten as pytest rewrites them (so a
    failed ``assert`` says what its values were); plain code if pytest's rewriter is not
    importable."""
    source = path.read_bytes()
    tree = ast.parse(source, filename=str(path))
    try:
        from _pytest.assertion.rewrite import rewrite_asserts
    except ImportError:  # pragma: no cover - pytest always has it (since 3.0)
        pass
    else:
        rewrite_asserts(tree, source, str(path), None)
    return compile(tree, str(path), "exec", dont_inherit=True)


@functools.lru_cache(maxsize=256)
def import_test_module(path: str, name: str) -> ModuleType:
    """A test file, imported once per process and never read again: batch workers grade
    many submissions, and (without root) a submission could rewrite the file for the next.
    pytest's collection takes the module from here (``pytest_plugin.AssignmentModule``)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    code = _compile_test_source(Path(path))
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except BaseException:
        del sys.modules[name]  # never used half-loaded: the next import raises again
        raise
    return module


_import_test_module = import_test_module


def _course_root(assignment: Assignment) -> Path:
    """The folder above ``assignments/<id>``: pytest's rootdir, so node ids are stable."""
    return Path(assignment.folder).resolve().parent.parent


@functools.lru_cache(maxsize=1)
def _empty_folder() -> str:
    """A folder with nothing to collect, for sessions whose tests are all functions."""
    return tempfile.mkdtemp(prefix="autograde-pytest-")


_UNUSED_PLUGINS = (
    "doctest",
    "junitxml",
    "pastebin",
    "legacypath",
    "setuponly",
    "setupplan",
    "stepwise",
    "python_path",
    # a failed subtest is caught by pytest, not recorded as a case: it would pass unseen
    "subtests",
)


def pytest_args(assignment: Assignment, paths: list[str], *extra: str) -> list[str]:
    """The command line of a grading session, in-process.

    The course's own pytest settings do not apply (``-c`` an empty file): grading is the
    same wherever the course folder sits. Conftests are read from the assignment's folder
    down, imported under names of their own (``importlib``) so that each is read once per
    process. Plugins are the ones named (``pytest_plugins`` in a conftest, say), never
    whatever happens to be installed. Nothing is written (no cache), nothing printed, no
    capture of this process's file descriptors, and none of pytest's garbage collections
    after each test (each costs about 0.1 s with torch loaded).
    """
    return [
        *paths,
        "-c",
        os.devnull,
        "--rootdir",
        str(_course_root(assignment)),
        "--confcutdir",
        str(Path(assignment.folder).resolve()),
        "--import-mode=importlib",
        "--strict-markers",
        "--disable-plugin-autoload",
        "-p",
        "autograder.grading.pytest_plugin",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:unraisableexception",
        "-p",
        "no:threadexception",
        "-p",
        "no:faulthandler",
        "-p",
        "no:terminal",
        "-p",
        "no:logging",
        # nothing a grading session uses; each plugin costs its registration per session
        *(f"-pno:{name}" for name in _UNUSED_PLUGINS),
        "-s",
        *extra,
    ]


def _pytest_session(assignment: Assignment, paths: list[str], session: Any, *extra: str) -> None:
    """Run one in-process pytest session; raise GraderFault if it could not grade."""
    import pytest

    code = pytest.main(pytest_args(assignment, paths, *extra), plugins=[session])
    if session.interrupted:  # Ctrl-C: stop grading, as before pytest ran the tests
        raise KeyboardInterrupt
    if session.faults or code not in (
        pytest.ExitCode.OK,
        pytest.ExitCode.TESTS_FAILED,
        pytest.ExitCode.NO_TESTS_COLLECTED,
    ):
        detail = "; ".join(session.faults) or f"pytest exited with {code!r}"
        raise GraderFault(f"pytest could not run the tests of {assignment.id}: {detail}")


_COLLECTED: dict[tuple[str, str, str], list[HiddenTest]] = {}


def _collected_key(assignment: Assignment, folder: Path | None = None) -> tuple[str, str, str]:
    folder = Path(folder or assignment.hidden_tests)
    return (assignment.id, assignment.salt, str(folder.resolve()))


def _collected(assignment: Assignment) -> bool:
    """Whether this process has collected the assignment's hidden tests already."""
    return _collected_key(assignment) in _COLLECTED


def collect_tests(assignment: Assignment, folder: Path | None = None) -> list[HiddenTest]:
    """The tests of ``folder`` (default: the hidden tests) as pytest collects them, in
    file order, parameter sets expanded. Collected once per process: the files are read
    here and never again (``read_secrets_first``). Raises SpecError for a test that names
    no question of the assignment, GraderFault for a file that does not import."""
    from .pytest_plugin import GradingContext, GradingSession

    folder = Path(folder or assignment.hidden_tests)
    key = _collected_key(assignment, folder)
    if key not in _COLLECTED:
        if not folder.is_dir():
            return []
        session = GradingSession(
            lambda a: GradingContext(a, None, None), wanted=None, assignment=assignment
        )
        try:
            _pytest_session(assignment, [str(folder)], session, "--collect-only")
        except GraderFault:
            if session.problems:  # what the author must fix, in the words of the old check
                raise SpecError("\n".join(session.problems)) from None
            raise
        _COLLECTED[key] = [
            HiddenTest(
                item.name,
                state.question,
                _bound_to_parameters(item),
                Path(str(item.path)),
                item.nodeid,
            )
            for item, state in session.collected
        ]
    return list(_COLLECTED[key])


def _bound_to_parameters(item: Any) -> Callable[[Grade], Any]:
    """``fn(grade)`` for a collected item: its parameters bound (other fixtures exist only
    in a pytest session; a test that uses them is run through one)."""
    params = dict(getattr(getattr(item, "callspec", None), "params", {}))
    if not params:
        return item.obj
    return functools.partial(item.obj, **params)


class SandboxBackend:
    """Runs probes in the sandbox child.

    A child killed by SIGKILL that our own limits did not send (the machine's OOM killer,
    a TA's ``kill``, a container being squeezed) may not be the student's doing: the call
    is made once more in a fresh child before it counts, at most ``RETRIES`` times per
    submission, and ``retried`` says how often (staff see it). A submission that kills
    itself dies again and loses the case.
    """

    RETRIES = 2

    def __init__(self, sandbox: Sandbox, timeout_s: float) -> None:
        self.sandbox, self.timeout_s = sandbox, timeout_s
        self.retried = 0

    @property
    def default_dtype(self) -> str:
        report = self.sandbox.report
        return report.default_dtype if report is not None else "torch.float32"

    def start(
        self,
        question: str,
        forbidden: list[str],
        probe: Probe,
        args: list,
        seed: int,
        limit_s: float | None = None,
    ) -> Callable[[], StudentOutcome]:
        # A call never outlives its question's budget by more than a second: a hanging
        # function costs its own question, not the time of the questions after it.
        timeout = self.timeout_s if limit_s is None else min(self.timeout_s, max(1.0, limit_s))
        finish = self.sandbox.begin_call(question, forbidden, probe.spec, args, seed, timeout)

        def wait() -> StudentOutcome:
            res = finish()
            if (
                res.status == "crash"
                and self.sandbox.death_signal == signal.SIGKILL
                and self.retried < self.RETRIES
            ):
                self.retried += 1
                print(
                    "[autograde] the sandbox was killed (SIGKILL) during a call: trying it "
                    "once more in a fresh sandbox",
                    file=sys.stderr,
                )
                res = self.sandbox.begin_call(
                    question, forbidden, probe.spec, args, seed, timeout
                )()
            return self._outcome(res)

        return wait

    def _outcome(self, res: CallResult) -> StudentOutcome:
        if res.status == "ok":
            return StudentOutcome(True, res.value)
        if res.status == "error":
            detail = res.traceback
            if res.kind == "missing" and self.sandbox.report and self.sandbox.report.problems:
                detail = "; ".join(self.sandbox.report.problems[:2])
            return StudentOutcome(False, kind=res.kind, message=res.message, traceback=detail)
        return StudentOutcome(False, kind=res.status, message=res.message)


class ReferenceBackend:
    """Runs probes on a namespace in this process: for checking tests against the reference."""

    def __init__(self, ns: Any) -> None:
        self.ns = ns

    def start(
        self,
        question: str,
        forbidden: list[str],
        probe: Probe,
        args: list,
        seed: int,
        limit_s: float | None = None,
    ) -> Callable[[], StudentOutcome]:
        from ..testing import roundtrip, seeded

        try:
            with seeded(seed):
                outcome = StudentOutcome(True, roundtrip(probe(self.ns, *roundtrip(args))))
        except NotImplementedError as exc:
            outcome = StudentOutcome(False, kind="not_implemented", message=str(exc))
        except Exception as exc:
            outcome = StudentOutcome(
                False, kind="exception", message=f"{type(exc).__name__}: {exc}"
            )
        return lambda: outcome


def run_tests(
    assignment: Assignment,
    tests: list[HiddenTest] | None,
    reference: Any,
    backend: Any,
    deadline: float | None = None,
    submission_key: str = "",
) -> list[TestResult]:
    """Run ``tests`` (None: every hidden test) with ``backend`` as the student's side, in
    one pytest session; score each.

    ``submission_key`` (a hash of the submission) salts the hidden inputs.

    The reference computes with the sandbox's thread count (``grading_threads``): a
    parallel reduction rounds differently from a serial one, and the two sides must agree.
    """
    import torch

    threads_before = torch.get_num_threads()
    torch.set_num_threads(grading_threads())
    try:
        return _run_tests(assignment, tests, reference, backend, deadline, submission_key)
    finally:
        torch.set_num_threads(threads_before)


def _run_tests(
    assignment: Assignment,
    tests: list[HiddenTest] | None,
    reference: Any,
    backend: Any,
    deadline: float | None,
    submission_key: str,
) -> list[TestResult]:
    """One pytest session over ``tests``; their results in question order, then in the
    order pytest ran them (file order, then definition order)."""
    from .pytest_plugin import GradingContext, GradingSession

    context = GradingContext(assignment, reference, backend, deadline, submission_key)
    if tests is None:
        session = GradingSession(lambda a: context, assignment=assignment)
        paths = [str(assignment.hidden_tests)]
    else:
        session = GradingSession(lambda a: context, wanted=list(tests), assignment=assignment)
        paths = sorted({str(t.path) for t in tests if t.nodeid}) or [_empty_folder()]
    _pytest_session(assignment, paths, session)
    order = {q.id: i for i, q in enumerate(assignment.questions)}
    return sorted(session.results, key=lambda r: order[r.question.id])


# Cases each hidden test records with the reference standing in for the student, by
# (assignment, salt, test, reference): the denominator of the test's score.
_CASE_COUNTS: dict[tuple[str, str, str, str, int], float] = {}


def reference_case_count(assignment: Assignment, test: HiddenTest, reference: Any) -> float:
    """How many cases ``test`` records when the reference answers: the denominator of its
    score, which is decided here, on the trusted side.

    A test's case count must not depend on its inputs (tests/test_assignments.py checks
    it for the course), so one count per process serves every submission.
    """
    key = (assignment.id, assignment.salt, test.name, str(test.path), id(reference))
    if key not in _CASE_COUNTS:
        q = assignment.question(test.question)
        grade = Grade(
            q.id, test.name, q.forbidden, reference, ReferenceBackend(reference), assignment.salt
        )
        try:
            test.fn(grade)
        except Exception as exc:  # a test that fails its own reference: the build says so
            print(
                f"[autograde] {assignment.id} {test.name}: on the reference: {exc}", file=sys.stderr
            )
        _CASE_COUNTS[key] = sum(r.weight for r in grade.records)
    # a test that records no case (plain asserts alone) is one case (pytest_plugin)
    return _CASE_COUNTS[key] or 1.0


def reference_records_cases(assignment: Assignment, test: HiddenTest, reference: Any) -> bool:
    """Whether ``test`` records cases when the reference answers (False: a test of plain
    asserts alone, which is one case)."""
    reference_case_count(assignment, test, reference)
    key = (assignment.id, assignment.salt, test.name, str(test.path), id(reference))
    return _CASE_COUNTS[key] > 0


def _count_unreached(
    assignment: Assignment, test: HiddenTest, reference: Any, grade: Grade
) -> None:
    """Record the cases the student's run of ``test`` did not reach as failed.

    A test may stop early (it returns once a value is missing, or raised on a value the
    student sent); the student must not gain from that: the score is the cases passed out
    of the reference's count, not out of the cases that happened to run.
    """
    missing = reference_case_count(assignment, test, reference) - sum(
        r.weight for r in grade.records
    )
    if missing > 0:
        grade.records.append(
            CaseRecord(
                f"{missing:g} more case{'s' if missing != 1 else ''}",
                False,
                "not checked: the test stopped before it "
                "(an earlier case failed, or a value could not be used)",
                "not_reached",
                weight=missing,
            )
        )


@functools.lru_cache(maxsize=32)
def _regions_of(path: str, mtime_ns: int) -> list:
    """The reference's solution regions (parsed once per file version, for batch grading)."""
    from ..notebook.regions import find_regions

    return find_regions(Path(path).read_text(encoding="utf-8"))


def explain_findings(
    course: Course, assignment: Assignment, findings: list[dict]
) -> tuple[list[str], list[str]]:
    """Turn the static scan's findings into notes for the student and flags for staff."""
    try:
        path = course.reference_path(assignment.id)
        regions = _regions_of(str(path), path.stat().st_mtime_ns)
    except (OSError, ValueError, SyntaxError):
        regions = []
    owner = {r.function: r.question for r in regions}
    owner.update({r.function.split(".")[0]: r.question for r in regions})
    notes, flags = [], []
    for f in findings:
        where = f"cell {f['cell']}, line {f['line']}"
        # the child's scan names the student's functions: escaped in the feedback
        fn = code_span(f["function"]) if f["function"] else "top-level code"
        if f["kind"] == "forbidden":
            q = owner.get(f["function"]) or owner.get(f["function"].split(".")[0])
            forbidding = [x.id for x in assignment.questions if f["name"] in x.forbidden]
            if q is not None and q not in forbidding:
                continue  # allowed where it is used
            if q is not None and f["function"].split(".")[0] in assignment.question(q).exempt:
                continue  # the question's point is to use it here
            which = q or "/".join(forbidding)
            notes.append(
                f"{fn} uses {escape_markdown(f['name'])} ({where}), which {which} forbids: "
                "such calls are refused when it is graded"
            )
        else:
            q = owner.get(f["function"]) or owner.get(f["function"].split(".")[0])
            which = f"{q}: " if q else ""
            flags.append(f"{which}{f['name']} in {fn} ({where})")  # staff only: not Markdown
    return list(dict.fromkeys(notes))[:20], list(dict.fromkeys(flags))[:50]


_WARNED: set[str] = set()


def _warn_if_weaker(isolation: dict[str, bool]) -> None:
    """One line, once per process, when the sandbox runs with less than it would as root
    with namespaces (docs/security.md has the table of what each mode guarantees)."""
    if not isolation:  # the child never loaded: nothing to say about its isolation
        return
    if not isolation.get("unprivileged_user"):
        missing = "no unprivileged uid (not root): the submission runs as you"
    elif not (isolation.get("private_mounts") and isolation.get("private_network")):
        missing = (
            "no mount or network namespace (no CAP_SYS_ADMIN): the sandbox relies on file "
            "permissions and its network filter, and shares /tmp with this machine"
        )
    elif not isolation.get("private_root"):
        missing = (
            "the sandbox could not get a root of its own: it sees this machine's folders "
            "except the ones hidden by name"
        )
    else:
        return
    if missing not in _WARNED:
        _WARNED.add(missing)
        print(f"[autograde] warning: weaker sandbox here: {missing}", file=sys.stderr)


def read_secrets_first(course: Course, assignment: Assignment) -> None:
    """Without root there is no uid boundary: the student's code could rewrite the
    reference or the hidden tests before they are read. So read them before any student
    code runs (once per process; they are never read again)."""
    if os.geteuid() != 0:
        load_reference(course, assignment)
        collect_tests(assignment)


def submission_key(cells: list[tuple[int, str]]) -> str:
    """A hash of the submission's code cells (what hidden inputs are derived from)."""
    digest = hashlib.sha256()
    for index, source in cells:
        digest.update(f"{index}\0{len(source)}\0".encode())
        digest.update(source.encode("utf-8", errors="surrogatepass"))
    return digest.hexdigest()[:32]


def grade_cells(
    course: Course,
    assignment: Assignment,
    cells: list[tuple[int, str]],
    config: SandboxConfig | None = None,
    hide: tuple[str, ...] = (),
    zygote: Any = None,
    sandbox: Sandbox | None = None,
) -> GradeReport:
    """Grade a submission given as code cells ``[(cell index, source), ...]``.

    ``hide`` adds folders the sandbox must not see (the results folder, say) to the
    course's reference library and assignments, which are always hidden.
    """
    started = time.monotonic()
    report = GradeReport(assignment)
    if sandbox is None:
        try:
            read_secrets_first(course, assignment)
        except Exception:
            pass  # reported below, where it is loaded again
    if sandbox is None:  # launch first: the child imports torch while we load the reference
        sandbox = sandbox_for(course, assignment, cells, config, hide, zygote)
        sandbox.launch()
    try:
        reference = load_reference(course, assignment)
        # Collected here only where read_secrets_first has already done it (the cache):
        # otherwise the grading session collects them itself, one pytest session fewer.
        tests = collect_tests(assignment) if _collected(assignment) else None
    except Exception as exc:
        sandbox.release()
        report.grader_fault = (
            f"could not load the reference or the hidden tests: {type(exc).__name__}: {exc}"
        )
        return report
    try:
        load = sandbox.wait_loaded()
        report.load_problems = list(load.problems)
        report.isolation = dict(load.isolation)
        _warn_if_weaker(report.isolation)
        findings = [f.__dict__ for f in scan_submission(cells, assignment.forbidden_apis)]
        report.scan_notes, report.staff_flags = explain_findings(course, assignment, findings)
        report.load_failure = load.failure
        backend = SandboxBackend(sandbox, assignment.probe_timeout_s)
        deadline = started + assignment.grading_budget_s
        report.tests = run_tests(
            assignment, tests, reference, backend, deadline, submission_key(cells)
        )
        report.retried_after_kill = backend.retried
        report.output_tail = sandbox.output_tail()
    except Exception as exc:
        report.grader_fault = f"{type(exc).__name__}: {exc}"
        import traceback

        traceback.print_exc(file=sys.stderr)
    finally:
        sandbox.release()
    report.seconds = time.monotonic() - started
    return report
