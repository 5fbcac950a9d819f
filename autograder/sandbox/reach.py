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

from ..runtime.errors import AutogradeError

__all__ = [
    "SCRATCH",
    "SandboxUnreachable",
    "blocking_folders",
    "bridge",
    "check_reachable",
    "enter_allowlisted_root",
    "has_allowlisted_root",
    "mount_namespaces_work",
    "private_scratch",
    "runtime_paths",
]

_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC = 32, 4096, 0x4000
_O_PATH = getattr(os, "O_PATH", 0o10000000)
_CLONE_NEWNS = 0x00020000
_LIBC = ctypes.CDLL(None, use_errno=True)


class SandboxUnreachable(AutogradeError, RuntimeError):
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


# ---------------------------------------------------------------------------- allowlist

#: The system folders a child may read (read-only), where they exist. A symlink among them
#: (``/bin -> usr/bin`` on merged-/usr systems) is recreated as the same symlink.
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/sys")
#: The device nodes a child may use, bind-mounted into an otherwise empty ``/dev``.
DEVICES = ("null", "zero", "full", "random", "urandom")
_MS_MOVE, _MNT_DETACH = 8192, 2
_SYS_PIVOT_ROOT = {"x86_64": 155, "amd64": 155, "aarch64": 41, "arm64": 41}


def _bind(fd: int, target: str, writable: bool = False, recursive: bool = True) -> None:
    """Bind the folder or file held open as ``fd`` at ``target`` (read-only unless
    ``writable``), with everything mounted below it if ``recursive``."""
    _mount(f"/proc/self/fd/{fd}", target, None, _MS_BIND | (_MS_REC if recursive else 0), "")
    if not writable:
        # In a user namespace the source's nodev/noexec are locked: keep them, or the
        # remount is refused (a restriction may be added, never lifted).
        kept = os.statvfs(target).f_flag & (_MS_NODEV | _MS_NOEXEC)
        _mount(None, target, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | kept, "")


def _mount_proc(target: str, proc_fd: int) -> None:
    """A fresh /proc that shows only the child's own processes (hidepid); where no fresh
    one may be mounted (a user namespace without a pid namespace of its own), this
    machine's /proc."""
    flags = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
    for options in ("hidepid=2", ""):  # "": a kernel without per-mount hidepid
        try:
            _mount("proc", target, "proc", flags, options)
            return
        except OSError:
            continue
    _bind(proc_fd, target, writable=True)


def _pivot_into(new_root: str) -> bool:
    """Make ``new_root`` the process's ``/`` and drop every other mount from its view.

    Returns True; raises OSError only before the root changed."""
    os.chdir(new_root)
    number = _SYS_PIVOT_ROOT.get(os.uname().machine)
    if number is not None and _LIBC.syscall(number, b".", b".") == 0:
        # pivot_root(".", "."): the old root is stacked under the new one; detach it.
        if _LIBC.umount2(b".", _MNT_DETACH) != 0:
            os._exit(70)  # the old root stayed in view: never run student code like that
    else:  # an architecture whose syscall number we do not know: move, then chroot
        _mount(new_root, "/", None, _MS_MOVE, "")
        os.chroot(".")
    os.chdir("/")
    return True


def enter_allowlisted_root(runtime: tuple[str, ...], workdir: str) -> None:
    """In a private mount namespace, as root: replace the file system the child sees with
    one that holds only what it needs.

    The new root is a small tmpfs holding the system folders (read-only), the interpreter
    and the engine (``runtime``, read-only, at their own paths, so ``sys.path`` and every
    module's ``__file__`` stay valid), a ``/dev`` with a few device nodes, a fresh
    ``/proc`` that shows only the child's own processes, fresh capped scratch folders
    (:data:`SCRATCH`), and ``workdir``, writable. Everything else (home folders, the
    checkout's other folders, ``dist/``, ``.git``, classmates' notebooks, results) is not
    in the child's view at all: an allowlist, not a list of folders to hide.

    Raises OSError if a step fails; the caller then falls back to hiding folders.
    """
    sources = [p for p in SYSTEM_FOLDERS if os.path.lexists(p)]
    system = [p for p in sources if not os.path.islink(p)]
    extra: list[str] = []  # runtime folders outside the system ones, outermost only
    for path in sorted({os.path.realpath(p) for p in runtime if os.path.isdir(p)}):
        if path != workdir and not any(
            (path + "/").startswith(top.rstrip("/") + "/") for top in [*system, *extra]
        ):
            extra.append(path)
    held: dict[str, int] = {}
    built = pivoted = False
    try:
        for path in [*system, *extra, workdir, "/proc", *(f"/dev/{d}" for d in DEVICES)]:
            if os.path.exists(path):
                held[path] = os.open(path, _O_PATH | os.O_CLOEXEC)
        # The new root is built on a tmpfs mounted over /tmp (only in this namespace; the
        # held descriptors keep every source reachable, even one that lived in /tmp).
        root = "/tmp"
        _mount("tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755,size=1m")
        built = True
        for path in sources:
            target = root + path
            if os.path.islink(path):
                os.symlink(os.readlink(path), target)
            else:
                os.makedirs(target, mode=0o755)
                # /sys alone, without what is mounted below it (cgroup control files),
                # except in a user namespace, where locked submounts must come along.
                try:
                    _bind(held[path], target, recursive=path != "/sys")
                except OSError:
                    _bind(held[path], target, recursive=True)
        os.makedirs(root + "/proc", mode=0o555)
        _mount_proc(root + "/proc", held["/proc"])
        os.makedirs(root + "/dev", mode=0o755)
        _mount("tmpfs", root + "/dev", "tmpfs", _MS_NOSUID, "mode=0755,size=64k")
        for device in DEVICES:
            if f"/dev/{device}" in held:
                open(f"{root}/dev/{device}", "w").close()
                _mount(
                    f"/proc/self/fd/{held[f'/dev/{device}']}",
                    f"{root}/dev/{device}",
                    None,
                    _MS_BIND,
                    "",
                )
        for name, target in (
            ("fd", "/proc/self/fd"),
            ("stdin", "/proc/self/fd/0"),
            ("stdout", "/proc/self/fd/1"),
            ("stderr", "/proc/self/fd/2"),
        ):
            os.symlink(target, f"{root}/dev/{name}")
        for folder, size in SCRATCH.items():
            os.makedirs(root + folder, mode=0o755, exist_ok=True)
            _mount(
                "tmpfs", root + folder, "tmpfs", _MS_NOSUID | _MS_NODEV, f"mode=1777,size={size}"
            )
        for path in extra:
            os.makedirs(root + path, mode=0o755, exist_ok=True)
            _bind(held[path], root + path)
        os.makedirs(root + workdir, mode=0o755, exist_ok=True)
        _bind(held[workdir], root + workdir, writable=True)
        _mount(None, root, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV, "")
        pivoted = _pivot_into(root)
    except OSError:
        if built and not pivoted:
            # Take the half-built root (and all below it) out of the way, so that the
            # caller's fallback finds /tmp as it was.
            _LIBC.umount2(b"/tmp", _MNT_DETACH)
        raise
    finally:
        for fd in held.values():
            os.close(fd)


def has_allowlisted_root(pid: int, runtime: tuple[str, ...]) -> bool:
    """Whether process ``pid`` sees a root of its own holding only the allowlist (checked
    from the trusted side, through ``/proc/<pid>/root``; needs root)."""
    allowed = {"proc", "dev", "tmp", "var"} | {p.strip("/") for p in SYSTEM_FOLDERS}
    allowed |= {Path(p).parts[1] for p in runtime if len(Path(p).parts) > 1}
    try:
        if os.stat(f"/proc/{pid}/root").st_dev == os.stat("/").st_dev:
            return False
        return set(os.listdir(f"/proc/{pid}/root")) <= allowed
    except OSError:
        return False
