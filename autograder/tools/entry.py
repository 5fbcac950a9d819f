"""How a tool's ``python -m autograder.tools.X`` ends: an engine error as one line (its
``exit_code``), a closed pipe quietly (``... --list | head``)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable

from ..runtime.errors import AutogradeError


def run_tool(name: str, main: Callable[[], int]) -> int:
    """``main()``'s exit status; an :class:`AutogradeError` is printed as ``name: message``
    and exits with its ``exit_code``; a reader that left exits 1 without a traceback."""
    try:
        return main()
    except AutogradeError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
