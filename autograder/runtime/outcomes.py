"""The engine's vocabulary of outcomes, one name each.

They are ``str`` enums, so each member equals its string and crosses the sandbox's wire
format (and results.json) as that plain string.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["CallStatus", "Failure", "Outcome"]


class CallStatus(str, Enum):
    """How one probe call in the sandbox child ended."""

    OK = "ok"
    ERROR = "error"  # the student's code raised (the failure's kind says how)
    TIMEOUT = "timeout"  # out of time; the child was killed
    CRASH = "crash"  # the child died (a signal, a memory limit, os._exit)
    PROTOCOL = "protocol"  # the child's reply was malformed or too large


class Failure(str, Enum):
    """Why a case failed: what the student's feedback explains."""

    MISMATCH = "mismatch"  # a value that differs from the reference's
    NOT_IMPLEMENTED = "not_implemented"  # the stub still raises NotImplementedError
    MISSING = "missing"  # the function (or a name it needs) is not defined
    FORBIDDEN = "forbidden"  # a forbidden API was called
    EXCEPTION = "exception"  # the student's code raised
    EXIT = "exit"  # the student's code called exit()
    TIMEOUT = "timeout"
    CRASH = "crash"
    PROTOCOL = "protocol"
    BUDGET = "budget"  # the question's or submission's time budget ran out before it
    NOT_REACHED = "not_reached"  # the test stopped before this case


class Outcome(str, Enum):
    """What happened to a whole submission (``results["extra_data"]["outcome"]``)."""

    GRADED = "graded"
    GRADED_WITH_LOAD_PROBLEMS = "graded_with_load_problems"  # some definitions failed
    NOT_GRADED = "not_graded"  # the student's problem: not a notebook, say
    GRADER_FAULT = "grader_fault"  # ours: nothing the student did
