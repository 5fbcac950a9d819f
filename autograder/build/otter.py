"""``autograde export-otter``: an assignment as an otter-assign master notebook.

For courses that run otter-grader. The master notebook has otter's raw delimiter cells
around every question (``# BEGIN QUESTION``, ``# BEGIN SOLUTION`` ... ``# END QUESTION``),
the reference inlined with its ``# BEGIN SOLUTION`` / ``# END SOLUTION`` markers (which
otter also understands), and the public checks as otter exception-based tests. The
hidden tests do not travel: they need this engine's sandbox and reference-side probes.

otter-grader 7.0.0 copies a solution into the student notebook silently when the raw
delimiter cells are missing; the export always writes them, also sets
``strip_solutions_from_all_cells``, and refuses to write a master in which a region line
sits outside a solution block.
"""

from __future__ import annotations

import ast
import math
import re
import textwrap
from pathlib import Path
from typing import Any

import jupytext
import nbformat

from .bundle import record_public_checks
from ..course import Course
from ..notebook.notebooks import (CHECK_CELL, RUNTIME_IMPORT, BuildError, include_names)
from ..notebook.regions import definition_source, distinctive_lines, find_regions
from ..spec import Assignment
from ..runtime.wire import from_text

__all__ = ["export_otter"]

# A boolean closeness check for otter tests (otter has no comparison of its own for
# tensors and nested structures): True when ``got`` matches ``expected`` within tolerance.
_CLOSE = """\
def _close(expected, got, rtol, atol):
    if isinstance(expected, torch.Tensor):
        return (isinstance(got, torch.Tensor) and got.shape == expected.shape
                and got.dtype == expected.dtype
                and bool(torch.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True).all()))
    if isinstance(expected, np.ndarray):
        return _close(torch.from_numpy(expected), torch.from_numpy(np.asarray(got)), rtol, atol)
    if isinstance(expected, dict):
        return (isinstance(got, dict) and set(got) == set(expected)
                and all(_close(expected[k], got[k], rtol, atol) for k in expected))
    if isinstance(expected, (list, tuple)):
        return (isinstance(got, (list, tuple)) and len(got) == len(expected)
                and all(_close(e, g, rtol, atol) for e, g in zip(expected, got)))
    if isinstance(expected, float) and not isinstance(got, bool) and isinstance(got, (int, float)):
        if math.isnan(expected) or math.isnan(got):
            return math.isnan(expected) and math.isnan(got)
        return abs(got - expected) <= atol + rtol * abs(expected)
    return type(got) is type(expected) and got == expected
"""


def _literal(value: Any) -> str:
    """Python source that rebuilds a decoded wire value."""
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).replace("torch.", "")
        data = value.tolist()
        return f"torch.tensor({_literal(data)}, dtype=torch.{dtype})"
    if isinstance(value, np.ndarray):
        return f"np.array({_literal(value.tolist())}, dtype={str(value.dtype)!r})"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, complex):
        return f"complex({value.real!r}, {value.imag!r})"
    return repr(value)


def _names_used(probe_source: str) -> list[str]:
    """The ``ns.<name>`` attributes a probe reads: the student's definitions it needs."""
    names = []
    for node in ast.walk(ast.parse(probe_source)):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "ns"
        ):
            names.append(node.attr)
    return list(dict.fromkeys(names))


def _otter_test(question: str, index: int, check: dict) -> str | None:
    probe = check["probe"]
    if "probe_helpers" in probe["source"]:
        return None  # needs this package at grading time: not portable to otter
    names = _names_used(probe["source"])
    args = _literal(from_text(check["args"]))
    expected = _literal(from_text(check["expected"]))
    body = "\n".join(
        [
            "import math",
            "from types import SimpleNamespace",
            "import numpy as np",
            "import torch",
            _CLOSE,
            probe["source"],
            f"ns = SimpleNamespace({', '.join(f'{n}={n}' for n in names)})",
            f"got = {probe['name']}(ns, *{args})",
            f"expected = {expected}",
            f"assert _close(expected, got, {check['rtol']!r}, {check['atol']!r}), "
            f"{check['case'] + ': wrong result'!r}",
        ]
    )
    fn = re.sub(r"\W", "_", f"test_{question}_{index}")
    return f"def {fn}({', '.join(names)}):\n" + textwrap.indent(body, "    ") + "\n"


def _raw(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_raw_cell(text)


def export_otter(course: Course, assignment: Assignment, out: Path) -> Path:
    """Write ``out/<id>.ipynb``, an otter-assign master notebook; returns its path."""
    ref_path = course.reference_path(assignment.id)
    reference = ref_path.read_text(encoding="utf-8")
    regions = find_regions(reference, str(ref_path))
    checks = record_public_checks(course, assignment)
    source_nb = jupytext.reads(
        assignment.notebook_source.read_text(encoding="utf-8"), fmt="py:percent"
    )
    config = "\n".join(
        [
            "# ASSIGNMENT CONFIG",
            f"name: {assignment.id}",
            "requirements:",
            "  - torch",
            "  - numpy",
            "  - matplotlib",
            "export_cell: false",
            "run_tests: true",
            "strip_solutions_from_all_cells: true",
            "tests:",
            "  files: false",
            "  ok_format: false",
        ]
    )
    cells = [_raw(config)]
    seen: dict[str, int] = {}
    for cell in source_nb.cells:
        if cell.cell_type == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(cell.source))
            continue
        if cell.cell_type != "code" or CHECK_CELL.match(cell.source):
            continue  # otter adds its own grader.check cells
        names = include_names(cell.source)
        if names is None:
            lines = [ln for ln in cell.source.splitlines() if not RUNTIME_IMPORT.match(ln.strip())]
            if any(ln.strip() for ln in lines):
                cells.append(nbformat.v4.new_code_cell("\n".join(lines)))
            continue
        code = "\n\n\n".join(definition_source(reference, n, trailing_markers=True) for n in names)
        code = re.sub(r"# BEGIN SOLUTION q\d+", "# BEGIN SOLUTION", code)  # otter's dialect
        questions = sorted({r.question for r in regions if r.function.split(".")[0] in names})
        if not questions:
            cells.append(nbformat.v4.new_code_cell(code))
            continue
        qid = questions[0]
        seen[qid] = seen.get(qid, 0) + 1
        first = seen[qid] == 1
        name = qid if first else f"{qid}_part{seen[qid]}"
        points = sum(assignment.question(q).points for q in questions) if first else 0
        cells += [
            _raw(f"# BEGIN QUESTION\nname: {name}\npoints: {points:g}"),
            _raw("# BEGIN SOLUTION"),
            nbformat.v4.new_code_cell(code),
            _raw("# END SOLUTION"),
        ]
        tests = []
        if first:
            for q in questions:
                for i, check in enumerate(checks.get(q, [])):
                    if (t := _otter_test(q, i, check)) is not None:
                        tests.append(t)
        if tests:
            cells.append(_raw("# BEGIN TESTS"))
            cells += [nbformat.v4.new_code_cell(t) for t in tests]
            cells.append(_raw("# END TESTS"))
        cells.append(_raw("# END QUESTION"))
    nb = nbformat.v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
    )
    _refuse_unfenced_regions(nb, reference)
    nbformat.validate(nb)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{assignment.id}.ipynb"
    nbformat.write(nb, target)
    return target


def _refuse_unfenced_regions(nb: nbformat.NotebookNode, reference: str) -> None:
    """Every solution line must sit in a cell fenced by otter's raw solution delimiters."""
    secret = distinctive_lines(reference)
    inside = False
    for cell in nb.cells:
        if cell.cell_type == "raw":
            inside = {"# BEGIN SOLUTION": True, "# END SOLUTION": False}.get(
                cell.source.strip(), inside
            )
            continue
        if inside:
            continue
        for line in cell.source.splitlines():
            if line.strip() in secret:
                raise BuildError(
                    f"otter export: solution line {line.strip()!r} is outside a solution "
                    "block; otter assign would ship it to students"
                )
