"""A source text addressed by ``ast`` positions (UTF-8 byte columns made characters), so
that a mutant changes exactly one token and keeps the rest of the line as written."""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

__all__ = ["SYMBOL", "SourceText", "source_lines"]

SYMBOL: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.And: "and",
    ast.Or: "or",
}
# How each operator's token looks in the text between its operands.
_TOKEN: dict[type, str] = {
    ast.Add: r"\+",
    ast.Sub: r"-",
    ast.Mult: r"\*",
    ast.Div: r"/(?!/)",
    ast.FloorDiv: r"//",
    ast.Lt: r"<(?!=)",
    ast.LtE: r"<=",
    ast.Gt: r">(?!=)",
    ast.GtE: r">=",
    ast.Eq: r"==",
    ast.NotEq: r"!=",
    ast.Is: r"\bis\b(?!\s+not\b)",
    ast.IsNot: r"\bis\s+not\b",
    ast.In: r"(?<!not )\bin\b",
    ast.NotIn: r"\bnot\s+in\b",
    ast.And: r"\band\b",
    ast.Or: r"\bor\b",
}

_LINE_END = re.compile(r"\r\n|\r|\n")


def source_lines(source: str) -> list[str]:
    """The lines of ``source`` with their ends, split as the tokenizer splits them."""
    out, at = [], 0
    for m in _LINE_END.finditer(source):
        out.append(source[at : m.end()])
        at = m.end()
    if at < len(source):
        out.append(source[at:])
    return out


def _char_col(line: str, byte_col: int) -> int:
    """A character column from ``ast``'s UTF-8 byte column."""
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))


class SourceText:
    """The source text, addressed by ``ast`` positions."""

    def __init__(self, source: str) -> None:
        self.lines = source_lines(source)

    def start(self, node: ast.AST) -> tuple[int, int]:
        """(line, character column) where ``node`` starts."""
        line = node.lineno  # type: ignore[attr-defined]
        return line, _char_col(self.lines[line - 1], node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> tuple[int, int]:
        """(line, character column) just after ``node``."""
        line = node.end_lineno  # type: ignore[attr-defined]
        return line, _char_col(self.lines[line - 1], node.end_col_offset)  # type: ignore[attr-defined]

    def between(self, a: tuple[int, int], b: tuple[int, int]) -> str:
        """The text from position ``a`` to position ``b``."""
        (l1, c1), (l2, c2) = a, b
        if l1 == l2:
            return self.lines[l1 - 1][c1:c2]
        middle = "".join(self.lines[l1 : l2 - 1])
        return self.lines[l1 - 1][c1:] + middle + self.lines[l2 - 1][:c2]

    def seg(self, node: ast.AST) -> str:
        """The text of ``node``."""
        return self.between(self.start(node), self.end(node))

    def swap_token(
        self, node: ast.AST, parts: Sequence[ast.AST], old: list, new: list
    ) -> str | None:
        """The text of ``node`` with the operator token between ``parts[i]`` and
        ``parts[i + 1]`` changed from ``old[i]`` to ``new[i]`` (None: not changed there);
        None if a token is not found."""
        out = [self.between(self.start(node), self.end(parts[0]))]
        for i in range(len(parts) - 1):
            gap = self.between(self.end(parts[i]), self.start(parts[i + 1]))
            if old[i] is not None:
                gap, n = re.subn(_TOKEN[type(old[i])], SYMBOL[type(new[i])], gap, count=1)
                if n != 1:
                    return None
            out += [gap, self.seg(parts[i + 1])]
        out.append(self.between(self.end(parts[-1]), self.end(node)))
        return "".join(out)
