"""``autograde new hwNN_slug``: a new assignment that builds and verifies as it stands.

It writes, in the course folder, the five files of an assignment with one example
question (``q1``, 100 points):

- ``assignments/<id>/assignment.toml``: id, title, lecture, a fresh random salt;
- ``assignments/<id>/notebook.py``: jupytext percent format, a setup cell, the question's
  prose, its include cell and its ``check("q1")`` cell, an experiment cell, ``check_all()``;
- ``assignments/<id>/tests/public/test_q1.py``: one public check on fixed inputs;
- ``assignments/<id>/tests/hidden/test_q1_gradient_step.py``: hidden tests that compare
  the student's function with the reference through probes, on salted random inputs;
- ``solutions/<id>.py``: the reference, one solution region.

The author then replaces the example with the lecture's questions (docs/authoring.md).
An id that is not ``hwNN_slug``, a lecture (or ``hwNN``) that another assignment already
has, and an existing folder or reference module are refused with one line, before
anything is written.
"""

from __future__ import annotations

import json
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..course import Course
from ..runtime.errors import AutogradeError
from ..spec import ID_PATTERN, SpecError, load_assignment

__all__ = ["Scaffold", "ScaffoldError", "default_title", "render", "scaffold_assignment"]

EXAMPLE_FUNCTION = "gradient_step"  # the example question's function (and hidden test's name)


class ScaffoldError(AutogradeError, ValueError):
    """The new assignment cannot be made as asked; the message says why, in one line."""


@dataclass(frozen=True)
class Scaffold:
    """What :func:`scaffold_assignment` wrote."""

    assignment_id: str
    title: str
    lecture: int
    files: tuple[Path, ...]  # absolute paths, in the order written


# ------------------------------------------------------------------------- templates
# ``{{name}}`` is replaced by :func:`_fill`; nothing else in a template is special, so
# LaTeX, braces and f-strings are written as they will appear.

_TOML = """\
# Every key this file may hold: docs/authoring.md, "The metadata".
id = "{{id}}"
title = {{title_toml}}
lecture = {{lecture}}
# mixed into every hidden input's seed: keep it secret, one per assignment
salt = "{{salt}}"

[[questions]]
id = "q1"
title = "Example: one gradient step"
points = 100
"""

_NOTEBOOK = """\
# %% [markdown]
# # Homework {{lecture}}: {{title}}
#
# Lecture {{lecture}} of *Optimization in PyTorch*.
#
# This notebook was made by `autograde new`: replace the example question (q1) with the
# lecture's questions, each with its prose, an include cell and a `check("qK")` cell
# (docs/authoring.md).
#
# Run `check("qK")` after each question for instant feedback on a few public cases; the
# hidden tests use other inputs.

# %%
import torch
from autograde_check import check, check_all

# %% [markdown]
# ## q1 (100 pts): Example: one gradient step
#
# Gradient descent moves the weights against the gradient of the loss,
# $$w \\leftarrow w - \\alpha \\nabla L(w),$$
# with step size $\\alpha > 0$. Implement `{{function}}`: it returns the new weights
# and leaves `w` unchanged.

# %%
#| include: {{function}}

# %%
check("q1")

# %% [markdown]
# Three steps on $L(w) = \\lVert w \\rVert^2$, whose gradient is $2w$: with $\\alpha = 0.25$
# each step halves $w$.

# %%
w = torch.tensor([1.0, -2.0], dtype=torch.float64)
for _ in range(3):
    w = {{function}}(w, 2 * w, lr=0.25)
print(w)

# %%
check_all()
"""

_SOLUTION = '''\
"""Reference solution for {{id}}: {{title_doc}}.

Lecture {{lecture}}. Made by ``autograde new``: replace the example question (q1) with the
assignment's own; the answer to each question sits in a solution region
(docs/authoring.md, "The reference").
"""

from __future__ import annotations

import torch


def {{function}}(w: torch.Tensor, grad: torch.Tensor, lr: float) -> torch.Tensor:
    """One step of gradient descent from ``w`` with step size ``lr``.

    Args:
        w: the current weights, any shape, float64.
        grad: the gradient of the loss at ``w``, the shape and dtype of ``w``.
        lr: the step size.

    Returns:
        The new weights, a new tensor of the shape and dtype of ``w``; ``w`` itself is
        not modified.
    """
    # BEGIN SOLUTION q1
    step = lr * grad
    return w - step
    # END SOLUTION
'''

_PUBLIC_TEST = """\
import torch

from autograder.testing import T1, probe


@probe
def step_of(ns, w, grad, lr):
    return ns.{{function}}(w, grad, lr)


def test_q1_public(grade):
    w = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    grad = torch.tensor([0.5, 0.5, -1.0], dtype=torch.float64)
    grade.compare(step_of, w, grad, 0.1, case="w = (1, -2, 0.5), lr = 0.1", **T1)
"""

_HIDDEN_TEST = """\
import torch

from autograder.testing import T0, T1, probe


@probe
def step_of(ns, w, grad, lr):
    return ns.{{function}}(w, grad, lr)


@probe
def w_after_step(ns, w, grad, lr):
    ns.{{function}}(w, grad, lr)
    return w


def test_q1_random_steps(grade):
    # grade.cases(n): n deterministic generators, seeded from the assignment's salt
    for _i, gen in grade.cases(5):
        d = int(torch.randint(1, 9, (1,), generator=gen))
        w = torch.randn(d, generator=gen, dtype=torch.float64)
        grad = torch.randn(d, generator=gen, dtype=torch.float64)
        lr = round(float(torch.rand((), generator=gen)), 3)
        grade.compare(step_of, w, grad, lr, case=f"random w of size {d}, lr = {lr}", **T1)


def test_q1_input_unchanged(grade):
    w = torch.tensor([1.5, -2.0, 0.25], dtype=torch.float64)
    grad = torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64)
    grade.compare(w_after_step, w, grad, 0.5, case="w is not modified in place", **T0)
"""


# -------------------------------------------------------------------------- rendering


def default_title(assignment_id: str) -> str:
    """The slug as words: ``hw14_line_search`` -> ``Line search``."""
    slug = assignment_id.split("_", 1)[1]
    words = slug.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _fill(template: str, values: dict[str, str]) -> str:
    """``template`` with every ``{{key}}`` replaced by ``values[key]``."""
    text = template
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:  # a template names a value nobody gave: a bug here, not the author's
        raise AssertionError(f"unfilled placeholder in a scaffold template: {text!r:.200}")
    return text


def render(assignment_id: str, title: str, lecture: int, salt: str) -> dict[str, str]:
    """The new assignment's files, ``{path relative to the course: text}``."""
    values = {
        "id": assignment_id,
        "title": title,
        # a TOML basic string: JSON's escapes are TOML's
        "title_toml": json.dumps(title, ensure_ascii=False),
        "title_doc": title.replace("\\", "\\\\").replace('"', '\\"'),
        "lecture": str(lecture),
        "salt": salt,
        "function": EXAMPLE_FUNCTION,
    }
    folder = f"assignments/{assignment_id}"
    return {
        f"{folder}/assignment.toml": _fill(_TOML, values),
        f"{folder}/notebook.py": _fill(_NOTEBOOK, values),
        f"{folder}/tests/public/test_q1.py": _fill(_PUBLIC_TEST, values),
        f"{folder}/tests/hidden/test_q1_{EXAMPLE_FUNCTION}.py": _fill(_HIDDEN_TEST, values),
        f"solutions/{assignment_id}.py": _fill(_SOLUTION, values),
    }


# ---------------------------------------------------------------------------- checks


def _check_id(assignment_id: str) -> None:
    """Refuse an id that ``assignment.toml`` would refuse (spec.ID_PATTERN)."""
    if not ID_PATTERN.fullmatch(assignment_id):
        raise ScaffoldError(
            f"{assignment_id!r} is not an assignment id: write hwNN_slug, with NN two digits "
            "and slug lower-case snake_case starting with a letter, at most 20 characters "
            "(e.g. hw14_line_search)"
        )


def _check_title(title: str) -> str:
    """The title, stripped; refused when empty or more than one line."""
    title = title.strip()
    if not title or any(ord(c) < 32 or ord(c) == 127 for c in title):
        raise ScaffoldError(f"--title {title!r}: a title is one non-empty line of text")
    return title


def _lecture_of(course: Course, other: str) -> int:
    """An existing assignment's lecture (from its id where its file does not load)."""
    try:
        return load_assignment(course.assignments_dir / other).lecture
    except SpecError:
        return int(other[2:4])


def _check_free(course: Course, assignment_id: str, lecture: int) -> None:
    """Refuse an id whose folder or reference exists, or whose lecture or ``hwNN``
    another assignment has."""
    folder = course.assignments_dir / assignment_id
    reference = course.reference_path(assignment_id)
    for path in (folder, reference):
        if path.exists() or path.is_symlink():
            raise ScaffoldError(f"{path} already exists: choose another id, or remove it first")
    prefix = assignment_id.split("_", 1)[0]
    for other in course.ids():
        if _lecture_of(course, other) == lecture:
            raise ScaffoldError(
                f"lecture {lecture} already has an assignment, {other}: one assignment per "
                "lecture (pass --lecture N for another lecture)"
            )
        if other.split("_", 1)[0] == prefix:
            raise ScaffoldError(
                f"{prefix} already names {other} (commands accept {prefix} for the full id): "
                "choose another number"
            )


# ---------------------------------------------------------------------------- writing


def scaffold_assignment(
    course: Course,
    assignment_id: str,
    title: str | None = None,
    lecture: int | None = None,
    salt: str | None = None,
) -> Scaffold:
    """Write a new one-question assignment ``assignment_id`` into ``course``.

    ``title`` defaults to the slug as words, ``lecture`` to the id's NN, ``salt`` to a
    fresh random one. Raises :class:`ScaffoldError` (nothing written) for a bad id, title
    or lecture, or one that is taken, or an existing folder or reference module.
    """
    _check_id(assignment_id)
    title = _check_title(default_title(assignment_id) if title is None else title)
    nn = int(assignment_id[2:4])
    lecture = nn if lecture is None else lecture
    if lecture < 0:
        raise ScaffoldError(f"--lecture {lecture}: a lecture number is 0 or more")
    _check_free(course, assignment_id, lecture)
    if salt is None:
        salt = f"hw{nn:02d}-{secrets.token_hex(8)}"
    files = render(assignment_id, title, lecture, salt)

    folder = course.assignments_dir / assignment_id
    written: list[Path] = []
    try:
        for rel, text in files.items():
            path = course.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as f:  # never overwrite
                f.write(text)
            written.append(path)
        load_assignment(folder)  # the file is valid against the schema, as written
    except (OSError, SpecError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        reference = course.reference_path(assignment_id)
        if reference in written:
            reference.unlink(missing_ok=True)
        raise ScaffoldError(f"could not write {assignment_id}: {exc}") from None
    return Scaffold(assignment_id, title, lecture, tuple(written))
