"""The API of hidden and public tests: probes, tolerance tiers, and the ``grade`` fixture.

A test is a function ``test_qK_<what>(grade)``. It builds inputs (from ``grade.cases``'
deterministic generators or fixed lecture cases) and asks ``grade`` to run probes:

- ``grade.compare(probe, *args, case=..., **T1)``: run on the student's namespace in the
  sandbox and on the reference in this (trusted) process; compare here.
- ``grade.run(probe, *args, case=...)``: the student's value alone, for property checks
  with ``grade.check(condition, case=..., message=...)``.
- ``grade.reference(probe, *args)``: the reference's value alone.
- ``grade.run_and_reference(probe, *args, case=...)``: both values, computed at the same
  time (for a student-side measurement, such as a leaderboard's, that the reference checks).

Each ``compare``, each ``check`` and each failed ``run`` is one *case*; a test earns its
share of the question's points in proportion to the cases it passed.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from . import probe_helpers
from .compare import Tolerance, compare
from .untrusted_text import code_block, code_span, escape_markdown, student_text
from .wire import decode, encode

__all__ = [
    "T0",
    "T1",
    "T2",
    "CaseRecord",
    "Grade",
    "Probe",
    "StudentBackend",
    "figure_differs",
    "passed_fraction",
    "probe",
]

T0: dict[str, float] = {"rtol": 0.0, "atol": 0.0}
T1: dict[str, float] = {"rtol": 1e-10, "atol": 1e-12}
T2: dict[str, float] = {"rtol": 1e-6, "atol": 1e-9}


# ------------------------------------------------------------------------------- probes


def _probe_scope() -> dict:
    import numpy as np

    from . import probe_helpers

    return {
        "torch": torch,
        "np": np,
        "numpy": np,
        "math": math,
        "probe_helpers": probe_helpers,
        "__name__": "probe",
    }


class Probe:
    """A self-contained function ``fn(ns, *args) -> plain data``.

    Its source is what runs on both sides: in the sandbox, and here, compiled in the same
    restricted scope (``torch``, ``np``, ``math``, ``probe_helpers``), so a probe that
    leans on its test module's globals fails on the reference too and the build's
    verification catches it.
    """

    def __init__(self, fn: Callable) -> None:
        if fn.__code__.co_freevars:
            raise TypeError(
                f"probe {fn.__name__} must not capture variables "
                f"({', '.join(fn.__code__.co_freevars)})"
            )
        lines = textwrap.dedent(inspect.getsource(fn)).splitlines()
        while lines and lines[0].lstrip().startswith("@"):
            lines.pop(0)
        self.name = fn.__name__
        self.source = "\n".join(lines) + "\n"
        scope = _probe_scope()
        exec(compile(self.source, f"<probe {self.name}>", "exec"), scope)
        self.fn = scope[self.name]

    @property
    def spec(self) -> dict:
        return {"name": self.name, "source": self.source}

    def __call__(self, ns: Any, *args: Any) -> Any:
        return self.fn(ns, *args)

    def __repr__(self) -> str:
        return f"<probe {self.name}>"


def probe(fn: Callable) -> Probe:
    """Decorator: mark ``fn(ns, *args)`` as a probe."""
    return Probe(fn)


def roundtrip(value: Any) -> Any:
    """``value`` as it looks after crossing the wire (tuples become lists, and so on)."""
    return decode(*encode(value))


# ------------------------------------------------------------------------------ backends


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


seeded = probe_helpers.seeded  # what the sandbox child does for a call, undone after


# ------------------------------------------------------------------------------- grading


@dataclass
class CaseRecord:
    """One case of a test: passed or not, and what to tell the student."""

    case: str
    passed: bool
    message: str = ""
    kind: str = ""
    weight: float = 1.0  # how many cases this record stands for (see runner: not reached)


# Reference values by (probe, inputs, seed, default dtype, reference module). Seeds are
# deterministic, so in batch grading every submission asks for the same values: compute
# them once per worker. Entries are stored encoded and decoded on each hit.
_REFERENCE_CACHE: dict[bytes, tuple[bytes, bytes]] = {}
_REFERENCE_CACHE_SIZE = 4096


def derive_seed(*parts: object) -> int:
    """A 63-bit seed from the parts (assignment, salt, test, index...)."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


@dataclass
class Grade:
    """The ``grade`` fixture handed to each test."""

    question: str
    test_name: str
    forbidden: tuple[str, ...]
    reference_ns: Any
    backend: StudentBackend
    salt: str = ""
    deadline: float | None = None
    # Whether ``deadline`` is this question's share of the budget (the submission's own
    # deadline comes later): the feedback says which ran out.
    deadline_of_question: bool = False
    # torch's default dtype in the student's loaded notebook (a notebook may call
    # torch.set_default_dtype); the reference runs under the same one, so a correct
    # answer that leans on the default is not a dtype mismatch.
    default_dtype: str = "torch.float32"
    # A hash of the submission's code: hidden inputs depend on it, so the same submission
    # always gets the same inputs and another one other inputs (harvested inputs are
    # worthless). Empty for the reference's own checks and public checks.
    submission_key: str = ""
    records: list[CaseRecord] = field(default_factory=list)
    leaderboard_entries: list[dict] = field(default_factory=list)
    _calls: int = 0

    # --- inputs

    def cases(self, n: int) -> Iterator[tuple[int, torch.Generator]]:
        """``n`` deterministic ``(index, torch.Generator)`` pairs, salted per course."""
        for i in range(n):
            yield i, torch.Generator().manual_seed(derive_seed(*self._context(), i))

    # --- running probes

    def _seed(self) -> int:
        """The seed of the next probe call; both sides of a comparison run under it."""
        self._calls += 1
        return derive_seed(*self._context(), "call", self._calls) % (2**31)

    def _context(self) -> tuple[str, ...]:
        if self.submission_key:
            return (self.salt, self.submission_key, self.test_name)
        return (self.salt, self.test_name)

    def _start_student(
        self, probe_: Probe, args: tuple, allow: tuple[str, ...], seed: int
    ) -> Callable[[], StudentOutcome]:
        if self.deadline is not None and time.monotonic() > self.deadline:
            scope = "question" if self.deadline_of_question else "submission"
            outcome = StudentOutcome(
                False,
                kind="budget",
                message=f"the grading time budget for this {scope} ran out before this "
                "case (earlier cases were slow)",
            )
            return lambda: outcome
        forbidden = [f for f in self.forbidden if f not in allow]
        left = None if self.deadline is None else self.deadline - time.monotonic()
        return self.backend.start(self.question, forbidden, probe_, list(args), seed, left)

    def _reference(self, probe_: Probe, args: tuple, seed: int | None = None) -> Any:
        seed = self._seed() if seed is None else seed
        doc, blob = encode(list(args))
        key = hashlib.sha256(
            b"\0".join(
                [
                    probe_.source.encode(),
                    doc,
                    blob,
                    str(seed).encode(),
                    self.default_dtype.encode(),
                    str(id(self.reference_ns)).encode(),
                ]
            )
        ).digest()
        if key not in _REFERENCE_CACHE:
            if len(_REFERENCE_CACHE) >= _REFERENCE_CACHE_SIZE:
                _REFERENCE_CACHE.pop(next(iter(_REFERENCE_CACHE)))
            _REFERENCE_CACHE[key] = encode(self._compute_reference(probe_, decode(doc, blob), seed))
        return decode(*_REFERENCE_CACHE[key])  # a fresh copy: tests may modify what they get

    def _compute_reference(self, probe_: Probe, args_copy: list, seed: int) -> Any:
        previous = torch.get_default_dtype()
        torch.set_default_dtype(getattr(torch, self.default_dtype.removeprefix("torch.")))
        try:
            with seeded(seed):
                return probe_(self.reference_ns, *args_copy)
        finally:
            torch.set_default_dtype(previous)

    def _record_failure(self, case: str, outcome: StudentOutcome) -> None:
        self.records.append(
            CaseRecord(case, False, failure_message(self.question, outcome), outcome.kind)
        )

    def compare(
        self,
        probe_: Probe,
        *args: Any,
        case: str,
        rtol: float = 0.0,
        atol: float = 0.0,
        allow: tuple[str, ...] = (),
    ) -> bool:
        """Run ``probe_`` on both sides, under one seed, and compare; records one case."""
        seed = self._seed()
        student = self._start_student(probe_, args, allow, seed)
        expected = self._reference(probe_, args, seed)  # while the sandbox works
        outcome = student()
        if not outcome.ok:
            self._record_failure(case, outcome)
            return False
        try:
            mismatch = compare(expected, outcome.value, Tolerance(rtol, atol))
        except Exception as exc:  # whatever the student's value is, it fails its case
            self.records.append(
                CaseRecord(
                    case,
                    False,
                    f"wrong result: your value could not be compared ({type(exc).__name__})",
                    "mismatch",
                )
            )
            return False
        if mismatch is None:
            self.records.append(CaseRecord(case, True))
            return True
        # the message shows the student's values (and dict keys): escaped
        where = f" in {escape_markdown(mismatch.path)}" if mismatch.path else ""
        self.records.append(
            CaseRecord(
                case,
                False,
                f"wrong result{where}: {escape_markdown(mismatch.message)}",
                "mismatch",
            )
        )
        return False

    def run(self, probe_: Probe, *args: Any, case: str, allow: tuple[str, ...] = ()) -> Any:
        """The student's value, or ``None`` after recording a failed case."""
        outcome = self._start_student(probe_, args, allow, self._seed())()
        if not outcome.ok:
            self._record_failure(case, outcome)
            return None
        return outcome.value

    def run_and_reference(
        self, probe_: Probe, *args: Any, case: str, allow: tuple[str, ...] = ()
    ) -> tuple[Any, Any]:
        """The student's value and the reference's, computed at the same time under one
        seed; the student's is ``None`` after recording a failed case."""
        seed = self._seed()
        student = self._start_student(probe_, args, allow, seed)
        expected = self._reference(probe_, args, seed)
        outcome = student()
        if not outcome.ok:
            self._record_failure(case, outcome)
            return None, expected
        return outcome.value, expected

    def compare_figure(
        self, probe_: Probe, *args: Any, case: str, rtol: float = 0.0, atol: float = 0.0
    ) -> bool:
        """One case: a figure's data (``probe_helpers.figure_data``, returned by
        ``probe_``) against the reference's, on what the notebooks name
        (:func:`figure_differs`): extra lines, markers and any styling are fine."""
        got, ref = self.run_and_reference(probe_, *args, case=case)
        if got is None:
            return False
        differs = figure_differs(ref, got, {"rtol": rtol, "atol": atol})
        return self.check(differs is None, case=case, message=f"wrong figure: {differs}")

    def reference(self, probe_: Probe, *args: Any) -> Any:
        """The reference's value (computed here, never sent to the sandbox)."""
        return self._reference(probe_, args)

    def check(self, condition: bool, *, case: str, message: str) -> bool:
        """Record a property check; ``message`` says what was expected."""
        passed = bool(condition) if isinstance(condition, (bool, int)) else False
        self.records.append(
            CaseRecord(case, passed, "" if passed else message, "" if passed else "property")
        )
        return passed

    def leaderboard(self, name: str, value: float | str, order: str = "desc") -> None:
        """Post a value to Gradescope's leaderboard (``order``: "asc" if lower is better).

        Not a case: it scores nothing. Measure what the leaderboard shows on the student's
        side (``grade.run``); a non-finite number is posted as the worst value.
        """
        if order not in ("asc", "desc"):
            raise ValueError("order is 'asc' or 'desc'")
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            value = str(value)[:40]
        elif isinstance(value, float) and not math.isfinite(value):
            value = 1e30 if order == "asc" else -1e30
        self.leaderboard_entries.append({"name": str(name)[:60], "value": value, "order": order})

    # --- scoring

    @property
    def fraction(self) -> float:
        return passed_fraction(self.records)


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
    if kind == "not_implemented":
        return f"not implemented yet ({msg})"
    if kind == "missing":
        text = (
            f"your notebook does not define {code_span(outcome.message)}; keep the names and "
            "signatures given in the notebook (was it renamed, or did its cell fail to load?)"
        )
        return f"{text}. Note: {student_text(outcome.traceback)}" if outcome.traceback else text
    if kind == "forbidden":
        return f"refused: {msg}"
    if kind == "exception":
        tb = outcome.traceback
        block = f"\n{code_block(tb)}" if tb and tb != outcome.message else ""
        return f"your code raised {msg}{block}"
    if kind == "timeout":
        return f"timed out: {msg}"
    return msg or student_text(kind)


def figure_differs(expected: Any, actual: Any, tol: dict) -> str | None:
    """How a figure's data (``probe_helpers.figure_data``) differ from the reference's, in
    words (None: they agree), on what the docstrings name: the number of axes, each axes'
    scales and whether its axis labels are set, and each of its labelled lines, found by
    its label, with its x and y. Extra lines (markers, reference lines) are fine, and so is
    any styling. Decided here, on the trusted side."""
    if not isinstance(actual, dict) or not isinstance(actual.get("axes"), list):
        error = actual.get("error") if isinstance(actual, dict) else None
        return escape_markdown(str(error)) if error else "no figure data came back"
    n = expected["n_axes"]
    if actual.get("n_axes") != n or len(actual["axes"]) != n:
        return f"expected {n} axes, got {escape_markdown(repr(actual.get('n_axes')))}"
    for i, (want, got) in enumerate(zip(expected["axes"], actual["axes"])):
        where = f"axes {i}" if n > 1 else "the axes"
        got = got if isinstance(got, dict) else {}
        for key in ("xscale", "yscale", "has_xlabel", "has_ylabel"):
            if got.get(key) != want[key]:
                return (
                    f"{where}: {key} should be {want[key]!r}, got "
                    f"{escape_markdown(repr(got.get(key)))}"
                )
        lines = [ln for ln in got.get("lines") or [] if isinstance(ln, dict)]
        for line in want["lines"]:
            same = [ln for ln in lines if ln.get("label") == line["label"]]
            if not same:
                labels = escape_markdown(repr([ln.get("label") for ln in lines]))
                return f"{where}: no line labelled {line['label']!r} (its lines: {labels})"
            mismatches = []
            for candidate in same:
                try:
                    mismatch = compare(
                        {"x": line["x"], "y": line["y"]},
                        {"x": candidate.get("x"), "y": candidate.get("y")},
                        Tolerance(**tol),
                    )
                except Exception as exc:  # whatever the student sent, it does not match
                    mismatch = f"unreadable ({type(exc).__name__})"
                if mismatch is None:
                    break
                mismatches.append(mismatch)
            else:
                return f"{where}, line {line['label']!r}: {escape_markdown(str(mismatches[0]))}"
    return None
