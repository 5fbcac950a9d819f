"""``make bench``: the speed figures, measured here, printed and written to a file.

1. Per assignment: executing the instructor notebook top to bottom (nbclient), and the
   median of 5 ``autograde run`` calls on it (each a fresh process, as a student's
   submission on Gradescope would be).
2. Gradescope conditions, per assignment: the solution notebook graded by the real
   ``run_autograder`` from the assignment's Gradescope zip, inside a cgroup of 0.5 CPU and
   768 MB (Gradescope's defaults; ``--gs-cpus``, ``--gs-memory-mb``): wall time, peak
   memory of the whole tree (the cgroup's ``memory.max_usage_in_bytes``), score, and
   whether the memory limit was hit. Needs root and a writable cgroup v1 hierarchy (cpu,
   memory); elsewhere it runs without limits and says so, with the peak resident memory
   of the largest single process instead.
3. Batch: per assignment, 50 generated submissions (``--batch``; ``--batch-only`` to
   limit the assignments), a mix of correct, partly wrong, broken and empty notebooks,
   graded with ``--jobs 2``.
4. otter-grader's ``otter run`` on one notebook, when otter-grader is installed
   (``pip install '.[otter]'``); otherwise the row says so.

``--parts`` chooses among ``singles gradescope batch otter`` (default: all).

Usage: ``python -m autograder.tools.bench [--only hw04 ...] [--parts gradescope]
[--out bench/results/bench.md]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat

from ..build.bundle import build_assignment, copy_runtime_next_to, unpack_student_bundle
from ..build.verify import execute_notebook
from ..course import Course, find_course
from ..notebook.notebooks import BuildError

__all__ = ["main"]

PARTS = ("singles", "gradescope", "batch", "otter")
_CGROUP_V1 = Path("/sys/fs/cgroup")


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


class _Limits:
    """A cgroup v1 pair (cpu, memory) with Gradescope's limits, or ``None`` where the
    machine has none we may write (then the runs are unlimited, and the table says so)."""

    def __init__(self, cpus: float, memory_mb: int) -> None:
        self.cpus, self.memory_mb = cpus, memory_mb
        name = f"autograde-bench-{os.getpid()}"
        self.cpu = _CGROUP_V1 / "cpu" / name
        self.memory = _CGROUP_V1 / "memory" / name

    @staticmethod
    def available() -> bool:
        return os.geteuid() == 0 and all(
            (_CGROUP_V1 / c / "cgroup.procs").exists() and os.access(_CGROUP_V1 / c, os.W_OK)
            for c in ("cpu", "memory")
        )

    def __enter__(self) -> _Limits:
        for folder in (self.cpu, self.memory):
            folder.mkdir()
        (self.cpu / "cpu.cfs_period_us").write_text("100000")
        (self.cpu / "cpu.cfs_quota_us").write_text(str(int(100000 * self.cpus)))
        limit = str(self.memory_mb * 1024 * 1024)
        (self.memory / "memory.limit_in_bytes").write_text(limit)
        swap = self.memory / "memory.memsw.limit_in_bytes"
        if swap.exists():  # no swapping past the limit either, as in a container
            swap.write_text(limit)
        return self

    def _counters(self) -> list[Path]:
        names = ("memory.failcnt", "memory.memsw.failcnt")
        return [self.memory / n for n in names if (self.memory / n).exists()]

    def _oom_kills(self) -> int:
        for line in (self.memory / "memory.oom_control").read_text().splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0

    def reset(self) -> None:
        (self.memory / "memory.max_usage_in_bytes").write_text("0")
        for counter in self._counters():
            counter.write_text("0")
        self._kills_before = self._oom_kills()  # this counter cannot be reset

    def join(self) -> None:  # in the child, before exec
        for folder in (self.cpu, self.memory):
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def peak_mb(self) -> float:
        return int((self.memory / "memory.max_usage_in_bytes").read_text()) / 2**20

    def limit_hit(self) -> str:
        """``"no"``, or how often the limit was reached and how many processes the
        kernel's OOM killer ended."""
        hits = max(int(c.read_text()) for c in self._counters())
        kills = self._oom_kills() - self._kills_before
        if kills:
            return f"OOM-killed ({kills} process{'es' if kills > 1 else ''})"
        return f"{hits} times" if hits else "no"

    def __exit__(self, *exc: object) -> None:
        # the sandbox made its slots' groups below ours: those go first, deepest first
        for top in (self.cpu, self.memory):
            groups = [p for p in top.rglob("*") if p.is_dir()]
            for folder in [*sorted(groups, key=lambda p: -len(p.parts)), top]:
                for _ in range(50):  # the last processes of a run may still be leaving
                    try:
                        folder.rmdir()
                        break
                    except OSError:
                        time.sleep(0.1)


def _gradescope_run(
    zip_path: Path, notebook: Path, root: Path, limits: _Limits | None
) -> tuple[float, float, dict, str]:
    """``run_autograder`` from the zip on ``notebook``: (wall s, peak MB, results, whether
    the memory limit was hit). The interpreter is this one (the zip's setup.sh is not run
    here)."""
    if root.exists():
        shutil.rmtree(root)
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root / "source")
    os.chmod(root / "source" / "run_autograder", 0o755)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    shutil.copy(notebook, root / "submission" / notebook.name)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADE_PYTHON": sys.executable}
    if limits is not None:
        limits.reset()
    started = time.perf_counter()
    subprocess.run(
        [str(root / "source" / "run_autograder")],
        env=env,
        capture_output=True,
        timeout=1800,
        preexec_fn=limits.join if limits is not None else None,
    )
    wall = time.perf_counter() - started
    if limits is not None:
        peak, hits = limits.peak_mb(), limits.limit_hit()
    else:  # the largest single process of every run so far: a lower bound
        peak, hits = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "-"
    try:
        results = json.loads((root / "results" / "results.json").read_text())
    except (OSError, ValueError):
        results = {}
    return wall, peak, results, hits


def gradescope_conditions(
    builds: dict, tmp: Path, cpus: float = 0.5, memory_mb: int = 768
) -> list[str]:
    """The "Gradescope conditions" table: each solution graded by run_autograder."""
    use_cgroup = _Limits.available()
    how = (
        f"in a cgroup (v1) of {cpus:g} CPU and {memory_mb} MB; peak memory is the whole "
        "tree's (`memory.max_usage_in_bytes`, page cache included)"
        if use_cgroup
        else "without limits (no writable cgroup v1 here, or not root); peak memory is the "
        "largest single process's resident size, a lower bound"
    )
    lines = [
        "",
        f"Gradescope conditions: each solution notebook graded by `run_autograder` from its "
        f"Gradescope zip, {how}; load average at the start "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.",
        "",
        "| assignment | wall time (s) | peak memory (MB) | score (of autograded) | "
        "memory limit hit | grader fault |",
        "|---|---:|---:|---:|---:|---|",
    ]
    limits = _Limits(cpus, memory_mb) if use_cgroup else None
    with limits if limits is not None else _nothing():
        for aid, result in builds.items():
            wall, peak, results, hits = _gradescope_run(
                result.gradescope_zip, result.instructor_notebook, tmp / f"gs_{aid}", limits
            )
            fault = results.get("extra_data", {}).get("grader_fault", "no results")
            lines.append(
                f"| {aid} | {wall:.1f} | {peak:.0f} | {results.get('score', '-')} "
                f"({result.assignment.autograded_points:g}) | "
                f"{hits} | {'yes' if fault is True else 'no'} |"
            )
            print(lines[-1], file=sys.stderr, flush=True)
            shutil.rmtree(tmp / f"gs_{aid}", ignore_errors=True)
    return lines


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _batch(course: Course, aid: str, result, tmp: Path, n: int) -> tuple[str, float]:
    """``n`` generated submissions of ``aid`` graded with ``--jobs 2``: a table row and
    the rate."""
    student_dir = unpack_student_bundle(result.student_zip, tmp / f"student_{aid}")
    kinds = _make_class(
        result.instructor_notebook, student_dir / f"{aid}.ipynb", tmp / f"class_{aid}", n
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
            aid,
            str(tmp / f"class_{aid}"),
            "--out",
            str(tmp / f"graded_{aid}"),
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
    row = f"| {aid} | {n} ({mix}) | {wall:.1f} | {n / wall:.2f} | {proc.returncode} |"
    for name in (f"student_{aid}", f"class_{aid}", f"graded_{aid}"):
        shutil.rmtree(tmp / name, ignore_errors=True)
    return row, n / wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.tools.bench")
    parser.add_argument("--only", nargs="*", help="assignments to time (default: all)")
    parser.add_argument(
        "--parts", nargs="*", choices=PARTS, default=list(PARTS), help="default: all"
    )
    parser.add_argument(
        "--batch", type=int, default=50, help="submissions per assignment (default 50)"
    )
    parser.add_argument("--batch-only", nargs="*", help="assignments to batch (default: all)")
    parser.add_argument("--gs-cpus", type=float, default=0.5)
    parser.add_argument("--gs-memory-mb", type=int, default=768)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default="bench/results/bench.md")
    parser.add_argument("--course")
    args = parser.parse_args(argv)
    course = find_course(args.course)
    ids = [course.resolve(a) for a in args.only] if args.only else course.ids()
    parts = set(args.parts)
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="autograde-bench-") as tmp:
        tmp_path = Path(tmp)
        builds, singles = {}, {}
        for aid in ids:
            try:
                builds[aid] = build_assignment(course, course.assignment(aid), tmp_path / "dist")
            except BuildError as exc:  # the others are still measured; the table says so
                first = str(exc).splitlines()[0]
                lines.append(f"{aid}: not measured, its build failed: {first}")
                print(lines[-1], file=sys.stderr, flush=True)
        if "singles" in parts:
            lines += [
                "| assignment | notebook executes (s) | `autograde run`, median of "
                f"{args.repeats} (s) | score |",
                "|---|---:|---:|---:|",
            ]
            for aid, result in builds.items():
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
        if "gradescope" in parts:
            lines += gradescope_conditions(builds, tmp_path, args.gs_cpus, args.gs_memory_mb)
        rates: dict[str, float] = {}
        if "batch" in parts:
            batch_ids = (
                [course.resolve(a) for a in args.batch_only] if args.batch_only else list(builds)
            )
            lines += [
                "",
                "| batch (`autograde grade --jobs 2`) | submissions | wall time (s) | "
                "submissions per second | exit code |",
                "|---|---|---:|---:|---:|",
            ]
            for aid in [a for a in batch_ids if a in builds]:
                row, rates[aid] = _batch(course, aid, builds[aid], tmp_path, args.batch)
                lines.append(row)
                print(row, file=sys.stderr, flush=True)
        if "otter" in parts and rates:
            anchor_id = "hw09_adamw" if "hw09_adamw" in rates else next(iter(rates))
            if anchor_id not in singles:
                singles[anchor_id], _ = _time_run(
                    course, anchor_id, builds[anchor_id].instructor_notebook, args.repeats
                )
            lines += [
                "",
                "| anchor | value |",
                "|---|---:|",
                *_otter_anchor(
                    course,
                    anchor_id,
                    singles[anchor_id],
                    rates[anchor_id],
                    tmp_path,
                    args.repeats,
                ),
            ]
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    from .entry import run_tool

    sys.exit(run_tool("bench", main))
