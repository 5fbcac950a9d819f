"""Mutants of a reference module's solution regions, generated with :mod:`ast`.

A mutant is the reference source with exactly one small change inside one solution region
(``# BEGIN SOLUTION qK`` … ``# END SOLUTION``, see :mod:`autograder.notebook.regions`): the kind of
slip a student makes. Each one knows its function and its question (the region's).

Operators (the ``operator`` part of a mutant's id):

=====================  =================================================================
``add-to-sub`` …       arithmetic swaps: ``+``/``-``, ``*``/``/``, ``//`` to ``/``, in
                       expressions and in augmented assignments (``x += y`` to ``x -= y``)
``lt-to-le`` …         comparison swaps: ``<``/``<=``, ``>``/``>=``, ``==``/``!=``,
                       ``is``/``is not``, ``in``/``not in``
``int+1``, ``int-1``   an integer constant plus or minus one
``range+1`` …          a non-constant ``range()`` bound plus or minus one
``drop``               a statement replaced by ``pass``
``swap-args``          the first two positional arguments of a call swapped
``aug-to-assign``      an in-place update ``x += y`` made ``x = y`` (the update forgotten)
``inplace-to-copy``    a tensor's in-place method ``x.add_(y)`` made ``x.add(y)`` (its
                       result discarded)
``0.0-to-1.0`` …       the float constants 0.0 and 1.0 swapped
``true-to-false`` …    ``True``/``False`` swapped
``neg-removed``        a unary minus removed; ``not-removed`` likewise for ``not``
``and-to-or`` …        ``and``/``or`` swapped
``max-to-min`` …       a call's name swapped with its twin: ``min``/``max``,
                       ``argmin``/``argmax``, ``amin``/``amax``, ``sum``/``mean``,
                       ``floor``/``ceil``, ``zeros``/``ones``, ``zeros_like``/``ones_like``
=====================  =================================================================

A mutant's id is ``function:line:col:operator`` (the line in the reference file, markers
included, and the 1-based column of the changed node), with ``#2``, ``#3`` … appended
where two mutants would share one: deterministic for a given source. The change is made
on the text (the node's span replaced by ``ast.unparse`` of the mutated node, wrapped in
parentheses where precedence needs it), so comments, formatting and every other line stay
as they are, and each mutant's syntax tree is checked to be the intended one.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..notebook.regions import Region, find_regions
from .mutants_text import SYMBOL, SourceText, source_lines

__all__ = ["OPERATORS", "Mutant", "generate_mutants"]

_ARITH: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
}
_ARITH_NAME = {
    ast.Add: "add",
    ast.Sub: "sub",
    ast.Mult: "mult",
    ast.Div: "div",
    ast.FloorDiv: "floordiv",
}
_COMPARE: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
_COMPARE_NAME = {
    ast.Lt: "lt",
    ast.LtE: "le",
    ast.Gt: "gt",
    ast.GtE: "ge",
    ast.Eq: "eq",
    ast.NotEq: "ne",
    ast.Is: "is",
    ast.IsNot: "isnot",
    ast.In: "in",
    ast.NotIn: "notin",
}
_TWINS: dict[str, str] = {}
for _a, _b in (
    ("min", "max"),
    ("argmin", "argmax"),
    ("amin", "amax"),
    ("sum", "mean"),
    ("floor", "ceil"),
    ("zeros", "ones"),
    ("zeros_like", "ones_like"),
):
    _TWINS[_a], _TWINS[_b] = _b, _a

#: Keyword arguments that only style a figure: their values are never mutated.
_STYLING = frozenset(
    "figsize dpi ms markersize lw linewidth alpha fontsize size s zorder color c marker "
    "linestyle ls labelsize pad ncol loc rotation width height bbox_inches".split()
)

#: Every operator family, for ``--operators`` and the documentation.
OPERATORS = (
    "arith",
    "compare",
    "int",
    "range",
    "drop",
    "swap-args",
    "aug-to-assign",
    "inplace-to-copy",
    "float",
    "bool",
    "unary",
    "boolop",
    "twin",
)


@dataclass(frozen=True)
class Mutant:
    """One change to the reference source: the span ``(line, col)``–``(end_line, end_col)``
    (1-based lines, 0-based character columns) replaced by ``replacement``."""

    id: str
    function: str
    question: str
    family: str  # one of OPERATORS
    operator: str
    line: int
    col: int
    end_line: int
    end_col: int
    replacement: str

    def apply(self, source: str) -> str:
        """The mutated module source."""
        lines = source_lines(source)
        head = "".join(lines[: self.line - 1]) + lines[self.line - 1][: self.col]
        tail = lines[self.end_line - 1][self.end_col :] + "".join(lines[self.end_line :])
        return head + self.replacement + tail

    def diff(self, source: str) -> tuple[str, str]:
        """The changed line(s) before and after, stripped (for reports)."""
        before = source_lines(source)[self.line - 1 : self.end_line]
        mutated = source_lines(self.apply(source))
        after = mutated[self.line - 1 : self.line - 1 + len(source_lines(self.replacement + "x"))]
        return "\n".join(s.strip() for s in before), "\n".join(s.strip() for s in after)


# (family, operator, replacement node, the replacement's text where it can be written
# more closely to the original than ``ast.unparse`` writes it)
_Mutation = tuple[str, str, ast.AST, "str | None"]


def _expr_mutations(node: ast.AST, text: SourceText) -> Iterator[_Mutation]:
    """Every mutation of expression ``node``."""
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        new_op = _ARITH[type(node.op)]()
        name = f"{_ARITH_NAME[type(node.op)]}-to-{_ARITH_NAME[type(new_op)]}"
        close = text.swap_token(node, [node.left, node.right], [node.op], [new_op])
        yield "arith", name, ast.BinOp(node.left, new_op, node.right), close
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in _COMPARE:
                ops = list(node.ops)
                ops[i] = _COMPARE[type(op)]()
                suffix = f"@{i + 1}" if len(node.ops) > 1 else ""
                name = f"{_COMPARE_NAME[type(op)]}-to-{_COMPARE_NAME[type(ops[i])]}{suffix}"
                olds: list = [None] * len(node.ops)
                news: list = [None] * len(node.ops)
                olds[i], news[i] = op, ops[i]
                close = text.swap_token(node, [node.left, *node.comparators], olds, news)
                yield "compare", name, ast.Compare(node.left, ops, node.comparators), close
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            name = f"{str(value).lower()}-to-{str(not value).lower()}"
            yield "bool", name, ast.Constant(not value), None
        elif isinstance(value, int):
            yield "int", "int+1", _int(value + 1), None
            yield "int", "int-1", _int(value - 1), None
        elif isinstance(value, float) and value in (0.0, 1.0):
            other = 1.0 - value
            yield "float", f"{value!r}-to-{other!r}", ast.Constant(other), None
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        name = "neg-removed" if isinstance(node.op, ast.USub) else "not-removed"
        rest = text.between(text.start(node), text.end(node))
        close = re.sub(r"^(?:-|not\b)\s*", "", rest, count=1)
        yield "unary", name, node.operand, close
    elif isinstance(node, ast.BoolOp):
        new_boolop = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        name = "and-to-or" if isinstance(node.op, ast.And) else "or-to-and"
        n = len(node.values) - 1
        close = text.swap_token(node, node.values, [node.op] * n, [new_boolop] * n)
        yield "boolop", name, ast.BoolOp(new_boolop, node.values), close
    elif isinstance(node, ast.Call):
        yield from _call_mutations(node, text)


def _int(value: int) -> ast.expr:
    """An integer literal as the parser reads it: ``-1`` is a minus applied to ``1``."""
    if value < 0:
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


def _call_mutations(node: ast.Call, text: SourceText) -> Iterator[_Mutation]:
    """The mutations of a call: ``range()`` bounds, swapped arguments, twin names, and
    in-place methods made out-of-place."""
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if name == "range" and isinstance(func, ast.Name):
        for i, arg in enumerate(node.args[:2]):
            if isinstance(arg, (ast.Constant, ast.Starred)):
                continue  # a constant bound is the int operator's
            which = "" if len(node.args) == 1 else ("@start" if i == 0 else "@stop")
            for sign, op in (("+", ast.Add()), ("-", ast.Sub())):
                args = list(node.args)
                args[i] = ast.BinOp(arg, op, ast.Constant(1))
                close = (
                    text.between(text.start(node), text.end(arg))
                    + f" {sign} 1"
                    + text.between(text.end(arg), text.end(node))
                )
                yield "range", f"range{sign}1{which}", ast.Call(func, args, node.keywords), close
    positional = node.args[:2]
    if (
        len(positional) == 2
        and not any(isinstance(a, ast.Starred) for a in positional)
        and ast.dump(positional[0]) != ast.dump(positional[1])
    ):
        a, b = positional
        args = [b, a, *node.args[2:]]
        close = (
            text.between(text.start(node), text.start(a))
            + text.seg(b)
            + text.between(text.end(a), text.start(b))
            + text.seg(a)
            + text.between(text.end(b), text.end(node))
        )
        yield "swap-args", "swap-args", ast.Call(func, args, node.keywords), close
    if name in _TWINS or (
        isinstance(func, ast.Attribute)
        and name
        and name.endswith("_")
        and not name.startswith("_")
        and _tensor_has(name[:-1])
    ):
        assert name is not None
        family, new_name = ("twin", _TWINS[name]) if name in _TWINS else ("inplace", name[:-1])
        if isinstance(func, ast.Name):
            new_func: ast.expr = ast.Name(new_name, ast.Load())
            close = new_name + text.between(text.end(func), text.end(node))
        else:
            assert isinstance(func, ast.Attribute)
            new_func = ast.Attribute(func.value, new_name, ast.Load())
            head = text.between(text.start(node), text.end(func))
            close = re.sub(rf"\b{re.escape(name)}$", new_name, head) + text.between(
                text.end(func), text.end(node)
            )
        operator = f"{name}-to-{new_name}" if family == "twin" else "inplace-to-copy"
        family = "twin" if family == "twin" else "inplace-to-copy"
        yield family, operator, ast.Call(new_func, node.args, node.keywords), close


def _tensor_has(name: str) -> bool:
    """Whether ``torch.Tensor`` has a method ``name`` (the out-of-place twin of ``name_``)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - the course always has torch
        return True
    return hasattr(torch.Tensor, name)


def _stmt_mutations(node: ast.stmt, text: SourceText) -> Iterator[_Mutation]:
    """Every mutation of statement ``node``."""
    if isinstance(node, ast.AugAssign) and type(node.op) in _ARITH:
        new_op = _ARITH[type(node.op)]()
        name = f"{_ARITH_NAME[type(node.op)]}-to-{_ARITH_NAME[type(new_op)]}"
        gap = text.between(text.end(node.target), text.start(node.value))
        sym = SYMBOL[type(node.op)]
        head = text.seg(node.target)
        value = text.between(text.start(node.value), text.end(node))
        close = head + gap.replace(sym + "=", SYMBOL[type(new_op)] + "=", 1) + value
        yield "arith", name, ast.AugAssign(node.target, new_op, node.value), close
        assign = head + gap.replace(sym + "=", "=", 1) + value
        yield "aug-to-assign", "aug-to-assign", ast.Assign([node.target], node.value), assign
    if not isinstance(
        node, (ast.Pass, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Global)
    ) and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
        yield "drop", "drop", ast.Pass(), "pass"


def _skipped(tree: ast.AST) -> set[int]:
    """ids of nodes never mutated: f-strings (their positions are unreliable before 3.12,
    and a message is not an answer), annotations, and the values of a plot's styling
    keywords (``figsize=``, ``ms=``, ``alpha=`` …: the notebooks leave styling to the
    student)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        roots: list[ast.AST] = []
        if isinstance(node, ast.JoinedStr):
            roots.append(node)
        elif isinstance(node, (ast.AnnAssign, ast.arg)) and node.annotation is not None:
            roots.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns:
            roots.append(node.returns)
        elif isinstance(node, ast.keyword) and node.arg in _STYLING:
            roots.append(node.value)
        for root in roots:
            skip.update(id(n) for n in ast.walk(root))
    return skip


def _region_of(node: ast.AST, regions: list[Region]) -> Region | None:
    lineno = getattr(node, "lineno", None)
    end = getattr(node, "end_lineno", None)
    if lineno is None or end is None:
        return None
    for r in regions:
        if r.begin < lineno and end < r.end:
            return r
    return None


def _parents(tree: ast.AST) -> dict[int, tuple[ast.AST, str, int | None]]:
    """id(node) -> (parent, field, index in the field's list or None)."""
    out: dict[int, tuple[ast.AST, str, int | None]] = {}
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        out[id(item)] = (parent, name, i)
            elif isinstance(value, ast.AST):
                out[id(value)] = (parent, name, None)
    return out


def _swap(where: tuple[ast.AST, str, int | None], new: ast.AST) -> ast.AST:
    """Put ``new`` in the place ``where``; return what was there."""
    parent, name, index = where
    if index is None:
        old = getattr(parent, name)
        setattr(parent, name, new)
    else:
        old = getattr(parent, name)[index]
        getattr(parent, name)[index] = new
    return old


def _top_level_span(tree: ast.Module, node: ast.AST) -> tuple[ast.stmt, int, int]:
    """The top-level statement holding ``node`` and its first and last lines (decorators
    included)."""
    for top in tree.body:
        if top.lineno <= node.lineno and node.end_lineno <= top.end_lineno:  # type: ignore[attr-defined]
            start = min([top.lineno] + [d.lineno for d in getattr(top, "decorator_list", [])])
            return top, start, top.end_lineno or top.lineno
    raise ValueError("node outside every top-level statement")


def generate_mutants(
    source: str, filename: str = "<reference>", families: tuple[str, ...] | None = None
) -> list[Mutant]:
    """Every mutant of the solution regions of ``source``, in source order.

    ``families`` restricts the operators (default: all of :data:`OPERATORS`). Mutants whose
    source equals another's (or the reference's) are dropped.
    """
    regions = find_regions(source, filename)
    tree = ast.parse(source, filename)
    text = SourceText(source)
    skip = _skipped(tree)
    parents = _parents(tree)
    wanted = set(families or OPERATORS)
    mutants: list[Mutant] = []
    seen_ids: dict[str, int] = {}
    seen_sources: set[str] = {source}
    for node in ast.walk(tree):
        if id(node) in skip or not isinstance(node, (ast.expr, ast.stmt)):
            continue
        region = _region_of(node, regions)
        if region is None:
            continue
        if isinstance(node, ast.stmt):
            makers = _stmt_mutations(node, text)
        else:
            makers = _expr_mutations(node, text)
        for family, operator, new, close in makers:
            if family not in wanted:
                continue
            m = _make(source, text, tree, parents, node, new, close, region, operator)
            if m is None:
                continue
            mutated = m.apply(source)
            if mutated in seen_sources:
                continue
            seen_sources.add(mutated)
            n = seen_ids.get(m.id, 0) + 1
            seen_ids[m.id] = n
            if n > 1:
                m = replace(m, id=f"{m.id}#{n}")
            mutants.append(replace(m, family=family))
    mutants.sort(key=lambda m: (m.line, m.col, m.id))
    return mutants


def _make(
    source: str,
    text: SourceText,
    tree: ast.Module,
    parents: dict[int, tuple[ast.AST, str, int | None]],
    node: ast.AST,
    new: ast.AST,
    close: str | None,
    region: Region,
    operator: str,
) -> Mutant | None:
    """The mutant that puts ``new`` in the place of ``node``, or None if no text makes
    exactly that change. The text tried first is ``close`` (the original's text with the
    one change), then ``ast.unparse`` of ``new``, then that in parentheses; the first
    whose syntax tree is the intended one wins."""
    (line, col), (end_line, end_col) = text.start(node), text.end(node)
    ast.fix_missing_locations(new)
    unparsed = ast.unparse(new)
    candidates = [c for c in (close, unparsed, f"({unparsed})") if c is not None]
    top, top_start, top_end = _top_level_span(tree, node)
    where = parents[id(node)]
    old = _swap(where, new)
    try:
        intended = ast.dump(top)
    finally:
        _swap(where, old)
    for replacement in dict.fromkeys(candidates):
        m = Mutant(
            id=f"{region.function}:{line}:{col + 1}:{operator}",
            function=region.function,
            question=region.question,
            family="",
            operator=operator,
            line=line,
            col=col,
            end_line=end_line,
            end_col=end_col,
            replacement=replacement,
        )
        mutated = source_lines(m.apply(source))
        shift = (end_line - line) - (len(source_lines(replacement + "x")) - 1)
        snippet = "".join(mutated[top_start - 1 : top_end - shift])
        try:
            got = ast.parse(snippet)
        except SyntaxError:
            continue
        if len(got.body) == 1 and ast.dump(got.body[0]) == intended:
            return m
    return None
