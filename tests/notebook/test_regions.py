"""Solution regions: the two views, misplaced markers, and the leak scan."""

import pytest

from autograder.build.bundle import find_leaks
from autograder.notebook.regions import (
    RegionError,
    definition_source,
    distinctive_lines,
    find_regions,
    instructor_view,
    student_view,
)

SOURCE = '''import torch


# Why: a comment above the class travels with it.
class Value:
    """A scalar."""

    def __init__(self, data):
        self.data = data

    def double(self):
        """Twice the value."""
        # BEGIN SOLUTION q1
        doubled_value = Value(self.data * 2)
        return doubled_value
        # END SOLUTION


def grad(f, x):
    """Central difference."""
    h = 1e-6
    # BEGIN SOLUTION q2
    slope_estimate = (f(x + h) - f(x - h)) / (2 * h)
    return slope_estimate
    # END SOLUTION
'''


def test_regions_are_found_and_named():
    regions = find_regions(SOURCE)
    assert [(r.question, r.function) for r in regions] == [("q1", "Value.double"), ("q2", "grad")]


def test_student_view_stubs_each_region_and_keeps_the_rest():
    student = student_view(SOURCE)
    assert 'raise NotImplementedError("q1: implement double")' in student
    assert 'raise NotImplementedError("q2: implement grad")' in student
    assert '"""Twice the value."""' in student and "h = 1e-6" in student
    assert "slope_estimate" not in student and "doubled_value" not in student
    ns = {}
    exec(student, ns)  # still valid Python defining every name
    with pytest.raises(NotImplementedError, match="q2: implement grad"):
        ns["grad"](lambda x: x, 1.0)


def test_instructor_view_drops_markers_only():
    teacher = instructor_view(SOURCE)
    assert "BEGIN SOLUTION" not in teacher and "slope_estimate" in teacher
    ns = {}
    exec(teacher, ns)
    assert abs(ns["grad"](lambda x: x * x, 3.0) - 6.0) < 1e-6


def test_definition_source_takes_comments_above():
    text = definition_source(instructor_view(SOURCE), "Value")
    assert text.startswith("# Why: a comment above the class")
    assert text.rstrip().endswith("return doubled_value")


@pytest.mark.parametrize(
    "bad, words",
    [
        ("# BEGIN SOLUTION q1\nx = 1\n# END SOLUTION\n", "inside a function body"),
        ("def f():\n    # BEGIN SOLUTION q1\n    return 1\n", "never closed"),
        ("def f():\n    # END SOLUTION\n    return 1\n", "without BEGIN"),
        (
            "def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n",
            "must name a question",
        ),
        (
            "def f():\n    # BEGIN SOLUTION q1\n    # BEGIN SOLUTION q2\n    return 1\n    # END SOLUTION\n",
            "inside another region",
        ),
        (
            "def f():\n    # BEGIN SOLUTION q1\n    # nothing\n    # END SOLUTION\n    return 1\n",
            "empty",
        ),
        (
            "class A:\n    # BEGIN SOLUTION q1\n    def f(self):\n        return 1\n    # END SOLUTION\n",
            "inside a function body",
        ),
    ],
)
def test_misplaced_markers_are_refused(bad, words):
    with pytest.raises(RegionError, match=words):
        find_regions(bad)


def test_leak_scan_finds_region_lines_in_any_bundle_file():
    secret = distinctive_lines(SOURCE)
    assert "slope_estimate = (f(x + h) - f(x - h)) / (2 * h)" in secret
    assert find_leaks({"x/README.md": b"nothing here"}, SOURCE) == []
    leaked = b"hint:\n    slope_estimate = (f(x + h) - f(x - h)) / (2 * h)\n"
    (leak,) = find_leaks({"x/README.md": leaked}, SOURCE)
    assert "q2" in leak and "README.md" in leak
    nb = (
        b'{"cells": [{"cell_type": "code", "source": ["doubled_value = Value(self.data * 2)\\n"]}]}'
    )
    assert find_leaks({"x/a.ipynb": nb}, SOURCE)
    # Generic lines (a bare `return name`) are not secrets: they appear everywhere.
    assert not find_leaks({"x/b.py": b"return doubled_value\n"}, SOURCE)
