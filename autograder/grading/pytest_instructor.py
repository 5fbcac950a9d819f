"""The instructor's side of the pytest plugin: ``pytest assignments/<id>/tests/hidden``.

Without ``--submission`` the reference stands in for the student, in this process (as
``tests/test_assignments.py`` does): every case must pass, which is how a new test is
checked. With ``--submission nb.ipynb`` the notebook's definitions are loaded in a sandbox
child, one per assignment, exactly as ``autograde run`` loads them, and the tests' probes
run there. pytest's own options work as usual (``-k q3``, ``-x``, ``--lf``); the points
are printed after pytest's summary.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from ..spec import Assignment
from .pytest_plugin import GradingContext, GradingSession

__all__ = ["InstructorSession"]


class InstructorSession(GradingSession):
    """A GradingSession whose contexts are made on first use, one per assignment, from
    the command line's ``--submission`` and ``--course``."""

    def __init__(self, config: pytest.Config) -> None:
        super().__init__(self._context)
        self.config = config
        self.submission: str | None = config.getoption("submission", None)
        self.course_dir: str | None = config.getoption("course", None)
        self.contexts: dict[str, GradingContext] = {}
        self.sandboxes: list[Any] = []
        self.notes: dict[str, list[str]] = {}
        self.threads_before: int | None = None
        name = config.getoption("assignment", None)
        if name and config.args_source != pytest.Config.ArgsSource.ARGS:
            # no path given: the assignment's hidden tests
            course = self._course(None)
            config.args = [str(course.assignment(name).hidden_tests)]

    def _course(self, assignment: Assignment | None) -> Any:
        from ..course import Course, find_course

        if self.course_dir:
            return Course(Path(self.course_dir))
        if assignment is not None:  # the folder above assignments/<id>
            return Course(Path(assignment.folder).resolve().parent.parent)
        return find_course(None)

    def _context(self, assignment: Assignment) -> GradingContext:
        if self.threads_before is None:
            import torch

            from ..sandbox.cpu_settings import grading_threads

            # the reference computes with the sandbox's thread count, as run_tests does
            self.threads_before = torch.get_num_threads()
            torch.set_num_threads(grading_threads())
        if assignment.id not in self.contexts:
            self.contexts[assignment.id] = self._make_context(assignment)
        return self.contexts[assignment.id]

    def _make_context(self, assignment: Assignment) -> GradingContext:
        from .runner import (
            ReferenceBackend,
            SandboxBackend,
            explain_findings,
            load_reference,
            submission_key,
        )

        course = self._course(assignment)
        reference = load_reference(course, assignment)  # before any student code runs
        if not self.submission:
            return GradingContext(assignment, reference, ReferenceBackend(reference))
        from .backends import sandbox_for
        from .staticscan import scan_submission
        from .submission import read_submission

        cells = read_submission(Path(self.submission)).cells
        started = time.monotonic()
        sandbox = sandbox_for(course, assignment, cells)
        self.sandboxes.append(sandbox)
        sandbox.launch()
        load = sandbox.wait_loaded()
        findings = [f.__dict__ for f in scan_submission(cells, assignment.forbidden_apis)]
        notes, flags = explain_findings(course, assignment, findings)
        self.notes[assignment.id] = [
            *(f"load problem: {p}" for p in load.problems),
            *([f"load failure: {load.failure}"] if load.failure else []),
            *(f"forbidden: {n}" for n in notes),
            *(f"staff flag: {f}" for f in flags),
        ]
        return GradingContext(
            assignment,
            reference,
            SandboxBackend(sandbox, assignment.probe_timeout_s),
            started + assignment.grading_budget_s,
            submission_key(cells),
        )

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        for sandbox in self.sandboxes:
            sandbox.release()
        self.sandboxes.clear()
        if self.threads_before is not None:
            import torch

            torch.set_num_threads(self.threads_before)
            self.threads_before = None

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.results:
            return
        tr = terminalreporter
        against = f"--submission {self.submission}" if self.submission else "the reference"
        tr.section(f"autograde: points against {against}")
        for aid, notes in self.notes.items():
            for note in notes:
                tr.write_line(f"{aid}: {note}")
        totals: dict[str, list[float]] = {}
        for r in self.results:
            aid = r.question.id
            passed = sum(c.weight for c in r.records if c.passed)
            cases = sum(c.weight for c in r.records)
            tr.write_line(
                f"{r.score:7.3f} / {r.max_score:<7.3f} {aid:>4} {r.name}  "
                f"({passed:g} of {cases:g} cases)"
            )
            for c in r.records:
                if not c.passed:
                    tr.write_line(f"{'':22}{c.case}: {c.message[:300]}")
            t = totals.setdefault(aid, [0.0, 0.0])
            t[0] += r.score
            t[1] += r.max_score
        for qid, (score, most) in totals.items():
            tr.write_line(f"{qid}: {score:g} / {most:g}")
        score = sum(r.score for r in self.results)
        most = sum(r.max_score for r in self.results)
        tr.write_line(f"total of the tests that ran: {round(score, 4):g} / {round(most, 4):g}")
