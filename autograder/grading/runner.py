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

import functools
import hashlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..course import Course
from ..runtime.extract import describe_cell
from ..runtime.outcomes import Failure
from ..sandbox import Sandbox, SandboxConfig
from ..sandbox.cpu_settings import grading_threads
from ..spec import Assignment, Question
from ..testing import CaseRecord, Grade
from ..untrusted_text import code_span, escape_markdown
from .backends import ReferenceBackend, SandboxBackend, sandbox_for
from .loading import (
    GraderFault,
    HiddenTest,
    collect_tests,
    empty_folder,
    is_collected,
    load_reference,
    pytest_session,
    read_secrets_first,
)
from .provided import drop_findings_in_given_code, provided_code
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
        paths = sorted({str(t.path) for t in tests if t.nodeid}) or [empty_folder()]
    pytest_session(assignment, paths, session)
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
                Failure.NOT_REACHED,
                weight=missing,
            )
        )


@functools.lru_cache(maxsize=32)
def _regions_of(path: str, mtime_ns: int) -> list:
    """The reference's solution regions (parsed once per file version, for batch grading)."""
    from ..notebook.regions import find_regions

    return find_regions(Path(path).read_text(encoding="utf-8"))


def explain_findings(
    course: Course,
    assignment: Assignment,
    findings: list[dict],
    cells: list[tuple[int, str]] | None = None,
) -> tuple[list[str], list[str]]:
    """Turn the static scan's findings into notes for the student and flags for staff.
    ``cells``: the submission's, to name a cell by its first line too."""
    sources = dict(cells or [])
    try:
        path = course.reference_path(assignment.id)
        regions = _regions_of(str(path), path.stat().st_mtime_ns)
    except (OSError, ValueError, SyntaxError):
        regions = []
    owner = {r.function: r.question for r in regions}
    owner.update({r.function.split(".")[0]: r.question for r in regions})
    notes, flags = [], []
    for f in findings:
        cell = f["cell"]
        label = describe_cell(cell, sources[cell]) if cell in sources else f"cell {cell}"
        where = f"{label}, line {f['line']}"  # plain, for staff
        shown = escape_markdown(where)  # its first line is the student's text
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
                f"{fn} uses {escape_markdown(f['name'])} ({shown}), which {which} forbids: "
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
        tests = collect_tests(assignment) if is_collected(assignment) else None
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
        if any(f["kind"] != "forbidden" for f in findings):  # building it costs ~0.3 s
            findings = drop_findings_in_given_code(
                findings, cells, provided_code(course, assignment)
            )
        report.scan_notes, report.staff_flags = explain_findings(
            course, assignment, findings, cells
        )
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
