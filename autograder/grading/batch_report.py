"""``report.html``: what the class got wrong, for the instructor, in one file.

One self-contained page that opens in any browser without a server: inline CSS, inline
SVG charts, no script, no external address (a Content-Security-Policy forbids loading
anything). It holds, from ``results/``:

- each question's score distribution, with its mean, median, full marks and zeros;
- the cases most students failed, with how many failed each and the message they got
  (an unclear instruction or a broken test shows up here first);
- grader faults, with their causes and how to grade them again;
- the time limits students hit, and the slowest submissions (the only timings in the
  file: everything else is the same bytes for the same results, on any machine).

Everything from the student's side (ids, names, messages, causes, file names) is
HTML-escaped, capped, and stripped of control and bidirectional-override characters, so
a submission cannot add markup or disguise text on the page.
"""

from __future__ import annotations

import html
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..spec import Assignment
from ..untrusted_text import MESSAGE_LIMIT
from .batch_inputs import Student
from .batch_outputs import load_results, question_scores, row_status, write_text_atomic

__all__ = ["ClassResults", "render_report", "write_report_html"]

#: Rows per table: the top of each list is what an instructor acts on.
TOP_CASES = 20
TOP_SLOWEST = 10
MAX_LISTED = 200
#: Case kinds that say a question was not attempted (or not reached), not that it is
#: unclear: counted per question, kept out of the most-failed ranking.
NOT_ATTEMPTED = ("not_implemented", "not_reached")
TIME_LIMIT_KINDS = {"timeout": "probe time limit", "budget": "grading budget ran out"}
BINS = 10  # bars at 0%, 10%, ..., 100% of the points

# C0/C1 controls (but tab and newline), and the bidirectional overrides and isolates that
# can make text read differently from what it is.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*\[\]<>|_])")


def _e(text: Any, limit: int = MESSAGE_LIMIT) -> str:
    """Student-side ``text``, capped and escaped for HTML (element text or attribute)."""
    text = _INVISIBLE.sub("\ufffd", str(text))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=True)


def _plain(markdown: str) -> str:
    """Feedback text as a student read it: the Markdown escapes the feedback adds
    (``untrusted_text.escape_markdown``) removed; ``_e`` escapes it again for HTML."""
    return _MARKDOWN_ESCAPE.sub(r"\1", markdown)


@dataclass
class _Case:
    question: str
    test: str
    case: str
    students: set[str] = field(default_factory=set)
    messages: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)


@dataclass
class ClassResults:
    """What the report shows, gathered from a class's rows and results."""

    assignment: Assignment
    rows: int = 0
    totals: dict[str, float] = field(default_factory=dict)  # graded student -> score
    per_question: dict[str, dict[str, float]] = field(default_factory=dict)  # q -> id -> pts
    not_attempted: Counter[str] = field(default_factory=Counter)  # q -> students
    cases: dict[tuple[str, str, str], _Case] = field(default_factory=dict)
    faults: list[tuple[str, str]] = field(default_factory=list)  # (student, cause)
    not_graded: list[tuple[str, str]] = field(default_factory=list)  # (row id, status)
    seconds: dict[str, float] = field(default_factory=dict)
    limits: list[tuple[str, str, str]] = field(default_factory=list)  # (student, where, msg)

    @classmethod
    def gather(cls, assignment: Assignment, students: list[Student], out: Path) -> ClassResults:
        """Read every row's results under ``out/results`` (in student order)."""
        found = cls(assignment, per_question={q.id: {} for q in _questions(assignment)})
        for s in sorted(students, key=lambda s: (s.id, s.source)):
            found.rows += 1
            results = load_results(out / "results" / f"{s.id}.json") if s.gradable else None
            if results is None:
                why = "not graded yet" if s.gradable else f"{s.status}: {s.problem}"
                found.not_graded.append((s.id, why))
            else:
                found.add(s.id, results)
        return found

    def add(self, sid: str, results: dict[str, Any]) -> None:
        """Count one student's results document."""
        extra = results.get("extra_data") or {}
        status = row_status(results)
        if extra.get("grader_fault"):
            self.faults.append((sid, str(extra.get("fault") or "unknown cause")))
            return
        if status.startswith("not graded"):
            self.not_graded.append((sid, status))
            return
        self.totals[sid] = float(results.get("score", 0))
        for q, v in question_scores(self.assignment, results).items():
            self.per_question[q][sid] = v
        self.seconds[sid] = float(extra.get("seconds") or results.get("execution_time") or 0)
        if extra.get("load_timed_out"):
            self.limits.append((sid, "loading the notebook", "load time limit"))
        cases = extra.get("cases")
        if not isinstance(cases, list):  # results from an engine before cases were kept
            cases = _cases_from_tests(results)
        attempted: dict[str, bool] = {}
        for c in cases:
            if not isinstance(c, dict):
                continue
            q, kind = str(c.get("question", "")), str(c.get("kind", ""))
            if kind in NOT_ATTEMPTED:
                attempted.setdefault(q, False)
                continue
            attempted[q] = True
            key = (q, str(c.get("test", "")), str(c.get("case", "")))
            entry = self.cases.setdefault(key, _Case(*key))
            entry.students.add(sid)
            entry.messages[_plain(str(c.get("message", "")))] += 1
            entry.kinds[kind] += 1
            if kind in TIME_LIMIT_KINDS:
                self.limits.append((sid, f"{q} {key[1]}: {key[2]}", TIME_LIMIT_KINDS[kind]))
        for q, did in attempted.items():
            if not did and q in self.per_question:
                self.not_attempted[q] += 1


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _questions(assignment: Assignment) -> list[Any]:
    return [q for q in assignment.questions if not q.manual]


def _cases_from_tests(results: dict[str, Any]) -> list[dict[str, str]]:
    """Failed tests as cases, for results without ``extra_data.cases``."""
    out = []
    for t in results.get("tests", []):
        if t.get("status") == "failed" and t.get("tags"):
            lines = str(t.get("output", "")).splitlines()
            out.append(
                {
                    "question": t["tags"][0],
                    "test": str(t.get("name", "")),
                    "case": "(the whole test)",
                    "kind": "",
                    "message": lines[1] if len(lines) > 1 else "",
                }
            )
    return out


# --------------------------------------------------------------------------- drawing


def _bars(counts: list[int], labels: list[str], what: str, color: str) -> str:
    """An inline SVG bar chart: one bar per label, its count written above it."""
    width, height, pad, base = 44 * len(counts) + 40, 170, 20, 140
    top = max(counts) if counts and max(counts) > 0 else 1
    parts = [
        f'<svg class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{html.escape(what)}</title>',
        f'<line x1="{pad}" y1="{base}" x2="{width - pad}" y2="{base}" stroke="#888"/>',
    ]
    for i, (n, label) in enumerate(zip(counts, labels)):
        x = pad + 8 + 44 * i
        h = round(110 * n / top)
        parts.append(
            f'<rect x="{x}" y="{base - h}" width="32" height="{h}" fill="{color}">'
            f"<title>{html.escape(label)}: {n} students</title></rect>"
        )
        if n:
            parts.append(f'<text x="{x + 16}" y="{base - h - 4}" class="n">{n}</text>')
        parts.append(f'<text x="{x + 16}" y="{base + 16}" class="l">{html.escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _distribution(values: list[float], points: float, what: str, color: str) -> str:
    """Scores binned to the nearest tenth of ``points`` (so full marks and zeros get
    bars of their own), as an SVG chart."""
    counts = [0] * (BINS + 1)
    for v in values:
        counts[min(BINS, max(0, round(BINS * v / points))) if points > 0 else 0] += 1
    labels = [f"{points * k / BINS:g}" for k in range(BINS + 1)]
    return _bars(counts, labels, what, color)


def _stats(values: list[float], points: float) -> str:
    if not values:
        return "no graded submission"
    full = sum(v >= points - 1e-9 for v in values)
    zero = sum(v <= 1e-9 for v in values)
    return (
        f"mean {statistics.fmean(values):.1f}, median {statistics.median(values):g} of "
        f"{points:g}; full marks: {full}, zero: {zero} (of {len(values)})"
    )


def _table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    """An HTML table; ``rows`` hold HTML already escaped."""
    attr = f' class="{cls}"' if cls else ""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table{attr}><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;
max-width:1100px;padding:0 1em;color:#1d1d1f;background:#fff}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}
h3{margin:.8em 0 .2em}.lede{color:#444}.muted{color:#666}
table{border-collapse:collapse;margin:.6em 0;width:100%}
th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f6}td.num{text-align:right;white-space:nowrap}
.msg{white-space:pre-wrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
.chart text{font-size:11px;text-anchor:middle;fill:#333}.chart .n{font-weight:600}
.q{display:inline-block;margin:0 2em 1em 0;vertical-align:top}
.fault{background:#fff4f2}.ok{color:#2a7a2a}
"""


def render_report(found: ClassResults) -> str:
    """The page for ``found`` (see the module docstring)."""
    a = found.assignment
    totals = list(found.totals.values())
    graded = len(totals)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Nothing may be fetched: the page is one file, whatever a student's text holds.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(a.id)}: class report</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(a.id)}: {_e(a.title)}</h1>",
        f'<p class="lede" id="overview">{found.rows} rows: {graded} graded, '
        f"{_n(len(found.faults), 'grader fault')}, {len(found.not_graded)} not graded. "
        f"Total: {_stats(totals, a.autograded_points)}.</p>",
        '<section id="scores"><h2>Scores</h2>',
        _distribution(totals, a.autograded_points, f"{a.id}: total scores", "#4C72B0"),
        '</section><section id="questions"><h2>Per question</h2>',
    ]
    for q in _questions(a):
        values = list(found.per_question[q.id].values())
        skipped = found.not_attempted.get(q.id, 0)
        parts += [
            f'<div class="q" id="q-{_e(q.id)}"><h3>{_e(q.id)} {_e(q.title)} '
            f'<span class="muted">({q.points:g} points)</span></h3>',
            f"<p>{_stats(values, q.points)}; not attempted: {skipped}</p>",
            _distribution(values, q.points, f"{q.id}: scores", "#55A868"),
            "</div>",
        ]
    parts.append("</section>")
    parts += _failed_section(found, graded)
    parts += _faults_section(found)
    parts += _limits_section(found)
    parts += _slowest_section(found)
    if found.not_graded:
        rows = [[_e(sid), _e(why)] for sid, why in found.not_graded[:MAX_LISTED]]
        parts += [
            '<section id="not-graded"><h2>Not graded</h2>',
            "<p>Rows of grades.csv that are no grade (the status column says the same).</p>",
            _table(["row", "why"], rows),
            "</section>",
        ]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _failed_section(found: ClassResults, graded: int) -> list[str]:
    ranked = sorted(found.cases.values(), key=lambda c: (-len(c.students), c.question, c.test))
    head = [
        '<section id="failed"><h2>Most-failed cases</h2>',
        '<p class="muted">Cases students attempted and failed, most students first, with '
        "what the feedback told them. Many students failing one case with one message "
        "may mean an unclear instruction or a broken test.</p>",
    ]
    if not ranked:
        return [*head, '<p class="ok">No student failed a case they attempted.</p></section>']
    rows = []
    for c in ranked[:TOP_CASES]:
        messages = "".join(
            f'<div class="msg">{_e(m)}</div>'
            + (f'<div class="muted">({_n(n, "student")})</div>' if len(c.messages) > 1 else "")
            for m, n in c.messages.most_common(3)
        )
        rows.append(
            [
                _e(c.question),
                _e(c.test, 200),
                _e(c.case, 200),
                f"{len(c.students)} of {graded}",
                messages,
            ]
        )
    return [
        *head,
        _table(["question", "test", "case", "students failed", "message"], rows, "cases"),
        "</section>",
    ]


def _faults_section(found: ClassResults) -> list[str]:
    head = '<section id="faults"><h2>Grader faults</h2>'
    if not found.faults:
        return [head, '<p class="ok">No grader faults.</p></section>']
    rows = [[_e(sid), f'<span class="msg">{_e(cause)}</span>'] for sid, cause in found.faults]
    return [
        head,
        f"<p>{_n(len(found.faults), 'submission')} could not be graded because of the grader, not "
        "the student: they are no grade (their status in grades.csv starts with "
        "<code>grader fault</code>). Run the same <code>autograde grade</code> command again "
        "to retry them all, or add <code>--regrade STUDENT</code> for one; for a sharded run, "
        "run the shard again and merge again.</p>",
        _table(["student", "cause"], rows, "fault"),
        "</section>",
    ]


def _limits_section(found: ClassResults) -> list[str]:
    a = found.assignment
    head = [
        '<section id="limits"><h2>Time limits hit</h2>',
        f'<p class="muted">Limits: {a.load_timeout_s:g} s to load a notebook, '
        f"{a.probe_timeout_s:g} s per call, {a.grading_budget_s:g} s per submission.</p>",
    ]
    if not found.limits:
        return [*head, '<p class="ok">No submission hit a time limit.</p></section>']
    by_student = Counter(sid for sid, _, _ in found.limits)
    rows = [[_e(sid), _e(where, 300), _e(what)] for sid, where, what in found.limits]
    return [
        *head,
        f"<p>{_n(len(found.limits), 'time limit')} hit by {_n(len(by_student), 'student')}.</p>",
        _table(["student", "where", "limit"], rows[:MAX_LISTED]),
        "</section>",
    ]


def _slowest_section(found: ClassResults) -> list[str]:
    slowest = sorted(found.seconds.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_SLOWEST]
    rows = [[_e(sid), f"{secs:.1f} s", f"{found.totals.get(sid, 0):g}"] for sid, secs in slowest]
    return [
        '<section id="slowest"><h2>Slowest submissions</h2>',
        _table(["student", "grading time", "score"], rows) if rows else "<p>None graded.</p>",
        "</section>",
    ]


def write_report_html(assignment: Assignment, students: list[Student], out: Path) -> Path:
    """Write ``out/report.html`` from ``out/results`` for ``students`` (every row)."""
    target = out / "report.html"
    write_text_atomic(target, render_report(ClassResults.gather(assignment, students, out)))
    return target
