"""Assignment metadata, read from ``assignments/<id>/assignment.toml``."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import AutogradeError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: Gradescope's image
    import tomli as tomllib

__all__ = ["Assignment", "Question", "SpecError", "load_assignment"]

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
_ID = re.compile(r"^hw(\d\d)_[a-z][a-z0-9_]{0,19}$")


class SpecError(AutogradeError, ValueError):
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


# The schema of ``assignment.toml``: every key it may hold, with its type. A key not
# listed here is refused (with the nearest known key as a hint): a typo such as
# ``forbiden`` must never silently lift a restriction.
_NUMBER = (int, float)
_TOP_KEYS: dict[str, tuple[type, ...] | str] = {
    "id": (str,),
    "title": (str,),
    "lecture": (int,),
    "notebook_budget_s": _NUMBER,
    "grading_budget_s": _NUMBER,
    "probe_timeout_s": _NUMBER,
    "load_timeout_s": _NUMBER,
    "memory_mb": (int,),
    "ship": "strings",
    "salt": (str,),
    "questions": "tables",
}
_QUESTION_KEYS: dict[str, tuple[type, ...] | str] = {
    "id": (str,),
    "title": (str,),
    "points": _NUMBER,
    "visibility": (str,),
    "forbidden": "strings",
    "manual": (bool,),
    "exempt": "strings",
}
_POSITIVE = ("notebook_budget_s", "grading_budget_s", "probe_timeout_s", "load_timeout_s")
# ``torch.optim.*``, ``torch.Tensor.__matmul__``: dotted Python names, optionally a
# trailing ``.*`` for every public member of a module or class.
_API_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(\.\*)?")


def _type_words(kind: tuple[type, ...] | str) -> str:
    if kind == "strings":
        return "a list of strings"
    if kind == "tables":
        return "an array of tables ([[questions]])"
    if kind == _NUMBER:
        return "a number"
    return {str: "a string", int: "an integer", bool: "true or false"}[kind[0]]


def _type_ok(value: object, kind: tuple[type, ...] | str) -> bool:
    if kind == "strings":
        return isinstance(value, list) and all(isinstance(x, str) for x in value)
    if kind == "tables":
        return isinstance(value, list) and all(isinstance(x, dict) for x in value)
    if isinstance(value, bool):  # TOML's true is a Python int too: only bool takes it
        return bool in kind
    return isinstance(value, kind)


def _check_table(
    path: Path, where: str, data: dict, schema: dict[str, tuple[type, ...] | str]
) -> None:
    """Refuse unknown keys (naming the nearest known one) and values of the wrong type."""
    import difflib

    for key, value in data.items():
        if key not in schema:
            close = difflib.get_close_matches(key, list(schema), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(schema)
            raise SpecError(f"{path}: unknown key {key!r}{where}{hint}; known keys: {known}")
        if not _type_ok(value, schema[key]):
            raise SpecError(
                f"{path}: {key}{where} must be {_type_words(schema[key])}, "
                f"not {type(value).__name__} {value!r:.60}"
            )


def load_assignment(folder: Path) -> Assignment:
    """Parse and validate ``folder/assignment.toml``: every problem is one
    ``SpecError`` line naming the file and the key."""
    path = folder / "assignment.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: {exc}") from None
    _check_table(path, "", data, _TOP_KEYS)
    aid = data.get("id", folder.name)
    if aid != folder.name or not _ID.match(aid):
        raise SpecError(f"{path}: id {aid!r} must equal the folder name and look like hwNN_slug")
    for key in (*_POSITIVE, "memory_mb"):
        if key in data and not data[key] > 0:
            raise SpecError(f"{path}: {key} must be positive, not {data[key]!r}")
    questions = []
    for number, raw in enumerate(data.get("questions", []), 1):
        label = f" in question {raw.get('id', f'#{number}')!r}"
        _check_table(path, label, raw, _QUESTION_KEYS)
        for key in ("id", "points"):
            if key not in raw:
                raise SpecError(f"{path}: question #{number} has no {key}")
        if not raw["points"] > 0:
            raise SpecError(f"{path}: points{label} must be positive, not {raw['points']!r}")
        for key in ("forbidden", "exempt"):
            for name in raw.get(key, ()):
                if not _API_NAME.fullmatch(name):
                    raise SpecError(
                        f"{path}: {key}{label} holds {name!r}, which is not a dotted "
                        "Python name (like torch.autograd.grad or torch.optim.*)"
                    )
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
