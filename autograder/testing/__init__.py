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

from ..runtime import probe_helpers
from ..runtime.compare import Mismatch, Tolerance, compare
from .figures import figure_differs
from .grade import Grade, derive_seed, seeded
from .probes import T0, T1, T2, Probe, assignment_helpers, probe, roundtrip
from .records import CaseRecord, StudentBackend, StudentOutcome, failure_message, passed_fraction

__all__ = [
    "T0",
    "T1",
    "T2",
    "CaseRecord",
    "Grade",
    "Mismatch",
    "Probe",
    "StudentBackend",
    "StudentOutcome",
    "Tolerance",
    "assignment_helpers",
    "compare",
    "derive_seed",
    "failure_message",
    "figure_differs",
    "passed_fraction",
    "probe",
    "probe_helpers",
    "roundtrip",
    "seeded",
]
