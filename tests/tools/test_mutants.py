"""``autograder.tools.mutants``: the operators on a tiny source, and grading on a tiny course.

The course (built in a temporary folder) has two assignments that share one reference and
differ in one planted test: ``hw98_weak`` checks ``half`` at 0 only, so ``x * 2`` for
``x / 2`` survives; ``hw97_strong`` also checks it at 3, and kills it. Its other
questions give a mutant killed on another question only (``square`` is used by ``add``'s
test), two that loop forever (timeouts) and one listed as equivalent.
"""

from __future__ import annotations

import ast
import shutil
import textwrap
from pathlib import Path

import pytest

from autograder.course import Course
from autograder.tools.mutants import (
    _Context,
    _grade_all,
    equivalent_mutants,
    main,
    markdown_report,
    run_assignment,
    sample,
    score_table,
)
from autograder.tools.mutants_ops import Mutant, generate_mutants

TINY = '''\
"""A module with two regions."""

import torch


def outside(x):
    return x + 1


def f(xs: list[int], t: torch.Tensor, flag: bool = True) -> float:
    """Docstring."""
    # BEGIN SOLUTION q1
    total = 0.0
    for i in range(len(xs)):
        total += xs[i] * 2
    if total < 3 and flag is not False:
        t.add_(1.0)
    return max(total, pow(2, 3)) - -(total + 1)
    # END SOLUTION


def g(a, b):
    # BEGIN SOLUTION q2
    label = {"γ": 1}
    return a == b + label["γ"]
    # END SOLUTION
'''


def _by_op(mutants: list[Mutant]) -> dict[str, list[Mutant]]:
    out: dict[str, list[Mutant]] = {}
    for m in mutants:
        out.setdefault(m.operator, []).append(m)
    return out


def test_operators_on_a_tiny_source():
    mutants = generate_mutants(TINY)
    ops = _by_op(mutants)
    for op in (
        "add-to-sub",
        "mult-to-div",
        "lt-to-le",
        "eq-to-ne",
        "int+1",
        "int-1",
        "range+1",
        "range-1",
        "drop",
        "swap-args",
        "aug-to-assign",
        "inplace-to-copy",
        "0.0-to-1.0",
        "1.0-to-0.0",
        "false-to-true",
        "isnot-to-is",
        "neg-removed",
        "and-to-or",
        "max-to-min",
    ):
        assert op in ops, (op, sorted(ops))
    # Nothing outside the regions (``outside``, the signature's default, the annotation).
    assert all(m.function in ("f", "g") for m in mutants)
    assert {m.question for m in mutants if m.function == "f"} == {"q1"}
    assert not any(m.operator == "true-to-false" and m.line == 10 for m in mutants)
    # Deterministic, unique ids: function:line:col:operator.
    assert [m.id for m in generate_mutants(TINY)] == [m.id for m in mutants]
    assert len({m.id for m in mutants}) == len(mutants)
    loop = ops["range+1"][0]
    assert loop.id == "f:14:14:range+1"
    assert loop.diff(TINY) == ("for i in range(len(xs)):", "for i in range(len(xs) + 1):")
    assert ops["aug-to-assign"][0].diff(TINY)[1] == "total = xs[i] * 2"
    assert ops["inplace-to-copy"][0].diff(TINY)[1] == "t.add(1.0)"
    assert ops["swap-args"][0].diff(TINY)[1] == "return max(pow(2, 3), total) - -(total + 1)"


def test_every_mutant_is_one_valid_change():
    for m in generate_mutants(TINY):
        text = m.apply(TINY)
        assert text != TINY
        ast.parse(text)
        before, after = TINY.splitlines(), text.splitlines()
        assert before[: m.line - 1] == after[: m.line - 1], m.id
        assert before[m.end_line :] == after[len(after) - len(before) + m.end_line :], m.id


def test_precedence_and_non_ascii_columns():
    ops = _by_op(generate_mutants(TINY))
    # ``- -(total + 1)`` without its minus must keep the parentheses.
    (neg,) = [m for m in ops["neg-removed"] if m.line == 18]
    assert neg.diff(TINY)[1] == "return max(total, pow(2, 3)) - (total + 1)"
    # A column after "γ" (two bytes in UTF-8) is a character column.
    (eq,) = [m for m in ops["eq-to-ne"] if m.function == "g"]
    assert eq.diff(TINY)[1] == 'return a != b + label["γ"]'
    (add,) = [m for m in ops["add-to-sub"] if m.function == "g"]
    assert add.diff(TINY)[1] == 'return a == b - label["γ"]'


def test_sample_is_deterministic_and_keeps_order():
    mutants = generate_mutants(TINY)
    chosen = sample(mutants, 5)
    assert len(chosen) == 5
    assert chosen == [m for m in mutants if m in chosen]  # source order
    assert {m.id for m in sample(list(reversed(mutants)), 5)} == {m.id for m in chosen}
    assert sample(mutants, None) == mutants


# ------------------------------------------------------------------ grading a tiny course

SOLUTION = '''\
"""The tiny course's reference."""


def half(x: float) -> float:
    """``x / 2``."""
    # BEGIN SOLUTION q1
    return x / 2
    # END SOLUTION


def square(x: float) -> float:
    """``x * x``."""
    # BEGIN SOLUTION q2
    return x * x
    # END SOLUTION


def add_squares(a: float, b: float) -> float:
    """``square(a) + b``."""
    # BEGIN SOLUTION q3
    return square(a) + b
    # END SOLUTION


def steps_to_zero(n: int) -> int:
    """How many steps of 1 take ``n`` to 0."""
    # BEGIN SOLUTION q4
    while n > 0:
        n -= 1
    return 3
    # END SOLUTION
'''

NOTEBOOK = """\
# %%
from autograde_check import check, check_all

# %% [markdown]
# ## q1 half

# %%
#| include: half

# %% [markdown]
# ## q2 square

# %%
#| include: square

# %% [markdown]
# ## q3 add

# %%
#| include: add_squares

# %% [markdown]
# ## q4 steps

# %%
#| include: steps_to_zero
"""

TOML = """\
id = "{id}"
title = "Tiny"
lecture = {lecture}
salt = "tiny"

[[questions]]
id = "q1"
points = 25

[[questions]]
id = "q2"
points = 25

[[questions]]
id = "q3"
points = 25

[[questions]]
id = "q4"
points = 25
"""

TESTS = {
    "test_q1_half.py": """\
from autograder.testing import T1, probe


@probe
def half_of(ns, x):
    return ns.half(x)


def test_q1_half(grade):
    for x in {points}:
        grade.compare(half_of, x, case=f"x = {{x}}", **T1)
""",
    "test_q2_square.py": """\
from autograder.testing import T1, probe


@probe
def square_of(ns, x):
    return ns.square(x)


def test_q2_square(grade):
    grade.compare(square_of, 1.0, case="x = 1", **T1)
""",
    "test_q3_add.py": """\
from autograder.testing import T1, probe


@probe
def add_of(ns, a, b):
    return ns.add_squares(a, b)


def test_q3_add(grade):
    grade.compare(add_of, 3.0, 1.0, case="3, 1", **T1)
""",
    "test_q4_steps.py": """\
from autograder.testing import T0, probe


@probe
def steps(ns, n):
    return ns.steps_to_zero(n)


def test_q4_steps(grade):
    grade.compare(steps, 3, case="n = 3", **T0)
""",
}


@pytest.fixture(scope="module")
def tiny_course(tmp_path_factory) -> Course:
    root = tmp_path_factory.mktemp("mutants_course")
    for aid, lecture, points in (("hw98_weak", 98, "[0.0]"), ("hw97_strong", 97, "[0.0, 3.0]")):
        folder = root / "assignments" / aid
        (folder / "tests" / "hidden").mkdir(parents=True)
        (folder / "assignment.toml").write_text(TOML.format(id=aid, lecture=lecture))
        (folder / "notebook.py").write_text(NOTEBOOK)
        for name, text in TESTS.items():
            (folder / "tests" / "hidden" / name).write_text(text.format(points=points))
        (root / "solutions").mkdir(exist_ok=True)
        (root / "solutions" / f"{aid}.py").write_text(SOLUTION)
    # steps_to_zero returns 3 whatever its loop does: dropping the loop is equivalent.
    line = SOLUTION.splitlines().index("    while n > 0:") + 1
    (root / "assignments" / "hw98_weak" / "mutants_equivalent.toml").write_text(
        textwrap.dedent(f"""\
        [[equivalent]]
        id = "steps_to_zero:{line}:5:drop"
        reason = "the answer does not depend on the loop (a planted equivalent mutant)"
        """)
    )
    return Course(root)


def _statuses(run) -> dict[str, str]:
    return {r.mutant.id: r.status for r in run.results}


def test_weak_test_lets_a_mutant_survive_and_strong_one_kills_it(tiny_course, tmp_path):
    kwargs = {"jobs": 2, "timeout_s": 3.0, "operators": ("arith", "drop")}
    weak = run_assignment(tiny_course, "hw98_weak", **kwargs)
    statuses = _statuses(weak)
    assert statuses["half:7:12:div-to-mult"] == "survived"  # 0 * 2 == 0 / 2
    assert statuses["half:7:5:drop"] == "killed"
    # square(1) == 1 / 1: q2 misses it, q3 (which calls square) does not.
    assert statuses["square:14:12:mult-to-div"] == "elsewhere"
    assert statuses["add_squares:21:12:add-to-sub"] == "killed"
    # n -= 1 dropped or made n += 1: the loop never ends.
    assert statuses["steps_to_zero:29:9:drop"] == "timeout"
    assert statuses["steps_to_zero:29:9:sub-to-add"] == "timeout"
    assert statuses["steps_to_zero:28:5:drop"] == "equivalent"
    rows = {r.question: r for r in score_table([weak])}
    assert rows["q1"].score == 50.0
    assert rows["q2"].counts["elsewhere"] == 1 and rows["q2"].score == 50.0
    assert rows["q4"].counted == rows["q4"].mutants - 1
    assert rows["q4"].score == 100.0  # timeouts are kills; ``return 3`` dropped is too
    report = markdown_report([weak])
    assert "`half:7:12:div-to-mult` (q1)" in report
    assert "  - return x / 2\n  + return x * 2" in report
    assert "### Killed on another question only" in report
    assert "`square:14:12:mult-to-div` (q2), loses q3 −" in report

    strong = run_assignment(
        tiny_course, "hw97_strong", jobs=2, timeout_s=3.0, questions=("q1",), operators=("arith",)
    )
    assert _statuses(strong) == {"half:7:12:div-to-mult": "killed"}


def test_a_mutant_that_does_not_import_is_killed(tiny_course):
    from autograder.grading.runner import collect_tests, load_reference

    a = tiny_course.assignment("hw97_strong")
    source = tiny_course.reference_path(a.id).read_text()
    first = len(source.splitlines()[0])
    raise_ = 'raise RuntimeError("boom")'
    broken = Mutant("x:1:1:boom", "half", "q1", "drop", "boom", 1, 0, 1, first, raise_)
    ctx = _Context(a, source, load_reference(tiny_course, a), collect_tests(a), {}, 512)
    (result,) = _grade_all(ctx, [broken], 1, 10.0, lambda r: None)
    assert result.status == "crashed"
    assert "import: RuntimeError: boom" in result.detail


def test_equivalent_list_needs_reasons(tiny_course, tmp_path):
    a = tiny_course.assignment("hw98_weak")
    assert list(equivalent_mutants(a).values()) == [
        "the answer does not depend on the loop (a planted equivalent mutant)"
    ]
    bad = tmp_path / "hw96_bad"
    bad.mkdir()
    (bad / "mutants_equivalent.toml").write_text('[[equivalent]]\nid = "f:1:1:drop"\n')
    fake = type("A", (), {"folder": bad})()
    with pytest.raises(ValueError, match="needs an id and a reason"):
        equivalent_mutants(fake)  # type: ignore[arg-type]


def test_command_line_lists_and_reports(tiny_course, tmp_path, capsys):
    root = str(tiny_course.root)
    assert main(["--course", root, "hw97", "--list", "--operators", "arith"]) == 0
    listed = capsys.readouterr().out
    assert "hw97_strong half:7:12:div-to-mult\treturn x / 2  ->  return x * 2" in listed
    out = tmp_path / "report.md"
    argv = ["--course", root, "hw97", "--questions", "q1", "--operators", "arith"]
    assert main([*argv, "--out", str(out), "-q", "--fail-under", "95"]) == 0
    table = capsys.readouterr().out
    assert "hw97_strong  q1" in table and "100%" in table
    assert "| hw97_strong | q1 | 1 | 1 |" in Path(out).read_text()


def test_an_assignment_whose_tests_do_not_load_is_reported_and_the_others_still_run(
    tiny_course, tmp_path, capsys
):
    root = tmp_path / "course"
    shutil.copytree(tiny_course.root, root)
    broken = root / "assignments" / "hw98_weak" / "tests" / "hidden" / "test_q1_broken.py"
    broken.write_text(
        "import pytest\n\n\n@pytest.mark.no_such_marker\ndef test_q1_x(grade):\n    pass\n"
    )
    out = tmp_path / "report.md"
    argv = ["--course", str(root), "hw98", "hw97", "--questions", "q1", "--operators", "arith"]
    assert main([*argv, "--out", str(out), "-q"]) == 1
    captured = capsys.readouterr()
    assert "[mutants] hw98_weak: not graded:" in captured.err and "no_such_marker" in captured.err
    assert "hw97_strong  q1" in captured.out  # graded all the same
    report = out.read_text()
    assert "**Not graded**" in report and "- hw98_weak:" in report
    assert "| hw97_strong | q1 |" in report
