"""What decides a score is decided on the trusted side.

- A test's denominator is the number of cases the reference records: a student cannot
  raise their share by making a test stop early (a failed value it returns on, a value
  that makes the trusted side raise).
- Nothing the child sends raises inside the grader: an undecodable reply, a value that
  cannot be compared, each is one failed case.
- Hidden inputs depend on the submission: the same code gets the same inputs, other code
  other inputs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.grading.runner import HiddenTest, ReferenceBackend, run_tests
from autograder.spec import Assignment, Question
from autograder.testing import Grade, probe


@probe
def value_of(ns, x):
    return ns.f(x)


class Reference:
    @staticmethod
    def f(x):
        return 2 * x


class StudentWhoFailsTheGate:
    @staticmethod
    def f(x):
        return -1 if x == 0 else 2 * x


class StudentWhoBreaksTheChecker:
    @staticmethod
    def f(x):
        return 10**400 if x == 1 else 2 * x


def gated_test(grade):
    """A first case, a gate, then four checks that run only if the gate passes."""
    grade.compare(value_of, 5, case="first")
    if not grade.compare(value_of, 0, case="gate"):
        return
    for x in (1, 2, 3, 4):
        got = grade.run(value_of, x, case=f"x = {x}")
        grade.check(float(got) == 2 * x, case=f"x = {x}", message="wrong")


def _score(student) -> tuple[float, list]:
    a = Assignment("hw97_scoring", "t", 97, Path("."), (Question("q1", "t", 10.0),))
    test = HiddenTest("test_q1_gated", "q1", gated_test, Path(__file__))
    (result,) = run_tests(a, [test], Reference, ReferenceBackend(student))
    return result.score, result.records


def test_a_test_that_stops_early_keeps_the_references_denominator():
    score, records = _score(StudentWhoFailsTheGate)
    # the reference records 6 cases: failing the gate is 1 of 6, not 1 of 2
    assert score == pytest.approx(10 / 6)
    assert sum(r.weight for r in records) == 6
    assert records[-1].kind == "not_reached" and records[-1].weight == 4


def test_a_value_that_makes_the_checker_raise_costs_the_rest_of_the_test():
    score, records = _score(StudentWhoBreaksTheChecker)
    # the gate passes; x = 1 makes float() overflow on the trusted side: the test stops
    assert [r.kind for r in records] == ["", "", "check_error", "not_reached"]
    assert sum(r.weight for r in records) == 6
    assert score == pytest.approx(20 / 6)


def test_a_reference_run_scores_full_marks():
    score, records = _score(Reference)
    assert score == 10 and len(records) == 6


def test_hidden_inputs_depend_on_the_submission():
    def inputs(key: str) -> list[float]:
        grade = Grade("q1", "test_q1_x", (), Reference, None, "salt", submission_key=key)
        return [float(g.initial_seed()) for _, g in grade.cases(3)]

    assert inputs("a") == inputs("a")
    assert inputs("a") != inputs("b")
    assert inputs("") != inputs("a")  # public checks and the reference's own runs


def test_an_undecodable_reply_is_a_failed_case_not_a_grader_error():
    import os

    from autograder.runtime.wire import HEADER, WireError
    from autograder.sandbox.channel import read_message

    doc = b"[" + b"9" * 5000 + b"]"  # a 5000-digit integer: json.loads raises ValueError
    r, w = os.pipe()
    os.write(w, HEADER.pack(len(doc), 0) + doc)
    try:
        read_message(r)
    except WireError:
        pass
    else:
        raise AssertionError("a 5000-digit integer was decoded")
    finally:
        os.close(r)
        os.close(w)


class StudentWhoReturnsNone:
    @staticmethod
    def f(x):
        return None


def returns_on_none_test(grade):
    """A test that returns, recording nothing, when the student's value is None."""
    got = grade.run(value_of, 3, case="x = 3")
    if got is None:
        return
    grade.check(float(got) == 6, case="x = 3", message="wrong")


def test_a_test_that_records_nothing_for_the_student_scores_nothing():
    """The denominator is the reference's count even when the student's run recorded no
    case at all; only a test of plain asserts alone passes with no case recorded."""
    a = Assignment("hw97_scoring", "t", 97, Path("."), (Question("q1", "t", 10.0),))
    test = HiddenTest("test_q1_returns_on_none", "q1", returns_on_none_test, Path(__file__))
    (right,) = run_tests(a, [test], Reference, ReferenceBackend(Reference))
    (none,) = run_tests(a, [test], Reference, ReferenceBackend(StudentWhoReturnsNone))
    assert right.score == 10
    assert none.score == 0 and none.records[-1].kind == "not_reached"


class StudentWhoForgetsTheReset:
    @staticmethod
    def f(x):
        return 2 * x + (1 if x == 9 else 0)


def weighted_test(grade):
    """Four ordinary cases and one, the conceptual one, that counts for four."""
    for x in (1, 2, 3, 4):
        grade.compare(value_of, x, case=f"x = {x}")
    grade.compare(value_of, 9, case="the reset", weight=4)


def test_a_declared_weight_counts_in_the_share_and_the_denominator():
    a = Assignment("hw97_scoring", "t", 97, Path("."), (Question("q1", "t", 8.0),))
    test = HiddenTest("test_q1_weighted", "q1", weighted_test, Path(__file__))
    (result,) = run_tests(a, [test], Reference, ReferenceBackend(StudentWhoForgetsTheReset))
    # 4 of 8 weighted cases: half the question, not 4/5 of it
    assert result.score == pytest.approx(4.0)
    assert [r.weight for r in result.records] == [1, 1, 1, 1, 4]
    from autograder.grading.results import test_output

    assert "*the reset* (counts as 4 cases)" in test_output(result)


@pytest.mark.parametrize("weight", [0, -1, 11, float("nan"), True, "2"])
def test_a_case_weight_out_of_range_is_the_authors_error(weight):
    grade = Grade("q1", "t", (), Reference, ReferenceBackend(Reference), "salt")
    with pytest.raises((TypeError, ValueError)):
        grade.compare(value_of, 1, case="c", weight=weight)
