"""``make matrix``: the same grade on every CPU, emulated on one machine.

MKL, ATen and OpenBLAS choose their kernels by instruction set, and the thread count
changes how reductions round. A grade must not depend on any of it. This grades, under
each setting of a matrix of kernel-choosing variables (``cpu_settings``):

- every assignment's solution notebook: full marks;
- every student template: 0;
- every ``correct_*.py`` in ``<submissions>/<assignment>/``: full marks. Each is a
  correct solution written differently from the reference, and is the student template
  with one code cell appended that defines every answer;
- every ``bug_*.py`` there: the instructor notebook with one cell appended that redefines
  something wrongly; it must score below full marks, and the same under every setting.

It prints a table (submission x setting -> score) and exits 1 on any expectation that
fails or any score that differs between settings.

Each setting runs in a fresh process (the variables are read when torch is imported),
which grades every submission the way ``autograde run`` does: a fork server copied from
the process once torch is imported, one sandbox per submission.

Usage: ``python -m autograder.tools.matrix [--settings ci|full] [--only hw02 ...]
[--submissions tests/submissions] [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures as cf
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..course import Course, find_course

__all__ = ["SETTINGS", "main"]

_MKL: dict[str, dict[str, str]] = {
    "mkl=machine": {},
    "mkl=SSE4_2": {"MKL_ENABLE_INSTRUCTIONS": "SSE4_2"},
    "mkl=AVX2": {"MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    # On AMD processors MKL ignores MKL_ENABLE_INSTRUCTIONS; its reproducible "compatible"
    # branch is a kernel change that such a machine does show.
    "mkl=COMPATIBLE": {"MKL_CBWR": "COMPATIBLE"},
}
_ATEN: dict[str, dict[str, str]] = {
    "aten=machine": {},
    "aten=default": {"ATEN_CPU_CAPABILITY": "default"},
    "aten=avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
}
_THREADS: dict[str, dict[str, str]] = {
    "1 thread": {"AUTOGRADE_THREADS": "1"},
    "2 threads": {"AUTOGRADE_THREADS": "2"},
}


def _combine(*axes: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    out = {}
    for combo in itertools.product(*(a.items() for a in axes)):
        out[", ".join(name for name, _ in combo)] = {
            k: v for _, env in combo for k, v in env.items()
        }
    return out


SETTINGS: dict[str, dict[str, dict[str, str]]] = {
    # CI: every MKL setting, with the machine's ATen kernels and one thread.
    "ci": _combine(_MKL, {"aten=machine": {}}, {"1 thread": {"AUTOGRADE_THREADS": "1"}}),
    # Everything: MKL x ATen {default, avx2} x {1, 2} threads.
    "full": _combine(_MKL, {k: v for k, v in _ATEN.items() if k != "aten=machine"}, _THREADS),
}


@dataclass(frozen=True)
class Entry:
    """One notebook to grade and what it must score."""

    assignment: str
    name: str
    path: str
    expect: str  # "full", "zero" or "below full"
    checks: str = ""  # the student bundle's folder, whose public checks a full answer passes


def _with_cell(notebook: Path, source: str, dest: Path) -> None:
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(source))
    nbformat.write(nb, dest)


def build_class(course: Course, ids: list[str], submissions: Path, folder: Path) -> list[Entry]:
    """Build each assignment and write the notebooks to grade into ``folder``."""
    from ..build.bundle import build_assignment, unpack_student_bundle

    entries = []
    for aid in ids:
        a = course.assignment(aid)
        built = build_assignment(course, a, folder / "dist")
        unpacked = unpack_student_bundle(built.student_zip, folder / "unpacked" / aid)
        template = unpacked / f"{aid}.ipynb"
        solution = Path(built.instructor_notebook)
        entries += [
            Entry(aid, "solution", str(solution), "full", str(unpacked)),
            Entry(aid, "template", str(template), "zero"),
        ]
        for py in sorted((submissions / aid).glob("*.py")):
            kind = py.stem.split("_", 1)[0]
            if kind not in ("correct", "bug"):
                continue
            dest = folder / "class" / aid / f"{py.stem}.ipynb"
            dest.parent.mkdir(parents=True, exist_ok=True)
            base = template if kind == "correct" else solution
            _with_cell(base, py.read_text(encoding="utf-8"), dest)
            if kind == "correct":
                entries.append(Entry(aid, py.stem, str(dest), "full", str(unpacked)))
            else:
                entries.append(Entry(aid, py.stem, str(dest), "below full"))
    return entries


def _public_checks(entry: Entry) -> list[str]:
    """The public checks (values recorded when the bundle was built, under the machine's
    own settings) that ``entry``'s definitions fail, run here under this setting."""
    import importlib.util

    from ..grading.submission import read_submission
    from ..runtime.extract import plan_cell

    init = Path(entry.checks) / "autograde_check" / "__init__.py"
    name = f"autograde_check_{entry.assignment}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, init, submodule_search_locations=[str(init.parent)]
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        sys.modules["autograde_check"] = module  # the notebook imports it by this name
    checks = sys.modules[name]
    sys.modules["autograde_check"] = checks
    names: dict = {"__name__": "__main__"}
    for index, source in read_submission(Path(entry.path)).cells:
        # as the sandbox loads them: statement by statement, a constant computed from an
        # experiment's variables (NameError) skipped
        for node in plan_cell(index, source).statements:
            code = compile(ast.Module([node], []), f"<cell {index}>", "exec")
            try:
                exec(code, names)
            except NameError:
                if not isinstance(node, (ast.Assign, ast.AnnAssign)):
                    raise
    result = checks.check_all(names)
    return [f"{q} {case}: {msg}" for q, case, ok, msg in result.rows if not ok]


def _public_checks_isolated(entry: Entry) -> list[str]:
    """``_public_checks``, leaving torch's default dtype as it found it (a notebook may
    set it, and the next notebook graded in this worker must not inherit it)."""
    import torch

    before = torch.get_default_dtype()
    try:
        return _public_checks(entry)
    finally:
        torch.set_default_dtype(before)


def _worker(course_root: str, manifest: str, out: str) -> int:
    """Grade every entry of ``manifest`` here, under this process's environment."""
    from ..sandbox.process import Zygote

    zygote = Zygote.fork_here()  # torch is imported now, under this setting's variables
    import torch

    from ..grading.pipeline import grade_file

    course = Course(Path(course_root))
    scores: dict[str, dict] = {}
    try:
        for raw in json.loads(Path(manifest).read_text()):
            e = Entry(**raw)
            graded = grade_file(
                course, course.assignment(e.assignment), Path(e.path), zygote=zygote
            )
            scores[f"{e.assignment}/{e.name}"] = {
                "score": graded.results["score"],
                "fault": graded.grader_fault,
                "lost": [
                    f"{t['name']}: {t.get('output', '')[:300]}"
                    for t in graded.results.get("tests", [])
                    if t.get("score", 0) < t.get("max_score", 0)
                ],
                "public": _public_checks_isolated(e) if e.checks else [],
            }
    finally:
        zygote.close()
    Path(out).write_text(
        json.dumps({"scores": scores, "capability": torch.backends.cpu.get_cpu_capability()})
    )
    return 0


def _run_setting(course_root: Path, manifest: Path, name: str, env: dict, out: Path) -> dict:
    full_env = {k: v for k, v in os.environ.items() if k not in env}
    full_env.update(env)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "autograder.tools.matrix", "--worker", str(manifest), str(out)],
        env={**full_env, "AUTOGRADE_COURSE": str(course_root)},
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if proc.returncode != 0 or not out.exists():
        return {"error": (proc.stderr or proc.stdout)[-2000:], "seconds": 0.0}
    data = json.loads(out.read_text())
    data["seconds"] = time.monotonic() - started
    return data


def _expected_ok(entry: Entry, score: float, full: float) -> bool:
    if entry.expect == "full":
        return abs(score - full) < 1e-6
    if entry.expect == "zero":
        return score == 0
    return score < full - 1e-6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.tools.matrix", description=__doc__)
    parser.add_argument("--settings", choices=sorted(SETTINGS), default="full")
    parser.add_argument("--only", nargs="*", default=None, help="assignments (hw02 ...)")
    parser.add_argument("--submissions", default="tests/submissions")
    parser.add_argument("--jobs", type=int, default=2, help="settings graded at once")
    parser.add_argument("--course", default=None)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(os.environ["AUTOGRADE_COURSE"], *args.worker)

    course = find_course(args.course)
    ids = [course.resolve(n) for n in args.only] if args.only else course.ids()
    settings = SETTINGS[args.settings]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="autograde-matrix-") as tmp:
        folder = Path(tmp)
        entries = build_class(course, ids, Path(args.submissions), folder)
        manifest = folder / "manifest.json"
        manifest.write_text(json.dumps([e.__dict__ for e in entries]))
        print(
            f"grading {len(entries)} notebooks of {len(ids)} assignments under "
            f"{len(settings)} settings ({args.settings})",
            file=sys.stderr,
            flush=True,
        )
        results: dict[str, dict] = {}
        with cf.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            futures = {
                pool.submit(
                    _run_setting, course.root, manifest, name, env, folder / f"s{i}.json"
                ): name
                for i, (name, env) in enumerate(settings.items())
            }
            for fut in cf.as_completed(futures):
                name = futures[fut]
                results[name] = fut.result()
                r = results[name]
                took = f"{r['seconds']:.0f} s" if "error" not in r else "FAILED"
                print(f"  {name}: {took}", file=sys.stderr, flush=True)
    return _report(course, entries, settings, results, time.monotonic() - started)


def _report(
    course: Course,
    entries: list[Entry],
    settings: dict[str, dict[str, str]],
    results: dict[str, dict],
    seconds: float,
) -> int:
    problems = []
    for name, r in results.items():
        if "error" in r:
            problems.append(f"{name}: the worker failed: {r['error']}")
    names = list(settings)
    short = {n: f"S{i}" for i, n in enumerate(names)}
    print("\nSettings:")
    for n in names:
        cap = results.get(n, {}).get("capability", "?")
        print(f"  {short[n]}: {n} (ATen kernels: {cap})")
    header = ["assignment", "submission", *(short[n] for n in names)]
    rows = [header, ["---"] * len(header)]
    for e in entries:
        full = course.assignment(e.assignment).autograded_points
        key = f"{e.assignment}/{e.name}"
        cells, seen = [], set()
        for n in names:
            got = results.get(n, {}).get("scores", {}).get(key)
            if got is None:
                cells.append("?")
                continue
            score = got["score"]
            seen.add(round(score, 4))
            mark = "" if _expected_ok(e, score, full) and not got["fault"] else " ✗"
            public = got.get("public", [])
            cells.append(
                f"{score:g}{mark}" + (f" (public checks ✗{len(public)})" if public else "")
            )
            if public:
                problems.append(f"{key} under {n}: public checks fail: {'; '.join(public[:3])}")
            if mark:
                lost = "; ".join(got["lost"][:3])
                problems.append(
                    f"{key} under {n}: {score:g} (expected {e.expect}){': ' if lost else ''}{lost}"
                )
        if len(seen) > 1:
            problems.append(f"{key}: the score differs between settings: {sorted(seen)}")
        rows.append([e.assignment, e.name, *cells])
    print()
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\n{len(entries)} notebooks x {len(names)} settings in {seconds:.0f} s")
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for p in problems:
            print(f"  - {p}")
        return 1
    print("every setting gave every notebook the same, expected score")
    return 0


if __name__ == "__main__":
    from .entry import run_tool

    sys.exit(run_tool("matrix", main))
