"""The ``autograde`` command line (also ``python -m autograder``).

Commands: ``list``, ``new`` (scaffold an assignment), ``build`` (``make dist``), ``run``
(one submission), ``grade`` (a class, optionally one ``--shard``), ``merge`` (the shards'
outputs), ``export-otter``, and ``gradescope`` (what ``run_autograder`` calls). Output
meant for programs goes to stdout (``run --json`` prints only the results document);
everything else to stderr. Every engine error (``AutogradeError``) becomes one line and
exit code 2 here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from .course import CourseError, find_course
from .runtime.errors import AutogradeError

__all__ = ["main"]


def _cmd_list(args: argparse.Namespace) -> int:
    course = find_course(args.course)
    for aid in course.ids():
        a = course.assignment(aid)
        print(f"{a.id}  {a.title}  ({a.total_points:g} points)")
        for q in a.questions:
            extra = " [manual]" if q.manual else ""
            forbidden = f"  forbids: {', '.join(q.forbidden)}" if q.forbidden else ""
            print(f"    {q.id}  {q.points:>5g}  {q.title}{extra}{forbidden}")
    return 0


def _cmd_new(args: argparse.Namespace) -> int:
    from .build.scaffold import ScaffoldError, scaffold_assignment

    course = find_course(args.course)
    try:
        made = scaffold_assignment(course, args.assignment, title=args.title, lecture=args.lecture)
    except ScaffoldError as exc:
        print(f"autograde new: {exc}", file=sys.stderr)
        return 2
    print(f"created {made.assignment_id}: {made.title}, lecture {made.lecture}", file=sys.stderr)
    for path in made.files:
        print(f"  {path.relative_to(course.root)}", file=sys.stderr)
    print(
        f"next: autograde build {made.assignment_id} --out dist --verify "
        "(then replace the example question; see docs/authoring.md)",
        file=sys.stderr,
    )
    return 0


def _build_one(
    course_root: str, name: str, out: str, verify: bool, execute: bool
) -> tuple[bool, list[str]]:
    """Build (and verify) one assignment; returns (ok, lines to print). Runs in a worker."""
    from .build.bundle import build_assignment
    from .build.verify import verify_build
    from .course import Course
    from .notebook.notebooks import BuildError

    course = Course(Path(course_root))
    a = course.assignment(name)
    started = time.monotonic()
    try:
        with contextlib.redirect_stdout(sys.stderr):
            result = build_assignment(course, a, Path(out))
    except BuildError as exc:
        return False, [f"FAIL  {a.id}: {exc}"]
    lines = [
        f"built {a.id}: {result.student_zip}, {result.gradescope_zip}, "
        f"{result.instructor_notebook} ({result.public_checks} public checks, "
        f"{time.monotonic() - started:.1f} s)"
    ]
    if not verify:
        return True, lines
    with contextlib.redirect_stdout(sys.stderr):
        v = verify_build(course, result, execute=execute)
    figures = ", ".join(f"{k} {val:.1f}" for k, val in v.figures.items())
    if v.ok:
        return True, [*lines, f"ok    {a.id} verified ({figures})"]
    return False, [*lines, *(f"FAIL  {a.id}: {problem}" for problem in v.problems)]


def _cmd_build(args: argparse.Namespace) -> int:
    import concurrent.futures as cf
    import multiprocessing

    course = find_course(args.course)
    names = [course.resolve(n) for n in (course.ids() if args.all else args.assignments)]
    if not names:
        print(
            "autograde build: name assignments (hw04 or hw04_autograd) or pass --all",
            file=sys.stderr,
        )
        return 2
    started = time.monotonic()
    jobs = max(1, min(args.jobs or os.cpu_count() or 1, len(names)))
    work = [(str(course.root), n, args.out, args.verify, not args.no_execute) for n in names]
    failures = 0
    outcomes: Iterator[tuple[bool, list[str]]]
    if jobs == 1:
        outcomes = (_build_one(*w) for w in work)
    else:  # each assignment in its own worker: verification is mostly waiting on kernels
        pool = cf.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
        outcomes = pool.map(_build_one, *zip(*work))
    for ok, lines in outcomes:
        failures += not ok
        for line in lines:
            print(line, file=sys.stderr, flush=True)
    if jobs > 1:
        pool.shutdown()
    took = time.monotonic() - started
    print(f"{len(names) - failures}/{len(names)} assignments ok in {took:.0f} s", file=sys.stderr)
    return 1 if failures else 0


def _cmd_run(args: argparse.Namespace) -> int:
    from .grading.batch_inputs import describe_unreadable

    course = find_course(args.course)
    problem = describe_unreadable(Path(args.notebook))
    if problem:  # before the fork server: a FIFO must not hang, a typo must not exit 0
        print(f"autograde run: {problem}", file=sys.stderr)
        return 2
    started = time.monotonic()
    from .grading.pipeline import Grader
    from .grading.results import feedback_markdown

    with Grader.session(course, args.assignment) as grader, contextlib.redirect_stdout(sys.stderr):
        graded = grader.grade_path(Path(args.notebook))
    results = graded.results
    code = 2 if graded.grader_fault else 0
    if code:
        fault = graded.report.grader_fault if graded.report else ""
        print(f"[autograde] GRADER FAULT: {fault}", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print(feedback_markdown(results))
        print(f"(graded in {time.monotonic() - started:.1f} s)", file=sys.stderr)
    return code


def _resume_command() -> str:
    """The command line this process was started with, to paste again to resume."""
    import shlex

    argv = sys.argv[1:]
    if Path(sys.argv[0]).name == "autograde":
        return shlex.join(["autograde", *argv])
    return shlex.join([sys.executable, "-m", "autograder", *argv])


def _cmd_grade(args: argparse.Namespace) -> int:
    from .grading.batch import BatchError, BatchInterrupted, grade_class
    from .grading.batch_shard import resolve_shard

    course = find_course(args.course)
    a = course.assignment(args.assignment)
    out = Path(args.out)
    try:  # before anything is read: a bad slice is the command line's fault
        shard = resolve_shard(args.shard, args.shard_count, os.environ)
    except BatchError as exc:
        print(f"autograde grade: {exc}", file=sys.stderr)
        return 2
    stopped = None
    early: list[str] = []

    def stop_early(signum: int, frame: object) -> None:
        # SIGTERM before the batch takes over its signals (reading the inputs, say):
        # stop as Ctrl-C does, with a message, not silently
        early.append(signal.Signals(signum).name)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop_early)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            report = grade_class(
                course,
                a,
                [Path(p) for p in args.paths],
                out,
                jobs=args.jobs,
                regrade=args.regrade or [],
                shard=shard,
            )
    except BatchError as exc:
        print(f"autograde grade: {exc}", file=sys.stderr)
        return 2
    except BatchInterrupted as exc:
        stopped = (exc.signame, f"graded {exc.graded} of {exc.total} this run")
    except KeyboardInterrupt:
        stopped = (early[-1] if early else "SIGINT", "nothing graded this run")
    finally:
        signal.signal(signal.SIGTERM, previous)
    if stopped is not None:
        import gc

        gc.collect()  # the stopped pool's queues: no "leaked semaphore" warning at exit
        name, done = stopped
        print(
            f"\nautograde grade: stopped by {name}; {done} (kept in {out / 'results'}). "
            f"To resume: {_resume_command()}",
            file=sys.stderr,
        )
        return 130 if name == "SIGINT" else 143
    rate = report.graded / report.seconds if report.seconds else 0.0
    why = f" ({report.why_graded()})" if report.reasons else ""
    print(
        f"graded {report.graded}{why}, skipped {report.skipped} already graded, in "
        f"{report.seconds:.1f} s ({rate:.2f}/s); see {out / 'grades.csv'}",
        file=sys.stderr,
    )
    for w in report.warnings:  # again at the end: the progress lines scrolled them away
        print(f"warning: {w}", file=sys.stderr)
    if report.not_graded:
        rows = ", ".join(f"{n} {kind}" for kind, n in sorted(report.not_graded.items()))
        print(f"not graded (rows in grades.csv say why): {rows}", file=sys.stderr)
    if report.shard:
        print(
            f"{report.shard}; once every shard is done: autograde merge SHARD_OUT... --out DIR",
            file=sys.stderr,
        )
    print(f"report: {out / 'report.html'}", file=sys.stderr)
    if report.failed:
        print(f"autograde grade: {report.fault_line()}", file=sys.stderr)
        for cause, ids in sorted(report.faults.items()):  # who, to --regrade or check
            print(f"  grader fault: {', '.join(sorted(ids))}: {cause}", file=sys.stderr)
        return 1
    return 0


def _cmd_merge(args: argparse.Namespace) -> int:
    from .grading.batch_inputs import BatchError
    from .grading.batch_merge import merge_shards

    course = find_course(args.course)
    out = Path(args.out)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            report = merge_shards(course, [Path(p) for p in args.shards], out)
    except BatchError as exc:
        print(f"autograde merge: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nautograde merge: stopped; run the same command again", file=sys.stderr)
        return 130
    print(
        f"merged {report.shards} shards: {report.rows} rows, {report.graded} results, in "
        f"{report.seconds:.1f} s; see {out / 'grades.csv'} and {out / 'report.html'}",
        file=sys.stderr,
    )
    if report.failed:
        print(f"autograde merge: {report.fault_line()}", file=sys.stderr)
        for cause, ids in sorted(report.faults.items()):
            print(f"  grader fault: {', '.join(sorted(ids))}: {cause}", file=sys.stderr)
        return 1
    return 0


def _cmd_export_otter(args: argparse.Namespace) -> int:
    from .build.otter import export_otter
    from .notebook.notebooks import BuildError

    course = find_course(args.course)
    a = course.assignment(args.assignment)
    try:
        path = export_otter(course, a, Path(args.out))
    except BuildError as exc:
        print(f"autograde export-otter: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path}; next: otter assign {path} <dist>", file=sys.stderr)
    return 0


def _cmd_gradescope(args: argparse.Namespace) -> int:
    from .grading.gradescope import run_gradescope

    root = Path(args.root)
    course = find_course(args.course or root / "source")
    from .grading.pipeline import start_fork_server

    zygote = start_fork_server()  # before the assignment, its reference and tests are read
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return run_gradescope(root, course, args.assignment, zygote=zygote)
    finally:
        if zygote is not None:
            zygote.close()


def _jobs(text: str) -> int:
    """``--jobs``: a whole number, at least 1 (the batch caps it by CPUs and memory)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograde", description=__doc__.splitlines()[0])
    parser.add_argument("--course", help="the course folder (holding assignments/ and solutions/)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="assignments, their questions and points")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("new", help="scaffold a new assignment that builds and verifies")
    p.add_argument("assignment", metavar="hwNN_slug", help="the new assignment's id")
    p.add_argument("--title", help="its title (default: the slug as words)")
    p.add_argument("--lecture", type=int, help="its lecture (default: NN of the id)")
    p.set_defaults(func=_cmd_new)

    p = sub.add_parser("build", help="build student, Gradescope and instructor artifacts")
    p.add_argument("assignments", nargs="*", metavar="HW", help="hw04_autograd or hw04")
    p.add_argument("--all", action="store_true", help="every assignment")
    p.add_argument("--out", default="dist", help="output folder (default: dist)")
    p.add_argument("--jobs", type=_jobs, default=None, help="assignments at once (default: CPUs)")
    p.add_argument(
        "--verify",
        action="store_true",
        help="grade the instructor and student notebooks and execute the instructor's",
    )
    p.add_argument(
        "--no-execute", action="store_true", help="with --verify: skip executing the notebook"
    )
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("run", help="grade one submission locally")
    p.add_argument("assignment", metavar="HW")
    p.add_argument("notebook", metavar="NOTEBOOK", help=".ipynb or .py")
    p.add_argument(
        "--json", action="store_true", help="print Gradescope's results.json to stdout, only"
    )
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("grade", help="grade a class: notebooks, folders or a Gradescope export zip")
    p.add_argument("assignment", metavar="HW")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument(
        "--out", required=True, help="output folder (grades.csv, results/, feedback/, summary.png)"
    )
    p.add_argument("--jobs", type=_jobs, default=None, help="parallel submissions (default: CPUs)")
    p.add_argument("--regrade", action="append", metavar="STUDENT", help="grade this student again")
    p.add_argument(
        "--shard",
        metavar="K/N",
        help="grade slice K of N of the class (default: from a Slurm array or a Kubernetes "
        "Indexed Job; --shard 1/1: the whole class)",
    )
    p.add_argument(
        "--shard-count",
        type=_jobs,
        metavar="N",
        help="the number of shards, with a Kubernetes Indexed Job's JOB_COMPLETION_INDEX "
        "(its completions; or set AUTOGRADE_SHARD_COUNT)",
    )
    p.set_defaults(func=_cmd_grade)

    p = sub.add_parser("merge", help="combine the --out folders of sharded grade runs")
    p.add_argument("shards", nargs="+", metavar="OUT_DIR", help="each shard's --out folder")
    p.add_argument(
        "--out", required=True, help="output folder (grades.csv, results/, feedback/, ...)"
    )
    p.set_defaults(func=_cmd_merge)

    p = sub.add_parser("export-otter", help="write an otter-assign master notebook")
    p.add_argument("assignment", metavar="HW")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=_cmd_export_otter)

    p = sub.add_parser("gradescope", help="what run_autograder calls on Gradescope")
    p.add_argument("--root", default="/autograder", help="Gradescope's root (default: /autograder)")
    p.add_argument("--assignment", help="which assignment (default: the only one in the course)")
    p.set_defaults(func=_cmd_gradescope)
    return parser


def _check_course_option(args: argparse.Namespace) -> None:
    """A ``--course`` that is not a course folder is an error: falling back to the
    checkout's own course would build or grade the wrong assignments."""
    if args.course is None:
        return
    root = Path(args.course)
    if not root.is_dir():
        raise CourseError(f"--course {args.course}: no such folder")
    if not (root / "assignments").is_dir():
        raise CourseError(f"--course {args.course}: not a course folder (it has no assignments/)")


def _sandbox_preflight(args: argparse.Namespace) -> None:
    """Before grading anything as root: can the sandbox's uid reach the interpreter and
    the engine? One clear line now beats a traceback per submission later."""
    grades = args.func in (_cmd_run, _cmd_grade) or (args.func is _cmd_build and args.verify)
    if grades and os.geteuid() == 0:
        from .sandbox.reach import check_reachable, runtime_paths

        check_reachable(runtime_paths())


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _check_course_option(args)
        _sandbox_preflight(args)
        return args.func(args)
    except AutogradeError as exc:  # a course, sandbox, spec, build... problem: one line
        print(f"autograde: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `autograde run ... --json | head`: the reader left
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def console_main() -> None:
    """The ``autograde`` command: ``main``, then a quick exit.

    Everything is written and closed by then; what remains is the interpreter tearing
    down torch, matplotlib and the rest, about a second a run, paid for nothing.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
