"""Pieces of the pytest plugin with a job of their own: which markers a hidden test may
use, a test function's declared weight, and turning what stopped a test into a failed
case."""

from __future__ import annotations

import sys

import pytest

from ..testing import CaseRecord, Grade

__all__ = ["MAX_TEST_WEIGHT", "declared_markers", "declared_weight", "record_exception"]

MAX_TEST_WEIGHT = 10.0


def _marker_name(line: str) -> str:
    return line.split(":")[0].split("(")[0].strip()


def _ini_file_markers(config: pytest.Config) -> set[str]:
    """Markers declared in the ini file of a pytest run by hand (the project's
    pyproject.toml, say). Grading reads no ini file (``runner.pytest_args``), so a hidden
    test may not lean on them: the instructor's run refuses them too."""
    path = config.inipath
    if path is None or not path.is_file():
        return set()
    try:
        if path.suffix == ".toml":
            if sys.version_info >= (3, 11):
                import tomllib
            else:  # Python 3.10
                import tomli as tomllib
            section = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {})
            section = section.get("pytest", {})
            section = section.get("ini_options", section)
            lines = section.get("markers", [])
            lines = lines.splitlines() if isinstance(lines, str) else list(lines)
        else:
            import configparser

            parser = configparser.ConfigParser()
            parser.read(path, encoding="utf-8")
            name = "tool:pytest" if path.name == "setup.cfg" else "pytest"
            lines = parser.get(name, "markers", fallback="").splitlines()
    except Exception:  # best effort: the grading run is the one that decides
        return set()
    return {_marker_name(str(line)) for line in lines if str(line).strip()}


def declared_markers(config: pytest.Config) -> set[str]:
    """Markers a hidden test may use: pytest's, this plugin's, and those a conftest
    declares (``config.addinivalue_line("markers", ...)``)."""
    declared = {_marker_name(line) for line in config.getini("markers")}
    return declared - _ini_file_markers(config)


def declared_weight(item: pytest.Item) -> float:
    """The weight of ``item``'s test function (``@pytest.mark.weight(w)``, default 1): its
    share of the question's points relative to the question's other test functions.
    Raises ValueError, for the test's author, on a weight that is not in (0, 10]."""
    markers = list(item.iter_markers("weight"))
    if not markers:
        return 1.0
    if len(markers) > 1:  # on a class and its function, or on one pytest.param too
        raise ValueError(
            "a test function has one weight, the same for all its parameter sets (mark the "
            "function alone, not its class or one pytest.param as well)"
        )
    marker = markers[0]
    if len(marker.args) != 1 or marker.kwargs:
        raise ValueError("@pytest.mark.weight takes one number, e.g. @pytest.mark.weight(2)")
    (weight,) = marker.args
    if isinstance(weight, bool) or not isinstance(weight, (int, float)):
        raise ValueError(f"a test's weight is a number, got {weight!r}")
    if not 0 < weight <= MAX_TEST_WEIGHT:
        raise ValueError(f"a test's weight is in (0, {MAX_TEST_WEIGHT:g}], got {weight!r}")
    return float(weight)


def record_exception(grade: Grade, excinfo: pytest.ExceptionInfo, aid: str, name: str) -> str:
    """Record what stopped a test as a failed case; returns the note for the report.

    A failed ``assert`` (or ``pytest.fail``) is a check that failed: its message, pytest's
    introspection of the values involved, may show the student's values, so it is capped
    and escaped. A skip is a case not checked. Anything else is the old runner's "your
    results could not be checked further".
    """
    from ..untrusted_text import student_text

    value = excinfo.value
    if isinstance(value, AssertionError) or excinfo.errisinstance(pytest.fail.Exception):
        text = str(value) or "assert failed"
        grade.records.append(
            CaseRecord(
                "checking your results", False, f"a check failed: {student_text(text)}", "assertion"
            )
        )
        return ""
    if excinfo.errisinstance(pytest.skip.Exception):
        grade.records.append(
            CaseRecord(
                "checking your results",
                False,
                f"not checked: the test was skipped ({student_text(str(value))})",
                "skipped",
            )
        )
        return f"skipped: {value}"
    note = f"{excinfo.type.__name__}: {value}"
    grade.records.append(
        CaseRecord(
            "checking your results",
            False,
            f"your results could not be checked further ({note})",
            "check_error",
        )
    )
    print(f"[autograde] {aid} {name}: test raised {note}", file=sys.stderr)
    return note
