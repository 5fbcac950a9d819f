"""Hidden tests are pytest tests, and pytest runs them (issue 16).

- ``pytest assignments/<id>/tests/hidden`` passes against the reference, for every
  assignment of the course, with every case passed and full points (the instructor's
  check of a new test; in-process, the reference standing in for the student).
- ``--submission NB`` grades that notebook in a sandbox; ``-k`` selects tests as usual.
- pytest idioms in hidden tests: ``@pytest.mark.parametrize`` makes cases with their own
  points, fixtures from a ``conftest.py`` share trusted-side setup, a plain ``assert`` is a
  failed case with pytest's introspected message, ``@pytest.mark.question`` names a
  question, and markers are strict.
- Grading goes through pytest (``runner.run_tests``, ``grade_cells``), and a crash or a
  collection error there is a grader fault with a clear message, never a zero.
"""

from __future__ import annotations

import shutil
import types
from pathlib import Path

import pytest

from autograder.course import Course
from autograder.grading.pytest_plugin import GradingSession, _session_of
from autograder.grading.runner import (
    GraderFault,
    ReferenceBackend,
    collect_tests,
    grade_cells,
    load_reference,
    run_tests,
)
from autograder.spec import SpecError

from ..conftest import REPO

IDS = Course(REPO).ids()

GOOD = """
import torch

def square(x):
    return x * x

def add(a, b):
    return a + b
"""

CONFTEST = '''
import pytest

from autograder.testing import probe


@probe
def square_of(ns, x):
    return ns.square(x)


@pytest.fixture
def square_probe():
    """Shared with every test file of the folder: trusted-side setup."""
    return square_of
'''

IDIOMS = """
import pytest
import torch

from autograder.testing import T0, T1, probe


@probe
def add_of(ns, a, b):
    return ns.add(a, b)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_q1_parametrized(grade, square_probe, n):
    x = torch.arange(n, dtype=torch.float64) + 0.5
    grade.compare(square_probe, x, case=f"{n} values", **T1)


def test_q1_plain_assert(grade, square_probe):
    got = grade.run(square_probe, torch.tensor([3.0], dtype=torch.float64), case="3 squared")
    assert float(got[0]) == 9.0


@pytest.mark.question("q2")
def test_addition_marked(grade):
    grade.compare(add_of, 20, 22, case="20 + 22", **T0)
"""


def _run_pytest(args: list[str]) -> tuple[int, GradingSession | None]:
    """``pytest args`` in this process, as an instructor runs it; its exit code and the
    plugin's session (whose ``results`` hold the points)."""

    class Spy:
        session: GradingSession | None = None

        def pytest_sessionfinish(self, session: pytest.Session) -> None:
            Spy.session = _session_of(session.config)

    code = pytest.main(
        [*args, "-p", "autograder.grading.pytest_plugin", "-p", "no:cacheprovider", "-q"],
        plugins=[Spy()],
    )
    return int(code), Spy.session


def _course_with(tmp_path: Path, aid: str, files: dict[str, str]) -> Course:
    """The demo course under the assignment id ``aid``, with ``files`` added to its hidden
    tests. Each course gets its own id: pytest imports conftests by their path under the
    course folder, once per process."""
    root = tmp_path / aid
    shutil.copytree(REPO / "tests" / "fixtures" / "course", root)
    folder = root / "assignments" / aid
    (root / "assignments" / "hw99_demo").rename(folder)
    toml = folder / "assignment.toml"
    toml.write_text(toml.read_text().replace('id = "hw99_demo"', f'id = "{aid}"'))
    (root / "solutions" / "hw99_demo.py").rename(root / "solutions" / f"{aid}.py")
    for name, text in files.items():
        (folder / "tests" / "hidden" / name).write_text(text)
    return Course(root)


@pytest.fixture(scope="module")
def idioms_course(tmp_path_factory) -> Course:
    return _course_with(
        tmp_path_factory.mktemp("idioms"),
        "hw91_idioms",
        {"conftest.py": CONFTEST, "test_q1_idioms.py": IDIOMS},
    )


def _grade_namespace(course: Course, student: object) -> dict:
    a = course.assignment(course.ids()[0])
    reference = load_reference(course, a)
    results = run_tests(a, collect_tests(a), reference, ReferenceBackend(student))
    return {r.name: r for r in results}


# ---------------------------------------------------------------- the course, by pytest


@pytest.mark.parametrize("aid", IDS)
def test_pytest_runs_the_hidden_tests_against_the_reference(aid):
    code, session = _run_pytest([str(REPO / "assignments" / aid / "tests" / "hidden")])
    assert code == 0
    assert session is not None and session.results
    lost = [
        f"{r.name}: {c.case}: {c.message}"
        for r in session.results
        for c in r.records
        if not c.passed
    ]
    assert not lost, "\n".join(lost[:5])
    a = Course(REPO).assignment(aid)
    assert sum(r.score for r in session.results) == pytest.approx(a.autograded_points)


# ------------------------------------------------------------------ the instructor's loop


def test_submission_option_grades_a_notebook_in_the_sandbox_and_k_selects(demo_course, tmp_path):
    hidden = demo_course.assignment("hw99").hidden_tests
    good = tmp_path / "good.py"
    good.write_text(GOOD)
    code, session = _run_pytest([str(hidden), "--submission", str(good), "-k", "q1"])
    assert code == 0 and session is not None
    assert {r.question.id for r in session.results} == {"q1"}
    assert sum(r.score for r in session.results) == pytest.approx(60)
    assert not session.sandboxes  # released at the end of the session

    wrong = tmp_path / "wrong.py"
    wrong.write_text(GOOD.replace("return x * x", "return x + x"))
    code, session = _run_pytest([str(hidden), "--submission", str(wrong), "-k", "q1"])
    assert code == 1  # a test with a failed case fails, so pytest's summary says which
    assert session is not None
    messages = [c.message for r in session.results for c in r.records if not c.passed]
    assert any("wrong result" in m for m in messages), messages


def test_without_a_path_the_assignment_option_names_the_tests(demo_course, monkeypatch):
    monkeypatch.chdir(demo_course.root)
    code, session = _run_pytest(["--assignment", "hw99", "--course", str(demo_course.root)])
    assert code == 0 and session is not None
    assert sum(r.score for r in session.results) == pytest.approx(100)


# ---------------------------------------------------------------------- pytest idioms


def test_the_reference_passes_every_idiom(idioms_course):
    hidden = idioms_course.assignment("hw91").hidden_tests
    code, session = _run_pytest([str(hidden)])
    assert code == 0 and session is not None
    assert sum(r.score for r in session.results) == pytest.approx(100)


def test_parametrize_makes_cases_each_with_its_own_points(idioms_course):
    def square(x):
        return x * x if x.numel() < 3 else x * x + 1  # wrong for the third set only

    def add(a, b):
        return a + b

    results = _grade_namespace(idioms_course, types.SimpleNamespace(square=square, add=add))
    # q1 (60 points) has four test functions; the parametrized one's 15 are split in three
    names = [n for n in results if n.startswith("test_q1_parametrized")]
    assert names == [f"test_q1_parametrized[{n}]" for n in (1, 2, 3)]
    assert [results[n].max_score for n in names] == pytest.approx([5, 5, 5])
    assert [results[n].score for n in names] == pytest.approx([5, 5, 0])
    assert results["test_addition_marked"].question.id == "q2"
    assert results["test_addition_marked"].max_score == pytest.approx(20)


def test_a_plain_assert_is_a_failed_case_with_pytests_message(idioms_course):
    def square(x):
        return x * x - 1

    results = _grade_namespace(
        idioms_course, types.SimpleNamespace(square=square, add=lambda a, b: a + b)
    )
    result = results["test_q1_plain_assert"]
    (record,) = result.records
    assert not record.passed and record.kind == "assertion"
    assert "assert 8.0 == 9.0" in record.message  # pytest's introspection of the values
    assert result.score == 0 and result.max_score == pytest.approx(15)


def test_a_test_that_stops_early_keeps_the_references_count_through_pytest(idioms_course):
    # the student's side fails: run() returns None, so the assert itself raises TypeError
    results = _grade_namespace(idioms_course, types.SimpleNamespace(add=lambda a, b: a + b))
    result = results["test_q1_plain_assert"]
    assert [r.kind for r in result.records] == ["exception", "check_error"]
    assert result.score == 0


def test_grading_a_notebook_goes_through_pytest(idioms_course, tmp_path):
    """grade_cells (autograde run/gradescope/grade) grades the idioms in the sandbox."""
    from autograder.grading.submission import read_submission

    path = tmp_path / "sub.py"
    path.write_text(GOOD.replace("return x * x", "return x * x if x.numel() < 3 else -x"))
    a = idioms_course.assignment("hw91")
    report = grade_cells(idioms_course, a, read_submission(path).cells)
    assert report.grader_fault is None
    by_name = {t.name: t for t in report.tests}
    assert by_name["test_q1_parametrized[3]"].score == 0
    assert by_name["test_q1_parametrized[1]"].score == pytest.approx(5)
    # q1 (60): random tensors (3 or more values) 0 of 15, input unchanged 15,
    # parametrized 5 + 5 + 0, plain assert 15; q2 (40): both tests
    assert report.score == pytest.approx(80)


# --------------------------------------------------------------- strictness and faults


def test_an_unknown_marker_is_a_collection_error(tmp_path):
    typo = IDIOMS.replace("@pytest.mark.parametrize", "@pytest.mark.parametrise")
    course = _course_with(tmp_path, "hw92_typo", {"conftest.py": CONFTEST, "test_q1_x.py": typo})
    a = course.assignment("hw92")
    with pytest.raises(GraderFault, match="parametrise"):
        collect_tests(a)


def test_a_test_without_a_question_is_refused(tmp_path):
    text = "def test_something(grade):\n    grade.check(True, case='c', message='m')\n"
    course = _course_with(tmp_path, "hw93_noq", {"test_q1_noq.py": text})
    with pytest.raises(SpecError, match="test_qK_<what>"):
        collect_tests(course.assignment("hw93"))


def test_a_crash_inside_pytest_is_a_grader_fault(tmp_path):
    crash = "def pytest_runtest_logreport(report):\n    raise RuntimeError('boom')\n"
    course = _course_with(tmp_path, "hw94_crash", {"conftest.py": crash})
    a = course.assignment("hw94")
    reference = load_reference(course, a)
    with pytest.raises(GraderFault, match="boom"):
        run_tests(a, collect_tests(a), reference, ReferenceBackend(reference))


def test_a_collection_error_is_a_grader_fault_in_the_report(tmp_path):
    from autograder.grading.submission import read_submission

    course = _course_with(tmp_path, "hw95_broken", {"test_q2_broken.py": "import no_such_mod\n"})
    path = tmp_path / "sub.py"
    path.write_text(GOOD)
    report = grade_cells(course, course.assignment("hw95"), read_submission(path).cells)
    assert report.grader_fault and "no_such_mod" in report.grader_fault
    assert report.tests == []


def test_a_marker_only_the_projects_ini_declares_is_refused_by_hand_too(tmp_path):
    """Grading reads no ini file, so the instructor's run refuses what only one declares."""
    text = "import pytest\n\n\n@pytest.mark.slow\ndef test_q2_slow(grade):\n    pass\n"
    course = _course_with(tmp_path, "hw96_slow", {"test_q2_slow.py": text})
    hidden = course.assignment("hw96").hidden_tests
    code, _ = _run_pytest([str(hidden), "-c", str(REPO / "pyproject.toml")])
    assert code == pytest.ExitCode.USAGE_ERROR
    # SpecError here: the module was imported by the run above (pytest's own check fires
    # at import, once per process); the plugin's check says the same
    with pytest.raises((GraderFault, SpecError), match="slow"):
        collect_tests(course.assignment("hw96"))


# ------------------------------------------------------------ a test function's weight

WEIGHTED = """
import pytest

from autograder.testing import T0, probe


@probe
def add_of(ns, a, b):
    return ns.add(a, b)


@pytest.mark.question("q2")
@pytest.mark.weight(3)
def test_addition_weighted(grade):
    grade.compare(add_of, 1, 2, case="1 + 2", **T0)


@pytest.mark.question("q2")
@pytest.mark.parametrize("b", [5, 6])
@pytest.mark.weight(2)
def test_addition_parametrized_weighted(grade, b):
    grade.compare(add_of, 1, b, case=f"1 + {b}", **T0)
"""


def test_a_weighted_test_gets_its_weight_s_share_of_the_question(tmp_path):
    course = _course_with(tmp_path, "hw89_weights", {"test_q2_weighted.py": WEIGHTED})
    a = course.assignment("hw89")
    points = {t.name: t.points for t in collect_tests(a) if t.question == "q2"}
    # q2 (40 points): the demo's own test (weight 1), one of weight 3, and a parametrized
    # one of weight 2 whose share is split over its two parameter sets: 1 + 3 + 2 = 6
    assert points == pytest.approx(
        {
            "test_q2_integers": 40 / 6,
            "test_addition_weighted": 40 * 3 / 6,
            "test_addition_parametrized_weighted[5]": 40 * 2 / 6 / 2,
            "test_addition_parametrized_weighted[6]": 40 * 2 / 6 / 2,
        }
    )
    reference = load_reference(course, a)
    results = run_tests(a, collect_tests(a), reference, ReferenceBackend(reference))
    assert sum(r.max_score for r in results if r.question.id == "q2") == pytest.approx(40)
    assert sum(r.score for r in results) == pytest.approx(100)


@pytest.mark.parametrize("bad", ["0", "-1", "11", "'2'", "True", "1, 2", "w=2"])
def test_a_weight_out_of_range_is_the_authors_error(tmp_path, bad):
    text = WEIGHTED.replace("@pytest.mark.weight(3)", f"@pytest.mark.weight({bad})")
    aid = f"hw88_w{abs(hash(bad)) % 10**6}"
    course = _course_with(tmp_path, aid, {"test_q2_weighted.py": text})
    with pytest.raises((GraderFault, SpecError), match="weight"):
        collect_tests(course.assignment(aid.split("_")[0]))


def test_a_weight_on_one_parameter_set_is_the_authors_error(tmp_path):
    text = WEIGHTED.replace(
        '@pytest.mark.parametrize("b", [5, 6])',
        '@pytest.mark.parametrize("b", [5, pytest.param(6, marks=pytest.mark.weight(4))])',
    )
    course = _course_with(tmp_path, "hw87_param", {"test_q2_weighted.py": text})
    with pytest.raises((GraderFault, SpecError), match="same for all its parameter sets"):
        collect_tests(course.assignment("hw87"))
    # and with no weight on the function: one parameter set's alone is refused too
    text = text.replace("@pytest.mark.weight(2)\n", "")
    course = _course_with(tmp_path / "b", "hw86_param", {"test_q2_weighted.py": text})
    with pytest.raises((GraderFault, SpecError), match="same for all its parameter sets"):
        collect_tests(course.assignment("hw86"))
