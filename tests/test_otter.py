"""otter-grader interop: our export goes through ``otter assign`` and ``otter run``.

Skipped where otter-grader is not installed (``pip install '.[otter]'``; ``make test``
installs it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from autograder.build.bundle import find_leaks
from autograder.build.otter import _refuse_unfenced_regions, export_otter
from autograder.notebook.notebooks import BuildError

OTTER = shutil.which("otter") or (
    str(Path(__import__("sys").executable).with_name("otter"))
    if Path(__import__("sys").executable).with_name("otter").exists()
    else None
)


def test_export_fences_every_solution_line(demo_course, tmp_path):
    master = export_otter(demo_course, demo_course.assignment("hw99"), tmp_path)
    nb = nbformat.read(master, as_version=4)
    raw = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "raw"]
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


@pytest.mark.skipif(OTTER is None, reason="otter-grader is not installed")
def test_otter_assign_and_run_round_trip(demo_course, tmp_path):
    master = export_otter(demo_course, demo_course.assignment("hw99"), tmp_path)
    dist = tmp_path / "dist"
    proc = subprocess.run(
        [OTTER, "assign", str(master), str(dist)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    student = dist / "student" / master.name
    assert not find_leaks(
        {"s.ipynb": student.read_bytes()}, demo_course.reference_path("hw99_demo").read_text()
    )
    (out := tmp_path / "out").mkdir()
    zips = sorted((dist / "autograder").glob("*.zip"))
    proc = subprocess.run(
        [OTTER, "run", "-a", str(zips[0]), "-o", str(out), str(dist / "autograder" / master.name)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((out / "results.json").read_text())
    scored = [t for t in results["tests"] if "max_score" in t]
    assert {t["name"] for t in scored} == {"q1", "q2"}
    assert all(t["score"] == t["max_score"] for t in scored)
