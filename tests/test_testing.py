"""The ``grade`` fixture itself: seeds shared by both sides, and the order of the work."""

from __future__ import annotations

import random
import types

import numpy as np
import torch

from autograder.runner import ReferenceBackend, SandboxBackend
from autograder.sandbox import Sandbox, SandboxConfig
from autograder.testing import Grade, StudentOutcome, probe, roundtrip


@probe
def draws(ns, n):
    return ns.noise(n)


NOISE = """
import random
import numpy as np
import torch

def noise(n):
    return {"torch": torch.randn(n), "random": random.random(), "numpy": float(np.random.rand())}
"""


def _noise(n):
    return {"torch": torch.randn(n), "random": random.random(), "numpy": float(np.random.rand())}


def _other_noise(n):
    return {"torch": torch.rand(n), "random": random.random(), "numpy": float(np.random.rand())}


def test_both_sides_run_under_one_seed_and_the_callers_state_is_kept():
    ns = types.SimpleNamespace(noise=_noise)
    torch.manual_seed(7)
    random.seed(7)
    np.random.seed(7)
    before = (torch.get_rng_state(), random.getstate(), np.random.get_state()[1].copy())
    grade = Grade("q1", "test_q1_draws", (), ns, ReferenceBackend(ns), "salt")
    assert grade.compare(draws, 5, case="same code, same draws")
    assert grade.compare(draws, 3, case="again")
    assert torch.equal(torch.get_rng_state(), before[0])
    assert random.getstate() == before[1]
    assert np.array_equal(np.random.get_state()[1], before[2])


def test_different_random_code_is_still_told_apart():
    student = types.SimpleNamespace(noise=_other_noise)
    ref = types.SimpleNamespace(noise=_noise)
    grade = Grade("q1", "test_q1_draws", (), ref, ReferenceBackend(student), "salt")
    assert not grade.compare(draws, 5, case="other draws")
    assert grade.records[0].kind == "mismatch"


class _OrderBackend:
    """Records when the student's side is started and when its outcome is collected."""

    def __init__(self, events: list[str], ns) -> None:
        self.events, self.inner = events, ReferenceBackend(ns)

    def start(self, question, forbidden, probe_, args, seed, limit_s=None):
        self.events.append("student started")
        outcome = self.inner.start(question, forbidden, probe_, args, seed)()

        def finish() -> StudentOutcome:
            self.events.append("student collected")
            return outcome

        return finish


def test_the_reference_is_computed_while_the_student_side_works():
    events: list[str] = []

    def noise(n):
        events.append("reference computed")
        return _noise(n)

    ref, student = types.SimpleNamespace(noise=noise), types.SimpleNamespace(noise=_noise)
    grade = Grade("q1", "test_q1_draws", (), ref, _OrderBackend(events, student), "salt")
    assert grade.compare(draws, 2, case="order")
    assert events == ["student started", "reference computed", "student collected"]


def test_sandboxed_random_code_matches_the_reference_under_the_shared_seed():
    cells = [(0, NOISE)]
    sandbox = Sandbox(cells, [], SandboxConfig(load_timeout_s=120))
    try:
        assert sandbox.start().ok
        ref = types.SimpleNamespace(noise=_noise)
        grade = Grade("q1", "test_q1_draws", (), ref, SandboxBackend(sandbox, 60), "salt")
        assert grade.compare(draws, 4, case="sandboxed draws"), grade.records
        got = grade.run(draws, 4, case="run")
        assert roundtrip(got)["torch"].shape == (4,)
    finally:
        sandbox.release()


def test_run_and_reference_overlaps_and_records_a_failure_only():
    events: list[str] = []

    def noise(n):
        events.append("reference computed")
        return _noise(n)

    ref, student = types.SimpleNamespace(noise=noise), types.SimpleNamespace(noise=_noise)
    grade = Grade("q1", "test_q1_draws", (), ref, _OrderBackend(events, student), "salt")
    mine, expected = grade.run_and_reference(draws, 3, case="both")
    assert events == ["student started", "reference computed", "student collected"]
    assert torch.equal(mine["torch"], expected["torch"]) and grade.records == []

    broken = types.SimpleNamespace()  # no noise(): the student's side fails
    grade = Grade("q1", "test_q1_draws", (), ref, ReferenceBackend(broken), "salt")
    mine, expected = grade.run_and_reference(draws, 3, case="missing")
    assert mine is None and expected["torch"].shape == (3,)
    assert [r.case for r in grade.records] == ["missing"] and not grade.records[0].passed
