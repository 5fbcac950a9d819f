"""``make bench``: the speed figures, measured here, printed and written to a file.

1. Per assignment: executing the instructor notebook top to bottom (nbclient), and the
   median of 5 ``autograde run`` calls on it (each a fresh process, as a student's
   submission on Gradescope would be).
2. Batch: 200 generated submissions of hw09 (or the first assignment if hw09 is absent),
   a mix of correct, partly wrong, broken and empty notebooks, graded with ``--jobs 2``.
3. otter-grader's ``otter run`` on one notebook, when otter-grader is installed
   (``pip install '.[otter]'``); otherwise the row says so.

Usage: ``python -m autograder.tools.bench [--only hw04 ...] [--out bench/results/bench.md]``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from ..build.bundle import build_assignment, copy_runtime_next_to, unpack_student_bundle
from ..build.verify import execute_notebook
from ..course import Course, find_course

__all__ = ["main"]


def _time_run(course: Course, aid: str, notebook: Path, repeats: int = 5) -> tuple[float, float]:
    times, score = [], 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "autograder",
                "--course",
                str(course.root),
                "run",
                aid,
                str(notebook),
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        times.append(time.perf_counter() - started)
        score = json.loads(proc.stdout)["score"]
    return statistics.median(times), score


def _make_class(
    instructor: Path, student: Path, folder: Path, n: int, seed: int = 0
) -> dict[str, str]:
    """``n`` submissions: 40% correct, 30% one answer missing, 20% a syntax error, 10% empty."""
    rng = random.Random(seed)
    full = nbformat.read(instructor, as_version=4)
    stub = nbformat.read(student, as_version=4)
    stubs = {c.id: c for c in stub.cells}
    answers = [c.id for c in full.cells if "answer" in c.metadata.get("tags", [])]
    kinds = {}
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        nb = nbformat.read(instructor, as_version=4)
        roll = rng.random()
        if roll < 0.4:
            kind = "correct"
        elif roll < 0.7 and answers:
            kind = "partly wrong"
            target = rng.choice(answers)
            for cell in nb.cells:
                if cell.id == target:
                    cell.source = stubs[target].source
        elif roll < 0.9 and answers:
            kind = "broken"
            target = rng.choice(answers)
            for cell in nb.cells:
                if cell.id == target:
                    cell.source = cell.source + "\n    return (\n"
        else:
            kind, nb = "empty", nbformat.read(student, as_version=4)
        name = f"student{i:03d}"
        nbformat.write(nb, folder / f"{name}.ipynb")
        kinds[name] = kind
    return kinds


def _otter_binary() -> str | None:
    beside = Path(sys.executable).with_name("otter")
    return str(beside) if beside.exists() else shutil.which("otter")


def _otter_anchor(
    course: Course, aid: str, ours_single: float, ours_rate: float, tmp: Path, repeats: int
) -> list[str]:
    """otter-grader on the same assignment: ``otter run`` on its solution notebook (median of
    ``repeats``), and 6 submissions two at a time (otter has no Docker-free batch mode)."""
    from concurrent.futures import ThreadPoolExecutor

    from ..build.otter import export_otter

    otter = _otter_binary()
    if otter is None:
        return [
            "| otter run (otter-grader 7) | not measured: otter-grader is not installed "
            "(`pip install '.[otter]'`) |"
        ]
    work = tmp / "otter"
    master = export_otter(course, course.assignment(aid), work)
    dist = work / "dist"
    subprocess.run(
        [otter, "assign", "--no-run-tests", str(master), str(dist)],
        check=True,
        capture_output=True,
        cwd=work,
        timeout=600,
    )
    zip_path = next((dist / "autograder").glob("*.zip"))
    solution = dist / "autograder" / master.name

    def one(i: int) -> float:
        out = work / f"out{i}"
        out.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        subprocess.run(
            [otter, "run", "-a", str(zip_path), "-o", str(out), str(solution)],
            capture_output=True,
            timeout=600,
            cwd=work,
        )
        return time.perf_counter() - started

    single = statistics.median(one(i) for i in range(repeats))
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, range(100, 106)))
    otter_rate = 6 / (time.perf_counter() - started)
    return [
        f"| otter run, one submission of {aid}, median of {repeats} (s) | {single:.2f} |",
        f"| our `autograde run` on the same notebook (s) | {ours_single:.2f} |",
        f"| speed-up, one submission (otter / ours) | {single / ours_single:.1f}x |",
        f"| otter run, 6 submissions two at a time (submissions/s) | {otter_rate:.2f} |",
        f"| speed-up, batch (ours / otter) | {ours_rate / otter_rate:.1f}x |",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.tools.bench")
    parser.add_argument("--only", nargs="*", help="assignments to time (default: all)")
    parser.add_argument("--batch", type=int, default=200, help="batch size (default 200)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default="bench/results/bench.md")
    parser.add_argument("--course")
    args = parser.parse_args(argv)
    course = find_course(args.course)
    ids = [course.resolve(a) for a in args.only] if args.only else course.ids()
    lines = [
        "| assignment | notebook executes (s) | `autograde run`, median of "
        f"{args.repeats} (s) | score |",
        "|---|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory(prefix="autograde-bench-") as tmp:
        tmp_path = Path(tmp)
        builds, singles = {}, {}
        for aid in ids:
            result = build_assignment(course, course.assignment(aid), tmp_path / "dist")
            builds[aid] = result
            nb_path = copy_runtime_next_to(
                result.instructor_notebook, result.student_zip, tmp_path / f"exec_{aid}"
            )
            try:
                executed = f"{execute_notebook(nb_path, 600):.1f}"
            except Exception as exc:
                executed = f"failed ({type(exc).__name__})"
            median, score = _time_run(course, aid, result.instructor_notebook, args.repeats)
            singles[aid] = median
            lines.append(f"| {aid} | {executed} | {median:.2f} | {score:g} |")
            print(lines[-1], file=sys.stderr, flush=True)
        batch_id = "hw09_adamw" if "hw09_adamw" in builds else next(iter(builds))
        result = builds[batch_id]
        student_dir = unpack_student_bundle(result.student_zip, tmp_path / "student")
        kinds = _make_class(
            result.instructor_notebook,
            student_dir / f"{batch_id}.ipynb",
            tmp_path / "class",
            args.batch,
        )
        started = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "autograder",
                "--course",
                str(course.root),
                "grade",
                batch_id,
                str(tmp_path / "class"),
                "--out",
                str(tmp_path / "graded"),
                "--jobs",
                "2",
            ],
            capture_output=True,
            text=True,
            timeout=3600,
        )
        wall = time.perf_counter() - started
        mix = ", ".join(
            f"{k} {sum(v == k for v in kinds.values())}"
            for k in ("correct", "partly wrong", "broken", "empty")
        )
        batch = [
            "",
            "| batch | value |",
            "|---|---:|",
            f"| submissions ({batch_id}: {mix}) | {args.batch} |",
            f"| wall time, `autograde grade --jobs 2` (s) | {wall:.1f} |",
            f"| submissions per second | {args.batch / wall:.2f} |",
            f"| exit code | {proc.returncode} |",
            "",
            "| anchor | value |",
            "|---|---:|",
            *_otter_anchor(
                course, batch_id, singles[batch_id], args.batch / wall, tmp_path, args.repeats
            ),
        ]
        lines += batch
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
