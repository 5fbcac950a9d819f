"""``autograde build``: the student bundle, the Gradescope zip and the solution notebook.

For assignment ``<id>`` and output folder ``DIR``:

- ``DIR/student/<id>.zip``: the student notebook, the ``autograde_check`` runtime with
  the public checks' recorded values, a README, and any files the assignment ships, at
  the zip's top level: Windows' "Extract All", macOS's Archive Utility and Linux's
  archive managers unpack it into one folder named after the zip (a top folder inside
  would give ``<id>/<id>/``), and Colab's ``!unzip`` puts ``autograde_check/`` next to the
  notebook, where its import looks;
- ``DIR/gradescope/<id>.zip``: ``setup.sh``, ``run_autograder``, the engine as a built
  wheel (``wheels/``), ``constraints.txt`` (the exact versions of the environment that
  built and verified it, which ``setup.sh`` installs with), this assignment's reference
  module, metadata and tests;
- ``DIR/instructor/<id>.ipynb``: the solution notebook.

The student zip is scanned for every distinctive line of every solution region before it
is written; a bundle that would leak one is refused.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from .. import __version__
from ..course import Course
from ..grading.runner import collect_tests, load_reference
from ..notebook.notebooks import BuildError, build_notebooks
from ..notebook.regions import distinctive_lines
from ..runtime.wire import to_text
from ..spec import Assignment
from ..testing import Grade, Probe, roundtrip

__all__ = ["BuildResult", "build_assignment", "find_leaks", "record_public_checks"]

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # autograder/
RUNTIME_MODULES = ("errors.py", "wire.py", "compare.py", "probe_helpers.py", "traps.py")
# A fixed timestamp makes zips byte-identical across builds of the same sources.
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)
_WHEEL_EPOCH = "1577836800"  # the same instant, for the engine wheel (SOURCE_DATE_EPOCH)
# Pythons a Gradescope image may have (Ubuntu 22.04: 3.10, 24.04: 3.12): a pin whose
# release does not support one of them gets a marker that leaves that Python unpinned.
_TARGET_PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
ENGINE_DIST = "optim-autograder"


@dataclass
class BuildResult:
    assignment: Assignment
    student_zip: Path
    gradescope_zip: Path
    instructor_notebook: Path
    public_checks: int


class _Recorder:
    """Stands in for the sandbox while public checks are recorded: no student side."""

    def start(self, *args: Any, **kwargs: Any) -> Any:  # the StudentBackend interface
        raise BuildError(
            "public checks may only use grade.compare (their expected values are "
            "recorded at build time and compared in the student's kernel)"
        )


class _RecordingGrade(Grade):
    """The ``grade`` of a public check at build time: each ``compare`` records its inputs
    and the reference's value, to be compared in the student's kernel."""

    recorded: list[dict]

    def compare(
        self,
        probe_: Probe,
        *args: Any,
        case: str,
        rtol: float = 0.0,
        atol: float = 0.0,
        allow: tuple[str, ...] = (),
        weight: float = 1.0,
    ) -> bool:
        seed = self._seed()  # the student's kernel runs the probe under the same seed
        expected = self._reference(probe_, args, seed)
        self.recorded.append(
            {
                "case": case,
                "seed": seed,
                "probe": probe_.spec,
                "args": to_text(roundtrip(list(args))),
                "expected": to_text(expected),
                "rtol": rtol,
                "atol": atol,
                # what the grader refuses during this call: check() refuses it too
                "forbidden": [name for name in self.forbidden if name not in allow],
            }
        )
        return True


def record_public_checks(course: Course, assignment: Assignment) -> dict[str, list[dict]]:
    """Run the public checks on the reference and keep their inputs and expected values."""
    if not assignment.public_tests.is_dir():
        return {}
    reference = load_reference(course, assignment)
    out: dict[str, list[dict]] = {}
    for test in collect_tests(assignment, assignment.public_tests):
        q = assignment.question(test.question)
        grade = _RecordingGrade(
            q.id, test.name, q.forbidden, reference, _Recorder(), assignment.salt
        )
        grade.recorded = []
        test.fn(grade)
        out.setdefault(q.id, []).extend(grade.recorded)
    return out


def _write_zip(
    path: Path, files: dict[str, bytes], executable: AbstractSet[str] = frozenset()
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if name in executable else 0o644) << 16
            zf.writestr(info, files[name])
    tmp.replace(path)


def _notebook_bytes(nb: nbformat.NotebookNode) -> bytes:
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def _text_lines(name: str, data: bytes) -> list[str]:
    """Every line of a bundle file as a student could see it (cells split out)."""
    text = data.decode("utf-8", errors="replace")
    if name.endswith(".ipynb"):
        nb = json.loads(text)
        text = "\n".join("".join(c.get("source", "")) for c in nb.get("cells", []))
    elif name.endswith(".json"):
        # checks.json holds source and encoded values as JSON strings: decode them too.
        text = text + "\n" + "\n".join(_json_strings(json.loads(text)))
    return [ln.strip() for ln in text.splitlines()]


def _json_strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [s for x in node for s in _json_strings(x)]
    if isinstance(node, dict):
        return [s for x in node.values() for s in _json_strings(x)]
    return []


def _engine_file(name: str) -> bool:
    """The check runtime's own modules, copied from the engine: not made from the reference
    (a generic line of theirs, ``out = []``, may happen to be one of its lines too)."""
    folder, _, module = name.rpartition("/")
    return folder.endswith("autograde_check") and (
        module in RUNTIME_MODULES or module == "__init__.py"
    )


def find_leaks(files: dict[str, bytes], reference_source: str) -> list[str]:
    """Solution lines that appear in any file of a bundle: ``["file: line (qK, ref line N)"]``."""
    secret = distinctive_lines(reference_source)
    leaks = []
    for name, data in files.items():
        if _engine_file(name):
            continue
        for line in _text_lines(name, data):
            if line in secret:
                q, n = secret[line]
                leaks.append(f"{name}: {line!r} ({q}, reference line {n})")
    return leaks


def _student_files(
    course: Course, assignment: Assignment, student_nb, checks: dict
) -> dict[str, bytes]:
    template = course.root / "student_template"
    for needed in (template / "README.md", template / "autograde_check" / "__init__.py"):
        if not needed.is_file():
            raise BuildError(
                f"{assignment.id}: the course has no {needed.relative_to(course.root)} "
                "(the student bundle's README and check() runtime; copy student_template/ "
                "from the project)"
            )
    readme = (template / "README.md").read_text(encoding="utf-8")
    points = ", ".join(f"{q.id} {q.points:g}" for q in assignment.questions)
    readme = readme.format(
        id=assignment.id,
        title=assignment.title,
        lecture=assignment.lecture,
        points=f"{points} (total {assignment.total_points:g})",
    )
    files = {
        f"{assignment.id}.ipynb": _notebook_bytes(student_nb),
        "README.md": readme.encode(),
        "autograde_check/__init__.py": (template / "autograde_check" / "__init__.py").read_bytes(),
        "autograde_check/checks.json": json.dumps(
            {"assignment": assignment.id, "version": __version__, "questions": checks},
            indent=1,
            sort_keys=True,
        ).encode(),
    }
    for module in RUNTIME_MODULES:
        files[f"autograde_check/{module}"] = (PACKAGE_DIR / "runtime" / module).read_bytes()
    for rel in assignment.ship:
        src = assignment.folder / rel
        if not src.is_file():
            raise BuildError(f"{assignment.id}: ship lists {rel}, which does not exist")
        files[rel] = src.read_bytes()
    return files


def _package_files() -> dict[str, bytes]:
    files = {}
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if (
            path.is_file()
            and "__pycache__" not in path.parts
            and path.suffix in (".py", ".typed", ".json", ".sh", "")
        ):
            files[f"autograder/{path.relative_to(PACKAGE_DIR).as_posix()}"] = path.read_bytes()
    return files


def _engine_sources() -> dict[str, bytes]:
    """What the engine wheel is built from: the package and the project's metadata."""
    project = PACKAGE_DIR.parent
    files = _package_files()
    for name in ("pyproject.toml", "README.md"):
        if not (project / name).is_file():
            raise BuildError(
                f"cannot build the engine wheel: {project / name} is missing (the engine "
                "must be a checkout of the project, not an installed copy)"
            )
        files[name] = (project / name).read_bytes()
    return files


def engine_wheel() -> tuple[str, bytes]:
    """The engine as a wheel (file name, bytes), built once per process and source state.

    Built with this interpreter's pip and setuptools, no build isolation and no index
    (nothing is downloaded), from a copy of the sources in a temporary folder (nothing is
    written into the checkout), with ``SOURCE_DATE_EPOCH`` fixed: the same sources give
    the same bytes."""
    sources = _engine_sources()
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode() + b"\0" + sources[name] + b"\0")
    return _build_wheel(digest.hexdigest(), tuple(sorted(sources.items())))


@functools.lru_cache(maxsize=4)
def _build_wheel(_digest: str, sources: tuple[tuple[str, bytes], ...]) -> tuple[str, bytes]:
    with tempfile.TemporaryDirectory(prefix="autograde-wheel-") as tmp:
        src, out = Path(tmp) / "src", Path(tmp) / "out"
        for name, data in sources:
            path = src / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            path.chmod(0o644)  # the wheel records modes: not the umask of whoever builds
        env = {**os.environ, "SOURCE_DATE_EPOCH": _WHEEL_EPOCH, "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "--no-index",
                "--wheel-dir",
                str(out),
                str(src),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        wheels = sorted(out.glob("*.whl"))
        if proc.returncode != 0 or len(wheels) != 1:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            raise BuildError(
                "could not build the engine wheel with "
                f"`{sys.executable} -m pip wheel --no-build-isolation` (it needs "
                "setuptools>=77 in this environment): " + " | ".join(tail)
            )
        return wheels[0].name, wheels[0].read_bytes()


def _requires_python_marker(requires_python: str | None) -> str:
    """``python_version != "3.10"`` for each target Python a release does not support."""
    if not requires_python:
        return ""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return ""
    excluded = [v for v in _TARGET_PYTHONS if not spec.contains(f"{v}.99", prereleases=True)]
    return " and ".join(f'python_version != "{v}"' for v in excluded)


def _pin(version: str) -> str:
    return version.split("+", 1)[0]  # 2.13.0+cpu -> 2.13.0, which the CPU index's build meets


def constraints_text() -> bytes:
    """``constraints.txt``: the exact version of every package in the engine's dependency
    closure as installed in the running environment (the one that builds and verifies)."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
        import tomli as tomllib

    project = tomllib.loads(_engine_sources()["pyproject.toml"].decode())["project"]
    pins: dict[str, tuple[str, str]] = {}  # name -> (version, marker)
    unpinned: dict[str, str] = {}  # name -> why
    # (requirement, the extra it came with, whether the engine itself asks for it)
    queue = [(Requirement(r), "", True) for r in project.get("dependencies", [])]
    queue.append((Requirement("pip"), "", True))  # setup.sh upgrades pip to this one
    seen: set[tuple[str, str]] = set()
    while queue:
        req, extra, direct = queue.pop()
        name: str = canonicalize_name(req.name)
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            if direct:  # say so for the engine's own (tomli on 3.10), not for every extra
                unpinned.setdefault(name, f"{req} (its marker is false where this was built)")
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            unpinned.setdefault(name, f"{req} (not installed where this was built)")
            continue
        unpinned.pop(name, None)
        pins[name] = (_pin(dist.version), _requires_python_marker(dist.metadata["Requires-Python"]))
        for wanted in ("", *sorted(req.extras)):
            if (name, wanted) in seen:
                continue
            seen.add((name, wanted))
            queue.extend((Requirement(r), wanted, False) for r in dist.requires or [])
    python = platform.python_version()
    lines = [
        "# The exact versions of the environment that built and verified this autograder",
        f"# (Python {python}, {platform.system()} {platform.machine()}); setup.sh installs with",
        "# `pip install -c constraints.txt`. A pin whose release does not support some Python",
        "# carries a marker: on that Python pip chooses, and setup.sh says what it chose.",
        f"# verified-python: {python}",
    ]
    lines += [f"# not pinned: {why}" for _, why in sorted(unpinned.items())]
    for name in sorted(pins):
        version, marker = pins[name]
        lines.append(f"{name}=={version}" + (f" ; {marker}" if marker else ""))
    return ("\n".join(lines) + "\n").encode()


def _gradescope_files(course: Course, assignment: Assignment) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for name in ("setup.sh", "run_autograder"):
        files[name] = (PACKAGE_DIR / "templates" / name).read_bytes()
    wheel_name, wheel = engine_wheel()
    files[f"wheels/{wheel_name}"] = wheel
    files["constraints.txt"] = constraints_text()
    files[f"solutions/{assignment.id}.py"] = course.reference_path(assignment.id).read_bytes()
    init = course.solutions_dir / "__init__.py"
    if init.is_file():
        files["solutions/__init__.py"] = init.read_bytes()
    folder = assignment.folder
    not_for_grading = {"notebook.py", "mutants_equivalent.toml"}  # sources of the build, notes
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and "__pycache__" not in path.parts and rel not in not_for_grading:
            files[f"assignments/{assignment.id}/{rel}"] = path.read_bytes()
    return files


def build_assignment(course: Course, assignment: Assignment, out: Path) -> BuildResult:
    """Build the three artifacts of one assignment into ``out``."""
    ref_path = course.reference_path(assignment.id)
    if not ref_path.is_file():
        raise BuildError(f"{assignment.id}: no reference module {ref_path}")
    reference_source = ref_path.read_text(encoding="utf-8")
    built = build_notebooks(assignment, reference_source)
    ungraded = {q.id for q in assignment.questions if not q.manual} - built.questions_in_notebook
    if ungraded:
        raise BuildError(
            f"{assignment.id}: questions {sorted(ungraded)} have no answer or check "
            "cell in notebook.py"
        )
    checks = record_public_checks(course, assignment)
    student = _student_files(course, assignment, built.student, checks)
    leaks = find_leaks(student, reference_source)
    if leaks:
        shown = "\n  ".join(leaks[:10])
        raise BuildError(
            f"{assignment.id}: refusing to write a student bundle that leaks "
            f"solution lines:\n  {shown}"
        )
    result = BuildResult(
        assignment,
        out / "student" / f"{assignment.id}.zip",
        out / "gradescope" / f"{assignment.id}.zip",
        out / "instructor" / f"{assignment.id}.ipynb",
        sum(len(v) for v in checks.values()),
    )
    _write_zip(result.student_zip, student)
    # The autograder zip and the solution notebook hold the reference (and the zip the
    # hidden tests and the salt): their folders are closed to other users, such as a
    # sandbox's uid grading on this machine without a mount namespace of its own.
    for private in (result.gradescope_zip.parent, result.instructor_notebook.parent):
        private.mkdir(parents=True, exist_ok=True)
        private.chmod(0o700)
    _write_zip(
        result.gradescope_zip,
        _gradescope_files(course, assignment),
        executable={"setup.sh", "run_autograder"},
    )
    tmp = result.instructor_notebook.with_suffix(".ipynb.tmp")
    tmp.write_bytes(_notebook_bytes(built.instructor))
    tmp.replace(result.instructor_notebook)
    return result


def unpack_student_bundle(zip_path: Path, dest: Path) -> Path:
    """Extract a student zip into ``dest``, as a student's "Extract All" does; returns
    ``dest``, the folder holding the notebook."""
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(dest)
    return dest


def read_zip(zip_path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(zip_path) as zf:
        return {n: zf.read(n) for n in zf.namelist() if not n.endswith("/")}


def copy_runtime_next_to(instructor_nb: Path, student_zip: Path, dest: Path) -> Path:
    """A folder with the instructor notebook and the check runtime, for executing it."""
    folder = unpack_student_bundle(student_zip, dest)
    shutil.copy(instructor_nb, folder / instructor_nb.name.replace(".ipynb", "_solution.ipynb"))
    return folder / instructor_nb.name.replace(".ipynb", "_solution.ipynb")
