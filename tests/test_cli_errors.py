"""Every engine error ends a command as one line and its own exit code, never a traceback."""

from __future__ import annotations

import pytest

from autograder import cli
from autograder.course import CourseError
from autograder.runtime.errors import AutogradeError


class _Late(AutogradeError, RuntimeError):
    exit_code = 3


@pytest.mark.parametrize(("error", "code"), [(CourseError("no such course"), 2), (_Late("x"), 3)])
def test_an_engine_error_is_one_line_and_its_exit_code(monkeypatch, capsys, error, code):
    def boom(args):
        raise error

    monkeypatch.setattr(cli, "_cmd_list", boom)
    assert cli.main(["list"]) == code
    err = capsys.readouterr().err
    assert err == f"autograde: {error}\n"


@pytest.mark.parametrize(
    ("tool", "argv"),
    [("bench", ["--only", "hw77"]), ("matrix", ["--only", "hw77"]), ("mutants", ["hw77"])],
)
def test_a_tool_given_an_unknown_assignment_says_so_in_one_line(tool, argv):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", f"autograder.tools.{tool}", *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"{tool}: no assignment 'hw77'"), done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
