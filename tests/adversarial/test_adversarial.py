"""Hostile and broken submissions: each gets its exact score, and the grader survives.

Cases and their expectations are in cases.toml; the submissions are in cases/. Every
case also checks the invariants that hold whatever a submission does: a schema-valid
results document, no solution line or hidden-test line in it, and (as root) nothing left
running as the sandbox user.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import jsonschema
import pytest

from autograder.build.bundle import build_assignment
from autograder.grading.pipeline import grade_file
from autograder.grading.results import feedback_markdown
from autograder.notebook.regions import distinctive_lines
from autograder.sandbox.reach import mount_namespaces_work

from ..build.test_build_and_gradescope import SCHEMA
from ..conftest import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

HERE = Path(__file__).parent
CASES = tomllib.loads((HERE / "cases.toml").read_text())["case"]
IS_ROOT = os.geteuid() == 0


def _fifty_megabyte_notebook(path: Path) -> None:
    code = [
        "import torch\n",
        "def square(x):\n    return x * x\n",
        "def add(a, b):\n    return a + b\n",
    ]
    blob = "A" * (1 << 20)
    cells = [
        {
            "cell_type": "code",
            "execution_count": i,
            "metadata": {},
            "source": src,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": blob * 17}],
        }
        for i, src in enumerate(code)
    ]
    path.write_text(
        json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )


GENERATORS = {"fifty_megabyte_notebook": _fifty_megabyte_notebook}


def _materialise(case: dict, tmp_path: Path, paths: dict[str, str]) -> Path:
    dest = tmp_path / "upload" / case["file"]
    dest.parent.mkdir(parents=True, exist_ok=True)
    if "generate" in case:
        GENERATORS[case["generate"]](dest)
        return dest
    data = (HERE / "cases" / case["file"]).read_bytes()
    for key, value in paths.items():
        data = data.replace(("{" + key + "}").encode(), value.encode())
    dest.write_bytes(data)
    return dest


@pytest.fixture(scope="module")
def demo_zip(demo_course, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("adversarial_dist")
    return build_assignment(demo_course, demo_course.assignment("hw99"), out).gradescope_zip


def _secrets(demo_course) -> list[str]:
    """Lines that must never reach a student: solution lines, hidden-test lines."""
    ref = demo_course.reference_path("hw99_demo").read_text()
    lines = list(distinctive_lines(ref))
    for path in demo_course.assignment("hw99").hidden_tests.glob("*.py"):
        lines += [ln.strip() for ln in path.read_text().splitlines() if len(ln.strip()) >= 24]
    return lines


def _leftovers(patterns: list[str]) -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        if any(p == cmd for p in patterns):
            found.append(f"{entry}: {cmd}")
    return found


def _grade(case: dict, demo_course, demo_zip: Path, tmp_path: Path) -> dict:
    mode = case.get("mode", "run")
    a = demo_course.assignment("hw99")
    if mode == "gradescope":
        root = tmp_path / "autograder"
        (root / "source").mkdir(parents=True)
        with zipfile.ZipFile(demo_zip) as zf:
            zf.extractall(root / "source")
        os.chmod(root / "source" / "run_autograder", 0o755)
        (root / "submission").mkdir()
        (root / "results").mkdir()
        paths = {
            "RESULTS": str(root / "results" / "results.json"),
            "HIDDEN": str(root / "source/assignments/hw99_demo/tests/hidden/test_q2_add.py"),
            "REFERENCE": str(root / "source/solutions/hw99_demo.py"),
            "CHECKOUT": str(REPO),
        }
        sub = _materialise(case, tmp_path, paths)
        shutil.copy(sub, root / "submission" / sub.name)
        env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADE_PYTHON": sys.executable}
        subprocess.run(
            [str(root / "source" / "run_autograder")], env=env, capture_output=True, timeout=300
        )
        return json.loads((root / "results" / "results.json").read_text())
    paths = {
        "RESULTS": str(tmp_path / "results.json"),
        "HIDDEN": str(a.hidden_tests / "test_q2_add.py"),
        "REFERENCE": str(demo_course.reference_path(a.id)),
        "CHECKOUT": str(REPO),
    }
    sub = _materialise(case, tmp_path, paths)
    if mode == "cli":
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "autograder",
                "--course",
                str(demo_course.root),
                "run",
                "hw99",
                str(sub),
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        return json.loads(proc.stdout)  # stdout holds the results document and nothing else
    return grade_file(demo_course, a, sub, hide=(str(tmp_path),)).results


def _case_id(case: dict) -> str:
    return case["file"].rsplit(".", 1)[0] + ("-" + case["mode"] if "mode" in case else "")


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_adversarial_case(case, demo_course, demo_zip, tmp_path):
    if case.get("root") and not IS_ROOT:
        pytest.skip("needs root for the privilege drop")
    if case.get("namespaces") and not mount_namespaces_work():
        pytest.skip("needs a mount namespace (CAP_SYS_ADMIN)")
    results = _grade(case, demo_course, demo_zip, tmp_path)
    jsonschema.validate(results, SCHEMA)
    text = feedback_markdown(results)
    assert results["score"] == case["score"], text
    phrases = case.get("phrase_any") or [case["phrase"]]
    assert any(p in text for p in phrases), text
    assert results.get("extra_data", {}).get("grader_fault") is False, text
    blob = json.dumps(results)
    leaked = [s for s in _secrets(demo_course) if s in blob]
    assert not leaked, leaked
    assert len(blob) < 200_000
    if case.get("no_leftover"):
        assert not _leftovers(case["no_leftover"])
    if IS_ROOT:
        assert not _lasting_leftovers(), "processes left running as the sandbox user"


def _lasting_leftovers(grace_s: float = 5.0) -> list[str]:
    """Leftovers that are still there after ``grace_s``: a process left running is. A
    grader killed on purpose by another test of the same run (an OOM kill, a SIGKILL)
    frees its slot at once, and its sandbox child follows it within milliseconds (parent-
    death signal); seen in between, it is not this case's leftover."""
    deadline = time.monotonic() + grace_s
    found = _leftovers_for_uid()
    while found and time.monotonic() < deadline:
        time.sleep(0.2)
        found = _leftovers_for_uid()
    return found


def _leftovers_for_uid() -> list[str]:
    """Processes of a sandbox uid whose slot nobody holds: left behind by a finished run.

    Other graders may be running on this machine (their slots are locked); skip those.
    """
    import fcntl

    from autograder.sandbox import is_sandbox_uid
    from autograder.sandbox.slots import SLOT_LOCK_DIR

    def slot_free(uid: int) -> bool:
        try:
            fd = os.open(os.path.join(SLOT_LOCK_DIR, f"{uid}.lock"), os.O_RDWR)
        except OSError:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
        finally:
            os.close(fd)

    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                status = Path(f"/proc/{entry}/status").read_text()
            except OSError:
                continue
            m = re.search(r"^Uid:\s+(\d+)", status, re.M)
            if m and is_sandbox_uid(int(m.group(1))) and slot_free(int(m.group(1))):
                ppid = re.search(r"^PPid:\s+(\d+)", status, re.M)
                parent_pid = ppid.group(1) if ppid else "?"
                try:  # what it is and who started it: the message names the culprit
                    cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
                    parent = Path(f"/proc/{parent_pid}/cmdline").read_bytes().replace(b"\0", b" ")
                except OSError:
                    cmd = parent = b""
                found.append(f"{entry} uid {m.group(1)}: {cmd[:160]!r} <- {parent[:160]!r}")
    return found


def test_suite_is_large_enough():
    assert len(CASES) >= 40
    assert all((HERE / "cases" / c["file"]).is_file() or "generate" in c for c in CASES)


def test_grading_is_deterministic(demo_course, tmp_path):
    a = demo_course.assignment("hw99")
    sub = REPO / "tests" / "adversarial" / "cases" / "broken_wrong_dtype.py"
    first = grade_file(demo_course, a, sub).results
    second = grade_file(demo_course, a, sub).results
    for r in (first, second):
        r.pop("execution_time")
    assert first == second


def _has_cap_sys_admin() -> bool:
    status = Path("/proc/self/status").read_text()
    effective = int(re.search(r"^CapEff:\s+([0-9a-f]+)", status, re.M).group(1), 16)
    return bool(effective & (1 << 21))  # CAP_SYS_ADMIN


@pytest.mark.skipif(
    not IS_ROOT or shutil.which("capsh") is None or not _has_cap_sys_admin(),
    reason="needs root with CAP_SYS_ADMIN to drop, and capsh (Debian's libcap2-bin)",
)
def test_the_cheating_cases_hold_without_cap_sys_admin():
    """Gradescope's and Docker's containers: root without CAP_SYS_ADMIN, so no mount or
    network namespace. The cheating cases again, in a pytest run under
    `capsh --drop=cap_sys_admin` (their expectations name what differs: a file closed by
    permissions instead of absent; the namespace-only cases skip)."""
    command = (
        f"{shlex.quote(sys.executable)} -m pytest -q -p no:cacheprovider -p no:xdist "
        f"{shlex.quote(str(HERE / 'test_adversarial.py'))} -k 'test_adversarial_case and cheat'"
    )
    proc = subprocess.run(
        ["capsh", "--drop=cap_sys_admin", "--", "-c", command],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    # the cases that need a mount namespace skipped: the run really had none
    assert " passed" in proc.stdout and " skipped" in proc.stdout, proc.stdout[-2000:]
