"""Read what a student submitted: a notebook (``.ipynb``) or a Python file (``.py``).

Only the code cells' text is taken; outputs are dropped. Anything that is not a
readable notebook gets a ``SubmissionError`` whose message tells the student what to
upload instead. Nothing here runs student code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..runtime.errors import AutogradeError

__all__ = [
    "Choice",
    "Submission",
    "SubmissionError",
    "choose_submission",
    "find_submission",
    "read_submission",
]

MAX_BYTES = 100 << 20
_PY_CELL = re.compile(r"^# %%.*(?:\n|$)", re.MULTILINE)


class SubmissionError(AutogradeError, ValueError):
    """The file cannot be read as a notebook; the message is for the student."""


@dataclass
class Submission:
    cells: list[tuple[int, str]]
    notes: list[str] = field(default_factory=list)
    assignment_tag: str | None = None


def _sniff(raw: bytes) -> str:
    head = raw[:8]
    if head.startswith(b"%PDF"):
        return "a PDF file"
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive"
    if head[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1"):
        return "an image"
    return ""


def _source_text(source: object) -> str:
    if isinstance(source, list):
        return "".join(str(s) for s in source)
    return str(source) if source is not None else ""


def _from_notebook(raw: bytes, name: str) -> Submission:
    kind = _sniff(raw)
    if kind:
        raise SubmissionError(
            f"{name} is {kind}, not a Jupyter notebook; upload the .ipynb file "
            "(File > Download > .ipynb in Jupyter or Colab)"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    try:
        nb = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise SubmissionError(
            f"{name} is not valid notebook JSON ({str(exc)[:120]}); it may be truncated or edited "
            "by hand. Re-download it from Jupyter/Colab (File > Download > .ipynb) and upload that."
        ) from None
    if not isinstance(nb, dict):
        raise SubmissionError(f"{name} is JSON but not a notebook (no cells)")
    notes = []
    major = nb.get("nbformat")
    if isinstance(major, int) and major < 4 and "worksheets" in nb:
        notes.append(f"the notebook is in the old nbformat {major}; read anyway")
        raw_cells: object = [
            c
            for ws in nb.get("worksheets") or []
            if isinstance(ws, dict)
            for c in ws.get("cells") or []
        ]
        key = "input"
    else:
        raw_cells, key = nb.get("cells"), "source"
    if not isinstance(raw_cells, list):
        raise SubmissionError(f"{name} has no list of cells; is it a Jupyter notebook?")
    # Cells are numbered among the code cells (markdown cells are not counted): with the
    # cell's first line, that is how feedback names a cell (extract.describe_cell).
    code = [c for c in raw_cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    cells = [(i, _source_text(c.get(key) or c.get("source"))) for i, c in enumerate(code, 1)]
    if not cells:
        notes.append("the notebook has no code cells")
    meta = nb.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
    tag = (
        (meta.get("autograde") or {}).get("assignment")
        if isinstance(meta.get("autograde"), dict)
        else None
    )
    return Submission(cells, notes, tag if isinstance(tag, str) else None)


def _from_python(raw: bytes) -> Submission:
    text = raw.decode("utf-8", errors="replace")
    parts = _PY_CELL.split(text)
    cells = list(enumerate((part for part in parts if part.strip()), start=1))
    return Submission(cells)


def read_submission(path: Path) -> Submission:
    """Read ``path``; raises ``SubmissionError`` with a message for the student."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SubmissionError(f"cannot read {path.name}: {exc.strerror}") from None
    if size > MAX_BYTES:
        raise SubmissionError(
            f"{path.name} is {size >> 20} MB, over the {MAX_BYTES >> 20} MB limit; "
            "clear the outputs (Edit > Clear All Outputs) and upload again"
        )
    raw = path.read_bytes()
    if not raw.strip():
        raise SubmissionError(f"{path.name} is empty")
    if path.suffix == ".py":
        return _from_python(raw)
    return _from_notebook(raw, path.name)


@dataclass(frozen=True)
class Choice:
    """The file graded out of a submission folder, and the candidates left aside."""

    path: Path
    ignored: tuple[str, ...] = ()

    def note(self, assignment_id: str) -> str:
        """One line for the feedback when there was a choice to make ('' otherwise)."""
        if not self.ignored:
            return ""
        others = ", ".join(self.ignored[:10]) + (" ..." if len(self.ignored) > 10 else "")
        return (
            f"Graded {self.path.name}; not graded: {others}. To choose, name the notebook "
            f"you want graded {assignment_id}.ipynb, or upload only that one."
        )


def _made_for(path: Path, assignment_id: str) -> bool:
    """Whether a notebook's metadata says it is this assignment's (the student notebook
    carries ``metadata.autograde.assignment``)."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return False
        meta = json.loads(path.read_bytes()).get("metadata", {})
        return meta.get("autograde", {}).get("assignment") == assignment_id
    except (OSError, ValueError, AttributeError):
        return False


def choose_submission(folder: Path, assignment_id: str) -> Choice:
    """The file to grade in a submission folder (Gradescope's upload), and the others.

    In order: a notebook named ``<id>.ipynb`` (the shallowest); else the notebooks whose
    metadata names this assignment, else all notebooks, the most recently modified first;
    else ``<id>.py``, else any ``.py`` file. Checkpoint folders are skipped.
    """
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink() and ".ipynb_checkpoints" not in p.parts
    )
    notebooks = [p for p in files if p.suffix == ".ipynb"]
    scripts = [p for p in files if p.suffix == ".py"]

    def newest_first(paths: list[Path]) -> list[Path]:
        return sorted(paths, key=lambda p: (-p.stat().st_mtime, len(p.parts), str(p)))

    exact = sorted(
        (p for p in notebooks if p.name == f"{assignment_id}.ipynb"),
        key=lambda p: (len(p.parts), str(p)),
    )
    ranked = (
        exact
        or newest_first([p for p in notebooks if _made_for(p, assignment_id)])
        or newest_first(notebooks)
    )
    if ranked:
        chosen = ranked[0]
        return Choice(chosen, tuple(str(p.relative_to(folder)) for p in notebooks if p != chosen))
    for pattern in (f"{assignment_id}.py", "*.py"):
        found = [p for p in scripts if p.match(pattern)]
        if found:
            return Choice(found[0], tuple(str(p.relative_to(folder)) for p in found[1:]))
    names = ", ".join(p.name for p in files[:10]) or "nothing"
    raise SubmissionError(
        f"no notebook found in your submission (got: {names}); upload {assignment_id}.ipynb"
    )


def find_submission(folder: Path, assignment_id: str) -> Path:
    """The file to grade in a submission folder (see :func:`choose_submission`)."""
    return choose_submission(folder, assignment_id).path
