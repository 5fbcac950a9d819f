"""A question whose tests do not share its points equally says so in the notebook.

The student bundle's README says that a question's points are shared equally by its
tests, and a test's by its cases, "unless the question's *Points* line in the notebook
says that some count more". So, for every question of every assignment:

- where test functions carry ``@pytest.mark.weight`` (unequal shares), the question's
  section of the notebook has a line starting ``*Points:`` that gives every share (a
  test's points, as a number);
- where a hidden test gives a case ``weight=``, the section has a *Points* line too;
- where every test and case counts the same, there is no *Points* line (one left behind
  after a weight was removed would mislead).
"""

from __future__ import annotations

import re

import pytest

from autograder.course import Course
from autograder.grading.loading import collect_tests

from .conftest import REPO

COURSE = Course(REPO)
IDS = COURSE.ids()
_CASE_WEIGHT = re.compile(r"\bweight\s*=")


def question_sections(aid: str) -> dict[str, str]:
    """Question id -> the markdown of its section in notebook.py: from its ``## qK``
    heading to the next question's heading (code cells included: they hold no heading)."""
    text = (REPO / "assignments" / aid / "notebook.py").read_text(encoding="utf-8")
    heads = list(re.finditer(r"^# ## (q\d+)\b", text, re.M))
    return {
        m.group(1): text[m.start() : heads[i + 1].start() if i + 1 < len(heads) else len(text)]
        for i, m in enumerate(heads)
    }


def points_line(section: str) -> str | None:
    """The section's *Points* paragraph, its comment markers and line breaks removed."""
    m = re.search(r"^# \*Points:(.*?)\*$", section, re.M | re.S)
    return None if m is None else " ".join(m.group(1).replace("\n#", " ").split())


def function_points(aid: str) -> dict[str, dict[str, float]]:
    """Question id -> test function -> its points (a parametrized function's sets summed)."""
    out: dict[str, dict[str, float]] = {}
    for t in collect_tests(COURSE.assignment(aid)):
        fn = out.setdefault(t.question, {})
        base = t.name.split("[")[0]
        fn[base] = fn.get(base, 0.0) + t.points
    return out


def case_weighted_questions(aid: str) -> set[str]:
    """Questions whose hidden test files give some case a ``weight=``."""
    a = COURSE.assignment(aid)
    found = set()
    for path in sorted(a.hidden_tests.glob("test_q*.py")):
        if _CASE_WEIGHT.search(path.read_text(encoding="utf-8")):
            found.add(re.match(r"test_(q\d+)", path.name).group(1))
    return found


def _number(x: float) -> str:
    return f"{round(x, 3):g}"


@pytest.mark.parametrize("aid", IDS)
def test_unequal_shares_are_stated_in_the_points_line(aid):
    sections = question_sections(aid)
    weighted_cases = case_weighted_questions(aid)
    for q in COURSE.assignment(aid).questions:
        shares = function_points(aid).get(q.id, {})
        unequal = len({round(v, 9) for v in shares.values()}) > 1
        line = points_line(sections.get(q.id, ""))
        if not unequal and q.id not in weighted_cases:
            assert line is None, f"{aid} {q.id}: a *Points* line, but every test counts the same"
            continue
        assert line is not None, f"{aid} {q.id}: tests count unequally ({shares}), no *Points* line"
        numbers = set(re.findall(r"\d+(?:\.\d+)?", line))
        for fn, pts in shares.items():
            assert _number(pts) in numbers, (
                f"{aid} {q.id}: {fn} counts {_number(pts)} points, which the *Points* line "
                f"does not give: {line!r}"
            )


def test_the_course_has_weighted_tests_and_they_are_found():
    """The check above is not vacuous: the course's conceptual tests carry weights."""
    assert points_line(question_sections("hw04_autograd")["q1"]) is not None
    assert function_points("hw04_autograd")["q1"]["test_q1_backward_twice"] == pytest.approx(
        2 * function_points("hw04_autograd")["q1"]["test_q1_lecture_cases"]
    )
    assert function_points("hw12_scaling")["q4"]["test_q4_bubble"] == pytest.approx(5.0)
