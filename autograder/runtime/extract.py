"""Pick the definitions out of a notebook's code cells.

Grading imports definitions, not experiments: from each cell it keeps imports,
functions, classes, and constant assignments (a literal value, or an UPPER_CASE name),
and skips everything else (training runs, plots, ``check()`` calls), so that grading time
does not depend on experiment cells and a stray loop at top level costs nothing.

IPython syntax (``%magic``, ``!shell``, ``%%cell`` magics) is blanked out before parsing,
keeping line numbers, so a cell that uses it still loads its definitions. This runs in
the sandbox child: ``ast.parse`` itself can be made to blow up by hostile input.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

__all__ = ["CellPlan", "describe_cell", "plan_cell"]

# %magic, !shell, and IPython's help syntax (name? / name??)
_MAGIC = re.compile(r"^\s*(?:%|!|[\w.]+\?\??\s*$)")
_SETTINGS = frozenset({"torch.set_default_dtype"})
_CHEAP_CALLS = frozenset(
    {
        "torch.device",
        "torch.cuda.is_available",
        "torch.backends.mps.is_available",
        "torch.get_default_dtype",
        "float",
        "int",
        "str",
        "tuple",
        "frozenset",
        "range",
    }
)
#: Imports the grader provides itself (the notebook's check() runtime).
RUNTIME_MODULES = ("autograde_check",)


@dataclass
class CellPlan:
    """What to execute from one cell, and what was left out."""

    index: int
    statements: list[ast.stmt] = field(default_factory=list)
    skipped: int = 0
    error: str | None = None
    note: str | None = None


def _blank_ipython(source: str) -> tuple[str, str | None]:
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return "", f"cell magic {lines[0].split()[0]} (skipped)"
    out = ["# (IPython line removed)" if _MAGIC.match(ln) else ln for ln in lines]
    return "\n".join(out), None


def _is_constant(node: ast.stmt) -> bool:
    if isinstance(node, ast.Assign):
        targets, value = node.targets, node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets, value = [node.target], node.value
    else:
        return False
    if not all(isinstance(t, ast.Name) for t in targets):
        return False
    # A constant is computed without calling anything (beyond a few cheap, pure calls),
    # so loading it costs nothing and cannot start an experiment: `LR = 0.1`,
    # `DTYPE = torch.float64`, `SIZES = (8, 16)`, `DEVICE = torch.device("cpu")` are kept;
    # `X = torch.randn(1000, 1000)` or `model = train()` are not, whatever their case.
    for sub in ast.walk(value):
        if isinstance(
            sub,
            (
                ast.Lambda,
                ast.ListComp,
                ast.SetComp,
                ast.DictComp,
                ast.GeneratorExp,
                ast.Await,
                ast.Yield,
                ast.YieldFrom,
                ast.NamedExpr,
            ),
        ):
            return False
        if isinstance(sub, ast.Call) and _dotted(sub.func) not in _CHEAP_CALLS:
            return False
    return True


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _is_runtime_import(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] in RUNTIME_MODULES
    if isinstance(node, ast.Import):
        return all(a.name.split(".")[0] in RUNTIME_MODULES for a in node.names)
    return False


def _keep(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return not _is_runtime_import(node)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, ast.Try):  # try: import x / except ImportError: ...
        return all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in node.body)
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        # Settings the definitions depend on, e.g. torch.set_default_dtype(torch.float64):
        # the grader mirrors them on the reference's side (see testing.Grade).
        return _dotted(node.value.func) in _SETTINGS
    return _is_constant(node)


def describe_cell(index: int, source: str) -> str:
    """How feedback names a cell so that a student finds it: its number among the
    notebook's code cells and its first line, ``code cell 7 ("def train(model, data):")``.
    The line is the student's text: whoever shows it escapes it."""
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    if len(first) > 48:
        first = first[:45] + "..."
    return f'code cell {index} ("{first}")' if first else f"code cell {index}"


def plan_cell(index: int, source: str) -> CellPlan:
    """Parse one code cell and choose its statements to run."""
    plan = CellPlan(index)
    text, plan.note = _blank_ipython(source)
    try:
        tree = ast.parse(text, filename=f"<cell {index}>")
    except SyntaxError as exc:
        where = f"line {exc.lineno}" if exc.lineno else "somewhere"
        plan.error = (
            f"{describe_cell(index, source)} has a syntax error at {where}: {exc.msg}. "
            "Nothing in this cell was loaded; fix it and the definitions in it will be graded."
        )
        return plan
    except (RecursionError, MemoryError, ValueError) as exc:
        plan.error = (
            f"{describe_cell(index, source)} could not be parsed ({type(exc).__name__}); "
            "nothing in it was loaded."
        )
        return plan
    for node in tree.body:
        if _keep(node):
            plan.statements.append(node)
        else:
            plan.skipped += 1
    return plan
