"""``autograde export-otter``: an assignment as an otter-assign master notebook.

For courses that run otter-grader. The master notebook has otter's raw delimiter cells
around every question (``# BEGIN QUESTION``, ``# BEGIN SOLUTION`` ... ``# END QUESTION``),
the reference inlined with its ``# BEGIN SOLUTION`` / ``# END SOLUTION`` markers (which
otter also understands), and every public check as an otter exception-based test. The
hidden tests do not travel: they need this engine's sandbox and reference-side probes.

Where a question's checks run. otter runs a question's tests where its check cell sits
(``grader.check("q1")`` in the student's notebook, and at that point of the notebook when
``otter run`` grades), so they must come after every definition they use, also the ones
another question asks for (hw04: q1's ``Value.backward`` calls q2's
``topological_order``). A question's tests go after the latest of: its own last code
cell, the notebook's ``check("qN")`` cell, and the cell defining each name its probes
read, followed through the reference's (and the notebook's) definitions. When that is not
the question's own last cell, the question's code sits in a 0-point block
(``q1_part1``) and the question itself (name, points, tests) in a block of tests alone
at that place, with a line saying which definitions it waits for. A question graded by
hand (``manual = true``) is an otter manual question; one without public checks (hw10's
leaderboard) keeps its block and points but has no otter test.

Each test is self-contained (a student's notebook cannot change what it compares with):
the probe, its arguments and expected value as literals, the recording's seed, a
comparison after ``runtime.compare``, and ``probe_helpers`` or the assignment's
``tests/helpers.py`` where the probe uses them.

otter-grader 7.0.0 copies a solution into the student notebook silently when the raw
delimiter cells are missing; the export always writes them, also sets
``strip_solutions_from_all_cells``, and refuses to write a master in which a region line
sits outside a solution block.
"""

from __future__ import annotations

import ast
import inspect
import math
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jupytext
import nbformat

from ..course import Course
from ..notebook.notebooks import CHECK_CELL, RUNTIME_IMPORT, BuildError, include_names
from ..notebook.regions import definition_source, distinctive_lines, find_regions
from ..runtime import probe_helpers
from ..runtime.wire import from_text
from ..spec import Assignment
from .bundle import record_public_checks

__all__ = ["export_otter"]

_CHECK_ALL_CELL = re.compile(r"^\s*check_all\(\s*\)\s*$")
# otter-assign's configuration: tests in the notebook's metadata, solutions stripped from
# every cell, and the solution notebook graded against the public tests on assign.
_CONFIG = """\
# ASSIGNMENT CONFIG
name: {name}
requirements:
  - torch
  - numpy
  - matplotlib
export_cell: false
run_tests: true
strip_solutions_from_all_cells: true
tests:
  files: false
  ok_format: false"""
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# Scopes whose names are their own (comprehension variables, lambda arguments).
_INNER_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

# The comparison of an otter test, after ``runtime.compare`` (otter has none for tensors
# and nested structures): ``_mismatch`` is None when ``got`` matches ``expected``, else
# where and how they differ. ``_plain`` does what the wire format does to a result.
_MATCH = """\
def _plain(v):
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, torch.Tensor):
        return v.detach().cpu()
    if isinstance(v, np.generic):
        return v.item()
    return v

def _kind(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    for kind, cls in (("tensor", torch.Tensor), ("ndarray", np.ndarray), ("list", list)):
        if isinstance(v, cls):
            return kind
    return type(v).__name__

def _near(e, g, rtol, atol):
    if math.isnan(e) or math.isnan(g):
        return math.isnan(e) and math.isnan(g)
    if math.isinf(e) or math.isinf(g):
        return e == g
    return abs(g - e) <= atol + rtol * abs(e)

def _mismatch(e, g, rtol, atol, path="result"):
    ek, gk = _kind(e), _kind(g)
    if ek != gk:
        return f"{path}: expected a {ek}, got a {gk} ({str(g)[:80]})"
    if ek in ("tensor", "ndarray"):
        e, g = torch.as_tensor(e), torch.as_tensor(g)
        if e.shape != g.shape or e.dtype != g.dtype:
            return f"{path}: got {tuple(g.shape)} {g.dtype}, expected {tuple(e.shape)} {e.dtype}"
        if e.dtype == torch.bool or not (e.is_floating_point() or e.is_complex()):
            bad = e != g
        else:
            wide = torch.complex128 if e.is_complex() else torch.float64
            e, g = e.to(wide), g.to(wide)
            finite = torch.isfinite(e) & torch.isfinite(g)
            near = (g - e).abs() <= atol + rtol * e.abs()
            bad = ~torch.where(finite, near, (e == g) | (torch.isnan(e) & torch.isnan(g)))
        if bool(bad.any()):
            at = tuple(torch.nonzero(bad)[0].tolist())
            return (f"{path}: {int(bad.sum())} of {e.numel()} values differ; first at {at}: "
                    f"expected {e[at].item()!r}, got {g[at].item()!r}")
        return None
    if ek == "number":
        same = e == g if isinstance(e, int) and isinstance(g, int) else _near(e, g, rtol, atol)
        return None if same else f"{path}: expected {e!r}, got {g!r}"
    if ek == "complex":
        same = _near(e.real, g.real, rtol, atol) and _near(e.imag, g.imag, rtol, atol)
        return None if same else f"{path}: expected {e!r}, got {g!r}"
    if ek == "list":
        if len(e) != len(g):
            return f"{path}: expected length {len(e)}, got {len(g)}"
        found = (_mismatch(x, y, rtol, atol, f"{path}[{i}]") for i, (x, y) in enumerate(zip(e, g)))
        return next((m for m in found if m), None)
    if ek == "dict":
        if set(e) != set(g):
            return f"{path}: expected keys {sorted(map(str, e))}, got {sorted(map(str, g))}"
        found = (_mismatch(e[k], g[k], rtol, atol, f"{path}[{k!r}]") for k in e)
        return next((m for m in found if m), None)
    return None if e == g else f"{path}: expected {e!r}, got {g!r}"
"""

# What the test calls the probe with: the notebook's globals, read by attribute.
_NAMESPACE = """\
class _Namespace:
    def __getattr__(self, name):
        if name not in env:
            raise NameError(f"`{name}` is not defined: run the cell that defines it first")
        return env[name]
"""

# The recording's seed, as ``probe_helpers.seeded``: the notebook's random state is kept.
_SEEDED_CALL = """\
py_state, np_state = random.getstate(), np.random.get_state()
try:
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(seed)
        random.seed(seed)
        np.random.seed(seed % 2**32)
        got = _plain({probe}(_Namespace(), *args))
finally:
    random.setstate(py_state)
    np.random.set_state(np_state)
"""


def _literal(value: Any) -> str:
    """Python source that rebuilds a decoded wire value."""
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor):
        return f"torch.tensor({_literal(value.tolist())}, dtype={value.dtype})"
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


def _names_used(probe_source: str, args: list[Any] | None = None) -> list[str]:
    """The notebook names a probe reads: ``ns.<name>``, and ``getattr(ns, <name>)`` where
    the name is a literal or one of the probe's arguments (given ``args``)."""
    tree = ast.parse(probe_source)
    fn = next((n for n in tree.body if isinstance(n, ast.FunctionDef)), None)
    params = [a.arg for a in fn.args.args[1:]] if fn else []  # after ``ns``
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and ast.unparse(node.value) == "ns":
            names.append(node.attr)
        elif isinstance(node, ast.Call) and len(node.args) >= 2:
            if [ast.unparse(node.func), ast.unparse(node.args[0])] != ["getattr", "ns"]:
                continue
            what = node.args[1]
            if isinstance(what, ast.Constant) and isinstance(what.value, str):
                names.append(what.value)
            elif isinstance(what, ast.Name) and what.id in params and args is not None:
                i = params.index(what.id)
                if i < len(args) and isinstance(args[i], str):
                    names.append(args[i])
    return list(dict.fromkeys(names))


def _otter_test(question: str, index: int, check: dict) -> str:
    """One public check as an otter exception-based test function (reads ``env``)."""
    probe = check["probe"]
    lines = ["import math", "import random", "import types", "import numpy as np", "import torch"]
    lines += ["numpy = np", _MATCH, _NAMESPACE]
    helpers = probe.get("helpers") if isinstance(probe.get("helpers"), str) else None
    scope = "torch=torch, np=np, numpy=np, math=math"
    if "probe_helpers" in probe["source"] + (helpers or ""):  # the engine's, for figures
        scope += ", probe_helpers=probe_helpers"
        lines += [
            'probe_helpers = types.ModuleType("probe_helpers")',
            f"exec({inspect.getsource(probe_helpers)!r}, probe_helpers.__dict__)",
        ]
    if helpers:  # the assignment's tests/helpers.py, in the probes' scope (as check() does)
        lines += [
            'helpers = types.ModuleType("helpers")',
            f"helpers.__dict__.update({scope})",
            f"exec({helpers!r}, helpers.__dict__)",
        ]
    lines += [
        probe["source"],
        f"args = {_literal(from_text(check['args']))}",
        f"expected = {_literal(from_text(check['expected']))}",
        f"seed = {int(check.get('seed', 0))}",
        _SEEDED_CALL.format(probe=probe["name"]),
        f"problem = _mismatch(expected, got, {check['rtol']!r}, {check['atol']!r})",
        f"assert problem is None, {check['case'] + ': '!r} + problem",
    ]
    fn = re.sub(r"\W", "_", f"test_{question}_{index}")
    return f"def {fn}(env):\n" + textwrap.indent("\n".join(lines), "    ") + "\n"


def _free_names(node: ast.AST) -> set[str]:
    """Names ``node`` reads and does not bind itself (its globals, roughly)."""
    loads: set[str] = set()
    bound: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            (loads if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in n.names)
        elif n is not node and isinstance(n, _DEFS):
            bound.add(n.name)
    return loads - bound


def _bound_at_top(stmt: ast.stmt) -> set[str]:
    """The module-level names one statement binds."""
    if isinstance(stmt, _DEFS):
        return {stmt.name}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names if a.name != "*"}
    out: set[str] = set()
    todo: list[ast.AST] = [stmt]
    while todo:
        n = todo.pop()
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            out.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            out |= _bound_at_top(n)
        elif isinstance(n, _DEFS):
            out.add(n.name)
        if not isinstance(n, _DEFS + _INNER_SCOPES):
            todo.extend(ast.iter_child_nodes(n))
    return out


@dataclass
class _Layout:
    """Where names are defined and where each question's tests go (source cell indices)."""

    defined_at: dict[str, int] = field(default_factory=dict)
    reads: dict[str, set[str]] = field(default_factory=dict)
    cells_of: dict[str, list[int]] = field(default_factory=dict)
    check_at: dict[str, int] = field(default_factory=dict)

    def add_code(self, index: int, code: str) -> None:
        """Record what a code cell defines, and what each definition reads."""
        try:
            tree = ast.parse(code)
        except SyntaxError:  # a magic or shell line: it defines nothing the tests read
            return
        for stmt in tree.body:
            free = _free_names(stmt)
            for name in _bound_at_top(stmt):
                if name not in self.defined_at:
                    self.defined_at[name] = index
                    self.reads[name] = set(free)

    def needs(self, names: list[str]) -> set[str]:
        """``names`` and every notebook name their definitions read, transitively."""
        seen: set[str] = set()
        todo = [n for n in names if n in self.defined_at]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += [n for n in self.reads.get(name, ()) if n in self.defined_at]
        return seen

    def anchor(self, question: str, probe_names: list[str]) -> tuple[int, list[str]]:
        """The cell after which ``question``'s tests run, and the names defined after the
        question's own code that force it there."""
        missing = [n for n in probe_names if n not in self.defined_at]
        if missing:
            raise BuildError(
                f"otter export: {question}'s public checks read {', '.join(missing)}, which "
                "no cell of the notebook defines"
            )
        own = max(self.cells_of.get(question, [-1]))
        needed = self.needs(probe_names)
        late = sorted(
            (n for n in needed if self.defined_at[n] > own), key=lambda n: self.defined_at[n]
        )
        spots = [own, self.check_at.get(question, -1)] + [self.defined_at[n] for n in needed]
        return max(spots), late


def _raw(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_raw_cell(text)


def _question_number(q: str) -> tuple[int, str]:
    digits = re.sub(r"\D", "", q)
    return (int(digits) if digits else 0, q)


def export_otter(course: Course, assignment: Assignment, out: Path) -> Path:
    """Write ``out/<id>.ipynb``, an otter-assign master notebook; returns its path.

    Raises ``BuildError`` when a public check reads a name no cell defines, or when a
    solution line would sit outside otter's solution delimiters.
    """
    ref_path = course.reference_path(assignment.id)
    reference = ref_path.read_text(encoding="utf-8")
    regions = find_regions(reference, str(ref_path))
    checks = record_public_checks(course, assignment)
    source_nb = jupytext.reads(
        assignment.notebook_source.read_text(encoding="utf-8"), fmt="py:percent"
    )

    # First pass: every cell's code, its questions, and where names are defined.
    layout = _Layout()
    code_of: dict[int, str] = {}
    questions_of: dict[int, list[str]] = {}
    for i, cell in enumerate(source_nb.cells):
        if cell.cell_type != "code":
            continue
        if m := CHECK_CELL.match(cell.source):
            layout.check_at[m.group("q")] = i
            continue
        if _CHECK_ALL_CELL.match(cell.source):
            continue  # the runtime's check_all; otter has its own grader.check_all
        names = include_names(cell.source)
        if names is None:
            lines = [ln for ln in cell.source.splitlines() if not RUNTIME_IMPORT.match(ln.strip())]
            code = "\n".join(lines) if any(ln.strip() for ln in lines) else ""
        else:
            code = "\n\n\n".join(
                definition_source(reference, n, trailing_markers=True) for n in names
            )
            code = re.sub(r"# BEGIN SOLUTION q\d+", "# BEGIN SOLUTION", code)  # otter's dialect
            owned = {r.question for r in regions if r.function.split(".")[0] in names}
            questions_of[i] = sorted(owned, key=_question_number)
            for q in owned:
                layout.cells_of.setdefault(q, []).append(i)
        if code:
            code_of[i] = code
            layout.add_code(i, code)

    # Each question's tests, and the cell after which they run.
    tests: dict[str, list[str]] = {}
    anchors: dict[int, list[str]] = {}
    late_names: dict[str, list[str]] = {}
    for q in sorted(checks, key=_question_number):
        probe_names: list[str] = []
        for check in checks[q]:
            args = from_text(check["args"])
            probe = check["probe"]
            probe_names += _names_used(probe["source"], args)
            if isinstance(probe.get("helpers"), str):  # what its helpers read, at most
                probe_names += _names_used(probe["helpers"])
            # a name passed as a string (getattr in a helper): only ever waits longer
            probe_names += [a for a in args if isinstance(a, str) and a in layout.defined_at]
        tests[q] = [_otter_test(q, k, c) for k, c in enumerate(checks[q])]
        at, late_names[q] = layout.anchor(q, list(dict.fromkeys(probe_names)))
        at = max((j for j in code_of if j <= at), default=at)  # back over check cells
        anchors.setdefault(at, []).append(q)

    # Second pass: the master notebook.
    cells = [_raw(_CONFIG.format(name=assignment.id))]
    placed: set[str] = set()
    parts: dict[str, int] = {}
    for i, cell in enumerate(source_nb.cells):
        if cell.cell_type == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(cell.source))
        if i in code_of and not questions_of.get(i):
            cells.append(nbformat.v4.new_code_cell(code_of[i]))
        elif i in code_of:
            qs = questions_of[i]
            here = [q for q in qs if q in anchors.get(i, []) and q not in placed]
            untested = [q for q in qs if q not in tests and q not in placed]
            home = next(iter(here + untested), None)
            if home is None:
                q = qs[0]
                parts[q] = parts.get(q, 0) + 1
                name, points = f"{q}_part{parts[q]}", 0.0
            else:
                name, points = home, assignment.question(home).points
                placed.add(home)
            manual = "\nmanual: true" if home and assignment.question(home).manual else ""
            cells += [
                _raw(f"# BEGIN QUESTION\nname: {name}\npoints: {points:g}{manual}"),
                _raw("# BEGIN SOLUTION"),
                nbformat.v4.new_code_cell(code_of[i]),
                _raw("# END SOLUTION"),
            ]
            cells += _tests_cells(tests.get(home, []) if home else [])
            cells.append(_raw("# END QUESTION"))
        for q in anchors.get(i, []):
            if q not in placed:
                placed.add(q)
                cells += _tests_block(q, assignment.question(q).points, tests[q], late_names[q])
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


def _tests_cells(tests: list[str]) -> list[nbformat.NotebookNode]:
    """otter's tests block around ``tests`` (nothing when there are none)."""
    if not tests:
        return []
    return [
        _raw("# BEGIN TESTS"),
        *(nbformat.v4.new_code_cell(t) for t in tests),
        _raw("# END TESTS"),
    ]


def _tests_block(
    question: str, points: float, tests: list[str], late: list[str]
) -> list[nbformat.NotebookNode]:
    """A question block of tests alone, placed after the definitions they wait for."""
    cells = [_raw(f"# BEGIN QUESTION\nname: {question}\npoints: {points:g}")]
    if late:
        used = ", ".join(f"`{n}`" for n in late)
        cells.append(
            nbformat.v4.new_markdown_cell(
                f"The checks of {question} run here: they also use {used}, defined above."
            )
        )
    return cells + _tests_cells(tests) + [_raw("# END QUESTION")]


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
