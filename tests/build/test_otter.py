"""otter-grader interop: our export goes through ``otter assign`` and ``otter run``.

The round trips are skipped where otter-grader is not installed (``pip install
'.[otter]'``; ``make test`` installs it). Every assignment of the course gets one:
``otter assign`` with ``run_tests: true`` grades the solution notebook against the
autograder zip exactly as ``otter run`` does (otter's ``grade_submission``), and fails
unless it scores full marks, so the public checks pass in the order the student's
notebook runs them. They take 10-25 s each and are marked slow.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.build.bundle import find_leaks, record_public_checks
from autograder.build.otter import (
    _names_used,
    _otter_test,
    _refuse_unfenced_regions,
    export_otter,
)
from autograder.course import Course
from autograder.notebook.notebooks import BuildError
from autograder.runtime.wire import to_text

_BESIDE = Path(sys.executable).with_name("otter")
OTTER = shutil.which("otter") or (str(_BESIDE) if _BESIDE.exists() else None)
needs_otter = pytest.mark.skipif(OTTER is None, reason="otter-grader is not installed")
COURSE_IDS = Course(Path(__file__).resolve().parents[2]).ids()


def _raw_heads(nb: nbformat.NotebookNode) -> list[str]:
    return [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "raw"]


def _question_blocks(nb: nbformat.NotebookNode) -> list[tuple[str, list[str]]]:
    """(name, first lines of the cells inside) for each otter question block, in order."""
    blocks: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    for cell in nb.cells:
        head = cell.source.splitlines()[0] if cell.source else ""
        if cell.cell_type == "raw" and head == "# BEGIN QUESTION":
            name = cell.source.split("name:")[1].split()[0]
            current = []
            blocks.append((name, current))
        elif cell.cell_type == "raw" and head == "# END QUESTION":
            current = None
        elif current is not None:
            current.append(head)
    return blocks


def _otter(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [OTTER, *args], capture_output=True, text=True, cwd=cwd, timeout=600, check=False
    )


def test_export_fences_every_solution_line(demo_course, tmp_path):
    master = export_otter(demo_course, demo_course.assignment("hw99"), tmp_path)
    nb = nbformat.read(master, as_version=4)
    raw = _raw_heads(nb)
    assert raw[0] == "# ASSIGNMENT CONFIG"
    assert raw.count("# BEGIN QUESTION") == 2 and raw.count("# BEGIN SOLUTION") == 2
    assert raw.count("# END SOLUTION") == 2 and raw.count("# END QUESTION") == 2
    assert "strip_solutions_from_all_cells: true" in nb.cells[0].source
    assert not any("check(" in c.source for c in nb.cells if c.cell_type == "code")


def test_export_refuses_a_solution_line_outside_a_solution_block(demo_course):
    ref = demo_course.reference_path("hw99_demo").read_text()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("total_sum = a + b")])
    with pytest.raises(BuildError, match="outside a solution block"):
        _refuse_unfenced_regions(nb, ref)


def test_probe_names_include_getattr_on_an_argument():
    source = "def p(ns, cls_name, w):\n    return getattr(ns, cls_name)([w]), ns.helper(w)\n"
    assert sorted(_names_used(source, ["AdamW", 1.0])) == ["AdamW", "helper"]
    assert _names_used(source) == ["helper"]


def test_an_otter_test_runs_on_its_own_with_the_assignments_helpers():
    """The generated test needs nothing from the engine: the probe, the assignment's
    helpers, the seed and the comparison all travel inside it."""
    import torch

    helpers = "def scaled(ns, name, x):\n    return 2 * getattr(ns, name)(x)\n"
    probe = (
        "def p(ns, name, x):\n    return {'y': helpers.scaled(ns, name, x), 'r': torch.rand(2)}\n"
    )
    with torch.random.fork_rng():
        torch.manual_seed(7)
        noise = torch.rand(2)
    check = {
        "case": "doubled square",
        "seed": 7,
        "probe": {"name": "p", "source": probe, "helpers": helpers},
        "args": to_text(["square", torch.tensor([1.0, 3.0], dtype=torch.float64)]),
        "expected": to_text({"y": torch.tensor([2.0, 18.0], dtype=torch.float64), "r": noise}),
        "rtol": 1e-12,
        "atol": 0.0,
    }
    scope: dict = {}
    exec(_otter_test("q1", 0, check), scope)
    scope["test_q1_0"]({"square": lambda x: x**2})
    with pytest.raises(AssertionError, match=r"doubled square: result\['y'\]: 1 of 2"):
        scope["test_q1_0"]({"square": lambda x: x**2 + (x > 2)})
    with pytest.raises(NameError, match="`square` is not defined"):
        scope["test_q1_0"]({})


def test_checks_wait_for_every_definition_they_use(repo_course, tmp_path):
    """hw04: q1's checks call ``Value.backward``, which calls q2's ``topological_order``:
    q1's tests must come after q2's cell, in a block of their own that says why."""
    a = repo_course.assignment("hw04")
    nb = nbformat.read(export_otter(repo_course, a, tmp_path), as_version=4)
    blocks = _question_blocks(nb)
    names = [name for name, _ in blocks]
    assert names.index("q1_part1") < names.index("q2") < names.index("q1")
    q1_cells = dict(blocks)["q1"]
    assert "# BEGIN SOLUTION" not in q1_cells and "def test_q1_0(env):" in q1_cells
    assert any("`topological_order`" in c.source for c in nb.cells if c.cell_type == "markdown")
    # every question with public checks is one scored block, with the assignment's points
    scored = [b for b in names if "_part" not in b]
    assert sorted(scored) == sorted(q.id for q in a.questions)
    config = {
        c.source.split("name:")[1].split()[0]: c.source for c in nb.cells if "name:" in c.source
    }
    assert all(f"points: {q.points:g}" in config[q.id] for q in a.questions)


def test_every_public_check_becomes_an_otter_test(repo_course, tmp_path):
    """Figure checks (``probe_helpers``) travel too, so every question keeps its points."""
    a = repo_course.assignment("hw04")
    checks = record_public_checks(repo_course, a)
    nb = nbformat.read(export_otter(repo_course, a, tmp_path), as_version=4)
    tests = [
        c.source for c in nb.cells if c.cell_type == "code" and c.source.startswith("def test_")
    ]
    assert len(tests) == sum(len(v) for v in checks.values())
    assert any("probe_helpers = types.ModuleType" in t for t in tests)


@needs_otter
def test_otter_assign_and_run_round_trip(demo_course, tmp_path):
    master = export_otter(demo_course, demo_course.assignment("hw99"), tmp_path)
    dist = tmp_path / "dist"
    proc = _otter("assign", str(master), str(dist), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    student = dist / "student" / master.name
    assert not find_leaks(
        {"s.ipynb": student.read_bytes()}, demo_course.reference_path("hw99_demo").read_text()
    )
    (out := tmp_path / "out").mkdir()
    zips = sorted((dist / "autograder").glob("*.zip"))
    proc = _otter(
        "run",
        "-a",
        str(zips[0]),
        "-o",
        str(out),
        str(dist / "autograder" / master.name),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((out / "results.json").read_text())
    scored = [t for t in results["tests"] if "max_score" in t]
    assert {t["name"] for t in scored} == {"q1", "q2"}
    assert all(t["score"] == t["max_score"] for t in scored)


@needs_otter
@pytest.mark.slow
@pytest.mark.parametrize("assignment_id", COURSE_IDS)
def test_otter_round_trip_for_every_assignment(repo_course, tmp_path, assignment_id):
    """``otter assign`` accepts the master and its solution scores full marks under otter's
    grading (the public checks, run where the notebook's check cells are); the student
    notebook leaks no solution line; each question with public checks is a scored test."""
    a = repo_course.assignment(assignment_id)
    master = export_otter(repo_course, a, tmp_path)
    dist = tmp_path / "dist"
    proc = _otter("assign", str(master), str(dist), cwd=tmp_path)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    reference = repo_course.reference_path(a.id).read_text(encoding="utf-8")
    student = dist / "student" / master.name
    assert not find_leaks({"s.ipynb": student.read_bytes()}, reference)
    with zipfile.ZipFile(next((dist / "autograder").glob("*.zip"))) as zf:
        tested = {Path(n).stem for n in zf.namelist() if n.startswith("tests/")}
    checked = {q for q, items in record_public_checks(repo_course, a).items() if items}
    assert tested == checked
