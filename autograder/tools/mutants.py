"""``make mutants``: the mutation score of each hidden suite, per question.

A hidden suite is as good as the bugs it catches. This generates mutants of every solution
region of an assignment's reference (:mod:`autograder.tools.mutants_ops`: one small change each,
such as ``+`` for ``-``, ``<`` for ``<=``, a dropped statement, a ``range()`` bound off by
one), grades each one with the hidden tests, and reports per question:

- **killed**: the mutant loses points on its own question (the region's question);
- **killed elsewhere only**: it loses points only on other questions (a bug charged to
  the wrong question; it does *not* count as killed);
- **survived**: it scores what the reference scores;
- **timeout**: grading it ran past the per-mutant limit (an infinite loop): killed;
- **crashed**: the mutant did not import, or its grading process died: killed;
- **equivalent**: listed by hand in ``assignments/<id>/mutants_equivalent.toml``, each
  with a reason; not counted::

      [[equivalent]]
      id = "broadcast_shape:126:31:int-1"
      reason = "a dimension of 0 and one of 1 broadcast alike here"

The score of a question is killed / (mutants − equivalent), killed including timeouts
and crashes.

Grading is in-process and fast: the mutant's source is executed as a module in a forked
child, and the hidden tests run against it as the reference's own check does
(``ReferenceBackend``: no sandbox; what is measured is the tests, not the isolation). The
tests of the mutant's own question run first; only a mutant that survives them is graded
on the other questions. The parent has graded the reference once (its per-question scores
are the baseline, and pytest, the tests and their case counts are loaded before the fork).

Usage::

    python -m autograder.tools.mutants [HW ...] [--limit N] [--jobs J] [--timeout S]
        [--questions q1 q2] [--operators arith drop] [--out dist/mutants.md] [--list]

``make mutants`` runs it on the whole course (``make mutants ONLY=hw03``: one). It prints
a table (assignment, question, mutants, killed, killed elsewhere only, survived,
equivalent, score) and writes a Markdown report with every survivor and its changed line,
so that authors can add the cases that kill it.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import resource
import select
import signal
import sys
import time
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..course import Course, find_course
from ..runtime.errors import AutogradeError
from ..spec import Assignment
from .mutants_ops import OPERATORS, Mutant, generate_mutants
from .mutants_report import (
    AssignmentRun,
    MutantResult,
    QuestionScore,
    markdown_report,
    score_table,
    text_table,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "MutantResult",
    "QuestionScore",
    "equivalent_mutants",
    "graded_names",
    "main",
    "markdown_report",
    "run_assignment",
    "sample",
    "score_table",
]

#: The hidden inputs of every mutant are salted alike (as one submission's would be).
SUBMISSION_KEY = "mutants"
_EPS = 1e-9
_HEADING = re.compile(r"^# #+ (q\d+)\b")
_INCLUDE = re.compile(r"^#\|\s*include:\s*(.+?)\s*$")


def graded_names(course: Course, aid: str) -> dict[str, list[str]]:
    """Question id -> the names its ``#| include:`` cells bring in, from notebook.py."""
    found: dict[str, list[str]] = {}
    question = None
    for line in course.assignment(aid).notebook_source.read_text().splitlines():
        if m := _HEADING.match(line):
            question = m.group(1)
        elif (m := _INCLUDE.match(line)) and question is not None:
            found.setdefault(question, []).extend(n.strip() for n in m.group(1).split(","))
    return found


def equivalent_mutants(assignment: Assignment) -> dict[str, str]:
    """Mutant id -> reason, from ``assignments/<id>/mutants_equivalent.toml`` (if any)."""
    path = Path(assignment.folder) / "mutants_equivalent.toml"
    if not path.is_file():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for i, entry in enumerate(data.get("equivalent", [])):
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("reason"):
            raise ValueError(f"{path}: entry {i + 1} needs an id and a reason")
        out[str(entry["id"])] = str(entry["reason"])
    return out


def sample(mutants: list[Mutant], limit: int | None) -> list[Mutant]:
    """At most ``limit`` mutants, chosen by a hash of their ids: the same choice on every
    run, and a mutant stays chosen when others are added elsewhere. Source order kept."""
    if limit is None or limit >= len(mutants):
        return list(mutants)
    rank = sorted(mutants, key=lambda m: hashlib.sha256(m.id.encode()).hexdigest())
    chosen = {m.id for m in rank[:limit]}
    return [m for m in mutants if m.id in chosen]


def _question_scores(results: Iterable[Any]) -> dict[str, float]:
    scores: dict[str, float] = {}
    for r in results:
        scores[r.question.id] = scores.get(r.question.id, 0.0) + r.score
    return scores


def _mutant_namespace(mutant: Mutant, source: str, assignment: Assignment) -> Any:
    """Execute the mutant's source as a module, and grade the module itself: a replay
    (``Grade.replaying``) swaps names in the module's globals, and the probes must see
    the swap through ``ns`` as the sandbox's namespace does."""
    name = f"solutions.{assignment.id}__mutant"
    module = types.ModuleType(name)
    module.__file__ = f"<mutant {mutant.id}>"
    sys.modules[name] = module  # dataclasses and the like look their module up
    code = compile(mutant.apply(source), module.__file__, "exec", dont_inherit=True)
    exec(code, module.__dict__)
    return module


@dataclass
class _Context:
    """What the parent loads once and every forked child shares."""

    assignment: Assignment
    source: str
    reference: Any
    tests: list[Any]
    baseline: dict[str, float]
    memory_mb: int


def _grade_in_child(ctx: _Context, mutant: Mutant) -> dict[str, Any]:
    """Grade one mutant (in the forked child): own question first, the rest if it
    survives."""
    from ..grading.runner import ReferenceBackend, run_tests

    try:
        ns = _mutant_namespace(mutant, ctx.source, ctx.assignment)
    except BaseException as exc:
        return {"status": "crashed", "detail": f"import: {type(exc).__name__}: {exc}"[:300]}
    backend = ReferenceBackend(ns)
    own = [t for t in ctx.tests if t.question == mutant.question]
    others = [t for t in ctx.tests if t.question != mutant.question]
    scores = _question_scores(
        run_tests(ctx.assignment, own, ctx.reference, backend, submission_key=SUBMISSION_KEY)
    )
    if scores.get(mutant.question, 0.0) < ctx.baseline.get(mutant.question, 0.0) - _EPS:
        return {"status": "killed", "scores": scores}
    if others:
        scores.update(
            _question_scores(
                run_tests(
                    ctx.assignment, others, ctx.reference, backend, submission_key=SUBMISSION_KEY
                )
            )
        )
    lost = [q for q, s in scores.items() if s < ctx.baseline.get(q, 0.0) - _EPS]
    return {"status": "elsewhere" if lost else "survived", "scores": scores}


def _limit_memory(memory_mb: int) -> None:
    """Cap the child's address space at what it has now plus ``memory_mb``."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            vm = next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith("VmSize:"))
        limit = vm + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError, StopIteration):
        pass


def _child(ctx: _Context, mutant: Mutant, write_fd: int) -> None:
    """The forked child's whole life: grade, write one JSON line, exit."""
    code = 0
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _limit_memory(ctx.memory_mb)
        try:
            out = _grade_in_child(ctx, mutant)
        except MemoryError:
            out = {"status": "crashed", "detail": "out of memory"}
        except BaseException as exc:  # a grader fault: reported, never a kill
            out = {"status": "error", "detail": f"{type(exc).__name__}: {exc}"[:300]}
        data = (json.dumps(out) + "\n").encode()
        while data:
            data = data[os.write(write_fd, data) :]
    except BaseException:
        code = 1
    finally:
        os._exit(code)


@dataclass
class _Running:
    mutant: Mutant
    pid: int
    fd: int
    started: float
    buffer: bytes = b""


def _grade_all(
    ctx: _Context,
    mutants: list[Mutant],
    jobs: int,
    timeout_s: float,
    progress: Callable[[MutantResult], None],
) -> list[MutantResult]:
    """Grade ``mutants``, ``jobs`` forked children at a time, each killed after
    ``timeout_s``."""
    pending = list(reversed(mutants))
    running: dict[int, _Running] = {}
    results: dict[str, MutantResult] = {}

    def finish(run: _Running, status: str | None, detail: str = "") -> None:
        with contextlib.suppress(OSError):
            os.close(run.fd)
        _, wait_status = os.waitpid(run.pid, 0)
        seconds = time.monotonic() - run.started
        if status is None:
            try:
                out = json.loads(run.buffer.decode())
            except ValueError:
                sig = os.WTERMSIG(wait_status) if os.WIFSIGNALED(wait_status) else None
                why = f"signal {signal.Signals(sig).name}" if sig else "no result"
                out = {"status": "crashed", "detail": f"the grading process died ({why})"}
            status, detail = out["status"], out.get("detail", "")
            scores = out.get("scores", {})
        else:
            scores = {}
        result = MutantResult(run.mutant, status, scores, seconds, detail)
        results[run.mutant.id] = result
        progress(result)

    try:
        while pending or running:
            while pending and len(running) < jobs:
                mutant = pending.pop()
                read_fd, write_fd = os.pipe()
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:  # pragma: no cover - the child
                    os.close(read_fd)
                    for other in running.values():
                        os.close(other.fd)
                    _child(ctx, mutant, write_fd)
                os.close(write_fd)
                running[read_fd] = _Running(mutant, pid, read_fd, time.monotonic())
            ready, _, _ = select.select(list(running), [], [], 0.2)
            for fd in ready:
                run = running[fd]
                chunk = os.read(fd, 65536)
                if chunk:
                    run.buffer += chunk
                else:
                    del running[fd]
                    finish(run, None)
            now = time.monotonic()
            for fd, run in list(running.items()):
                if now - run.started > timeout_s:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(run.pid, signal.SIGKILL)
                    del running[fd]
                    finish(run, "timeout", f"over {timeout_s:g} s")
    finally:
        for run in running.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(run.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(run.pid, 0)
    return [results[m.id] for m in mutants]


def run_assignment(
    course: Course,
    aid: str,
    limit: int | None = None,
    jobs: int = 1,
    timeout_s: float | None = None,
    questions: tuple[str, ...] | None = None,
    operators: tuple[str, ...] | None = None,
    progress: Callable[[MutantResult], None] | None = None,
) -> AssignmentRun:
    """Generate, sample and grade the mutants of one assignment."""
    from ..grading.runner import ReferenceBackend, collect_tests, load_reference, run_tests

    started = time.monotonic()
    a = course.assignment(aid)
    path = course.reference_path(a.id)
    source = path.read_text(encoding="utf-8")
    mutants = generate_mutants(source, str(path), operators)
    generated = len(mutants)
    names = graded_names(course, a.id)
    graded_in = {n: q for q, ns in names.items() for n in ns}
    # The region's marker names the question; the notebook's include cells should agree.
    disagree = {
        (m.function, m.question, graded_in[top])
        for m in mutants
        if (top := m.function.split(".")[0]) in graded_in and graded_in[top] != m.question
    }
    for function, question, included in sorted(disagree):
        print(
            f"[mutants] {a.id}: {function} is included under {included} but its region "
            f"says {question}",
            file=sys.stderr,
        )
    manual = {q.id for q in a.questions if q.manual}
    mutants = [m for m in mutants if m.question not in manual]
    if questions:
        mutants = [m for m in mutants if m.question in questions]
    equivalent = equivalent_mutants(a)
    known = {m.id for m in mutants}
    stale = sorted(i for i in equivalent if i not in known) if not (questions or operators) else []
    mutants = sample(mutants, limit)

    reference = load_reference(course, a)
    tests = collect_tests(a)
    t0 = time.monotonic()
    baseline = _question_scores(
        run_tests(a, tests, reference, ReferenceBackend(reference), submission_key=SUBMISSION_KEY)
    )
    baseline_s = time.monotonic() - t0
    # a manual question (graded by hand) has no hidden test: nothing to lose there
    short = [
        q.id for q in a.questions if not q.manual and baseline.get(q.id, 0.0) < q.points - 1e-6
    ]
    if short:
        print(
            f"[mutants] {a.id}: the reference itself loses points on {', '.join(short)}; "
            "mutants are compared with its scores",
            file=sys.stderr,
        )
    limit_s = timeout_s if timeout_s is not None else max(10.0, 3 * baseline_s + 5)
    ctx = _Context(a, source, reference, tests, baseline, a.memory_mb)
    todo = [m for m in mutants if m.id not in equivalent]
    graded = {
        r.mutant.id: r for r in _grade_all(ctx, todo, jobs, limit_s, progress or (lambda r: None))
    }
    results = [
        graded.get(m.id) or MutantResult(m, "equivalent", detail=equivalent[m.id]) for m in mutants
    ]
    return AssignmentRun(
        a, source, generated, results, baseline, baseline_s, stale, time.monotonic() - started
    )


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m autograder.tools.mutants",
        description="Mutation scores of the hidden tests, per question.",
    )
    p.add_argument("assignments", nargs="*", help="ids or hwNN (default: every assignment)")
    p.add_argument("--course", default=None, help="the course folder (default: found)")
    p.add_argument("--limit", type=int, default=None, help="at most N mutants per assignment")
    p.add_argument("--jobs", type=int, default=1, help="mutants graded at once (default 1)")
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds per mutant (default: from the reference's time)",
    )
    p.add_argument("--questions", nargs="+", default=None, help="only these questions")
    p.add_argument(
        "--operators",
        nargs="+",
        choices=OPERATORS,
        default=None,
        metavar="OP",
        help="only these operator families: " + ", ".join(OPERATORS),
    )
    p.add_argument("--out", default="dist/mutants.md", help="the Markdown report")
    p.add_argument("--list", action="store_true", help="list the mutants, grade nothing")
    p.add_argument(
        "--fail-under",
        type=float,
        default=None,
        help="exit 1 if a question scores below this percentage",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status."""
    args = _parse(argv)
    course = find_course(args.course)
    ids = [course.resolve(x) for x in args.assignments] or course.ids()
    operators = tuple(args.operators) if args.operators else None
    questions = tuple(args.questions) if args.questions else None
    if args.list:
        for aid in ids:
            path = course.reference_path(aid)
            source = path.read_text(encoding="utf-8")
            mutants = sample(
                [
                    m
                    for m in generate_mutants(source, str(path), operators)
                    if not questions or m.question in questions
                ],
                args.limit,
            )
            for m in mutants:
                before, after = m.diff(source)
                print(f"{aid} {m.id}\t{before.splitlines()[0]}  ->  {after.splitlines()[0]}")
        return 0

    runs: list[AssignmentRun] = []
    not_graded: dict[str, str] = {}
    for aid in ids:
        count = [0]

        def progress(r: MutantResult, aid: str = aid, count: list[int] = count) -> None:
            count[0] += 1
            if not args.quiet:
                print(
                    f"[mutants] {aid} {count[0]}: {r.mutant.id}: {r.status} ({r.seconds:.1f} s)",
                    file=sys.stderr,
                    flush=True,
                )

        try:
            run = run_assignment(
                course,
                aid,
                args.limit,
                max(1, args.jobs),
                args.timeout,
                questions,
                operators,
                progress,
            )
        except AutogradeError as exc:  # its tests do not load, say: the others still run
            not_graded[aid] = " ".join(str(exc).split())[:2000]
            print(f"[mutants] {aid}: not graded: {not_graded[aid]}", file=sys.stderr, flush=True)
            continue
        runs.append(run)
        if run.stale_equivalents:
            print(
                f"[mutants] {aid}: stale entries in mutants_equivalent.toml: "
                + ", ".join(run.stale_equivalents),
                file=sys.stderr,
            )
    rows = score_table(runs)
    print(text_table(rows))
    command = "python -m autograder.tools.mutants " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(markdown_report(runs, command.strip(), not_graded), encoding="utf-8")
    print(f"report: {out}")
    status = 0
    if not_graded:
        print(f"not graded: {', '.join(sorted(not_graded))}", file=sys.stderr)
        status = 1
    if args.fail_under is not None:
        low = [r for r in rows if r.score is not None and r.score < args.fail_under]
        if low:
            print(
                "below "
                + f"{args.fail_under:g}%: "
                + ", ".join(f"{r.assignment} {r.question}" for r in low),
                file=sys.stderr,
            )
            status = 1
    return status


if __name__ == "__main__":
    from .entry import run_tool

    sys.exit(run_tool("mutants", main))
