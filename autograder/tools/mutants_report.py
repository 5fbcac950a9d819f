"""What a mutation run found, per mutant and per question, and the tables and Markdown
report made of it (``make mutants``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..spec import Assignment
from .mutants_ops import Mutant

__all__ = [
    "KILLED",
    "STATUSES",
    "AssignmentRun",
    "MutantResult",
    "QuestionScore",
    "markdown_report",
    "score_table",
    "text_table",
]

#: Statuses that count as killed.
KILLED = ("killed", "timeout", "crashed")
STATUSES = ("killed", "elsewhere", "survived", "timeout", "crashed", "equivalent", "error")
_EPS = 1e-9


@dataclass
class MutantResult:
    """How one mutant fared."""

    mutant: Mutant
    status: str  # one of STATUSES
    scores: dict[str, float] = field(default_factory=dict)  # question -> score
    seconds: float = 0.0
    detail: str = ""  # the import error, the signal, the equivalence reason


@dataclass
class QuestionScore:
    """One row of the table."""

    assignment: str
    question: str
    counts: dict[str, int]

    @property
    def mutants(self) -> int:
        return sum(self.counts.values())

    @property
    def killed(self) -> int:
        return sum(self.counts.get(s, 0) for s in KILLED)

    @property
    def counted(self) -> int:
        """Mutants that count: all but the equivalent ones."""
        return self.mutants - self.counts.get("equivalent", 0)

    @property
    def score(self) -> float | None:
        """Killed out of counted, in percent (None when nothing counts)."""
        return 100.0 * self.killed / self.counted if self.counted else None


@dataclass
class AssignmentRun:
    """Everything the report needs about one assignment."""

    assignment: Assignment
    source: str
    generated: int
    results: list[MutantResult]
    baseline: dict[str, float]  # question -> the reference's score
    baseline_s: float
    stale_equivalents: list[str]
    seconds: float


def score_table(runs: list[AssignmentRun]) -> list[QuestionScore]:
    """One row per assignment and question (questions without mutants included)."""
    rows: list[QuestionScore] = []
    for run in runs:
        for q in run.assignment.questions:
            if q.manual:
                continue
            counts = {s: 0 for s in STATUSES}
            for r in run.results:
                if r.mutant.question == q.id:
                    counts[r.status] = counts.get(r.status, 0) + 1
            rows.append(QuestionScore(run.assignment.id, q.id, counts))
    return rows


def _fmt_score(score: float | None) -> str:
    return "-" if score is None else f"{score:.0f}%"


def text_table(rows: list[QuestionScore]) -> str:
    """The table as aligned text."""
    head = (
        "assignment",
        "question",
        "mutants",
        "killed",
        "elsewhere",
        "survived",
        "equiv",
        "score",
    )
    body = [
        (
            r.assignment,
            r.question,
            str(r.mutants),
            str(r.killed),
            str(r.counts.get("elsewhere", 0)),
            str(r.counts.get("survived", 0)),
            str(r.counts.get("equivalent", 0)),
            _fmt_score(r.score),
        )
        for r in rows
    ]
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    return "\n".join(
        "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
        for row in [head, *body]
    )


def markdown_report(
    runs: list[AssignmentRun], command: str = "", not_graded: dict[str, str] | None = None
) -> str:
    """The Markdown report: the table, then every survivor with its changed line.
    ``not_graded``: assignment -> why its mutants could not be graded (listed first)."""
    rows = score_table(runs)
    out = ["# Mutation scores of the hidden suites", ""]
    if command:
        out += [f"`{command}`", ""]
    if not_graded:
        out += ["**Not graded** (the run went on with the other assignments):", ""]
        out += [f"- {aid}: {why}" for aid, why in sorted(not_graded.items())]
        out.append("")
    out += [
        "Score: killed (on the mutant's own question, by a timeout or by a crash) out of "
        "the mutants that are not equivalent.",
        "",
        "| assignment | question | mutants | killed | timeout | crashed "
        "| killed elsewhere only | survived | equivalent | score |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        c = row.counts
        cells = [c.get(s, 0) for s in ("killed", "timeout", "crashed", "elsewhere", "survived")]
        out.append(
            f"| {row.assignment} | {row.question} | {row.mutants} | "
            + " | ".join(str(x) for x in cells)
            + f" | {c.get('equivalent', 0)} | {_fmt_score(row.score)} |"
        )
    out.append("")
    for run in runs:
        graded = [r for r in run.results if r.status != "equivalent"]
        per = sum(r.seconds for r in graded) / len(graded) if graded else 0.0
        out += [
            f"## {run.assignment.id}",
            "",
            f"{len(run.results)} of {run.generated} mutants graded "
            f"(reference graded in {run.baseline_s:.1f} s; {per:.2f} s per mutant; "
            f"{run.seconds:.0f} s in all).",
            "",
        ]
        if run.stale_equivalents:
            out += [
                "Listed as equivalent but no longer generated (update "
                "`mutants_equivalent.toml`): " + ", ".join(f"`{i}`" for i in run.stale_equivalents),
                "",
            ]
        for status, title in (
            ("survived", "Survivors"),
            ("elsewhere", "Killed on another question only"),
            ("error", "Grader errors"),
        ):
            chosen = [r for r in run.results if r.status == status]
            if not chosen:
                continue
            out += [f"### {title}", ""]
            for r in chosen:
                before, after = r.mutant.diff(run.source)
                lost = ", ".join(f"{q} −{pts:g}" for q, pts in _losses(run, r).items())
                out.append(
                    f"- `{r.mutant.id}` ({r.mutant.question})" + (f", loses {lost}" if lost else "")
                )
                out += ["  ```diff", *[f"  - {ln}" for ln in before.splitlines()]]
                out += [*[f"  + {ln}" for ln in after.splitlines()], "  ```"]
                if r.detail:
                    out.append(f"  {r.detail}")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _losses(run: AssignmentRun, r: MutantResult) -> dict[str, float]:
    """Question -> the points mutant ``r`` loses there against the reference's score."""
    lost = {q: round(run.baseline.get(q, 0.0) - s, 4) for q, s in sorted(r.scores.items())}
    return {q: pts for q, pts in lost.items() if pts > _EPS}
