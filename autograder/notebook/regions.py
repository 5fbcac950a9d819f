"""Solution regions in a reference module, and the two views built from it.

A region is a run of statements inside a function body, between the comment lines
``# BEGIN SOLUTION qK`` and ``# END SOLUTION``. The instructor's view drops the marker
lines; the student's view replaces each region by ``raise NotImplementedError(...)``
naming the question and the function, so signatures and docstrings are shared.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from ..runtime.errors import AutogradeError

__all__ = [
    "Region",
    "RegionError",
    "definition_source",
    "distinctive_lines",
    "find_regions",
    "instructor_view",
    "student_view",
    "top_level_names",
]

_BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?:\s+(?P<q>q\d+))?\s*$")
_END = re.compile(r"^(?P<indent>[ \t]*)# END SOLUTION\s*$")
# Lines too generic to betray a solution if they also appear in the student's notebook.
_GENERIC = re.compile(
    r"^(?:else:|try:|finally:|pass|break|continue|return(?: \w+| [\[{(])?|"
    r"except \w*:|\)+[,:]?|\]+[,:]?|\}+[,:]?|\.\.\.)$"
)


class RegionError(AutogradeError, ValueError):
    """A marker is misplaced; the message names the line."""


@dataclass(frozen=True)
class Region:
    """Lines ``begin``..``end`` (1-based, inclusive, the markers included)."""

    question: str
    begin: int
    end: int
    indent: str
    function: str  # qualified name of the enclosing function, e.g. "Value.backward"


def _functions(tree: ast.Module) -> list[tuple[str, ast.AST]]:
    """Every function in the module with its qualified name (outermost first)."""
    out: list[tuple[str, ast.AST]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                out.append((name, child))
                walk(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")
            else:
                walk(child, prefix)

    walk(tree, "")
    return out


def find_regions(source: str, filename: str = "<reference>") -> list[Region]:
    """All regions of ``source``, validated; raises ``RegionError`` on a misplaced marker."""
    tree = ast.parse(source, filename)
    functions = _functions(tree)
    regions: list[Region] = []
    lines = source.splitlines()
    open_at: tuple[int, str, str] | None = None
    for lineno, line in enumerate(lines, start=1):
        if m := _BEGIN.match(line):
            if open_at:
                raise RegionError(f"{filename}:{lineno}: BEGIN SOLUTION inside another region")
            if not m.group("q"):
                raise RegionError(f"{filename}:{lineno}: BEGIN SOLUTION must name a question")
            open_at = (lineno, m.group("q"), m.group("indent"))
        elif m := _END.match(line):
            if not open_at:
                raise RegionError(f"{filename}:{lineno}: END SOLUTION without BEGIN")
            begin, question, indent = open_at
            if m.group("indent") != indent:
                raise RegionError(f"{filename}:{lineno}: END SOLUTION indented unlike its BEGIN")
            regions.append(_place(functions, lines, begin, lineno, question, indent, filename))
            open_at = None
        elif "BEGIN SOLUTION" in line or "END SOLUTION" in line:
            raise RegionError(f"{filename}:{lineno}: marker must be a comment on its own line")
    if open_at:
        raise RegionError(f"{filename}:{open_at[0]}: BEGIN SOLUTION is never closed")
    return regions


def _place(functions, lines, begin, end, question, indent, filename) -> Region:
    """Check the region is a run of statements in one function body, and name it."""
    # Comments are not in the AST: place the region by its first and last code lines.
    code = [
        n
        for n in range(begin + 1, end)
        if lines[n - 1].strip() and not lines[n - 1].strip().startswith("#")
    ]
    if not code:
        raise RegionError(f"{filename}:{begin}: empty solution region")
    first, last = code[0], code[-1]
    inside = [
        (name, fn) for name, fn in functions if fn.body[0].lineno <= first and last <= fn.end_lineno
    ]
    if not inside:
        raise RegionError(
            f"{filename}:{begin}: a solution region must sit inside a function body "
            "(so the stubbed module still defines every name)"
        )
    name, fn = inside[-1]  # innermost
    match = re.match(r"[ \t]*", lines[fn.body[0].lineno - 1])
    assert match is not None  # the pattern matches the empty string
    body_indent = match.group(0)
    if len(indent) < len(body_indent):
        raise RegionError(f"{filename}:{begin}: region indented less than the body of {name}")
    return Region(question, begin, end, indent, name)


def instructor_view(source: str) -> str:
    """The reference with the marker lines removed."""
    kept = [ln for ln in source.splitlines() if not (_BEGIN.match(ln) or _END.match(ln))]
    return "\n".join(kept) + "\n"


def student_view(source: str, filename: str = "<reference>") -> str:
    """The reference with every region replaced by a stub that names its question."""
    regions = find_regions(source, filename)
    lines = source.splitlines()
    out: list[str] = []
    cursor = 1
    for r in regions:
        out.extend(lines[cursor - 1 : r.begin - 1])
        short = r.function.rsplit(".", 1)[-1] if "." in r.function else r.function
        label = r.function if short.startswith("_") else short
        out.append(f'{r.indent}raise NotImplementedError("{r.question}: implement {label}")')
        cursor = r.end + 1
    out.extend(lines[cursor - 1 :])
    text = "\n".join(out) + "\n"
    ast.parse(text, filename)  # the stubbed module must still be valid Python
    return text


def distinctive_lines(source: str) -> dict[str, tuple[str, int]]:
    """Stripped region lines that must not appear in a student bundle -> (question, line)."""
    lines = source.splitlines()
    found: dict[str, tuple[str, int]] = {}
    for r in find_regions(source):
        for lineno in range(r.begin + 1, r.end):
            text = lines[lineno - 1].strip()
            if not text or text.startswith("#") or _GENERIC.match(text) or len(text) < 8:
                continue
            found.setdefault(text, (r.question, lineno))
    return found


def _top_level(tree: ast.Module) -> dict[str, ast.stmt]:
    names: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    names[t.id] = node
    return names


def top_level_names(source: str) -> list[str]:
    """Names defined at the top level of ``source`` (functions, classes, constants)."""
    return list(_top_level(ast.parse(source)))


def definition_source(source: str, name: str, trailing_markers: bool = False) -> str:
    """The source of top-level definition ``name``, with its decorators and the comment
    block directly above it (and, with ``trailing_markers``, an ``# END SOLUTION`` that
    closes its last statement: comments are not part of the syntax tree)."""
    tree = ast.parse(source)
    nodes = _top_level(tree)
    if name not in nodes:
        raise KeyError(name)
    node = nodes[name]
    lines = source.splitlines()
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    while start > 1 and lines[start - 2].lstrip().startswith("#"):
        start -= 1
    end = node.end_lineno
    assert end is not None  # ast.parse sets every node's positions
    while (
        trailing_markers
        and end < len(lines)
        and _END.match(lines[end])
        and lines[end].startswith(" ")
    ):
        end += 1
    return "\n".join(lines[start - 1 : end])
