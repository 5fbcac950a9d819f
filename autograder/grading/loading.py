"""Reading what grading needs from the course: the reference module and the hidden tests
(collected by pytest, cached per process), and the pytest arguments every session uses.

Without root, these are read before any student code runs (:func:`read_secrets_first`).
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ..course import Course
from ..runtime.errors import AutogradeError
from ..spec import Assignment, SpecError
from ..testing import Grade

__all__ = [
    "TEST_NAME",
    "GraderFault",
    "HiddenTest",
    "collect_tests",
    "empty_folder",
    "import_test_module",
    "is_collected",
    "load_reference",
    "pytest_args",
    "pytest_session",
    "read_secrets_first",
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
    points: float = 0.0  # its share of the question's points, as collected (weights applied)


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
def empty_folder() -> str:
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


def pytest_session(assignment: Assignment, paths: list[str], session: Any, *extra: str) -> None:
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


def is_collected(assignment: Assignment) -> bool:
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
        # --collect-only runs no test: no reference, no student backend
        session = GradingSession(
            lambda a: GradingContext(a, None, None),  # type: ignore[arg-type]
            wanted=None,
            assignment=assignment,
        )
        try:
            pytest_session(assignment, [str(folder)], session, "--collect-only")
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
                state.share,
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


def read_secrets_first(course: Course, assignment: Assignment) -> None:
    """Without root there is no uid boundary: the student's code could rewrite the
    reference or the hidden tests before they are read. So read them before any student
    code runs (once per process; they are never read again)."""
    if os.geteuid() != 0:
        from .provided import provided_code

        load_reference(course, assignment)
        collect_tests(assignment)
        provided_code(course, assignment)  # cached: the scan's view of the given code
