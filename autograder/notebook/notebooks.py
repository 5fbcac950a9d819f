"""Build the instructor and student notebooks from ``notebook.py`` and the reference.

``notebook.py`` is jupytext percent format. A code cell whose only line is
``#| include: name1, name2`` becomes the source of those top-level definitions of
``solutions/<id>.py``: as written (markers dropped) for the instructor, with each solution
region replaced by a ``NotImplementedError`` stub for the student.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jupytext
import nbformat
from nbformat import NotebookNode

from .. import __version__
from ..runtime.errors import AutogradeError
from ..spec import Assignment
from .regions import definition_source, find_regions, instructor_view, student_view

__all__ = ["BuildError", "BuiltNotebooks", "build_notebooks"]

_INCLUDE = re.compile(r"^#\|\s*include:\s*(?P<names>.+?)\s*$")
CHECK_CELL = re.compile(r"""^\s*check\(\s*["'](?P<q>q\d+)["']\s*\)\s*$""")


class BuildError(AutogradeError, ValueError):
    """The assignment's sources are inconsistent; the message names the place."""


@dataclass
class BuiltNotebooks:
    instructor: NotebookNode
    student: NotebookNode
    included: list[str]  # names shown in the notebook
    questions_in_notebook: set[str]


RUNTIME_IMPORT = re.compile(r"^from autograde_check import (?P<names>[\w, ]+)$")
_RUNTIME_SETUP = """\
try:  # the public checks ship next to this notebook, in autograde_check/
    from autograde_check import {names}
except ImportError:  # e.g. Colab, where only the notebook was uploaded
    import glob, os, zipfile
    _bundle = sorted(glob.glob("{id}*.zip"))
    if not _bundle:
        raise ImportError(
            "autograde_check was not found. Keep the autograde_check folder next to this "
            "notebook; in Colab, upload {id}.zip (the student bundle) with the Files panel "
            "and run this cell again."
        ) from None
    with zipfile.ZipFile(_bundle[0]) as _zip:  # its autograde_check/, next to this notebook
        for _name in _zip.namelist():  # at the top, or under one folder (older bundles)
            _path = _name[_name.find("autograde_check/"):] if "autograde_check/" in _name else ""
            if _path.startswith("autograde_check/") and not _path.endswith("/"):
                os.makedirs(os.path.dirname(_path), exist_ok=True)
                with open(_path, "wb") as _out:
                    _out.write(_zip.read(_name))
    from autograde_check import {names}"""


def _with_runtime_setup(source: str, assignment_id: str) -> str:
    """Replace the setup cell's plain runtime import by one that also works in Colab."""
    out = []
    for line in source.splitlines():
        m = RUNTIME_IMPORT.match(line.strip())
        if m and not line.startswith((" ", "\t")):
            setup = _RUNTIME_SETUP.replace("{id}", assignment_id)
            line = setup.replace(
                "{names}", ", ".join(n.strip() for n in m.group("names").split(","))
            )
        out.append(line)
    return "\n".join(out)


def include_names(source: str) -> list[str] | None:
    lines = [ln for ln in source.strip().splitlines() if ln.strip()]
    if len(lines) == 1 and (m := _INCLUDE.match(lines[0].strip())):
        return [n.strip() for n in m.group("names").split(",") if n.strip()]
    return None


def _metadata(assignment: Assignment, role: str) -> dict:
    return {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "autograde": {"assignment": assignment.id, "role": role, "version": __version__},
    }


def build_notebooks(assignment: Assignment, reference_source: str) -> BuiltNotebooks:
    """Both notebooks, validated against nbformat 4's schema."""
    ref_name = f"solutions/{assignment.id}.py"
    try:
        regions = find_regions(reference_source, ref_name)
        teacher_src = instructor_view(reference_source)
        student_src = student_view(reference_source, ref_name)
    except (ValueError, SyntaxError) as exc:
        raise BuildError(str(exc)) from None
    text = assignment.notebook_source.read_text(encoding="utf-8")
    source_nb = jupytext.reads(text, fmt="py:percent")
    instructor_cells, student_cells, included = [], [], []
    checked: set[str] = set()
    for number, cell in enumerate(source_nb.cells, start=1):
        if cell.cell_type == "markdown":
            md = nbformat.v4.new_markdown_cell(cell.source)
            instructor_cells.append(md)
            student_cells.append(nbformat.v4.new_markdown_cell(cell.source))
            continue
        if cell.cell_type != "code":
            continue
        names = include_names(cell.source)
        if names is None:
            tags = []
            if m := CHECK_CELL.match(cell.source):
                tags = ["check", m.group("q")]
                checked.add(m.group("q"))
            source = _with_runtime_setup(cell.source, assignment.id)
            for out in (instructor_cells, student_cells):
                new = nbformat.v4.new_code_cell(source)
                if tags:
                    new.metadata["tags"] = tags
                out.append(new)
            continue
        try:
            teacher = "\n\n\n".join(definition_source(teacher_src, n) for n in names)
            student = "\n\n\n".join(definition_source(student_src, n) for n in names)
        except KeyError as exc:
            raise BuildError(
                f"{assignment.notebook_source}: cell {number} includes {exc.args[0]!r}, "
                f"which {ref_name} does not define at top level"
            ) from None
        included += names
        questions = sorted({r.question for r in regions if r.function.split(".")[0] in names})
        tags = ["answer", *questions] if questions else ["reference"]
        for out, src in ((instructor_cells, teacher), (student_cells, student)):
            new = nbformat.v4.new_code_cell(src)
            new.metadata["tags"] = tags
            out.append(new)
    graded = {q.id for q in assignment.questions if not q.manual}
    shown = {r.question for r in regions if r.function.split(".")[0] in included}
    unknown = {r.question for r in regions} - {q.id for q in assignment.questions}
    if unknown:
        raise BuildError(f"{ref_name} has regions for {sorted(unknown)}, not in assignment.toml")
    missing = {r.question for r in regions} - shown
    if missing:
        raise BuildError(
            f"regions for {sorted(missing)} are in {ref_name} but their functions "
            "are not included in notebook.py"
        )
    built = []
    for role, cells in (("instructor", instructor_cells), ("student", student_cells)):
        for i, cell in enumerate(cells, start=1):
            cell.id = f"cell-{i}"  # stable ids: same sources, same notebook bytes
        nb = nbformat.v4.new_notebook(cells=cells, metadata=_metadata(assignment, role))
        try:
            nbformat.validate(nb)
        except nbformat.ValidationError as exc:
            raise BuildError(f"{assignment.id}: built {role} notebook is invalid: {exc}") from None
        built.append(nb)
    return BuiltNotebooks(built[0], built[1], included, (shown | checked) & graded)
