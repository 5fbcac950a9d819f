"""The engine's errors: every one it raises on purpose derives from :class:`AutogradeError`.

Each keeps the built-in base it had (``ValueError`` for bad input, ``RuntimeError`` for
a failure of the machinery, ``LookupError`` for something not found), so existing
``except`` clauses still match; the common base lets the command line turn any of them
into one line for the person who can fix it, instead of a traceback.
"""

from __future__ import annotations

__all__ = ["AutogradeError"]


class AutogradeError(Exception):
    """An error whose message is written for a person (an author, a TA, a student).

    ``exit_code``: what the command line exits with when this error ends a command (it
    prints the message as one line). 2 is "the input or the setup is wrong, nothing was
    graded", as for a command-line usage error; a subclass may say otherwise.
    """

    exit_code: int = 2
