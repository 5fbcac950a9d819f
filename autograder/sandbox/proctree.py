"""A sandbox child's process tree, seen from /proc: its CPU time, its descendants, and
killing them all; and removing what a slot uid left in the shared scratch folders."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from collections.abc import Sequence

from .reach import SCRATCH
from .slots import pids_of_uid

__all__ = [
    "cpu_seconds",
    "descendants",
    "kill_all_of_uid",
    "kill_others_of_uid",
    "kill_session",
    "kill_tree",
    "remove_files_of",
]

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """CPU time of ``pid`` and of its children it has waited for, from /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / _CLOCK_TICKS  # utime stime cutime cstime
    except (OSError, ValueError, IndexError):
        return None


def descendants(root: int) -> set[int]:
    """Every process below ``root`` (from /proc's parent links)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def kill_tree(root: int) -> None:
    """Stop ``root``'s descendants until no new one appears (a fork bomb cannot outrun a
    stopped parent), then kill them all. ``root`` is a subreaper, so none has escaped."""
    stopped: set[int] = set()
    for _ in range(100):
        fresh = descendants(root) - stopped
        if not fresh:
            break
        for pid in fresh:
            try:
                os.kill(pid, signal.SIGSTOP)
            except (ProcessLookupError, PermissionError):
                pass
        stopped |= fresh
    for pid in stopped:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def remove_files_of(uid: int, folders: Sequence[str] = tuple(SCRATCH)) -> None:
    """Remove what ``uid`` owns in the world-writable scratch folders (where no private
    mount namespace gave the sandbox its own): the next submission on this slot finds
    nothing of this one. Only entries the uid owns are touched; nothing runs as it now."""
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                continue


def kill_others_of_uid(uid: int, spare: int) -> None:
    """Kill every process of ``uid`` but ``spare`` (the sandbox child itself).

    The slot uid is one sandbox's alone, so any other process of it is a stray, even one
    that left the session. /proc/<pid> of a dumpable process is owned by its uid: a stat
    per process, cheaper than reading each one's stat file (this runs after every call).
    A process that makes itself non-dumpable escapes this courtesy kill, not
    :func:`kill_all_of_uid` at release (real uids, from status).
    """
    with os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit() or int(entry.name) == spare:
                continue
            try:
                if entry.stat(follow_symlinks=False).st_uid == uid:
                    os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                pass


def kill_session(leader: int) -> None:
    """Kill every process of the session ``leader`` leads, except the leader."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == leader:
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if len(fields) > 4 and int(fields[4]) == leader:  # field 6: session id
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass


def kill_all_of_uid(uid: int, gid: int) -> None:
    """Kill every process of ``uid``, and check that none is left.

    A double-forked daemon escapes killpg; kill(-1) as its uid reaches it. A fork bomb
    can spawn while one kill(-1) walks the process table, so repeat until the uid owns
    no process.
    """
    for _ in range(100):
        if not pids_of_uid(uid):  # the usual case: the child exited cleanly
            return
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in a short-lived child
            try:
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        if not pids_of_uid(uid):
            return
        time.sleep(0.02)
    print(f"[autograde] could not kill every process of uid {uid}", file=sys.stderr)
