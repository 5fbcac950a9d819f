"""The pytest plugin: hidden and public tests are pytest tests, and pytest runs them.

Two ways in, one plugin:

- **Grading** (``autograde run``, ``autograde gradescope``, ``autograde grade``, the
  build's verification): ``runner.run_tests`` calls ``pytest.main`` in-process with a
  :class:`GradingSession` passed in ``plugins=[...]``, bound to one submission: the
  trusted reference, the sandboxed submission (a ``SandboxBackend``), its deadline and
  its hash. No subprocess: the sandbox child, started from the fork server, is the only
  other process.
- **An instructor's loop**: ``pytest assignments/hw09_adamw/tests/hidden`` (the plugin is
  registered through the ``pytest11`` entry point, or ``-p autograder.grading.pytest_plugin``).
  Without ``--submission`` the reference stands in for the student (every case must
  pass); ``--submission nb.ipynb`` grades that notebook in a sandbox, one per assignment.

Either way a hidden test is ``def test_qK_<what>(grade, ...)``: the ``grade`` fixture is
a :class:`autograder.testing.Grade` whose probes run on the reference here and on the
student's definitions in the sandbox. What this plugin adds to plain pytest:

- test modules of an assignment (``assignments/<id>/tests/{hidden,public}/*.py``) are
  imported once per process, with pytest's assertion rewriting, under a name of their own
  (two assignments may both have a ``test_q3_least_squares.py``);
- a collection hook gives each test its question (from its name, or
  ``@pytest.mark.question("qK")``) and its share of the question's points: a question's
  points are split over its test functions in proportion to their weights
  (``@pytest.mark.weight(w)``, default 1), a parametrized function's share evenly over
  its parameter sets, each of which is a test of its own in the feedback;
- a report hook turns each test's cases (``grade.compare``/``check``/``run``) into a
  :class:`runner.TestResult`: the share times the cases passed out of the reference's
  count. A failed plain ``assert`` is a failed case whose message is pytest's introspected
  one; any other exception is a failed case "checking your results"; the cases a test
  did not reach are failed (``runner._count_unreached``). A test with a failed case is
  reported as failed, so pytest's own output says which;
- markers are strict: a misspelt marker in a hidden test is a collection error.

Nothing here runs student code: that happens only in the sandbox child, through probes.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from ..spec import Assignment, load_assignment
from ..testing import CaseRecord, Grade, StudentBackend
from .pytest_support import declared_markers, declared_weight, record_exception

if TYPE_CHECKING:
    from pluggy import Result

__all__ = ["GradingContext", "GradingSession", "assignment_of_test_file"]

SESSION_NAME = "autograde-session"
MARKERS = (
    "question(qid): the question a hidden test belongs to, where its name does not say "
    "(test_qK_<what> does)",
    "weight(w): this test function's share of its question's points, relative to the "
    "question's other test functions (default 1; a number in (0, 10])",
)
_TEST_FOLDERS = ("hidden", "public")


# ------------------------------------------------------------------- what a test belongs to


@functools.lru_cache(maxsize=64)
def _assignment_at(folder: str) -> Assignment:
    return load_assignment(Path(folder))


def assignment_of_test_file(path: Path) -> tuple[Assignment, str] | None:
    """``(assignment, "hidden" | "public")`` for a file ``assignments/<id>/tests/<kind>/x.py``;
    None for any other file (the project's own tests, say)."""
    parent = path.parent
    if parent.name not in _TEST_FOLDERS or parent.parent.name != "tests":
        return None
    folder = parent.parent.parent
    if not (folder / "assignment.toml").is_file():
        return None
    return _assignment_at(str(folder.resolve())), parent.name


class AssignmentModule(pytest.Module):
    """A test module of an assignment: imported once per process (``runner``'s cache), so a
    batch of submissions reads it once and a submission that rewrites the file changes
    nothing for the next one; asserts are rewritten as pytest rewrites them."""

    def _getobj(self) -> Any:
        from .loading import import_test_module

        found = assignment_of_test_file(self.path)
        assert found is not None
        assignment, kind = found
        name = f"autograde_tests.{assignment.id}.{kind}.{self.path.stem}"
        try:
            return import_test_module(str(self.path), name)
        except Exception as exc:  # shown as pytest shows a module that does not import
            raise self.CollectError(f"could not import: {type(exc).__name__}: {exc}") from exc


def pytest_pycollect_makemodule(module_path: Path, parent: Any) -> pytest.Module | None:
    if assignment_of_test_file(module_path) is None:
        return None
    return AssignmentModule.from_parent(parent, path=module_path)


# ---------------------------------------------------------------------------- the session


@dataclass
class GradingContext:
    """What the ``grade`` fixture binds a test of one assignment to."""

    assignment: Assignment
    reference: Any  # the reference module, on this (trusted) side
    backend: StudentBackend  # the student's side: the sandbox, or the reference itself
    deadline: float | None = None  # the per-submission grading budget
    submission_key: str = ""  # a hash of the submission: hidden inputs depend on it

    @property
    def default_dtype(self) -> str:
        return getattr(self.backend, "default_dtype", "torch.float32")


@dataclass
class _ItemState:
    """One test while it runs: its question, share, grade and what went wrong."""

    assignment: Assignment
    question: str
    share: float
    grade: Grade | None = None
    excinfo: pytest.ExceptionInfo | None = None  # what stopped it (setup or call)
    started: float = field(default_factory=time.monotonic)


_STATE = pytest.StashKey[_ItemState]()


class GradingSession:
    """The link between one pytest session and the grade report.

    ``context_for(assignment)`` gives the reference and the student's side for the tests of
    an assignment. ``wanted``: the tests to run (``runner.HiddenTest``), in grading; tests
    that pytest did not collect from a file (a function made into a test by the caller)
    are added as items here. ``results`` holds a ``runner.TestResult`` per test that ran;
    ``faults`` says why the session could not grade (a collection error, a crash of
    pytest itself): a grader fault, never the student's zero.
    """

    def __init__(
        self,
        context_for: Callable[[Assignment], GradingContext],
        wanted: list[Any] | None = None,
        assignment: Assignment | None = None,
    ) -> None:
        self.context_for = context_for
        self.wanted = wanted
        self.wanted_assignment = assignment  # what the tests in ``wanted`` belong to
        self.results: list[Any] = []  # runner.TestResult, one per test that ran
        self.collected: list[tuple[pytest.Item, _ItemState]] = []  # the assignment's tests
        self.problems: list[str] = []  # tests the author must fix (names, markers, fixture)
        self.faults: list[str] = []  # everything that kept the session from grading
        self.interrupted = False
        # (assignment id, question) -> the deadline of that question's cases
        self._question_deadlines: dict[tuple[str, str], float] = {}

    # --- collection

    def _question_of(self, item: pytest.Item, assignment: Assignment) -> str:
        """The question from ``@pytest.mark.question``, else from the name; raises
        ValueError with what to fix."""
        from .loading import TEST_NAME

        marker = item.get_closest_marker("question")
        base = getattr(item, "originalname", item.name)
        if marker is not None:
            if len(marker.args) != 1 or not isinstance(marker.args[0], str):
                raise ValueError(f"{item.nodeid}: write @pytest.mark.question('qK')")
            qid = marker.args[0]
        else:
            m = TEST_NAME.match(base)
            if not m:
                raise ValueError(
                    f"{item.nodeid}: test {base} must be named test_qK_<what> "
                    "(or marked @pytest.mark.question('qK'))"
                )
            qid = m.group(1)
        if qid not in {q.id for q in assignment.questions}:
            raise ValueError(f"{item.nodeid}: {base} is for {qid}, which assignment.toml lacks")
        return qid

    def _synthetic_items(self, session: pytest.Session) -> list[pytest.Item]:
        """Items for wanted tests that are functions, not tests collected from a file."""
        items: list[pytest.Item] = []
        for t in self.wanted or []:
            if t.nodeid:
                continue
            item = pytest.Function.from_parent(session, name=t.name, callobj=t.fn)
            item.stash[_WANTED] = t
            items.append(item)
        return items

    @pytest.hookimpl(tryfirst=True)  # before -k and -m deselect: shares count every test
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if self.wanted is not None:
            by_id = {i.nodeid: i for i in items}
            kept = []
            for t in self.wanted:
                if t.nodeid and t.nodeid in by_id:
                    kept.append(by_id[t.nodeid])
                elif t.nodeid:
                    self.faults.append(f"{t.nodeid} was not collected")
            items[:] = kept + self._synthetic_items(session)
        problems: list[str] = []
        known = declared_markers(config)
        functions: dict[tuple[str, str], dict[str, Any]] = {}
        for item in items:
            wanted = item.stash.get(_WANTED, None)
            if wanted is not None and self.wanted_assignment is not None:
                assignment = self.wanted_assignment
            else:
                found = assignment_of_test_file(item.path)
                if found is None:
                    continue  # not an assignment's test: pytest's business alone
                assignment = found[0]
            try:
                qid = wanted.question if wanted is not None else self._question_of(item, assignment)
            except ValueError as exc:
                problems.append(str(exc))
                continue
            fixtures = cast(pytest.Function, item).fixturenames  # a test in an assignment's file
            if "grade" not in fixtures:
                problems.append(
                    f"{item.nodeid}: a hidden test takes the grade fixture (without it, it "
                    "cannot check the student's code)"
                )
                continue
            if "subtests" in fixtures:
                problems.append(
                    f"{item.nodeid}: subtests are not graded (a failed one would pass "
                    "unseen); make cases with grade.check or @pytest.mark.parametrize"
                )
                continue
            unknown = sorted({m.name for m in item.iter_markers()} - known)
            if unknown:
                problems.append(f"{item.nodeid}: unknown marker(s) {', '.join(unknown)}")
                continue
            # the function: its node id without the [parameters] (a class's tests apart)
            base = getattr(item, "originalname", item.name)
            key = (item.nodeid[: len(item.nodeid) - len(item.name)], base)
            try:
                weight = declared_weight(item)
            except ValueError as exc:
                problems.append(f"{item.nodeid}: {exc}")
                continue
            entry = functions.setdefault(
                key, {"assignment": assignment, "question": qid, "items": [], "weight": weight}
            )
            if weight != entry["weight"]:  # a weight on one pytest.param: the function's is meant
                problems.append(
                    f"{item.nodeid}: a weight is the test function's, the same for all its "
                    "parameter sets (mark the function, not one pytest.param)"
                )
                continue
            entry["items"].append(item)
        # A question's points are split over its test functions in proportion to their
        # weights, a function's share evenly over its parameter sets.
        per_question: dict[tuple[str, str], float] = {}
        for entry in functions.values():
            k = (entry["assignment"].id, entry["question"])
            per_question[k] = per_question.get(k, 0.0) + entry["weight"]
        for entry in functions.values():
            a: Assignment = entry["assignment"]
            q = a.question(entry["question"])
            share = q.points * entry["weight"] / per_question[(a.id, q.id)] / len(entry["items"])
            for item in entry["items"]:
                item.stash[_STATE] = _ItemState(a, q.id, share)
        self.collected = [(i, i.stash[_STATE]) for i in items if _STATE in i.stash]
        if problems:
            self.problems.extend(problems)
            self.faults.extend(problems)
            raise pytest.UsageError("the tests cannot be graded:\n" + "\n".join(problems))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.faults.append(f"{report.nodeid or 'collection'}: {report.longreprtext[-1500:]}")

    def pytest_internalerror(self, excrepr: Any, excinfo: pytest.ExceptionInfo) -> None:
        self.faults.append(f"pytest crashed: {excinfo.exconly()[-1500:]}")

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo) -> None:
        if excinfo.errisinstance(pytest.Session.Interrupted):
            return  # pytest stopping after a collection error: pytest_collectreport said why
        if excinfo.errisinstance(KeyboardInterrupt):
            self.interrupted = True
        else:  # pytest.exit() in a test, say: the session stopped, so nothing is graded
            self.faults.append(f"the session stopped: {excinfo.exconly()[-500:]}")

    # --- the grade fixture's object

    def make_grade(self, item: pytest.Item) -> Grade:
        state = item.stash.get(_STATE, None)
        if state is None:
            raise pytest.UsageError(
                f"{item.nodeid}: the grade fixture serves tests of an assignment "
                "(assignments/<id>/tests/hidden or public)"
            )
        ctx = self.context_for(state.assignment)
        q = state.assignment.question(state.question)
        deadline = self._question_deadline(ctx, q.id)
        state.grade = Grade(
            q.id,
            item.name,  # the function's name (seeds derive from it), [params] included
            q.forbidden,
            ctx.reference,
            ctx.backend,
            state.assignment.salt,
            deadline,
            deadline_of_question=deadline != ctx.deadline,
            default_dtype=ctx.default_dtype,
            submission_key=ctx.submission_key,
        )
        return state.grade

    def _question_deadline(self, ctx: GradingContext, question: str) -> float | None:
        """The deadline of ``question``'s cases: an even share of the time left when its
        first test starts, split over the questions not started yet (at least twice the
        probe time limit), never past the submission's deadline. A function that hangs
        costs its own question's cases, not the later questions' (time a question does
        not use goes to the ones after it)."""
        if ctx.deadline is None:
            return None
        key = (ctx.assignment.id, question)
        if key not in self._question_deadlines:
            started = {q for aid, q in self._question_deadlines if aid == ctx.assignment.id}
            waiting = [
                q.id for q in ctx.assignment.questions if not q.manual and q.id not in started
            ]
            now = time.monotonic()
            left = max(0.0, ctx.deadline - now)
            share = max(left / max(1, len(waiting)), 2 * ctx.assignment.probe_timeout_s)
            self._question_deadlines[key] = min(ctx.deadline, now + share)
        return self._question_deadlines[key]

    # --- running and scoring

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo
    ) -> Generator[None, Result[pytest.TestReport], None]:
        outcome = yield
        state = item.stash.get(_STATE, None)
        if state is None:
            return
        report = outcome.get_result()
        if call.excinfo is not None and state.excinfo is None and call.when != "teardown":
            state.excinfo = call.excinfo
        if call.when == "setup" and state.grade is not None and state.grade.records:
            # a fixture that records cases would be missing from the reference's count
            self.faults.append(
                f"{item.nodeid}: a fixture recorded cases; fixtures are trusted-side setup, "
                "record cases in the test function"
            )
        if call.when == "call" and report.passed and state.grade is not None:
            failed = [r for r in state.grade.records if not r.passed]
            if failed:  # the test ran through, but a case failed: pytest says so too
                report.outcome = "failed"
                report.longrepr = "\n".join(f"{r.case}: {r.message}" for r in failed)
        if call.when == "teardown":
            if call.excinfo is not None:
                print(
                    f"[autograde] {item.nodeid}: teardown raised {call.excinfo.exconly()}",
                    file=sys.stderr,
                )
            self._finish(item, state)

    def _finish(self, item: pytest.Item, state: _ItemState) -> None:
        from .loading import HiddenTest
        from .runner import TestResult, _count_unreached, reference_records_cases

        ctx = self.context_for(state.assignment)
        grade = state.grade or Grade(
            state.question, item.name, (), ctx.reference, ctx.backend, state.assignment.salt
        )
        test = HiddenTest(
            item.name, state.question, _reference_call(item), Path(str(item.path)), item.nodeid
        )
        note = ""
        if state.excinfo is not None:
            note = record_exception(grade, state.excinfo, state.assignment.id, item.name)
        elif not grade.records and not reference_records_cases(
            state.assignment, test, ctx.reference
        ):  # a test of plain asserts alone: one case, and it passed
            grade.records.append(CaseRecord("the test's checks", True))
        # A test that stopped early (it returned on a value it could not use, or recorded
        # nothing at all) is scored out of the reference's count, not out of what ran.
        if note or not grade.records or not all(r.passed for r in grade.records):
            _count_unreached(state.assignment, test, ctx.reference, grade)
        self.results.append(
            TestResult(
                state.assignment.question(state.question),
                item.name,
                state.share,
                state.share * grade.fraction,
                grade.records,
                time.monotonic() - state.started,
                note,
                grade.leaderboard_entries,
            )
        )


_WANTED = pytest.StashKey[Any]()


def _reference_call(item: pytest.Item) -> Callable[[Grade], Any]:
    """The test function, called with another ``grade`` and this item's other fixture
    values: how the reference's case count (the denominator) is taken."""
    argnames = getattr(getattr(item, "_fixtureinfo", None), "argnames", ("grade",))
    funcargs = getattr(item, "funcargs", {})
    function = item.obj  # type: ignore[attr-defined]

    def call(grade: Grade) -> Any:
        return function(**{a: grade if a == "grade" else funcargs[a] for a in argnames})

    return call


# ------------------------------------------------------------------------- options, fixture


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("autograde", "grading assignments against the reference")
    group.addoption(
        "--submission",
        default=None,
        metavar="NB",
        help="grade this notebook (.ipynb or .py) in a sandbox; without it the reference "
        "stands in for the student and every case must pass",
    )
    group.addoption(
        "--assignment",
        default=None,
        metavar="ID",
        help="the assignment (hw09_adamw or hw09): its hidden tests when no path is given",
    )
    group.addoption(
        "--course",
        default=None,
        metavar="DIR",
        help="the course folder (with assignments/ and solutions/); default: above the tests",
    )


def _session_of(config: pytest.Config) -> GradingSession | None:
    """The GradingSession of this pytest session: the runner's (passed in ``plugins``)."""
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, GradingSession):
            return plugin
    return None


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    if _session_of(config) is None:  # pytest run by hand: the instructor's loop
        from .pytest_instructor import InstructorSession

        config.pluginmanager.register(InstructorSession(config), SESSION_NAME)


@pytest.fixture
def grade(request: pytest.FixtureRequest) -> Grade:
    """The grade of this test: probes run on the trusted reference and on the student's
    definitions in the sandbox (see ``autograder.testing``)."""
    session = _session_of(request.config)
    assert session is not None  # pytest_configure registered one
    return session.make_grade(request.node)
