"""A static scan of a submission: forbidden calls, named early, and constructs for staff.

The runtime traps (``runtime/traps.py``) decide; this scan explains. It finds

- calls of a question's forbidden APIs, resolving import aliases
  (``from torch.autograd import grad as g``, ``import torch as t``), so the feedback can
  say "``square`` calls torch.square (cell 3, line 2)" before any probe runs;
- constructs that can defeat in-process traps (``__import__``, ``importlib``, computed
  ``getattr``, ``exec``, ``ctypes``, ``gc``, ``sys.modules``, ``torch._C``...), listed for
  staff review, never scored.

It runs on the trusted side (``scan_submission``), on the submitted source, so nothing
the student's code does at run time can switch it off. ``ast.parse`` of hostile input is
bounded: every cell is capped in size, and a parse or a walk that fails (too deep, too
large) is itself a finding for staff.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

__all__ = ["Finding", "scan_cells", "scan_submission"]

SUSPICIOUS_NAMES = {
    "__import__": "dynamic import",
    "importlib": "dynamic import",
    "exec": "exec",
    "eval": "eval",
    "compile": "compile",
    "ctypes": "ctypes",
    "gc": "garbage-collector introspection",
    "builtins": "builtins",
    "__builtins__": "builtins",
    "inspect": "introspection",
    "subprocess": "subprocess",
    "socket": "network",
    "vars": "namespace walk (vars)",
    "sys": "interpreter internals (sys)",
    "forward_ad": "forward-mode autograd",
}
SUSPICIOUS_ATTRS = {
    "_C": "torch internals",
    "_execution_engine": "autograd engine internals",
    "modules": "sys.modules",
    "__closure__": "closure introspection",
    "__wrapped__": "wrapped originals",
    "__globals__": "function globals",
    "system": "shell command",
    "_exit": "process exit",
    "__dict__": "namespace walk (__dict__)",
    "forward_ad": "forward-mode autograd",
    "grad_fn": "autograd graph node (grad_fn)",
    "next_functions": "autograd graph nodes (next_functions)",
    "_engine_run_backward": "autograd engine internals",
    "__subclasses__": "class introspection",
    "__code__": "code objects",
}
# Private names under torch (torch.optim.adam._single_tensor_adam,
# torch.autograd.graph._engine_run_backward): torch's own implementations of what a
# question asks for, reachable without going through the public (trapped) names.
_TORCH_ROOTS = ("torch",)


@dataclass(frozen=True)
class Finding:
    kind: str  # "forbidden" or "suspicious"
    cell: int
    line: int
    function: str  # enclosing top-level definition (Class.method), or "" at top level
    name: str  # the forbidden API, or what is suspicious


class _Scanner(ast.NodeVisitor):
    def __init__(self, cell: int, aliases: dict[str, str], forbidden: set[str]) -> None:
        self.cell, self.aliases, self.forbidden = cell, aliases, forbidden
        self.stack: list[str] = []
        self.findings: list[Finding] = []

    def _add(self, kind: str, node: ast.AST, name: str) -> None:
        self.findings.append(
            Finding(kind, self.cell, getattr(node, "lineno", 0), ".".join(self.stack), name)
        )

    def _def(self, node) -> None:
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _def

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self.aliases[a.asname or a.name.split(".")[0]] = (
                a.name if a.asname else a.name.split(".")[0]
            )
            if a.name.split(".")[0] in SUSPICIOUS_NAMES:
                label = SUSPICIOUS_NAMES[a.name.split(".")[0]]
                self._add("suspicious", node, f"{label} (import {a.name})")
            self._match(node, a.name)
            self._flag_imported(node, a.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for a in node.names:
            full = f"{node.module}.{a.name}" if node.module else a.name
            self.aliases[a.asname or a.name] = full
            if (node.module or "").split(".")[0] in SUSPICIOUS_NAMES:
                label = SUSPICIOUS_NAMES[(node.module or "").split(".")[0]]
                self._add("suspicious", node, f"{label} (from {node.module} import {a.name})")
            self._match(node, full)
            self._flag_imported(node, full)

    def _flag_private(self, node: ast.AST, dotted: str) -> None:
        parts = dotted.split(".")
        if parts[0] in _TORCH_ROOTS and any(
            p.startswith("_") and not (p.startswith("__") and p.endswith("__")) for p in parts[1:]
        ):
            self._add("suspicious", node, f"private torch name {dotted}")

    def _flag_imported(self, node: ast.AST, dotted: str) -> None:
        """``import torch.autograd.forward_ad``: what an attribute would have flagged."""
        self._flag_private(node, dotted)
        for part in dotted.split(".")[1:]:
            if part in SUSPICIOUS_ATTRS:
                self._add("suspicious", node, SUSPICIOUS_ATTRS[part])

    def _dotted(self, node: ast.AST) -> str | None:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        root = self.aliases.get(node.id, node.id)
        return ".".join([root, *reversed(parts)])

    def _match(self, node: ast.AST, dotted: str) -> None:
        for entry in self.forbidden:
            if entry.endswith(".*"):
                hit = dotted.startswith(entry[:-1])
            elif entry.startswith("torch.Tensor."):
                hit = dotted.rsplit(".", 1)[-1] == entry.rsplit(".", 1)[-1] and "." in dotted
            else:
                hit = dotted == entry
            if hit:
                self._add("forbidden", node, entry)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        dotted = self._dotted(node)
        if dotted is not None:
            self._match(node, dotted)
            self._flag_private(node, dotted)
        else:  # x().backward(), (a + b).backward(): method calls on expressions
            for entry in self.forbidden:
                if entry.startswith("torch.Tensor.") and node.attr == entry.rsplit(".", 1)[-1]:
                    self._add("forbidden", node, entry)
        if node.attr in SUSPICIOUS_ATTRS:
            self._add("suspicious", node, SUSPICIOUS_ATTRS[node.attr])
        if dotted is None:
            self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in self.aliases:
            self._match(node, self.aliases[node.id])
        if node.id in SUSPICIOUS_NAMES and isinstance(node.ctx, ast.Load):
            self._add("suspicious", node, SUSPICIOUS_NAMES[node.id])

    def visit_Call(self, node: ast.Call) -> None:
        if (
            isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "delattr")
            and len(node.args) >= 2
            and not isinstance(node.args[1], ast.Constant)
        ):
            self._add("suspicious", node, f"{node.func.id} with a computed name")
        self.generic_visit(node)


#: The most of a cell the scan parses (a notebook's code cell is rarely over 20 kB).
MAX_CELL_CHARS = 200_000


def scan_submission(cells: list[tuple[int, str]], forbidden: list[str]) -> list[Finding]:
    """Parse the submitted cells and scan them: on the trusted side, so that the scan
    does not depend on anything the student's code does when it runs."""
    from ..runtime.extract import plan_cell

    trees: list[tuple[int, ast.Module]] = []
    problems: list[Finding] = []
    for index, source in cells:
        if len(source) > MAX_CELL_CHARS:
            problems.append(Finding("suspicious", index, 0, "", "cell too large to scan"))
            continue
        try:
            plan = plan_cell(index, source)
        except (RecursionError, MemoryError):
            problems.append(Finding("suspicious", index, 0, "", "too deeply nested to scan"))
            continue
        if plan.error is None:
            trees.append((index, ast.Module(plan.statements, [])))
    return problems + scan_cells(trees, forbidden)


def scan_cells(
    trees: list[tuple[int, ast.Module]], forbidden: list[str], limit: int = 200
) -> list[Finding]:
    """Findings over all cells, in order; at most ``limit`` of them."""
    aliases: dict[str, str] = {}
    findings: list[Finding] = []
    for cell, tree in trees:
        scanner = _Scanner(cell, aliases, set(forbidden))
        try:
            scanner.visit(tree)
        except RecursionError:
            findings.append(Finding("suspicious", cell, 0, "", "too deeply nested to scan"))
        findings.extend(scanner.findings)
        if len(findings) >= limit:
            break
    unique = list(dict.fromkeys(findings))
    return unique[:limit]
