"""Assignment metadata, read from ``assignments/<id>/assignment.toml``.

The file's schema is one table, :data:`FIELDS`: every key, its type, its default, whether
it is required and what it means. Loading validates against it, the dataclasses below
take their defaults from it, and docs/authoring.md shows it as a Markdown table made by
:func:`schema_markdown` (tests/test_spec_schema.py checks that the two are identical), so
the code, the defaults and the docs cannot drift apart.

Lists of forbidden APIs that several questions share are written once, under
``[forbidden_sets]``, and referenced from a question's ``forbidden`` as ``"@name"``; the
loader resolves them, so :attr:`Question.forbidden` is always the plain list of names the
rest of the engine traps.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .runtime.errors import AutogradeError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: Gradescope's image
    import tomli as tomllib

__all__ = [
    "FIELDS",
    "ID_PATTERN",
    "Assignment",
    "Field",
    "Question",
    "SpecError",
    "default_of",
    "load_assignment",
    "schema_markdown",
]

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
ID_PATTERN = re.compile(r"^hw(\d\d)_[a-z][a-z0-9_]{0,19}$")
# ``torch.optim.*``, ``torch.Tensor.__matmul__``: dotted Python names, optionally a
# trailing ``.*`` for every public member of a module or class.
_API_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(\.\*)?")
_SET_NAME = re.compile(r"[A-Za-z_]\w*")
SET_PREFIX = "@"  # ``forbidden = ["@adam_classes"]`` names a set of [forbidden_sets]


class SpecError(AutogradeError, ValueError):
    """``assignment.toml`` is missing something or contradicts itself."""


# --------------------------------------------------------------------------- the schema


@dataclass(frozen=True)
class Kind:
    """A value type of the schema: how the docs name it, how errors say it, who fits."""

    name: str  # the docs table's "type" column
    words: str  # "... must be <words>" in an error
    fits: Callable[[object], bool]


def _is_number(value: object) -> bool:
    # TOML's ``true`` is a Python int too: only a boolean field takes it
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


STRING = Kind("string", "a string", lambda v: isinstance(v, str))
INTEGER = Kind("integer", "an integer", lambda v: _is_number(v) and isinstance(v, int))
NUMBER = Kind("number", "a number", _is_number)
BOOLEAN = Kind("boolean", "true or false", lambda v: isinstance(v, bool))
STRINGS = Kind("list of strings", "a list of strings", _is_strings)
TABLES = Kind(
    "array of tables",
    "an array of tables ([[questions]])",
    lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
)
# each set's value is checked on its own (_read_sets), so its error names the set
SETS = Kind("table", "a table ([forbidden_sets])", lambda v: isinstance(v, dict))


class _Required:
    """The default of a key that has none: the file must give it."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Derived:
    """A default computed from the other keys of the same table (already validated)."""

    text: str  # how the docs table shows it
    compute: Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Field:
    """One key of ``assignment.toml``."""

    table: str  # "" (the top level), "forbidden_sets" or "questions"
    key: str
    kind: Kind
    default: Any  # a value, REQUIRED, Derived, or None for a documentation-only row
    doc: str  # one line, for the docs table
    positive: bool = False  # a number that must be > 0


# Every key ``assignment.toml`` may hold; anything else is refused with the nearest known
# key as a hint: a typo such as ``forbiden`` must never silently lift a restriction.
# The order is the docs table's order.
FIELDS: tuple[Field, ...] = (
    Field("", "id", STRING, REQUIRED, "`hwNN_slug`, the folder's name"),
    Field("", "title", STRING, REQUIRED, "the assignment's title, shown to students"),
    Field(
        "",
        "lecture",
        INTEGER,
        Derived("NN of the id", lambda t: int(t["id"][2:4])),
        "the lecture the assignment belongs to",
    ),
    Field(
        "",
        "notebook_budget_s",
        NUMBER,
        90.0,
        "the instructor notebook must execute within this (nbclient, 2 CPU cores)",
        positive=True,
    ),
    Field(
        "",
        "grading_budget_s",
        NUMBER,
        300.0,
        "grading one submission, all probes, takes at most this",
        positive=True,
    ),
    Field("", "probe_timeout_s", NUMBER, 10.0, "one probe call in the sandbox", positive=True),
    Field(
        "",
        "load_timeout_s",
        NUMBER,
        60.0,
        "loading the notebook's definitions in the sandbox",
        positive=True,
    ),
    Field("", "memory_mb", INTEGER, 3072, "the sandbox child's memory limit", positive=True),
    Field(
        "",
        "ship",
        STRINGS,
        (),
        "extra files (relative to the folder) in the student bundle",
    ),
    Field(
        "",
        "salt",
        STRING,
        "",
        "mixed into every hidden input's seed; keep it secret, one per assignment",
    ),
    Field(
        "",
        "forbidden_sets",
        SETS,
        {},
        'named lists of forbidden APIs, referenced as `"@name"` from `forbidden`',
    ),
    Field("", "questions", TABLES, REQUIRED, "the graded questions, in notebook order"),
    # [forbidden_sets] holds keys of the author's choosing: this row only documents them
    # (_read_sets checks them)
    Field(
        "forbidden_sets",
        "<name>",
        STRINGS,
        None,
        "one set: API names (no `@` references); every set must be used",
    ),
    Field("questions", "id", STRING, REQUIRED, "`q1`, `q2`, … in notebook order"),
    Field(
        "questions",
        "title",
        STRING,
        Derived("the question's id", lambda t: t["id"]),
        "the question's title",
    ),
    Field(
        "questions",
        "points",
        NUMBER,
        REQUIRED,
        "the question's points; all questions' add up to 100",
        positive=True,
    ),
    Field(
        "questions",
        "visibility",
        STRING,
        "visible",
        "Gradescope visibility of its tests: " + ", ".join(VISIBILITIES),
    ),
    Field(
        "questions",
        "forbidden",
        STRINGS,
        (),
        'APIs refused while its probes run: `torch.optim.Adam`, `torch.func.*`, `"@set"`',
    ),
    Field(
        "questions",
        "manual",
        BOOLEAN,
        False,
        "graded by hand on Gradescope: no hidden tests, not in the autograder's maximum",
    ),
    Field(
        "questions",
        "exempt",
        STRINGS,
        (),
        "its functions whose probes lift `forbidden` (`allow=`): the static scan is quiet",
    ),
)


def _fields(table: str) -> dict[str, Field]:
    return {f.key: f for f in FIELDS if f.table == table}


def default_of(key: str, table: str = "") -> Any:
    """The schema's default of ``key`` (in ``table``): the one place defaults are written."""
    default = _fields(table)[key].default
    if default is REQUIRED or default is None or isinstance(default, Derived):
        raise KeyError(f"{key!r} has no fixed default")
    return default


def schema_markdown() -> str:
    """The schema as the Markdown table that docs/authoring.md shows (verbatim)."""
    where = {
        "": "top level",
        "forbidden_sets": "`[forbidden_sets]`",
        "questions": "`[[questions]]`",
    }
    rows = [
        "| table | key | type | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for f in FIELDS:
        if f.default is REQUIRED:
            default = "required"
        elif f.default is None:
            default = "—"
        elif isinstance(f.default, Derived):
            default = f.default.text
        else:
            default = f"`{_toml(f.default)}`"
        kind = f"positive {f.kind.name}" if f.positive else f.kind.name
        rows.append(f"| {where[f.table]} | `{f.key}` | {kind} | {default} | {f.doc} |")
    return "\n".join(rows) + "\n"


def _toml(value: Any) -> str:
    """``value`` as TOML writes it (for the docs table's defaults)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{}" if not value else repr(value)
    return str(value)


# ------------------------------------------------------------------- the loaded values


@dataclass(frozen=True)
class Question:
    """One graded question."""

    id: str
    title: str
    points: float
    visibility: str = default_of("visibility", "questions")
    # resolved: every ``"@set"`` replaced by the set's names, each name once, in order
    forbidden: tuple[str, ...] = default_of("forbidden", "questions")
    manual: bool = default_of("manual", "questions")  # graded by hand on Gradescope
    # Functions of this question where its forbidden APIs are the point (their probes
    # lift them with ``allow=``): the static scan does not warn about them.
    exempt: tuple[str, ...] = default_of("exempt", "questions")


@dataclass(frozen=True)
class Assignment:
    """One lecture's assignment and where its files are."""

    id: str
    title: str
    lecture: int
    folder: Path
    questions: tuple[Question, ...]
    notebook_budget_s: float = default_of("notebook_budget_s")
    grading_budget_s: float = default_of("grading_budget_s")
    probe_timeout_s: float = default_of("probe_timeout_s")
    load_timeout_s: float = default_of("load_timeout_s")
    memory_mb: int = default_of("memory_mb")
    ship: tuple[str, ...] = default_of("ship")
    salt: str = default_of("salt")

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


# ------------------------------------------------------------------------------ loading


def _did_you_mean(word: str, choices: Iterable[str], prefix: str = "") -> str:
    """`` (did you mean 'x'?)`` for the nearest choice, or nothing when none is near."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {prefix + close[0]!r}?)" if close else ""


def _read_table(path: Path, table: str, raw: dict, where: str, owner: str) -> dict[str, Any]:
    """``raw`` checked against the schema of ``table``, with its fixed defaults filled
    in (the derived ones come from :func:`_fill_derived`, once the caller has checked the
    keys they read).

    ``where`` ends a message about one of its keys (" in question 'q1'"), ``owner`` says
    whose key is missing ("question #2"). Numbers come back as float, lists as tuples.
    """
    schema = _fields(table)
    for key, value in raw.items():
        if key not in schema:
            hint = _did_you_mean(key, schema)
            known = ", ".join(schema)
            raise SpecError(f"{path}: unknown key {key!r}{where}{hint}; known keys: {known}")
        field = schema[key]
        if not field.kind.fits(value):
            raise SpecError(
                f"{path}: {key}{where} must be {field.kind.words}, "
                f"not {type(value).__name__} {value!r:.60}"
            )
        if field.positive and not value > 0:
            raise SpecError(f"{path}: {key}{where} must be positive, not {value!r}")
    values: dict[str, Any] = {}
    for key, field in schema.items():
        if key in raw:
            value = raw[key]
            if field.kind is NUMBER:
                value = float(value)
            elif field.kind is STRINGS:
                value = tuple(value)
            values[key] = value
        elif field.default is REQUIRED:
            raise SpecError(f"{path}: {owner} has no {key}")
        elif not isinstance(field.default, Derived):
            values[key] = field.default
    return values


def _fill_derived(table: str, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with the derived defaults of ``table``'s missing keys added."""
    for key, field in _fields(table).items():
        if key not in values and isinstance(field.default, Derived):
            values[key] = field.default.compute(values)
    return values


def _check_api_names(path: Path, what: str, names: Iterable[str]) -> None:
    for name in names:
        if not _API_NAME.fullmatch(name):
            raise SpecError(
                f"{path}: {what} holds {name!r}, which is not a dotted "
                "Python name (like torch.autograd.grad or torch.optim.*)"
            )


def _read_sets(path: Path, raw: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """``[forbidden_sets]``: name -> its API names, each checked."""
    sets = {}
    for name, names in raw.items():
        what = f"forbidden_sets.{name}"
        if not _SET_NAME.fullmatch(name):
            raise SpecError(f"{path}: {what}: a set's name must be a Python identifier")
        if not STRINGS.fits(names):
            raise SpecError(f"{path}: {what} must be {STRINGS.words}, not {names!r:.60}")
        if not names:
            raise SpecError(f"{path}: {what} is empty")
        # one level only: a set that pulls in other sets would make a reader chase names
        for entry in names:
            if entry.startswith(SET_PREFIX):
                raise SpecError(
                    f"{path}: {what} holds {entry!r}: a set holds API names, not other "
                    "sets (reference both sets from the question instead)"
                )
        _check_api_names(path, what, names)
        sets[name] = tuple(names)
    return sets


def _resolve_forbidden(
    path: Path, where: str, entries: tuple[str, ...], sets: dict[str, tuple[str, ...]]
) -> tuple[tuple[str, ...], set[str]]:
    """A question's ``forbidden`` with its ``"@set"`` entries expanded in place, each
    name kept once (its first place), and the names of the sets it used."""
    resolved: dict[str, None] = {}  # an ordered set
    used: set[str] = set()
    for entry in entries:
        if entry.startswith(SET_PREFIX):
            name = entry[len(SET_PREFIX) :]
            if name not in sets:
                hint = _did_you_mean(name, sets, prefix=SET_PREFIX)
                defined = ", ".join(sets) or "none"
                raise SpecError(
                    f"{path}: forbidden{where} names the set {entry!r}, which "
                    f"[forbidden_sets] does not define{hint}; defined sets: {defined}"
                )
            used.add(name)
            resolved.update(dict.fromkeys(sets[name]))
        else:
            _check_api_names(path, f"forbidden{where}", [entry])
            resolved[entry] = None
    return tuple(resolved), used


def _read_question(
    path: Path, number: int, raw: dict, sets: dict[str, tuple[str, ...]]
) -> tuple[Question, set[str]]:
    """Question ``number`` (from 1) and the sets its ``forbidden`` used."""
    label = raw.get("id") if isinstance(raw.get("id"), str) else f"#{number}"
    where = f" in question {label!r}"
    values = _read_table(path, "questions", raw, where, f"question #{number}")
    if not re.fullmatch(r"q\d+", values["id"]):
        raise SpecError(f"{path}: question ids are q1, q2, ...; got {values['id']!r}")
    if values["visibility"] not in VISIBILITIES:
        raise SpecError(f"{path}: visibility{where} must be one of {', '.join(VISIBILITIES)}")
    _check_api_names(path, f"exempt{where}", values["exempt"])
    values["forbidden"], used = _resolve_forbidden(path, where, values["forbidden"], sets)
    return Question(**_fill_derived("questions", values)), used


def load_assignment(folder: Path) -> Assignment:
    """Parse and validate ``folder/assignment.toml``: every problem is one
    ``SpecError`` line naming the file and the key."""
    path = folder / "assignment.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: {exc}") from None
    top = _read_table(path, "", data, "", "the file")
    if top["id"] != folder.name or not ID_PATTERN.match(top["id"]):
        raise SpecError(
            f"{path}: id {top['id']!r} must equal the folder name and look like hwNN_slug"
        )
    _fill_derived("", top)
    sets = _read_sets(path, top.pop("forbidden_sets"))
    questions, used = [], set()
    for number, raw in enumerate(top.pop("questions"), 1):
        question, used_here = _read_question(path, number, raw, sets)
        questions.append(question)
        used |= used_here
    if not questions:
        raise SpecError(f"{path}: no [[questions]]")
    if len({q.id for q in questions}) != len(questions):
        raise SpecError(f"{path}: duplicate question ids")
    for name in sets:
        # an unused set is dead text at best, and at worst a question that was meant to
        # use it and does not
        if name not in used:
            raise SpecError(
                f"{path}: forbidden_sets.{name} is used by no question "
                f'(reference it as "{SET_PREFIX}{name}" or remove it)'
            )
    return Assignment(folder=folder, questions=tuple(questions), **top)
