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
