"""The engine's errors: every one it raises on purpose derives from :class:`AutogradeError`.

Each keeps the built-in base it had (``ValueError`` for bad input, ``RuntimeError`` for
a failure of the machinery, ``LookupError`` for something not found), so existing
``except`` clauses still match; the common base lets the command line turn any of them
into one line for the person who can fix it, instead of a traceback.
"""

from __future__ import annotations

__all__ = ["AutogradeError"]


class AutogradeError(Exception):
    """An error whose message is written for a person (an author, a TA, a student)."""
