"""Every transfer to the sandbox child has a deadline: a child that stops reading its
requests (stopped, or stalled with its pipe full) costs its case, never a hung grader."""

from __future__ import annotations

import os
import time

import pytest
import torch

from autograder.sandbox import Sandbox, SandboxConfig
from autograder.sandbox.process import Zygote

# The first call answers, then stops the whole process a moment later: it will never
# read the next request, which is far larger than a pipe's buffer.
STALL = """
import os, signal, threading

def first(x):
    threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGSTOP)).start()
    return x

def second(x):
    return len(x)
"""
FIRST = {"name": "p1", "source": "def p1(ns, x):\n    return ns.first(x)\n"}
SECOND = {"name": "p2", "source": "def p2(ns, x):\n    return ns.second(x)\n"}


@pytest.mark.parametrize("forked", [False, True], ids=["spawned", "forked"])
def test_a_child_that_stops_reading_costs_its_case_not_the_run(forked):
    zygote = Zygote() if forked else None
    sandbox = Sandbox([(0, STALL)], [], SandboxConfig(zygote=zygote))
    try:
        assert sandbox.start().ok
        assert sandbox.call("q1", [], FIRST, [1], 0, 20).value == 1
        time.sleep(1.0)  # it is stopped now
        started = time.monotonic()
        big = torch.zeros(250_000)  # a megabyte: no pipe buffer holds it
        res = sandbox.call("q1", [], SECOND, [big], 0, 3)
        assert res.status == "timeout", res
        assert time.monotonic() - started < 10
        # the next case gets a fresh child, which answers
        assert sandbox.call("q1", [], SECOND, [[1, 2, 3]], 0, 20).value == 3
    finally:
        sandbox.release()
        if zygote is not None:
            zygote.close()


DAEMON = """
import os, time

def spawn():
    r, w = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:  # a daemon: its own session, its parent gone
            os.write(w, str(os.getpid()).encode())
            time.sleep(60)
        os._exit(0)
    os.close(w)
    return int(os.read(r, 32))
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def test_without_a_uid_of_its_own_a_daemon_dies_with_the_sandbox(monkeypatch):
    """Not root (no slot uid, no kill by uid): the child is a subreaper, and its whole tree
    is killed when it is, a double-forked setsid daemon included."""
    from autograder.sandbox import process

    monkeypatch.setattr(process, "acquire_identity", lambda user=None: None)
    sandbox = Sandbox([(0, DAEMON)], [], SandboxConfig())
    try:
        assert sandbox.start().ok
        probe = {"name": "p", "source": "def p(ns):\n    return ns.spawn()\n"}
        daemon = sandbox.call("q1", [], probe, [], 0, 20).value
        assert _alive(daemon)
    finally:
        sandbox.release()
    deadline = time.monotonic() + 5
    while _alive(daemon) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(daemon)


PACE = """
import os
import time

def wait(seconds):
    time.sleep(seconds)
    return seconds

def spin(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return seconds
"""


def test_a_probes_limit_counts_its_own_cpu_time_not_the_machines_load():
    """Busy neighbours slow a child down without using its CPU time: a call that waits
    1.5 s under a 1 s limit still finishes (the wall-clock cap is 3x the limit), and one
    that computes for 3 s is stopped (after 1 s of CPU, or 3 s on a loaded machine)."""
    sandbox = Sandbox([(0, PACE)], [], SandboxConfig())
    try:
        assert sandbox.start().ok
        wait = {"name": "w", "source": "def w(ns, s):\n    return ns.wait(s)\n"}
        spin = {"name": "s", "source": "def s(ns, s):\n    return ns.spin(s)\n"}
        assert sandbox.call("q1", [], wait, [1.5], 0, 1.0).status == "ok"
        res = sandbox.call("q1", [], spin, [3.0], 0, 1.0)
        assert res.status == "timeout", res
        assert "of CPU time" in res.message
        assert sandbox.call("q1", [], wait, [10.0], 0, 1.0).status == "timeout"
    finally:
        sandbox.release()


# Four processes started by the submission each burn half a second of CPU time and exit,
# unwaited for, while the main child waits on a pipe: their CPU time is the submission's
# too. With a cgroup of its own the sandbox counts it (the probe's CPU limit would fire on
# it); /proc/<pid>/stat of the main child alone never sees it.
BUSY_HELPERS = """
import os, time

def compute_elsewhere():
    r, w = os.pipe()
    for _ in range(4):
        if os.fork() == 0:
            while time.process_time() < 0.5:
                pass
            os.write(w, b"x")
            os._exit(0)
    got = b""
    while len(got) < 4:
        got += os.read(r, 4)
    return len(got)
"""
BUSY = {"name": "p3", "source": "def p3(ns):\n    return ns.compute_elsewhere()\n"}


def test_the_cpu_limit_counts_the_processes_a_submission_started():
    from autograder.sandbox import cgroup
    from autograder.sandbox.proctree import cpu_seconds as _cpu_seconds

    sandbox = Sandbox([(0, BUSY_HELPERS)], [], SandboxConfig())
    try:
        assert sandbox.start().ok
        counted, own = sandbox._cpu_now(), _cpu_seconds(sandbox.proc.pid)
        assert sandbox.call("q1", [], BUSY, [], 0, 60).value == 4
        counted, own = sandbox._cpu_now() - counted, _cpu_seconds(sandbox.proc.pid) - own
        assert own < 0.5  # the main child itself only waited
        if sandbox.report.isolation.get("own_cgroup"):
            assert counted >= 4 * 0.5 - 0.05, counted
        else:
            assert not (os.geteuid() == 0 and cgroup.available())
            assert counted < 0.5
    finally:
        sandbox.release()
