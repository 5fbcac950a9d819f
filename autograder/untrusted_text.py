"""Text that came from the student's side, made safe to show in Markdown feedback.

Everything the sandbox child sends is the student's to choose: exception messages,
tracebacks, load problems, names, the values a probe returns. Rendered as Markdown it
could forge a heading or a "Score: 100 / 100" line. So such text is capped and its
Markdown punctuation escaped (it then reads as plain text), and a traceback goes into a
fenced code block whose fence no run of backticks inside it can close.
"""

from __future__ import annotations

import re

__all__ = [
    "MESSAGE_LIMIT",
    "TRACEBACK_LIMIT",
    "code_block",
    "code_span",
    "escape_markdown",
    "student_text",
]

#: How much of a student's exception message and traceback the feedback shows: enough
#: to act on, too little to carry the hidden inputs out.
MESSAGE_LIMIT = 300
TRACEBACK_LIMIT = 600

# What can change how a line renders: emphasis (* and _ at a word's edge), code spans,
# links and images, HTML, table cells. Line-start syntax (# headings, - lists) cannot
# occur: student text is always made one line and shown after other text.
_SIGNIFICANT = re.compile(r"([\\`*\[\]<>|])|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def _cap(text: str, limit: int) -> str:
    text = str(text).replace("\x00", "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape_markdown(text: str) -> str:
    """``text`` with every Markdown-significant character backslash-escaped, so it
    renders as the same characters, on one line (newlines become " ⏎ ")."""
    one_line = str(text).replace("\r", "").replace("\n", " ⏎ ")
    return _SIGNIFICANT.sub(lambda m: "\\" + m.group(0), one_line)


def code_span(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """A short name or value from the student's side as an inline code span, which
    Markdown shows verbatim (its fence is longer than any run of backticks inside)."""
    text = _cap(text, limit).replace("\r", "").replace("\n", " ⏎ ")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def student_text(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """A short message from the student's side: capped, then escaped."""
    return escape_markdown(_cap(text, limit))


def code_block(text: str, limit: int = TRACEBACK_LIMIT) -> str:
    """Multi-line text from the student's side as a fenced code block."""
    text = _cap(text, limit)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"
