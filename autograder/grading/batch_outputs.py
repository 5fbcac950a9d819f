"""The class-wide files of a batch, rebuilt from ``results/`` after every run (and by
``autograde merge``): ``grades.csv`` and ``summary.png``. ``report.html`` is
``batch_report``'s.

Each is written from the results folder in student order, so the same results give the
same bytes, whichever machine or shard graded them.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from ..spec import Assignment
from .batch_inputs import Student

__all__ = [
    "load_results",
    "question_scores",
    "row_status",
    "write_grades_csv",
    "write_summary_png",
    "write_text_atomic",
]


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` whole: a reader (or a resumed batch) never sees half."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def question_scores(assignment: Assignment, results: dict) -> dict[str, float]:
    """Each autograded question's score in a results document (its tests' tagged scores)."""
    scores = {q.id: 0.0 for q in assignment.questions if not q.manual}
    for t in results.get("tests", []):
        for tag in t.get("tags", []):
            if tag in scores and "score" in t:
                scores[tag] += float(t["score"])
    return scores


def row_status(results: dict) -> str:
    """The ``status`` column for a graded student: graded, not graded (why), or a grader
    fault with its cause."""
    extra = results.get("extra_data", {})
    if extra.get("grader_fault"):
        cause = str(extra.get("fault") or "").replace("\n", " ")[:120]
        return "grader fault" + (f": {cause}" if cause else "")
    tests = results.get("tests", [])
    if tests and tests[0].get("name") == "Grading":
        return "not graded: " + tests[0].get("output", "")[:120].replace("\n", " ")
    status = "graded"
    if any(t.get("name") == "Loading your notebook" for t in tests):
        status = "graded, with load problems"
    if extra.get("retried_after_kill"):  # staff: check the machine (OOM killer, a kill)
        status += f"; sandbox killed from outside, call retried {extra['retried_after_kill']}x"
    return status


def load_results(path: Path) -> dict | None:
    """A student's results, or None when missing or unreadable (the row says so)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_grades_csv(assignment: Assignment, students: list[Student], out: Path) -> Path:
    """``grades.csv``: a row per student and per input entry that was not graded."""
    qids = [q.id for q in assignment.questions if not q.manual]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "name", "email", *qids, "total", "max", "status", "source"])
    for s in sorted(students, key=lambda s: (s.id, s.source)):
        results = load_results(out / "results" / f"{s.id}.json") if s.gradable else None
        if results is None:
            if s.gradable:
                status = "not graded yet"
            else:
                status = f"{s.status}: {s.problem}"
            writer.writerow(
                [
                    s.id,
                    s.name,
                    s.email,
                    *[""] * len(qids),
                    "",
                    f"{assignment.autograded_points:g}",
                    status,
                    s.source,
                ]
            )
            continue
        per_q = question_scores(assignment, results)
        writer.writerow(
            [
                s.id,
                s.name,
                s.email,
                *[f"{per_q[q]:g}" for q in qids],
                f"{results.get('score', 0):g}",
                f"{assignment.autograded_points:g}",
                row_status(results),
                s.source,
            ]
        )
    target = out / "grades.csv"
    write_text_atomic(target, buffer.getvalue())
    return target


def write_summary_png(assignment: Assignment, students: list[Student], out: Path) -> Path:
    """``summary.png``: the score histogram and each question's mean fraction."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    totals: list[float] = []
    per_q: dict[str, list[float]] = {q.id: [] for q in assignment.questions if not q.manual}
    for s in sorted(students, key=lambda s: s.id):
        results = load_results(out / "results" / f"{s.id}.json") if s.gradable else None
        if results is not None:
            totals.append(float(results.get("score", 0)))
            for q, v in question_scores(assignment, results).items():
                per_q[q].append(v)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.hist(totals, bins=20, range=(0, assignment.autograded_points), color="#4C72B0")
    ax1.set(title=f"{assignment.id}: scores (n={len(totals)})", xlabel="score", ylabel="students")
    points = {q.id: q.points for q in assignment.questions}
    means = [(sum(v) / len(v) / points[q]) if v else 0.0 for q, v in per_q.items()]
    ax2.bar(list(per_q), means, color="#55A868")
    ax2.set(ylim=(0, 1), title="mean per question (fraction of its points)", ylabel="fraction")
    fig.tight_layout()
    target = out / "summary.png"
    tmp = out / ".summary.png.tmp"
    fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    os.replace(tmp, target)
    return target
