"""A sandbox uid handed out holds no process of an earlier submission: a grader killed from
outside frees its slot at once, and whatever of its child is still running is killed when
the slot is taken again."""

from __future__ import annotations

import os
import signal
import time

import pytest

from autograder.sandbox import Sandbox, SandboxConfig
from autograder.sandbox.slots import acquire_identity, pids_of_uid

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="slot uids need root")


def _sleeper_as(uid: int, gid: int) -> int:
    """A process of ``uid`` that nobody's slot lock covers (what a killed grader leaves)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            time.sleep(60)
        finally:
            os._exit(0)
    return pid


def test_a_slot_taken_again_kills_what_an_earlier_holder_left() -> None:
    for _ in range(5):  # another test of the run may take the slot in between: try again
        first = acquire_identity()
        assert first is not None
        uid, gid = first.uid, first.gid
        os.close(first.lock_fd)  # the slot is free, as after a grader was killed
        pid = _sleeper_as(uid, gid)
        try:
            deadline = time.monotonic() + 5
            while pid not in pids_of_uid(uid) and time.monotonic() < deadline:
                time.sleep(0.01)  # until the child has switched to the slot's uid
            sandbox = Sandbox([(1, "x = 1")], [], SandboxConfig())
            try:
                if sandbox.user is None or sandbox.user.uid != uid:
                    continue
                assert os.waitpid(pid, 0)[1] != 0  # killed, not finished
                assert pid not in pids_of_uid(uid)
                return
            finally:
                sandbox.release()
        finally:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
    pytest.skip("the slot was taken by another test each time")
