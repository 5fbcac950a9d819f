"""``autograde grade``: a whole class, locally, resumable.

Inputs are notebooks, folders of them, or the zip Gradescope gives under "Export
Submissions" (folders ``submission_<id>/`` and a ``submission_metadata.yml`` naming the
students). Outputs, under ``--out DIR``:

- ``results/<student>.json``: Gradescope's results document, written atomically;
- ``feedback/<student>.md``: what the student would see;
- ``grades.csv``: a row per student (id, name, email, a column per question, total, status);
- ``summary.png``: the score histogram and each question's mean as a fraction of its points.

A student whose ``results/<student>.json`` exists is not graded again (so a killed run
resumes where it stopped, and its final files equal an uninterrupted run's), unless
named with ``--regrade``. ``grades.csv`` and ``summary.png`` are always rebuilt from the
results folder, in student order.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import io
import json
import multiprocessing
import os
import re
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .course import Course
from .results import feedback_markdown, write_json_atomic
from .spec import Assignment

__all__ = [
    "BatchError",
    "Student",
    "collect_students",
    "grade_class",
    "private_folders",
]

NOTEBOOK_SUFFIXES = (".ipynb", ".py")
_SAFE_ID = re.compile(r"[^A-Za-z0-9._@-]+")


class BatchError(ValueError):
    """The input cannot be read as a class of submissions; the message says why."""


@dataclass
class Student:
    id: str
    path: Path | None  # None: listed in the metadata but no file was found
    name: str = ""
    email: str = ""
    problem: str = ""


@dataclass
class BatchReport:
    graded: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _safe_id(text: str) -> str:
    return _SAFE_ID.sub("_", text).strip("._") or "student"


def _pick_notebook(folder: Path) -> Path | None:
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink() and ".ipynb_checkpoints" not in p.parts
    )
    for suffix in NOTEBOOK_SUFFIXES:
        found = [p for p in files if p.suffix == suffix]
        if found:
            return found[0]
    return None


def _read_metadata(path: Path) -> dict[str, dict]:
    """Gradescope's submission_metadata.yml: folder -> {name, email, sid}."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise BatchError(f"{path.name} is not readable YAML: {exc}") from None
    out = {}
    for folder, entry in data.items() if isinstance(data, dict) else []:
        if not isinstance(entry, dict):
            continue
        submitters = entry.get(":submitters") or entry.get("submitters") or []
        people = [s for s in submitters if isinstance(s, dict)]
        names = "; ".join(str(s.get(":name") or s.get("name") or "") for s in people)
        emails = "; ".join(str(s.get(":email") or s.get("email") or "") for s in people)
        sids = [str(s.get(":sid") or s.get("sid") or "") for s in people]
        out[str(folder)] = {"name": names, "email": emails, "sid": next((x for x in sids if x), "")}
    return out


def _from_export(root: Path, warnings: list[str]) -> list[Student]:
    meta_path = next(iter(sorted(root.rglob("submission_metadata.yml"))), None)
    if meta_path is None:
        raise BatchError(f"{root} has no submission_metadata.yml (is it a Gradescope export?)")
    meta = _read_metadata(meta_path)
    base = meta_path.parent
    students = []
    folders = {p.name: p for p in base.iterdir() if p.is_dir()}
    for folder, info in sorted(meta.items()):
        sid = _safe_id(folder.removeprefix("submission_"))
        path = _pick_notebook(folders[folder]) if folder in folders else None
        problem = (
            ""
            if path
            else (
                f"no notebook in {folder}/"
                if folder in folders
                else f"{folder}/ is listed in the metadata but missing"
            )
        )
        if problem:
            warnings.append(f"{sid}: {problem}")
        students.append(Student(sid, path, info["name"], info["email"], problem))
    for folder in sorted(set(folders) - set(meta)):
        warnings.append(
            f"{folder}/ is not in submission_metadata.yml (unknown student); graded anyway"
        )
        path = _pick_notebook(folders[folder])
        sid = _safe_id(folder.removeprefix("submission_"))
        students.append(Student(sid, path, problem="" if path else "no notebook found"))
    return students


def collect_students(paths: list[Path], scratch: Path, warnings: list[str]) -> list[Student]:
    """Every submission named by ``paths`` (files, folders, export zips), one per student."""
    students: list[Student] = []
    for path in paths:
        if not path.exists():
            raise BatchError(f"{path} does not exist")
        if path.is_file() and path.suffix == ".zip":
            dest = scratch / _safe_id(path.stem)
            with zipfile.ZipFile(path) as zf:
                for member in zf.infolist():
                    target = (dest / member.filename).resolve()
                    if not str(target).startswith(str(dest.resolve())):
                        raise BatchError(f"{path.name} has an unsafe path {member.filename!r}")
                zf.extractall(dest)
            students += _from_export(dest, warnings)
        elif path.is_dir() and any(path.rglob("submission_metadata.yml")):
            students += _from_export(path, warnings)
        elif path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file() and child.suffix in NOTEBOOK_SUFFIXES:
                    students.append(Student(_safe_id(child.stem), child))
                elif child.is_dir():
                    nb = _pick_notebook(child)
                    if nb is None:
                        warnings.append(f"{child.name}/: no notebook found")
                    students.append(
                        Student(_safe_id(child.name), nb, problem="" if nb else "no notebook found")
                    )
        elif path.suffix in NOTEBOOK_SUFFIXES:
            students.append(Student(_safe_id(path.stem), path))
        else:
            raise BatchError(f"{path}: expected a notebook, a folder or a Gradescope export zip")
    seen: dict[str, int] = {}
    for s in students:  # two files with one stem: keep both, apart
        n = seen.get(s.id, 0)
        seen[s.id] = n + 1
        if n:
            warnings.append(f"two submissions named {s.id}; the second is {s.id}-{n + 1}")
            s.id = f"{s.id}-{n + 1}"
    return students


# ------------------------------------------------------------------------------ workers


def _grade_one(
    course_root: str, assignment_id: str, path: str | None, problem: str, hide: tuple[str, ...]
) -> dict[str, Any]:
    """Runs in a worker process: grade one file, return its results document."""
    from .course import Course
    from .pipeline import grade_file
    from .results import error_results

    course = Course(Path(course_root))
    assignment = course.assignment(assignment_id)
    if path is None:
        return error_results(assignment, problem or "no submission", grader_fault=False)
    graded = grade_file(course, assignment, Path(path), hide=hide, zygote=_ZYGOTE)
    _warm_what_the_reference_used()
    return graded.results


def _open_to_sandboxes(paths: list[Path]) -> list[str]:
    """Warnings for input folders that a sandbox could read where no mount namespace hides
    them (no CAP_SYS_ADMIN): a class's notebooks are none of one student's business."""
    from .sandbox.reach import mount_namespaces_work

    if mount_namespaces_work():
        return []
    warnings = []
    for path in paths:
        folder = path if path.is_dir() else path.parent
        try:
            mode = folder.stat().st_mode
        except OSError:
            continue
        if mode & 0o005:
            warnings.append(
                f"{folder} is readable by other users and no mount namespace can hide it "
                f"here: a submission could read its classmates' files (chmod 700 {folder})"
            )
    return warnings


def private_folders(
    folders: list[Path], warnings: list[str], needed: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The folders among ``folders`` that each sandbox can be kept out of: the class's
    submissions and everyone's results are none of one student's business.

    A folder that holds what the sandbox needs (the temporary folder its working folder
    is made in, Python, the autograder) cannot be hidden; that is reported.
    """
    import tempfile

    needed = (
        *needed,
        tempfile.gettempdir(),
        sys.prefix,
        str(Path(sys.executable).resolve().parent),
        str(Path(__file__).resolve().parent),
    )
    needed_paths = [Path(n).resolve() for n in needed]
    out: list[str] = []
    for folder in dict.fromkeys(f.resolve() for f in folders):
        if any(n == folder or folder in n.parents for n in needed_paths):
            warnings.append(
                f"{folder} also holds what the sandbox needs, so it stays visible to "
                "students' code (keep submissions in a folder of their own)"
            )
            continue
        out.append(str(folder))
    return tuple(out)


_ZYGOTE = None  # this worker's connection to the batch's fork server
_MAY_WARM: list[str] = []  # modules the notebook imports inside functions, not yet warm


def _warm_what_the_reference_used() -> None:
    """Modules the notebook imports only inside functions (a data set loader's, say) are
    not imported by the fork server up front, in case no test calls those functions. Once
    the reference (graded in this process) has imported one, children will too: have
    the server import it, once, for all of them."""
    global _MAY_WARM
    needed = [name for name in _MAY_WARM if name in sys.modules]
    if needed and _ZYGOTE is not None:
        _MAY_WARM = [name for name in _MAY_WARM if name not in needed]
        from .sandbox.process import ZygoteError

        try:
            _ZYGOTE.warm(needed)
        except ZygoteError:
            pass  # the sandbox falls back to spawning; nothing to warm


def _worker_init(zygote_path: str | None, may_warm: list[str]) -> None:
    global _ZYGOTE, _MAY_WARM
    _MAY_WARM = list(may_warm)
    import atexit

    # A worker's results are sent by the time it exits; skip tearing down torch (about a
    # second of CPU per worker, at the end of every batch). Registered last, run first.
    atexit.register(os._exit, 0)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if zygote_path is not None:
        from .sandbox.process import Zygote, ZygoteError

        try:
            _ZYGOTE = Zygote.connect(zygote_path)
        except (OSError, ZygoteError) as exc:
            print(f"[autograde] no fork server ({exc}); spawning sandboxes", file=sys.stderr)
    import torch

    from .cpu_settings import grading_threads

    torch.set_num_threads(grading_threads())


class _Progress:
    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.tty = stream.isatty()
        self.started = time.monotonic()

    def step(self, student: str, text: str) -> None:
        self.done += 1
        if self.tty:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            rate = self.done / max(time.monotonic() - self.started, 1e-9)
            self.stream.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"{rate:.1f}/s  {student[:20]:<20}"
            )
            self.stream.flush()
            if self.done == self.total:
                self.stream.write("\n")
        else:
            print(
                f"graded {self.done}/{self.total} {student}: {text}", file=self.stream, flush=True
            )


def grade_class(
    course: Course,
    assignment: Assignment,
    paths: list[Path],
    out: Path,
    jobs: int | None = None,
    regrade: list[str] = (),
    zygote: bool = True,
) -> BatchReport:
    """Grade every submission in ``paths`` into ``out`` (see the module docstring)."""
    started = time.monotonic()
    report = BatchReport()
    (out / "results").mkdir(parents=True, exist_ok=True)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:  # the slot uids must not read anyone's results or feedback
        for folder in (out, out / "results", out / "feedback"):
            os.chmod(folder, 0o700)
        report.warnings += _open_to_sandboxes(paths)
    with tempfile.TemporaryDirectory(prefix="autograde-batch-") as scratch:
        students = collect_students(paths, Path(scratch), report.warnings)
        hide = private_folders(
            [out, Path(scratch), *(p if p.is_dir() else p.parent for p in paths)],
            report.warnings,
        )
        for w in report.warnings:
            print(f"warning: {w}", file=sys.stderr)
        unknown = set(regrade) - {s.id for s in students}
        if unknown:
            raise BatchError(f"--regrade names unknown students: {', '.join(sorted(unknown))}")
        todo = [
            s
            for s in students
            if s.id in regrade
            or not (out / "results" / f"{s.id}.json").is_file()
            or not (out / "feedback" / f"{s.id}.md").is_file()
        ]
        report.skipped = len(students) - len(todo)
        if report.skipped:
            print(
                f"{report.skipped} already graded (results/ exists); grading {len(todo)}",
                file=sys.stderr,
            )
        jobs = max(1, jobs or os.cpu_count() or 1)
        progress = _Progress(len(todo))
        ctx = multiprocessing.get_context("spawn")
        server = None
        if zygote and todo:
            from .sandbox.process import ZygoteServer

            # One fork server for all workers: it imports torch and the notebook's modules
            # while the workers start, and its imports are paid once.
            from .warmup import modules_to_warm

            now, later = modules_to_warm(course, assignment)
            server = ZygoteServer(warm=now, may_warm=later, forbidden=assignment.forbidden_apis)
        with contextlib.ExitStack() as stack:
            if server is not None:
                stack.callback(server.close)
            pool = stack.enter_context(
                cf.ProcessPoolExecutor(
                    max_workers=jobs,
                    mp_context=ctx,
                    initializer=_worker_init,
                    initargs=(
                        server.path if server is not None else None,
                        later if server is not None else [],
                    ),
                )
            )
            futures = {
                pool.submit(
                    _grade_one,
                    str(course.root),
                    assignment.id,
                    str(s.path) if s.path else None,
                    s.problem,
                    hide,
                ): s
                for s in todo
            }
            for future in cf.as_completed(futures):
                s = futures[future]
                try:
                    results = future.result()
                except Exception as exc:
                    from .results import error_results

                    results = error_results(
                        assignment, f"{type(exc).__name__}: {exc}", grader_fault=True
                    )
                    report.failed.append(s.id)
                # feedback first: results/<id>.json is what marks a student as graded
                _write_text_atomic(out / "feedback" / f"{s.id}.md", feedback_markdown(results))
                write_json_atomic(out / "results" / f"{s.id}.json", results)
                report.graded += 1
                progress.step(s.id, f"{results.get('score', 0):g}")
            pool.shutdown(wait=False)  # the workers wind down while the summaries are written
            write_grades_csv(assignment, students, out)
            write_summary_png(assignment, students, out)
    report.seconds = time.monotonic() - started
    return report


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _question_scores(assignment: Assignment, results: dict) -> dict[str, float]:
    scores = {q.id: 0.0 for q in assignment.questions if not q.manual}
    for t in results.get("tests", []):
        for tag in t.get("tags", []):
            if tag in scores and "score" in t:
                scores[tag] += float(t["score"])
    return scores


def _status(results: dict) -> str:
    extra = results.get("extra_data", {})
    if extra.get("grader_fault"):
        return "grader fault"
    tests = results.get("tests", [])
    if tests and tests[0].get("name") == "Grading":
        return "not graded: " + tests[0].get("output", "")[:120].replace("\n", " ")
    if any(t.get("name") == "Loading your notebook" for t in tests):
        return "graded, with load problems"
    return "graded"


def write_grades_csv(assignment: Assignment, students: list[Student], out: Path) -> Path:
    qids = [q.id for q in assignment.questions if not q.manual]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "name", "email", *qids, "total", "max", "status"])
    for s in sorted(students, key=lambda s: s.id):
        path = out / "results" / f"{s.id}.json"
        if not path.is_file():
            writer.writerow(
                [
                    s.id,
                    s.name,
                    s.email,
                    *[""] * len(qids),
                    "",
                    assignment.autograded_points,
                    "not graded yet",
                ]
            )
            continue
        results = json.loads(path.read_text(encoding="utf-8"))
        per_q = _question_scores(assignment, results)
        writer.writerow(
            [
                s.id,
                s.name,
                s.email,
                *[f"{per_q[q]:g}" for q in qids],
                f"{results.get('score', 0):g}",
                f"{assignment.autograded_points:g}",
                _status(results),
            ]
        )
    target = out / "grades.csv"
    _write_text_atomic(target, buffer.getvalue())
    return target


def write_summary_png(assignment: Assignment, students: list[Student], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    totals, per_q = [], {q.id: [] for q in assignment.questions if not q.manual}
    for s in sorted(students, key=lambda s: s.id):
        path = out / "results" / f"{s.id}.json"
        if path.is_file():
            results = json.loads(path.read_text(encoding="utf-8"))
            totals.append(float(results.get("score", 0)))
            for q, v in _question_scores(assignment, results).items():
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
