"""Assignment metadata, read from ``assignments/<id>/assignment.toml``."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: Gradescope's image
    import tomli as tomllib

__all__ = ["Assignment", "Question", "SpecError", "load_assignment"]

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
_ID = re.compile(r"^hw(\d\d)_[a-z][a-z0-9_]{0,19}$")


class SpecError(ValueError):
    """``assignment.toml`` is missing something or contradicts itself."""


@dataclass(frozen=True)
class Question:
    """One graded question."""

    id: str
    title: str
    points: float
    visibility: str = "visible"
    forbidden: tuple[str, ...] = ()
    manual: bool = False  # graded by hand on Gradescope; no autograded tests
    # Functions of this question where its forbidden APIs are the point (their probes
    # lift them with ``allow=``): the static scan does not warn about them.
    exempt: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assignment:
    """One lecture's assignment and where its files are."""

    id: str
    title: str
    lecture: int
    folder: Path
    questions: tuple[Question, ...]
    notebook_budget_s: float = 90.0
    grading_budget_s: float = 300.0
    probe_timeout_s: float = 10.0
    load_timeout_s: float = 60.0
    memory_mb: int = 3072
    ship: tuple[str, ...] = ()
    salt: str = ""

    @property
    def total_points(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def autograded_points(self) -> float:
        """Points the autograder gives; manual questions are graded on Gradescope by hand."""
        return sum(q.points for q in self.questions if not q.manual)

    @property
    def forbidden_apis(self) -> list[str]:
        """Every API some question forbids (the sandbox traps them all, per question)."""
        return sorted({f for q in self.questions for f in q.forbidden})

    @property
    def notebook_source(self) -> Path:
        return self.folder / "notebook.py"

    @property
    def hidden_tests(self) -> Path:
        return self.folder / "tests" / "hidden"

    @property
    def public_tests(self) -> Path:
        return self.folder / "tests" / "public"

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(f"{self.id} has no question {qid!r}")


def load_assignment(folder: Path) -> Assignment:
    """Parse and validate ``folder/assignment.toml``."""
    path = folder / "assignment.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: {exc}") from None
    aid = data.get("id", folder.name)
    if aid != folder.name or not _ID.match(aid):
        raise SpecError(f"{path}: id {aid!r} must equal the folder name and look like hwNN_slug")
    questions = []
    for raw in data.get("questions", []):
        q = Question(
            id=raw["id"],
            title=raw.get("title", raw["id"]),
            points=float(raw["points"]),
            visibility=raw.get("visibility", "visible"),
            forbidden=tuple(raw.get("forbidden", ())),
            manual=bool(raw.get("manual", False)),
            exempt=tuple(raw.get("exempt", ())),
        )
        if q.visibility not in VISIBILITIES:
            raise SpecError(f"{path}: {q.id}: visibility must be one of {VISIBILITIES}")
        if not re.fullmatch(r"q\d+", q.id):
            raise SpecError(f"{path}: question ids are q1, q2, ...; got {q.id!r}")
        questions.append(q)
    if not questions:
        raise SpecError(f"{path}: no [[questions]]")
    if len({q.id for q in questions}) != len(questions):
        raise SpecError(f"{path}: duplicate question ids")
    return Assignment(
        id=aid,
        title=data.get("title", aid),
        lecture=int(data.get("lecture", int(aid[2:4]))),
        folder=folder,
        questions=tuple(questions),
        notebook_budget_s=float(data.get("notebook_budget_s", 90)),
        grading_budget_s=float(data.get("grading_budget_s", 300)),
        probe_timeout_s=float(data.get("probe_timeout_s", 10)),
        load_timeout_s=float(data.get("load_timeout_s", 60)),
        memory_mb=int(data.get("memory_mb", 3072)),
        ship=tuple(data.get("ship", ())),
        salt=str(data.get("salt", "")),
    )
