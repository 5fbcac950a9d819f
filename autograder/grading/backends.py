"""Where a probe runs: in the sandbox child (the student's definitions) or in this
process (the reference's). Both answer ``start(probe, args, limit_s)`` for ``Grade``."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import Any

from ..course import Course
from ..runtime.outcomes import CallStatus, Failure
from ..sandbox import CallResult, Sandbox, SandboxConfig
from ..sandbox.forkserver import Zygote
from ..spec import Assignment
from ..testing import Probe, StudentOutcome

__all__ = ["ReferenceBackend", "SandboxBackend", "sandbox_for"]


class SandboxBackend:
    """Runs probes in the sandbox child.

    A child killed by SIGKILL that our own limits did not send (the machine's OOM killer,
    a TA's ``kill``, a container being squeezed) may not be the student's doing: the call
    is made once more in a fresh child before it counts, at most ``RETRIES`` times per
    submission, and ``retried`` says how often (staff see it). A submission that kills
    itself dies again and loses the case.
    """

    RETRIES = 2

    def __init__(self, sandbox: Sandbox, timeout_s: float) -> None:
        self.sandbox, self.timeout_s = sandbox, timeout_s
        self.retried = 0

    @property
    def default_dtype(self) -> str:
        report = self.sandbox.report
        return report.default_dtype if report is not None else "torch.float32"

    def start(
        self,
        question: str,
        forbidden: list[str],
        probe: Probe,
        args: list,
        seed: int,
        limit_s: float | None = None,
    ) -> Callable[[], StudentOutcome]:
        # A call never outlives its question's budget by more than a second: a hanging
        # function costs its own question, not the time of the questions after it.
        timeout = self.timeout_s if limit_s is None else min(self.timeout_s, max(1.0, limit_s))
        finish = self.sandbox.begin_call(question, forbidden, probe.spec, args, seed, timeout)

        def wait() -> StudentOutcome:
            res = finish()
            if (
                res.status == CallStatus.CRASH
                and self.sandbox.death_signal == signal.SIGKILL
                and self.retried < self.RETRIES
            ):
                self.retried += 1
                print(
                    "[autograde] the sandbox was killed (SIGKILL) during a call: trying it "
                    "once more in a fresh sandbox",
                    file=sys.stderr,
                )
                res = self.sandbox.begin_call(
                    question, forbidden, probe.spec, args, seed, timeout
                )()
            return self._outcome(res)

        return wait

    def _outcome(self, res: CallResult) -> StudentOutcome:
        if res.status == CallStatus.OK:
            return StudentOutcome(True, res.value)
        if res.status == CallStatus.ERROR:
            detail = res.traceback
            if res.kind == Failure.MISSING and self.sandbox.report and self.sandbox.report.problems:
                detail = "; ".join(self.sandbox.report.problems[:2])
            return StudentOutcome(False, kind=res.kind, message=res.message, traceback=detail)
        return StudentOutcome(False, kind=res.status, message=res.message)


class ReferenceBackend:
    """Runs probes on a namespace in this process: for checking tests against the reference."""

    def __init__(self, ns: Any) -> None:
        self.ns = ns

    def start(
        self,
        question: str,
        forbidden: list[str],
        probe: Probe,
        args: list,
        seed: int,
        limit_s: float | None = None,
    ) -> Callable[[], StudentOutcome]:
        from ..testing import roundtrip, seeded

        try:
            with seeded(seed):
                outcome = StudentOutcome(True, roundtrip(probe(self.ns, *roundtrip(args))))
        except NotImplementedError as exc:
            outcome = StudentOutcome(False, kind=Failure.NOT_IMPLEMENTED, message=str(exc))
        except Exception as exc:
            outcome = StudentOutcome(
                False, kind=Failure.EXCEPTION, message=f"{type(exc).__name__}: {exc}"
            )
        return lambda: outcome


def sandbox_for(
    course: Course,
    assignment: Assignment,
    cells: list[tuple[int, str]],
    config: SandboxConfig | None = None,
    hide: tuple[str, ...] = (),
    zygote: Zygote | None = None,
) -> Sandbox:
    """The sandbox for one submission of ``assignment`` (its code cells), not started
    yet, with the assignment's limits; it hides the course's reference library and
    assignments, and ``hide``. ``zygote``: a fork server to fork the child from."""
    config = config or SandboxConfig(
        memory_mb=assignment.memory_mb,
        cpu_s=int(assignment.grading_budget_s) + 30,
        load_timeout_s=assignment.load_timeout_s,
    )
    config.hide = (*config.hide, str(course.solutions_dir), str(course.assignments_dir), *hide)
    if zygote is not None:
        config.zygote = zygote
    return Sandbox(cells, assignment.forbidden_apis, config)
