"""Sandbox slots: a uid of its own for each concurrent sandbox, held by a file lock.

RLIMIT_NPROC counts per uid, and the final ``kill(-1)`` as a slot's uid must reach only
that sandbox's processes, never a neighbour's. The uids need no account: root can switch
to any number.
"""

from __future__ import annotations

import fcntl
import os
import pwd
from dataclasses import dataclass

__all__ = [
    "SLOT_COUNT",
    "SLOT_LOCK_DIR",
    "SLOT_UID_BASE",
    "SandboxIdentity",
    "acquire_identity",
    "is_sandbox_uid",
    "newest_pid",
    "pids_of_uid",
]


#: Sandbox slots: uids SLOT_UID_BASE .. +SLOT_COUNT-1 (Debian leaves 64000-64999 unassigned
#: unless a package asks; any that is a real account is skipped).
SLOT_UID_BASE, SLOT_COUNT = 64000, 256


SLOT_LOCK_DIR = "/run/autograde-slots" if os.path.isdir("/run") else "/tmp/autograde-slots"


@dataclass(frozen=True)
class SandboxIdentity:
    """The uid/gid one sandbox slot runs as, held (by a file lock) while in use.

    Each concurrent sandbox gets its own uid: RLIMIT_NPROC counts per uid, and the final
    ``kill(-1)`` as that uid must reach only this sandbox's processes, never a neighbour's.
    The uids need no account: root can switch to any number.
    """

    uid: int
    gid: int
    lock_fd: int


def acquire_identity(preferred_user: str | None = None) -> SandboxIdentity | None:
    """A free sandbox uid, or None when not root (no drop is possible then)."""
    if os.geteuid() != 0:
        return None
    if preferred_user:
        pw = pwd.getpwnam(preferred_user)
        candidates = [(pw.pw_uid, pw.pw_gid)]
    else:
        candidates = [(SLOT_UID_BASE + i, SLOT_UID_BASE + i) for i in range(SLOT_COUNT)]
    os.makedirs(SLOT_LOCK_DIR, mode=0o700, exist_ok=True)
    for uid, gid in candidates:
        if not preferred_user:
            try:
                pwd.getpwuid(uid)
                continue  # a real account: not ours to use
            except KeyError:
                pass
        fd = os.open(os.path.join(SLOT_LOCK_DIR, f"{uid}.lock"), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return SandboxIdentity(uid, gid, fd)
    raise RuntimeError(f"all {len(candidates)} sandbox slots are busy")


def pids_of_uid(uid: int) -> list[int]:
    """Processes whose real uid is ``uid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", "rb") as fh:
                for line in fh:
                    if line.startswith(b"Uid:"):
                        if int(line.split()[1]) == uid:
                            found.append(int(entry))
                        break
        except (OSError, ValueError, IndexError):
            continue
    return found


def newest_pid() -> int | None:
    """The pid most recently handed out on this machine (from /proc/loadavg)."""
    try:
        with open("/proc/loadavg", "rb") as fh:
            return int(fh.read().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def is_sandbox_uid(uid: int) -> bool:
    return SLOT_UID_BASE <= uid < SLOT_UID_BASE + SLOT_COUNT
