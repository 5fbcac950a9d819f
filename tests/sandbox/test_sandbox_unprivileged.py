"""Grading without root: where the kernel allows unprivileged user namespaces, the
sandbox child gets the same allowlisted root as under root, and it cannot reach the
grader through /proc (the grader is made non-dumpable, so /proc/<pid>/root, environ and
mem of the same uid are closed to it)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from autograder.sandbox.reach import runtime_paths

from ..conftest import REPO

UID = 64999  # an unused uid (the sandbox slots start at 64000 and are held by lock files)

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    sys.path.insert(0, sys.argv[1])
    from autograder.sandbox.process import Sandbox, SandboxConfig
    SRC = '''
    import os
    def look(checkout):
        return {
            "root": sorted(os.listdir("/")),
            "checkout": sorted(os.listdir(checkout)) if os.path.isdir(checkout) else None,
            "grader root": os.path.exists(f"/proc/{os.getppid()}/root/etc"),
            "grader environ": os.access(f"/proc/{os.getppid()}/environ", os.R_OK),
            "uid": os.getuid(),
        }
    '''
    import ctypes
    pid = os.fork()
    if pid == 0:  # may this uid make a user namespace at all? (the kernel's answer)
        os._exit(0 if ctypes.CDLL(None, use_errno=True).unshare(0x10000000) == 0 else 1)
    userns = os.waitpid(pid, 0)[1] == 0
    sandbox = Sandbox([(1, SRC)], [], SandboxConfig(load_timeout_s=120))
    report = sandbox.start()
    probe = {"name": "p", "source": "def p(ns, c):\\n    return ns.look(c)\\n"}
    result = sandbox.call("q1", [], probe, [sys.argv[1]], 0, 60)
    print(json.dumps({"userns": userns, "isolation": report.isolation, "failure": report.failure,
                      "status": result.status, "value": result.value, "msg": result.message}))
    sandbox.release()
    """
)


def _reachable_by_others(path: str) -> bool:
    parts = os.path.realpath(path).split("/")
    for depth in range(2, len(parts) + 1):
        mode = os.stat("/".join(parts[:depth]) or "/").st_mode
        if not mode & stat.S_IXOTH:
            return False
    return True


@pytest.mark.skipif(os.geteuid() != 0, reason="switches to an ordinary uid (needs root)")
def test_without_root_the_child_gets_its_own_root_and_cannot_reach_the_grader():
    if not all(_reachable_by_others(p) for p in (*runtime_paths(), str(REPO / "autograder"))):
        pytest.skip("this checkout or its interpreter is in a folder other users cannot enter")
    folder = tempfile.mkdtemp(prefix="autograde-nonroot-")  # pytest's own is root-only
    try:
        _run_as_user(Path(folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_as_user(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o777)
    script = tmp_path / "grade_as_user.py"
    script.write_text(SCRIPT)
    os.chmod(script, 0o644)

    def as_user() -> None:
        os.setgroups([])
        os.setgid(UID)
        os.setuid(UID)

    proc = subprocess.run(
        [sys.executable, str(script), str(REPO)],
        preexec_fn=as_user,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["status"] == "ok", out
    if not out["userns"]:
        pytest.skip("this kernel allows no unprivileged user namespace")
    assert out["isolation"]["private_root"] is True, out
    value = out["value"]
    assert value["uid"] == UID
    assert set(value["root"]) <= {
        "bin",
        "dev",
        "etc",
        "lib",
        "lib32",
        "lib64",
        "libx32",
        "proc",
        "sbin",
        "sys",
        "tmp",
        "usr",
        "var",
        *(p.split("/")[1] for p in runtime_paths()),
    }, value
    assert not {"solutions", "assignments", "tests", ".git"} & set(value["checkout"] or []), value
    assert value["grader root"] is False and value["grader environ"] is False, value
