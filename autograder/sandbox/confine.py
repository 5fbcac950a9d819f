"""Turning a freshly forked process into a sandbox child (runs in the child, as root
where the grader is root): a session of its own, a cgroup, namespaces and an allowlisted
root (``reach``), the uid drop, no_new_privs, the network filter (``seccomp``), limits.

Shared by the spawned child (``Popen``'s ``preexec_fn``) and the fork server's children
(``zygote.py``); also the environment both start with, and the command line that runs
this very engine.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
from collections.abc import Sequence
from pathlib import Path

from . import cgroup, seccomp
from .cpu_settings import dispatch_env
from .reach import bridge, enter_allowlisted_root, private_scratch

__all__ = [
    "PR_SET_PDEATHSIG",
    "become_sandboxed",
    "engine_command",
    "prctl",
    "sandbox_env",
    "scrub_initial_environment",
    "seal_from_same_uid",
]


PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_SET_CHILD_SUBREAPER, _PR_SET_NO_NEW_PRIVS = 1, 4, 36, 38


_CLONE_NEWNS, _CLONE_NEWNET, _CLONE_NEWUSER = 0x00020000, 0x40000000, 0x10000000


_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8


_MS_REC, _MS_PRIVATE = 0x4000, 1 << 18


_LIBC = ctypes.CDLL(None, use_errno=True)


def prctl(option: int, value: int) -> None:
    _LIBC.prctl(option, value, 0, 0, 0)


def _isolate_namespaces(
    hide: tuple[str, ...], network: bool, reach: tuple[str, ...], workdir: str | None
) -> None:
    """As root, in the forked child: private network and mount namespaces.

    In the mount namespace the child gets a root of its own that holds only what it needs
    (``reach.enter_allowlisted_root``: the system folders, the interpreter and the engine
    in ``reach``, its ``workdir``, fresh scratch folders). Should that fail, the older
    denylist stands in: ``reach`` is made reachable for the slot uid (``reach.bridge``)
    and each folder in ``hide`` is covered.
    Failure is not fatal (Gradescope's containers usually lack CAP_SYS_ADMIN); the parent
    reads back what took effect from /proc and reports it to staff, and has checked
    beforehand that the slot uid can reach ``reach`` without a namespace in that case.
    """
    flags = _CLONE_NEWNS | (_CLONE_NEWNET if network else 0)
    # If a new network namespace is refused, still try for the mount namespace alone.
    if _LIBC.unshare(flags) != 0 and (not network or _LIBC.unshare(_CLONE_NEWNS) != 0):
        return
    if _LIBC.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        return
    if workdir is not None:
        try:
            enter_allowlisted_root(reach, workdir)
            os.chdir(workdir)
            return
        except OSError:
            pass
    private_scratch(reach)
    bridge(reach)
    for path in hide:
        if os.path.isdir(path):
            _LIBC.mount(
                b"tmpfs",
                path.encode(),
                b"tmpfs",
                _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
                b"size=4k,mode=000",
            )


def seal_from_same_uid() -> None:
    """Without root, make the calling trusted process (the grader, the fork server)
    non-dumpable: a sandbox child runs as the same uid, and /proc/<pid>/root, mem, fd and
    environ of a dumpable process of its uid would be open to it (the whole file system,
    the grader's memory, its pipes). Non-dumpable, they belong to root. As root the child
    has a uid of its own, and this is not needed."""
    if os.geteuid() != 0:
        prctl(_PR_SET_DUMPABLE, 0)


def _isolate_unprivileged(network: bool, reach: tuple[str, ...], workdir: str | None) -> None:
    """Without root, in the forked child: the same root of its own, in a user namespace.

    Where the kernel allows unprivileged user namespaces, the child makes one (mapping
    only its own uid and gid), with private mount and network namespaces, and pivots into
    the allowlisted root as the root-run sandbox does. Then it drops every capability the
    new user namespace gave it, so the student's code cannot undo any of it. Where the
    kernel refuses, nothing changes (the trusted side reports what took effect).
    """
    if workdir is None:
        return
    prctl(_PR_SET_DUMPABLE, 1)  # a non-dumpable process may not write its uid_map
    uid, gid = os.getuid(), os.getgid()
    flags = _CLONE_NEWUSER | _CLONE_NEWNS | (_CLONE_NEWNET if network else 0)
    if _LIBC.unshare(flags) != 0 and (not network or _LIBC.unshare(flags & ~_CLONE_NEWNET) != 0):
        return
    try:
        for name, text in (
            ("setgroups", "deny"),
            ("uid_map", f"{uid} {uid} 1"),
            ("gid_map", f"{gid} {gid} 1"),
        ):
            with open(f"/proc/self/{name}", "w") as fh:
                fh.write(text)
        if _LIBC.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) == 0:
            enter_allowlisted_root(reach, workdir)
            os.chdir(workdir)
    except OSError:
        pass
    finally:
        _drop_capabilities()


def _drop_capabilities() -> None:
    """Empty every capability set of the calling process (capset, version 3)."""
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    if _LIBC.capset(header, data) != 0:
        os._exit(71)  # never run student code with capabilities it could use


def sandbox_env(threads: int, workdir: str | None = None) -> dict[str, str]:
    """The whole environment of a sandbox process (and of the zygote): nothing inherited
    but the variables that choose floating-point kernels (``cpu_settings``), which are
    not secrets and must be the same on both sides of a comparison."""
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
        "AUTOGRADE_THREADS": str(threads),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if workdir is not None:
        env.update(HOME=workdir, TMPDIR=workdir, MPLCONFIGDIR=workdir)
    env.update(dispatch_env())
    return env


def become_sandboxed(
    uid: int | None,
    gid: int | None,
    hide: tuple[str, ...],
    isolate_network: bool,
    limits: list[tuple[int, tuple[int, int]]],
    reach: tuple[str, ...] = (),
    workdir: str | None = None,
    cgroup_procs: Sequence[str] = (),
) -> None:
    """Turn the calling (freshly forked) process into a sandbox child.

    Shared by the spawned child (``preexec_fn``) and the zygote's forked one. The order
    matters: a new session; namespaces while still root; groups, gid, uid; then
    PDEATHSIG (setuid clears it), no_new_privs and the limits.
    """
    os.setsid()
    if cgroup_procs:  # before the new root hides /sys/fs/cgroup; the trusted side checks
        try:
            cgroup.join(list(cgroup_procs))
        except OSError:
            pass
    if uid is None:
        _isolate_unprivileged(isolate_network, reach, workdir)
    else:
        _isolate_namespaces(hide, isolate_network, reach, workdir)
        assert gid is not None  # uid and gid come from one slot user: both or neither
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    # setuid made the process non-dumpable (and without root, it was forked from a trusted
    # process made non-dumpable by ``seal_from_same_uid``). /proc/<pid> of a non-dumpable
    # process is owned by root; dumpable, it is owned by the child's uid, which is how
    # the trusted side checks its isolation and finds the student's processes after each
    # call. Only the student's own processes share the uid, and nothing here is secret.
    prctl(_PR_SET_DUMPABLE, 1)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    prctl(_PR_SET_NO_NEW_PRIVS, 1)
    # Orphans of the student's processes (a double-forked daemon) become the child's, not
    # init's: without a uid of its own, descent is how they are all found and killed.
    prctl(_PR_SET_CHILD_SUBREAPER, 1)
    if isolate_network:  # with or without a network namespace: no sockets but AF_UNIX
        seccomp.install()
    for which, value in limits:
        resource.setrlimit(which, value)
    for sig in (signal.SIGPIPE, signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)


def scrub_initial_environment() -> None:
    """Zero the environment block this process started with.

    ``/proc/<pid>/environ`` shows that block, not ``os.environ``; a process forked from
    the grader (``Zygote.fork_here``) would show the grader's environment to every child
    it forks. ``os.environ.clear()`` has unset every variable first, so nothing points
    into the block any more. Spawned processes (``exec``) start with their own block.
    """
    try:
        with open("/proc/self/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[47]), int(fields[48])  # stat fields 50 and 51: env_start/end
    except (OSError, ValueError, IndexError):
        return
    if 0 < start < end:
        ctypes.memset(start, 0, end - start)


def engine_command(python: str, module: str, *args: str) -> list[str]:
    """The command line that runs ``module`` of this very engine in isolated mode.

    ``python -I -m`` would import whichever ``autograder`` the interpreter finds (an
    installed copy, say, while this one runs from a checkout on PYTHONPATH); the child
    must run the engine that the trusted side runs, and its root holds only that one.
    """
    parent = str(Path(__file__).resolve().parents[2])
    code = (
        f"import sys, runpy; sys.path.insert(0, {parent!r}); sys.argv[1:] = {list(args)!r}; "
        f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)"
    )
    return [python, "-I", "-B", "-c", code, *args]
