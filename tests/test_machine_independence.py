"""A grade depends on the answers alone: not on the CPU's kernels, the thread count, or
the folder the course was cloned into.

- The sandbox child runs the same kernels as the trusted side: it gets the variables that
  choose them (``cpu_settings``) and the same thread count, spawned or forked.
- The sandbox's uid reaches the interpreter and the engine even when a folder above them
  is closed to other users (``sandbox/reach.py``), without touching that folder.

The whole course under emulated CPUs is ``make matrix`` (``autograder/tools/matrix.py``).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
import torch

from autograder.sandbox import Sandbox, SandboxConfig
from autograder.sandbox import process as sandbox_process
from autograder.sandbox.cpu_settings import DISPATCH_VARIABLES, dispatch_env, grading_threads
from autograder.sandbox.process import Zygote, sandbox_env
from autograder.sandbox.reach import blocking_folders

ENV_PROBE = {
    "name": "p",
    "source": "def p(ns):\n    return ns.seen()\n",
}
ENV_CELL = (
    "import os, torch\n\n"
    "def seen():\n"
    "    keys = " + repr(list(DISPATCH_VARIABLES)) + "\n"
    "    return {'env': {k: os.environ[k] for k in keys if k in os.environ},\n"
    "            'threads': torch.get_num_threads(),\n"
    "            'kernel_env': open('/proc/self/environ', 'rb').read().decode(errors='replace')}\n"
)


def test_sandbox_env_keeps_the_kernel_choosing_variables_and_nothing_else(monkeypatch):
    monkeypatch.setenv("MKL_CBWR", "COMPATIBLE")
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")
    monkeypatch.setenv("AUTOGRADE_TEST_SECRET", "s3cret")
    env = sandbox_env(threads=2)
    assert env["MKL_CBWR"] == "COMPATIBLE" and env["ATEN_CPU_CAPABILITY"] == "avx2"
    assert env["OMP_NUM_THREADS"] == env["AUTOGRADE_THREADS"] == "2"
    assert "AUTOGRADE_TEST_SECRET" not in env
    assert dispatch_env({"MKL_CBWR": "AVX2", "HOME": "/root"}) == {"MKL_CBWR": "AVX2"}


@pytest.mark.parametrize("raw, threads", [(None, 1), ("2", 2), ("0", 1), ("lots", 1)])
def test_grading_threads(monkeypatch, raw, threads):
    if raw is None:
        monkeypatch.delenv("AUTOGRADE_THREADS", raising=False)
    else:
        monkeypatch.setenv("AUTOGRADE_THREADS", raw)
    assert grading_threads() == threads


@pytest.mark.parametrize("forked", [False, True], ids=["spawned", "forked"])
def test_the_child_runs_under_the_graders_kernel_settings(monkeypatch, forked):
    """Spawned or forked from a fork server, the child sees MKL_CBWR and the thread count
    that the trusted side runs under (today's bug: it dropped them)."""
    monkeypatch.setenv("MKL_CBWR", "COMPATIBLE")
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "default")
    monkeypatch.setenv("AUTOGRADE_THREADS", "2")
    zygote = Zygote() if forked else None
    sandbox = Sandbox([(0, ENV_CELL)], [], SandboxConfig(zygote=zygote))
    try:
        assert sandbox.start().ok
        res = sandbox.call("q1", [], ENV_PROBE, [], 0, 60)
        assert res.status == "ok", res
        assert res.value["env"] == {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "default"}
        assert res.value["threads"] == 2
        if not forked:  # a spawned child's kernel-side environment is its own too
            assert "MKL_CBWR=COMPATIBLE" in res.value["kernel_env"]
    finally:
        sandbox.release()
        if zygote is not None:
            zygote.close()


def test_the_reference_runs_with_the_childs_thread_count(monkeypatch, tmp_path):
    """The trusted side computes with grading_threads() threads while it grades, and puts
    its own setting back afterwards."""
    from autograder.grading.runner import HiddenTest, ReferenceBackend, run_tests
    from autograder.spec import Assignment, Question
    from autograder.testing import probe

    @probe
    def threads_now(ns):
        return torch.get_num_threads()  # the probe scope's torch

    seen = []
    test = HiddenTest(
        "test_q1_threads", "q1", lambda grade: seen.append(grade.reference(threads_now)), tmp_path
    )
    assignment = Assignment("hw98_threads", "t", 98, tmp_path, (Question("q1", "t", 1.0),))
    monkeypatch.setenv("AUTOGRADE_THREADS", "2")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run_tests(assignment, [test], object(), ReferenceBackend(object()))
        # (a test that records no case also runs once more, to count the reference's)
        assert seen and set(seen) == {2}
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


# ------------------------------------------------------------------ a folder closed to others


@pytest.fixture
def open_tmp():
    """A folder any user may enter (pytest's own tmp_path lies under a mode-700 one)."""
    import shutil
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="autograde-reach-", dir="/tmp"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_blocking_folders_finds_the_topmost_closed_folder(open_tmp):
    tmp_path = open_tmp
    outer = tmp_path / "outer"
    inner = outer / "inner"
    (inner / "venv").mkdir(parents=True)
    (outer / "pkg").mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(outer, 0o700)
    os.chmod(inner, 0o700)
    found = blocking_folders((str(inner / "venv"), str(outer / "pkg")))
    assert list(found) == [str(outer)]
    assert sorted(found[str(outer)]) == sorted([str(inner / "venv"), str(outer / "pkg")])
    os.chmod(outer, 0o711)
    assert blocking_folders((str(outer / "pkg"),)) == {}


def _namespaces_here() -> bool:
    from autograder.sandbox.reach import mount_namespaces_work

    return os.geteuid() == 0 and mount_namespaces_work()


@pytest.mark.skipif(not _namespaces_here(), reason="needs root and mount namespaces")
@pytest.mark.parametrize("forked", [False, True], ids=["spawned", "forked"])
def test_the_child_reaches_paths_under_a_closed_folder_and_sees_nothing_else(
    open_tmp, monkeypatch, forked
):
    tmp_path = open_tmp
    closed = tmp_path / "closed"
    needed = closed / "clone" / "venv"
    needed.mkdir(parents=True)
    (needed / "module.txt").write_text("reachable")
    (closed / "clone" / "secret.txt").write_text("hidden")
    for folder in (needed, closed / "clone"):
        os.chmod(folder, 0o755)
    os.chmod(closed, 0o700)
    os.chmod(tmp_path, 0o755)
    original = sandbox_process.runtime_paths
    monkeypatch.setattr(sandbox_process, "runtime_paths", lambda: (*original(), str(needed)))
    cell = (
        "def read(path):\n"
        "    try:\n"
        "        return open(path).read()\n"
        "    except OSError as exc:\n"
        "        return type(exc).__name__\n"
    )
    probe = {"name": "p", "source": "def p(ns, path):\n    return ns.read(path)\n"}
    zygote = Zygote() if forked else None
    sandbox = Sandbox([(0, cell)], [], SandboxConfig(zygote=zygote))
    try:
        assert sandbox.start().ok
        assert sandbox.call("q1", [], probe, [str(needed / "module.txt")], 0, 30).value == (
            "reachable"
        )
        hidden = sandbox.call("q1", [], probe, [str(closed / "clone" / "secret.txt")], 0, 30)
        assert hidden.value == "FileNotFoundError"  # not bridged: absent in its namespace
    finally:
        sandbox.release()
        if zygote is not None:
            zygote.close()
    # nothing changed outside the child
    assert stat.S_IMODE(os.stat(closed).st_mode) == 0o700
    assert (closed / "clone" / "secret.txt").read_text() == "hidden"


@pytest.mark.skipif(os.geteuid() != 0, reason="the privilege drop needs root")
def test_without_mount_namespaces_a_closed_folder_is_one_clear_line(open_tmp):
    """As on Gradescope (no CAP_SYS_ADMIN): the command says what to do, no traceback."""
    from autograder.sandbox import reach

    closed = open_tmp / "closed"
    (closed / "venv").mkdir(parents=True)
    os.chmod(closed, 0o700)
    code = (
        "import sys\n"
        "from autograder.sandbox import reach\n"
        "reach.mount_namespaces_work = lambda: False\n"
        f"reach.runtime_paths = lambda: ({str(closed / 'venv')!r},)\n"
        "from autograder import cli\n"
        "sys.exit(cli.main(['run', 'hw00', '/dev/null']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert str(closed) in lines[0] and "chmod o+x" in lines[0]
    assert reach.blocking_folders((str(closed / "venv"),)) == {str(closed): [str(closed / "venv")]}
