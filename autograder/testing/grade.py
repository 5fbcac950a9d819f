"""The ``grade`` fixture: runs probes on both sides, compares, and records cases."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from ..runtime import probe_helpers
from ..runtime.compare import Tolerance, compare
from ..runtime.outcomes import Failure
from ..runtime.wire import decode, encode
from ..untrusted_text import escape_markdown
from .figures import figure_differs
from .probes import Probe
from .records import CaseRecord, StudentBackend, StudentOutcome, failure_message, passed_fraction

__all__ = ["Grade", "derive_seed", "seeded"]

seeded = probe_helpers.seeded  # what the sandbox child does for a call, undone after


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
                kind=Failure.BUDGET,
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

    def _record_failure(self, case: str, outcome: StudentOutcome, weight: float = 1.0) -> None:
        message = failure_message(self.question, outcome)
        self.records.append(CaseRecord(case, False, message, outcome.kind, _weight(weight)))

    def compare(
        self,
        probe_: Probe,
        *args: Any,
        case: str,
        rtol: float = 0.0,
        atol: float = 0.0,
        allow: tuple[str, ...] = (),
        weight: float = 1.0,
    ) -> bool:
        """Run ``probe_`` on both sides, under one seed, and compare; records one case.

        ``weight``: how many ordinary cases this one counts for (default 1), for a case
        that catches a conceptual bug which would otherwise cost a sliver of the question.
        """
        weight = _weight(weight)
        seed = self._seed()
        student = self._start_student(probe_, args, allow, seed)
        expected = self._reference(probe_, args, seed)  # while the sandbox works
        outcome = student()
        if not outcome.ok:
            self._record_failure(case, outcome, weight)
            return False
        try:
            mismatch = compare(expected, outcome.value, Tolerance(rtol, atol))
        except Exception as exc:  # whatever the student's value is, it fails its case
            self.records.append(
                CaseRecord(
                    case,
                    False,
                    f"wrong result: your value could not be compared ({type(exc).__name__})",
                    Failure.MISMATCH,
                    weight,
                )
            )
            return False
        if mismatch is None:
            self.records.append(CaseRecord(case, True, weight=weight))
            return True
        # the message shows the student's values (and dict keys): escaped
        where = f" in {escape_markdown(mismatch.path)}" if mismatch.path else ""
        self.records.append(
            CaseRecord(
                case,
                False,
                f"wrong result{where}: {escape_markdown(mismatch.message)}",
                Failure.MISMATCH,
                weight,
            )
        )
        return False

    def run(
        self,
        probe_: Probe,
        *args: Any,
        case: str,
        allow: tuple[str, ...] = (),
        weight: float = 1.0,
    ) -> Any:
        """The student's value, or ``None`` after recording a failed case (of ``weight``:
        give the same weight to the checks made on the value)."""
        outcome = self._start_student(probe_, args, allow, self._seed())()
        if not outcome.ok:
            self._record_failure(case, outcome, weight)
            return None
        return outcome.value

    def run_and_reference(
        self,
        probe_: Probe,
        *args: Any,
        case: str,
        allow: tuple[str, ...] = (),
        weight: float = 1.0,
    ) -> tuple[Any, Any]:
        """The student's value and the reference's, computed at the same time under one
        seed; the student's is ``None`` after recording a failed case."""
        seed = self._seed()
        student = self._start_student(probe_, args, allow, seed)
        expected = self._reference(probe_, args, seed)
        outcome = student()
        if not outcome.ok:
            self._record_failure(case, outcome, weight)
            return None, expected
        return outcome.value, expected

    def compare_figure(
        self,
        probe_: Probe,
        *args: Any,
        case: str,
        rtol: float = 0.0,
        atol: float = 0.0,
        weight: float = 1.0,
    ) -> bool:
        """One case: a figure's data (``probe_helpers.figure_data``, returned by
        ``probe_``) against the reference's, on what the notebooks name
        (:func:`figure_differs`): extra lines, markers and any styling are fine."""
        got, ref = self.run_and_reference(probe_, *args, case=case, weight=weight)
        if got is None:
            return False
        differs = figure_differs(ref, got, {"rtol": rtol, "atol": atol})
        return self.check(
            differs is None, case=case, message=f"wrong figure: {differs}", weight=weight
        )

    def reference(self, probe_: Probe, *args: Any) -> Any:
        """The reference's value (computed here, never sent to the sandbox)."""
        return self._reference(probe_, args)

    def check(self, condition: bool, *, case: str, message: str, weight: float = 1.0) -> bool:
        """Record a property check; ``message`` says what was expected. ``weight`` as for
        :meth:`compare`."""
        passed = bool(condition) if isinstance(condition, (bool, int)) else False
        kind = "" if passed else "property"
        self.records.append(
            CaseRecord(case, passed, "" if passed else message, kind, _weight(weight))
        )
        return passed

    def check_properties(
        self,
        properties: dict[str, Callable[[Any], Any]],
        got: Any,
        ref: Any,
        uses: dict[str, tuple[str, ...]],
        *,
        case: str | Callable[[str], str],
        rtol: float = 1e-6,
        atol: float = 1e-12,
    ) -> int:
        """One case per property of a probe's dict of values; returns how many passed.

        ``properties`` maps a property, in words, to a predicate on the student's value
        ``got`` (an exception in it counts as "does not hold"). ``uses`` names, for each
        property, the keys of ``got`` it is about. A property of the student's values alone
        is met by degenerate answers too (zeros halve when B doubles, a constant reaches its
        own "steady state"), so a property earns nothing unless its values are also the
        reference's (``ref``, the same probe on the reference): each key in ``uses[what]``
        must be a tensor of the reference's shape within ``rtol``/``atol`` of it. ``case``
        is the case's name, or a function of the property giving it (the property's words
        are put in front).
        """
        passed = 0
        for what, prop in properties.items():
            try:
                holds = bool(prop(got))
            except Exception:  # the student's values have the wrong types or shapes
                holds = False
            off = _keys_off(got, ref, uses.get(what, ()), rtol, atol) if holds else []
            if not holds:
                message = f"property fails: {what}"
            else:
                message = (
                    f"the property holds, but your values for {', '.join(off)} are not the "
                    "expected ones (see the cases that compare values), so it earns nothing "
                    "on its own"
                )
            label = case(what) if callable(case) else case
            passed += self.check(holds and not off, case=f"{what}: {label}", message=message)
        return passed

    def reference_calls(
        self, probe_: Probe, names: tuple[str, ...], *args: Any, torch_classes: dict | None = None
    ) -> dict:
        """What an earlier question's functions answered while ``probe_`` ran on the
        reference: see :func:`autograder.testing.replay.reference_calls`."""
        from .replay import reference_calls

        return reference_calls(self, probe_, names, *args, torch_classes=torch_classes)

    def replaying(self, probe_: Probe) -> Probe:
        """``probe_`` taking a replay as its first argument: see
        :func:`autograder.testing.replay.replaying`."""
        from .replay import replaying

        return replaying(probe_)

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


def _keys_off(got: Any, ref: Any, keys: tuple[str, ...], rtol: float, atol: float) -> list[str]:
    """The keys among ``keys`` where ``got``'s value is not a tensor close to ``ref``'s."""
    off = []
    for key in keys:
        try:
            a, b = got[key], ref[key]
            ok = (
                isinstance(a, torch.Tensor)
                and isinstance(b, torch.Tensor)
                and a.shape == b.shape
                and bool(torch.allclose(a, b, rtol=rtol, atol=atol))
            )
        except Exception:  # not a dict, a missing key, wrong types
            ok = False
        if not ok:
            off.append(key)
    return off


#: The most one case may count for: a weight is for a conceptual bug worth a real share
#: of its question, not for making one case the whole question.
MAX_WEIGHT = 10.0


def _weight(weight: float) -> float:
    """A declared case weight, checked: the test's author gets the error, at build time."""
    if isinstance(weight, bool) or not isinstance(weight, (int, float)):
        raise TypeError(f"a case weight is a number, got {weight!r}")
    if not 0 < weight <= MAX_WEIGHT:
        raise ValueError(f"a case weight is in (0, {MAX_WEIGHT:g}], got {weight!r}")
    return float(weight)
