"""What the sandbox child sees of the file system, arranged in its mount namespace.

1. Its own scratch folders (``private_scratch``): a fresh, capped tmpfs on ``/tmp``,
   ``/dev/shm`` and ``/var/tmp``, gone with the child.
2. The interpreter and the engine, wherever the checkout lives (``bridge``):

The sandbox runs as an unprivileged slot uid, which must traverse every folder above the
virtual environment and the engine's package. A clone inside a folder only root may enter
(``mktemp -d``, anything under ``/root``) breaks that, and changing the permissions of
folders outside the clone is not ours to do.

So, in the child's private mount namespace, while still root, each such folder is covered
by a ``tmpfs`` of mode 0755 that holds just the needed paths, bind-mounted back read-only
at their own paths (so ``sys.path`` and every module's ``__file__`` stay valid). Nothing
changes outside the child's namespace, and the rest of the covered folder (the reference,
the hidden tests, the class's notebooks) does not exist for the child.

Without CAP_SYS_ADMIN (Gradescope's and Docker's containers) no namespace can be made:
:func:`check_reachable` says so, in one line, before any sandbox starts.
"""

from __future__ import annotations

import ctypes
import functools
import os
import stat
import sys
from pathlib import Path

__all__ = [
    "SCRATCH",
    "SandboxUnreachable",
    "blocking_folders",
    "bridge",
    "check_reachable",
    "mount_namespaces_work",
    "private_scratch",
    "runtime_paths",
]

_MS_RDONLY, _MS_NOSUID, _MS_NODEV = 1, 2, 4
_MS_REMOUNT, _MS_BIND, _MS_REC = 32, 4096, 0x4000
_O_PATH = getattr(os, "O_PATH", 0o10000000)
_CLONE_NEWNS = 0x00020000
_LIBC = ctypes.CDLL(None, use_errno=True)


class SandboxUnreachable(RuntimeError):
    """The sandbox's uid cannot reach the interpreter or the engine, and nothing here can
    make it: the message says what to do."""


def runtime_paths() -> tuple[str, ...]:
    """What a sandbox child reads: the Python installation in use (a virtual environment's
    prefix), and the folder holding the ``autograder`` package (an editable install's
    checkout). Real paths, since the kernel checks the real ones."""
    package_parent = Path(__file__).resolve().parents[2]
    paths = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}
    paths.add(str(package_parent / "autograder"))
    return tuple(sorted(paths))


def _searchable_by_others(path: str) -> bool:
    try:
        return bool(os.stat(path).st_mode & stat.S_IXOTH)
    except OSError:
        return False


def blocking_folders(paths: tuple[str, ...]) -> dict[str, list[str]]:
    """For each folder that another user cannot traverse, the given paths below it.

    Only the topmost such folder above each path counts (covering it covers the rest).
    A path that is itself, or has inside it, a folder others cannot enter is not
    something a bridge can fix; it is left to the permissions the install gave it.
    """
    found: dict[str, list[str]] = {}
    for path in paths:
        parts = Path(path).parts
        for depth in range(1, len(parts)):
            folder = str(Path(*parts[:depth]))
            if not _searchable_by_others(folder):
                found.setdefault(folder, []).append(path)
                break
    # A blocker below another one: the upper one covers both.
    for folder in sorted(found, key=len, reverse=True):
        for other in found:
            if other != folder and folder.startswith(other.rstrip("/") + "/"):
                found[other].extend(found.pop(folder))
                break
    return found


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str) -> None:
    if (
        _LIBC.mount(
            source.encode() if source else None,
            target.encode(),
            fstype.encode() if fstype else None,
            flags,
            data.encode() if data else None,
        )
        != 0
    ):
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")


def _cover(folder: str, keep: list[str], options: str) -> None:
    """Mount a fresh tmpfs on ``folder``, with ``keep`` (paths below it) bind-mounted
    back at their own paths, read-only unless they are writable scratch."""
    held = {}
    try:
        for path in keep:  # held open: the tmpfs is about to hide them
            held[path] = os.open(path, _O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        _mount("tmpfs", folder, "tmpfs", _MS_NOSUID | _MS_NODEV, options)
        for path, fd in held.items():
            os.makedirs(path, mode=0o755, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC, "")
    finally:
        for fd in held.values():
            os.close(fd)


def bridge(paths: tuple[str, ...]) -> None:
    """In a private mount namespace, as root: make ``paths`` reachable by any uid.

    Raises OSError if a mount fails; the caller (the child, before it drops privileges)
    reports it. Paths that are reachable already cost nothing.
    """
    for folder, below in blocking_folders(paths).items():
        _cover(folder, below, "mode=0755,size=64k")
        for path in below:
            _mount(None, path, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY, "")
        _mount(None, folder, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV, "")


#: The child's own scratch folders, each a fresh tmpfs of this size in its namespace:
#: nothing carries over from one submission to the next, and what it writes there is
#: capped (tmpfs pages are not counted by the process's memory limits).
SCRATCH = {"/tmp": "256m", "/dev/shm": "64m", "/var/tmp": "64m"}


def private_scratch(keep: tuple[str, ...]) -> None:
    """In a private mount namespace, as root: a fresh, capped ``/tmp``, ``/dev/shm`` and
    ``/var/tmp``. ``keep`` (the child's working directory, the interpreter, the engine)
    stays where it is when it lies below one of them."""
    for folder, size in SCRATCH.items():
        if not os.path.isdir(folder) or os.path.islink(folder):
            continue
        below = [p for p in keep if p.startswith(folder.rstrip("/") + "/") and os.path.isdir(p)]
        _cover(folder, below, f"mode=1777,size={size}")


@functools.lru_cache(maxsize=1)
def mount_namespaces_work() -> bool:
    """Whether this process may make a private mount namespace (tried once, in a fork)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the probe child
        os._exit(0 if _LIBC.unshare(_CLONE_NEWNS) == 0 else 1)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def check_reachable(paths: tuple[str, ...]) -> None:
    """Raise :class:`SandboxUnreachable` if a sandbox uid cannot reach ``paths`` and no
    mount namespace can bridge the gap. Only meaningful as root (the uid drop)."""
    blockers = blocking_folders(paths)
    if not blockers or mount_namespaces_work():
        return
    folder = next(iter(blockers))
    raise SandboxUnreachable(
        f"the sandbox's unprivileged user cannot enter {folder} (mode "
        f"{stat.S_IMODE(os.stat(folder).st_mode):o}), which holds {blockers[folder][0]}, "
        "and this machine allows no mount namespace to work around it: clone the course "
        "into a folder other users may enter (or `chmod o+x` that folder), or grade as a "
        "non-root user"
    )
