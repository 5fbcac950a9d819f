"""What a case is made of: the student's outcome of a probe call, the record of a case,
and the words a student reads about a failed call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..runtime.outcomes import Failure
from ..untrusted_text import code_block, code_span, student_text
from .probes import Probe

__all__ = ["CaseRecord", "StudentBackend", "StudentOutcome", "failure_message", "passed_fraction"]


@dataclass
class StudentOutcome:
    """What running a probe on the student's side gave."""

    ok: bool
    value: Any = None
    kind: str = ""  # for failures: not_implemented, missing, forbidden, exception, timeout, ...
    message: str = ""
    traceback: str = ""


class StudentBackend(Protocol):
    """Runs a probe on the student's definitions (in the sandbox, when grading).

    ``start`` sends the work off and returns a function that waits for its outcome, so the
    reference can be computed here while the sandbox computes the student's value.
    ``limit_s``: the time left in the question's (or the submission's) budget; a backend
    with a time limit per call takes the smaller of the two.
    """

    def start(
        self,
        question: str,
        forbidden: list[str],
        probe: Probe,
        args: list,
        seed: int,
        limit_s: float | None = None,
    ) -> Callable[[], StudentOutcome]: ...


@dataclass
class CaseRecord:
    """One case of a test: passed or not, and what to tell the student."""

    case: str
    passed: bool
    message: str = ""
    kind: str = ""
    weight: float = 1.0  # how many cases this record stands for (see runner: not reached)


def passed_fraction(records: list[CaseRecord]) -> float:
    """The share of cases passed, each record counting its weight."""
    total = sum(r.weight for r in records)
    return sum(r.weight for r in records if r.passed) / total if total else 0.0


def failure_message(question: str, outcome: StudentOutcome) -> str:
    """Words for a student about a failed probe call.

    The message and traceback of a failed call came from the sandbox: they are capped and
    escaped (``untrusted_text``), so they cannot forge feedback.
    """
    kind = outcome.kind
    msg = student_text(outcome.message)
    if kind == Failure.NOT_IMPLEMENTED:
        return f"not implemented yet ({msg})"
    if kind == Failure.MISSING:
        text = (
            f"your notebook does not define {code_span(outcome.message)}; keep the names and "
            "signatures given in the notebook (was it renamed, or did its cell fail to load?)"
        )
        return f"{text}. Note: {student_text(outcome.traceback)}" if outcome.traceback else text
    if kind == Failure.FORBIDDEN:
        return f"refused: {msg}"
    if kind == Failure.EXCEPTION:
        tb = outcome.traceback
        block = f"\n{code_block(tb)}" if tb and tb != outcome.message else ""
        return f"your code raised {msg}{block}"
    if kind == Failure.TIMEOUT:
        return f"timed out: {msg}"
    return msg or student_text(kind)
