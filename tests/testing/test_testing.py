"""The ``grade`` fixture itself: seeds shared by both sides, and the order of the work."""

from __future__ import annotations

import random
import types

import numpy as np
import torch

from autograder.grading.runner import ReferenceBackend, SandboxBackend
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


# --- Grade.check_properties: a property earns nothing unless its values are the reference's


@probe
def floors(ns, scale):
    return {"B": ns.floor(scale, 1), "2B": ns.floor(scale, 2)}


def test_check_properties_credits_a_property_only_with_the_reference_values():
    ref = types.SimpleNamespace(floor=lambda s, b: torch.full((3,), s / b, dtype=torch.float64))
    zeros = types.SimpleNamespace(floor=lambda s, b: torch.zeros(3, dtype=torch.float64))
    properties = {
        "the floor halves when B doubles": lambda g: torch.allclose(g["2B"], g["B"] / 2),
        "the floor is positive": lambda g: bool((g["B"] > 0).all()),
        "a property that raises": lambda g: g["missing"],
    }
    uses = {"the floor halves when B doubles": ("B", "2B"), "the floor is positive": ("B",)}
    for student, passed in ((ref, 2), (zeros, 0)):
        grade = Grade("q2", "test_q2_theory", (), ref, ReferenceBackend(student), "salt")
        got, want = grade.run_and_reference(floors, 0.5, case="floors")
        n = grade.check_properties(properties, got, want, uses, case=lambda what: "s = 0.5")
        assert n == passed
        assert [r.case for r in grade.records] == [f"{w}: s = 0.5" for w in properties]
        messages = [r.message for r in grade.records]
    # zeros halve, but are not the expected values; they are not positive; the third raises
    assert "the property holds, but your values for B, 2B are not the expected" in messages[0]
    assert messages[1] == "property fails: the floor is positive"
    assert messages[2] == "property fails: a property that raises"


# --- Grade.reference_calls / Grade.replaying: an earlier question's bug is charged once


REPLAY_REF = """
def early(x, k):
    return x * k

def late(x):
    return early(x, 2.0) + early(x, 3.0)
"""

REPLAY_BUGGY = """
def early(x, k):
    return x * k + 1.0  # the earlier question's bug

def late(x):
    return early(x, 2.0) + early(x, 3.0)
"""

REPLAY_LATE_BUG = """
def early(x, k):
    return x * k

def late(x):
    return early(x, 2.0) - early(x, 3.0)  # this question's bug
"""


def _module(source, name):
    mod = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), mod.__dict__)
    return mod


@probe
def uses_early(ns, x):
    return ns.late(x)


def test_replaying_answers_the_earlier_functions_recorded_calls_with_reference_values():
    ref = _module(REPLAY_REF, "replay_ref")
    x = torch.tensor([1.0, -2.0], dtype=torch.float64)
    for source, passes in ((REPLAY_REF, True), (REPLAY_BUGGY, True), (REPLAY_LATE_BUG, False)):
        student = _module(source, "replay_student")
        grade = Grade("q2", "test_q2_late", (), ref, ReferenceBackend(student), "salt")
        replay = grade.reference_calls(uses_early, ("early",), x)
        assert [c[0] for c in replay["calls"]] == ["early", "early"]
        assert grade.compare(grade.replaying(uses_early), replay, x, case="late") is passes
        # the notebook's own function is back after the probe
        assert (
            student.early(x, 1.0).tolist() == (x + (1.0 if source == REPLAY_BUGGY else 0)).tolist()
        )
    # without the replay, the earlier bug costs the later question too
    student = _module(REPLAY_BUGGY, "replay_student")
    grade = Grade("q2", "test_q2_late", (), ref, ReferenceBackend(student), "salt")
    assert not grade.compare(uses_early, x, case="late, not replayed")


def test_replaying_calls_the_notebooks_own_function_on_other_arguments():
    ref = _module(REPLAY_REF, "replay_ref")
    student = _module(REPLAY_BUGGY, "replay_student")
    grade = Grade("q2", "test_q2_late", (), ref, ReferenceBackend(student), "salt")
    replay = grade.reference_calls(uses_early, ("early",), torch.ones(2, dtype=torch.float64))
    # recorded for x = 1, asked for x = 5: the student's own (buggy) early answers
    x = torch.full((2,), 5.0, dtype=torch.float64)
    got = grade.run(grade.replaying(uses_early), replay, x, case="other x")
    assert got.tolist() == [27.0, 27.0]
