"""The arguments a graded function's docstring offers are exercised by its hidden tests.

A function students write that takes a ``dtype``, a ``seed``/``seeds`` or a ``generator`` promises to
honour it; a student who ignores it (hard-codes float64, or seed 0, or draws from the
global generator) must lose points. So the hidden tests must call each such function
with at least two different values of that argument, which is what this test checks: the
reference is graded by its own hidden tests in-process, through a namespace whose graded
functions record the arguments of every call a probe makes (calls between the
reference's own functions go to the originals and are not counted).

``device`` is left out: this machine has no GPU, and a CPU-only run can offer only one
device (docs/authoring.md says how a GPU run is checked).

The degenerate sizes a docstring allows are exercised too, where a student's code is
likely to lose an axis (``(5,)`` for ``(1, 5)``, a scalar for ``(1,)``): each entry of
``SIZE_ONE`` names an argument that some probe call must give with an axis of length 1
(or no axis at all).
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
import types
from typing import Any

import pytest
import torch

from autograder.grading.runner import ReferenceBackend, collect_tests, load_reference, run_tests

from .test_trivial_answers import IDS, graded_names

_OFFERED = re.compile(r"^(dtype|seeds?|generator)$")

#: (assignment, function, argument): an axis of length 1 (one example, one feature, one
#: right-hand side, one logit) that a hidden test must give it
SIZE_ONE = {
    ("hw00_intro", "feature_matrix", "emails"),
    ("hw00_intro", "sigmoid", "z"),
    ("hw00_intro", "bce_grad", "X"),
    ("hw02_direct_methods", "back_substitution", "U"),
    ("hw02_direct_methods", "lu_solve_many", "B"),
    ("hw02_direct_methods", "lstsq_normal", "X"),
    ("hw02_direct_methods", "lstsq_qr", "X"),
    ("hw04_autograd", "classifier_backward", "X"),
    ("hw05_linearization", "jacobian_from_jvp", "in_shape"),
    ("hw13_rl", "ppo_clip_objective", "logp_new"),
    ("hw13_rl", "dpo_loss", "logp_w"),
    ("hw13_rl", "grpo_advantages", "rewards"),
    ("hw13_rl", "reinforce_gradient", "episodes"),
}


def _key(value: Any) -> Any:
    """What makes two values of an offered argument different."""
    if isinstance(value, torch.Generator):
        return ("generator", value.initial_seed())
    if isinstance(value, (list, tuple)):
        return tuple(_key(v) for v in value)
    return repr(value)


def _has_unit_axis(value: Any) -> bool:
    """A tensor with an axis of length 1 or none, a list of one item, or the int 1."""
    if isinstance(value, torch.Tensor):
        return value.dim() == 0 or 1 in value.shape
    if isinstance(value, (list, tuple)):
        return len(value) == 1 or 1 in value
    return False


def _recording(fn: Any, seen: dict[str, set], unit: tuple[str, ...] = ()) -> Any:
    signature = inspect.signature(fn)
    offered = [n for n in signature.parameters if _OFFERED.match(n)]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            for name in offered:
                seen.setdefault(name, set()).add(_key(bound.arguments[name]))
            for name in unit:
                seen.setdefault(f"unit:{name}", set()).add(_has_unit_axis(bound.arguments[name]))
        except TypeError:
            pass  # a call the function refuses: the function says so itself
        return fn(*args, **kwargs)

    return wrapper


def student_written(repo_course, aid: str) -> set[str]:
    """The top-level functions whose body holds a solution region: what students write
    (the notebook's other functions are given, and no test needs to vary their seeds)."""
    source = repo_course.reference_path(aid).read_text(encoding="utf-8")
    lines = source.splitlines()
    return {
        node.name
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef)
        and any("# BEGIN SOLUTION" in ln for ln in lines[node.lineno - 1 : node.end_lineno])
    }


@functools.cache  # both tests below read one grading run per assignment
def offered_values(repo_course, aid: str) -> dict[tuple[str, str], set]:
    """(function, argument) -> the distinct values the hidden tests gave it; and
    (function, "unit:<argument>") -> whether calls gave it an axis of length 1 (for the
    arguments in ``SIZE_ONE``)."""
    a = repo_course.assignment(aid)
    written = student_written(repo_course, aid)
    reference = load_reference(repo_course, a)
    values = dict(vars(reference))
    seen: dict[tuple[str, str], set] = {}
    for names in graded_names(repo_course, aid).values():
        for name in names:
            fn = values.get(name)
            if name not in written or not inspect.isfunction(fn):
                continue
            offered = [n for n in inspect.signature(fn).parameters if _OFFERED.match(n)]
            unit = tuple(arg for a_, f, arg in SIZE_ONE if (a_, f) == (aid, name))
            if offered or unit:
                per_function: dict[str, set] = {}
                values[name] = _recording(fn, per_function, unit)
                for arg in offered:
                    seen[(name, arg)] = per_function.setdefault(arg, set())
                for arg in unit:
                    seen[(name, f"unit:{arg}")] = per_function.setdefault(f"unit:{arg}", set())
    if seen:
        backend = ReferenceBackend(types.SimpleNamespace(**values))
        run_tests(a, collect_tests(a), reference, backend, submission_key="offered-arguments")
    return seen


@pytest.mark.parametrize("aid", IDS)
def test_each_offered_argument_takes_two_values(repo_course, aid):
    once = {
        f"{fn}({arg}=...)": sorted(map(str, vals))
        for (fn, arg), vals in offered_values(repo_course, aid).items()
        if not arg.startswith("unit:") and len(vals) < 2
    }
    assert not once, f"called with one value only (or never): {once}"


@pytest.mark.parametrize("aid", sorted({a for a, _, _ in SIZE_ONE}))
def test_a_size_one_axis_is_exercised(repo_course, aid):
    seen = offered_values(repo_course, aid)
    missing = [
        f"{fn}({arg})"
        for a, fn, arg in sorted(SIZE_ONE)
        if a == aid and True not in seen.get((fn, f"unit:{arg}"), set())
    ]
    assert not missing, f"no hidden case gives these an axis of length 1: {missing}"
