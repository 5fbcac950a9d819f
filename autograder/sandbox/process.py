"""The trusted side of the sandbox: start the child, talk to it, and clean up after it.

The child runs in its own session (so a wall-clock kill takes its whole process group),
in a fresh temporary directory, with a scrubbed environment and resource limits; when
the grader runs as root (Gradescope, CI) it also runs as an unprivileged user with no
supplementary groups and ``no_new_privs``. Every reply is decoded with the wire format's
caps; a child that dies, stalls, or sends garbage costs the probe that was running, and
the next probe gets a fresh child.
"""

from __future__ import annotations

import ctypes
import fcntl
import functools
import os
import pwd
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cpu_settings import dispatch_env, grading_threads
from ..wire import WireError
from . import cgroup, seccomp
from .channel import ChannelClosed, ChannelTimeout, read_message, readable, write_message
from .reach import (
    SCRATCH,
    bridge,
    check_reachable,
    enter_allowlisted_root,
    has_allowlisted_root,
    private_scratch,
    runtime_paths,
)

__all__ = [
    "CallResult",
    "LoadReport",
    "Sandbox",
    "SandboxConfig",
    "Zygote",
    "ZygoteError",
    "ZygoteServer",
    "acquire_identity",
    "is_sandbox_uid",
    "sandbox_for",
]

#: Sandbox slots: uids SLOT_UID_BASE .. +SLOT_COUNT-1 (Debian leaves 64000-64999 unassigned
#: unless a package asks; any that is a real account is skipped).
SLOT_UID_BASE, SLOT_COUNT = 64000, 256
SLOT_LOCK_DIR = "/run/autograde-slots" if os.path.isdir("/run") else "/tmp/autograde-slots"
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_SET_CHILD_SUBREAPER, _PR_SET_NO_NEW_PRIVS = 1, 4, 36, 38
_CLONE_NEWNS, _CLONE_NEWNET, _CLONE_NEWUSER = 0x00020000, 0x40000000, 0x10000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REC, _MS_PRIVATE = 0x4000, 1 << 18


@dataclass
class SandboxConfig:
    """Limits for one child."""

    load_timeout_s: float = 60.0
    memory_mb: int = 3072
    cpu_s: int = 600
    file_size_mb: int = 64
    open_files: int = 256
    processes: int = 64
    output_limit: int = 16_384
    python: str = sys.executable
    threads: int = field(default_factory=grading_threads)  # the trusted side uses as many
    user: str | None = None  # an account to run as; default: a free sandbox slot uid
    # Folders the child must not see (reference, hidden tests, results). When the grader
    # is root and the kernel allows it, each is covered by an empty, unreadable tmpfs in a
    # private mount namespace; elsewhere (Gradescope) file permissions do this job.
    hide: tuple[str, ...] = ()
    isolate_network: bool = True
    zygote: Zygote | None = None  # fork children from this server instead of spawning


@dataclass
class LoadReport:
    """What loading the notebook's definitions did."""

    ok: bool
    defined: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    failure: str | None = None  # the child could not load at all
    isolation: dict[str, bool] = field(default_factory=dict)  # for staff: what took effect
    default_dtype: str = "torch.float32"  # torch's default dtype once the notebook loaded


@dataclass
class CallResult:
    """One probe call: ``status`` is ok, error, timeout, crash or protocol."""

    status: str
    value: Any = None
    kind: str = ""
    message: str = ""
    traceback: str = ""
    seconds: float = 0.0


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


def _newest_pid() -> int | None:
    """The pid most recently handed out on this machine (from /proc/loadavg)."""
    try:
        with open("/proc/loadavg", "rb") as fh:
            return int(fh.read().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def is_sandbox_uid(uid: int) -> bool:
    return SLOT_UID_BASE <= uid < SLOT_UID_BASE + SLOT_COUNT


_LIBC = ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, value: int) -> None:
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
        _prctl(_PR_SET_DUMPABLE, 0)


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
    _prctl(_PR_SET_DUMPABLE, 1)  # a non-dumpable process may not write its uid_map
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


@functools.lru_cache(maxsize=4)
def _check_reachable_once(paths: tuple[str, ...]) -> None:
    check_reachable(paths)


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
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    # setuid made the process non-dumpable (and without root, it was forked from a trusted
    # process made non-dumpable by ``seal_from_same_uid``). /proc/<pid> of a non-dumpable
    # process is owned by root; dumpable, it is owned by the child's uid, which is how
    # the trusted side checks its isolation and finds the student's processes after each
    # call. Only the student's own processes share the uid, and nothing here is secret.
    _prctl(_PR_SET_DUMPABLE, 1)
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)
    # Orphans of the student's processes (a double-forked daemon) become the child's, not
    # init's: without a uid of its own, descent is how they are all found and killed.
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    if isolate_network:  # with or without a network namespace: no sockets but AF_UNIX
        seccomp.install()
    for which, value in limits:
        resource.setrlimit(which, value)
    for sig in (signal.SIGPIPE, signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)


def _scrub_initial_environment() -> None:
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


class ZygoteChild:
    """A child forked by the zygote, with the parts of ``Popen``'s interface we use.

    Its pid arrives with the server's reply, which is read when first needed: the request
    is sent at launch and the trusted side goes on (loading the reference, say) meanwhile.
    """

    def __init__(self, zygote: Zygote) -> None:
        self.zygote, self._pid, self.returncode = zygote, None, None

    @property
    def pid(self) -> int:
        while self._pid is None:
            self.zygote.read_pending()
        return self._pid

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.zygote.status(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        if self.poll() is None:
            self._sleep_until_exit(timeout)
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
            time.sleep(0.005)
        return self.returncode

    def _sleep_until_exit(self, timeout: float | None) -> None:
        """Block until the child exits (a pidfd turns readable), or the timeout; the
        zygote, its parent, then reaps it. Without pidfds, the caller polls."""
        try:
            fd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            return
        try:
            select.select([fd], [], [], timeout)
        finally:
            os.close(fd)


class _ForkedServer:
    """``Popen``'s ``wait`` and ``kill`` for a fork server forked from this process."""

    def __init__(self, pid: int) -> None:
        self.pid, self.returncode = pid, None

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.returncode = os.waitstatus_to_exitcode(status)
            elif deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
            else:
                time.sleep(0.005)
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class ZygoteError(RuntimeError):
    """The fork server is gone or answered nonsense; spawn children directly instead."""


_MODULE_NAME = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*")


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


def _start_zygote(
    python: str,
    fd: int,
    warm: Sequence[str],
    forbidden: Sequence[str] | None,
    may_warm: Sequence[str] = (),
) -> subprocess.Popen:
    """Run ``zygote.py`` on socket ``fd`` (a connected or a listening one)."""
    import json

    config = {
        "warm": [name for name in warm if _MODULE_NAME.fullmatch(name)],
        "may_warm": [name for name in may_warm if _MODULE_NAME.fullmatch(name)],
        "forbidden": None if forbidden is None else sorted(set(forbidden)),
    }
    return subprocess.Popen(
        engine_command(python, "autograder.sandbox.zygote", str(fd), json.dumps(config)),
        pass_fds=(fd,),
        env=sandbox_env(threads=grading_threads()),
        stdin=subprocess.DEVNULL,
        preexec_fn=lambda: _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL),
    )


class ZygoteServer:
    """A fork server that several grading workers share (``Zygote.connect(server.path)``):
    its imports are paid once, not once per worker.

    It listens on a Unix socket in a folder only this user can enter, so sandboxed code
    (another uid) cannot ask it for anything.
    """

    def __init__(
        self,
        python: str = sys.executable,
        warm: Sequence[str] = (),
        forbidden: Sequence[str] | None = None,
        may_warm: Sequence[str] = (),
    ) -> None:
        """``warm``, ``forbidden``, ``may_warm``: as for ``Zygote``."""
        import socket

        self.folder = tempfile.mkdtemp(prefix="autograde-zygote-")  # mode 700
        self.path = os.path.join(self.folder, "zygote.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            listener.bind(self.path)
            listener.listen(64)
            self.proc = _start_zygote(python, listener.fileno(), warm, forbidden, may_warm)
        finally:
            listener.close()

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


class Zygote:
    """The trusted side's handle on a fork server (``zygote.py``).

    ``Zygote(...)`` starts a server of its own; ``Zygote.connect(path)`` talks to a
    ``ZygoteServer`` that other workers share.
    """

    def __init__(
        self,
        python: str = sys.executable,
        warm: Sequence[str] = (),
        forbidden: Sequence[str] | None = None,
        may_warm: Sequence[str] = (),
        *,
        _sock: Any = None,
    ) -> None:
        """Before forking, the server imports ``warm`` (the modules the assignment's
        notebook imports) and installs the traps for ``forbidden`` (the assignment's
        forbidden APIs), so that no child pays for them. ``may_warm`` lists the modules
        that ``warm`` may ask for later."""
        import socket

        self._pending: list[ZygoteChild] = []
        self.proc: subprocess.Popen | _ForkedServer | None = None
        if _sock is not None:
            self.sock = _sock
            return
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = _start_zygote(python, theirs.fileno(), warm, forbidden, may_warm)
        finally:
            theirs.close()
        self.sock = ours

    @classmethod
    def fork_here(cls) -> Zygote:
        """A fork server forked from this process, for grading one submission quickly.

        Call it early, once torch is imported and before anything secret is read (the
        assignment's salt, the reference, the hidden tests): the server, and every child
        it forks, is a copy of this process as it is now. The sandbox child then starts
        without importing torch again (over a second of a single run).
        """
        import socket

        import torch  # noqa: F401 - imported before forking, so that both sides share it

        sys.stdout.flush()
        sys.stderr.flush()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the server; it never returns
            code = 1
            try:
                ours.close()
                _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
                devnull = os.open(os.devnull, os.O_RDWR)
                os.dup2(devnull, 0)  # not the caller's stdin, nor its stdout (the JSON)
                os.dup2(devnull, 1)
                os.environ.clear()
                os.environ.update(sandbox_env(threads=grading_threads()))
                _scrub_initial_environment()
                from . import zygote

                code = zygote.serve(theirs, {})
            finally:
                os._exit(code)
        theirs.close()
        server = cls(_sock=ours)
        server.proc = _ForkedServer(pid)
        return server

    @classmethod
    def connect(cls, path: str) -> Zygote:
        import socket

        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sock.connect(path)
        return cls(_sock=sock)

    def _send(self, request: dict, fds: Sequence[int] = ()) -> None:
        import json
        import socket

        try:
            socket.send_fds(self.sock, [json.dumps(request).encode()], list(fds))
        except OSError as exc:
            raise ZygoteError(f"the sandbox fork server is gone ({exc})") from None

    def _receive(self) -> dict:
        import json

        try:
            reply = self.sock.recv(1 << 16)
        except OSError as exc:
            raise ZygoteError(f"the sandbox fork server is gone ({exc})") from None
        if not reply:
            raise ZygoteError("the sandbox fork server exited")
        try:
            return json.loads(reply)
        except ValueError:
            raise ZygoteError("the sandbox fork server sent a malformed reply") from None

    def read_pending(self) -> None:
        """Read the reply to the oldest spawn request still waiting for its pid."""
        child = self._pending.pop(0)
        child._pid = int(self._receive()["pid"])

    def spawn(self, request: dict, fds: list[int]) -> ZygoteChild:
        """Ask for a child; its pid is read when needed (see ``ZygoteChild``)."""
        self._send(request, fds)
        child = ZygoteChild(self)
        self._pending.append(child)
        return child

    def warm(self, modules: Sequence[str]) -> list[str]:
        """Ask the server to import ``modules`` (those of its ``may_warm`` list) so that
        children forked from now on have them; returns the ones it accepted."""
        while self._pending:
            self.read_pending()
        self._send({"op": "warm", "modules": list(modules)})
        return list(self._receive().get("warmed", []))

    def status(self, pid: int) -> int | None:
        while self._pending:
            self.read_pending()
        self._send({"op": "wait", "pid": pid})
        return self._receive()["status"]

    def close(self) -> None:
        self.sock.close()
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _limits(cfg: SandboxConfig) -> list[tuple[int, tuple[int, int]]]:
    mb = 1 << 20
    out = [
        (resource.RLIMIT_CPU, (cfg.cpu_s, cfg.cpu_s + 5)),
        (resource.RLIMIT_DATA, (cfg.memory_mb * mb, cfg.memory_mb * mb)),
        (resource.RLIMIT_FSIZE, (cfg.file_size_mb * mb, cfg.file_size_mb * mb)),
        (resource.RLIMIT_NOFILE, (cfg.open_files, cfg.open_files)),
        (resource.RLIMIT_CORE, (0, 0)),
    ]
    if os.geteuid() == 0:  # RLIMIT_NPROC counts per uid, and root is exempt anyway
        out.append((resource.RLIMIT_NPROC, (cfg.processes, cfg.processes)))
    return out


def _clean_dtype(raw: object) -> str:
    allowed = ("torch.float32", "torch.float64", "torch.float16", "torch.bfloat16")
    return raw if raw in allowed else "torch.float32"


def _strings(raw: object, count: int, length: int) -> list[str]:
    """A list of at most ``count`` strings of at most ``length`` characters from the
    child's reply; anything else there is dropped (a malformed reply is the student's
    problem, never a grader fault)."""
    if not isinstance(raw, list):
        return []
    return [x[:length] for x in raw[:count] if isinstance(x, str)]


#: A probe call may take its time limit in CPU seconds, and this many times it in
#: wall-clock seconds (a child that sleeps or blocks uses no CPU).
WALL_FACTOR = 3.0
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float | None:
    """CPU time of ``pid`` and of its children it has waited for, from /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / _CLOCK_TICKS  # utime stime cutime cstime
    except (OSError, ValueError, IndexError):
        return None


def _descendants(root: int) -> set[int]:
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


def _kill_tree(root: int) -> None:
    """Stop ``root``'s descendants until no new one appears (a fork bomb cannot outrun a
    stopped parent), then kill them all. ``root`` is a subreaper, so none has escaped."""
    stopped: set[int] = set()
    for _ in range(100):
        fresh = _descendants(root) - stopped
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


def _remove_files_of(uid: int, folders: Sequence[str] = tuple(SCRATCH)) -> None:
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


class Sandbox:
    """One student's definitions, loaded in a child process; call probes on them."""

    def __init__(
        self, cells: list[tuple[int, str]], forbidden: list[str], cfg: SandboxConfig
    ) -> None:
        self.cells, self.forbidden, self.cfg = cells, sorted(set(forbidden)), cfg
        seal_from_same_uid()
        self.user = acquire_identity(cfg.user)
        if self.user is not None:
            _check_reachable_once(runtime_paths())
        self.proc: subprocess.Popen | _ForkedServer | None = None
        self.workdir: str | None = None
        self.report: LoadReport | None = None
        self.starts = 0
        self._next_id = 0
        self._scanned_at_pid: int | None = None  # the newest pid when strays were last sought
        self._req: int | None = None  # pipe ends: requests to the child, its replies
        self._rep: int | None = None
        self.group: cgroup.SlotGroup | None = None  # the slot's cgroup, where one can be made
        self._group_counts = False  # whether the running child is in it (checked at load)

    # ------------------------------------------------------------------ lifecycle

    def _preexec(self) -> None:
        # Runs in the forked child before exec.
        become_sandboxed(
            self.user.uid if self.user else None,
            self.user.gid if self.user else None,
            self.cfg.hide,
            self.cfg.isolate_network,
            _limits(self.cfg),
            self._reach(),
            self.workdir,
            self.group.procs_files() if self.group else (),
        )

    def _reach(self) -> tuple[str, ...]:
        """The paths the child must reach: the interpreter, the engine, its workdir."""
        return (*runtime_paths(), *([self.workdir] if self.workdir else []))

    def start(self) -> LoadReport:
        """Start a child and load the notebook's definitions into it."""
        self.launch()
        return self.wait_loaded()

    def launch(self) -> None:
        """Start a child without waiting for it (it imports torch meanwhile)."""
        self.close()
        self.starts += 1
        self._scanned_at_pid = None
        self.workdir = tempfile.mkdtemp(prefix="autograde-sbx-")
        if self.user is not None:
            os.chown(self.workdir, self.user.uid, self.user.gid)
            if self.group is None:
                self.group = cgroup.SlotGroup.create(
                    f"autograde-slot-{self.user.uid}", memory_bytes=self.cfg.memory_mb << 20
                )
        os.chmod(self.workdir, 0o700)
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        self._output = tempfile.TemporaryFile()
        env = sandbox_env(self.cfg.threads, self.workdir)
        try:
            self.proc = None
            if self.cfg.zygote is not None:
                try:
                    self.proc = self.cfg.zygote.spawn(
                        self._spawn_request(env), [req_r, rep_w, self._output.fileno()]
                    )
                except ZygoteError as exc:
                    self._lose_zygote(exc)
            if self.proc is None:
                self.proc = self._popen(env, req_r, rep_w)
        finally:
            os.close(req_r)
            os.close(rep_w)
        os.set_blocking(req_w, False)  # every write to the child has a deadline
        self._req, self._rep = req_w, rep_r

    def _spawn_request(self, env: dict[str, str]) -> dict:
        return {
            "op": "spawn",
            "uid": self.user.uid if self.user else None,
            "gid": self.user.gid if self.user else None,
            "hide": list(self.cfg.hide),
            "reach": list(self._reach()),
            "isolate_network": self.cfg.isolate_network,
            "limits": [[which, soft, hard] for which, (soft, hard) in _limits(self.cfg)],
            "workdir": self.workdir,
            "cgroup": self.group.procs_files() if self.group else [],
            "env": env,
        }

    def _popen(self, env: dict[str, str], req_r: int, rep_w: int) -> subprocess.Popen:
        return subprocess.Popen(
            engine_command(self.cfg.python, "autograder.sandbox.child", str(req_r), str(rep_w)),
            stdin=subprocess.DEVNULL,
            stdout=self._output,
            stderr=self._output,
            cwd=self.workdir,
            env=env,
            pass_fds=(req_r, rep_w),
            preexec_fn=self._preexec,
            close_fds=True,
        )

    def _lose_zygote(self, exc: Exception) -> None:
        print(f"[autograde] {exc}; starting sandbox children directly", file=sys.stderr)
        self.cfg.zygote = None

    def wait_loaded(self) -> LoadReport:
        """Send the notebook's cells to the launched child and wait for its load report."""
        if isinstance(self.proc, ZygoteChild):
            try:
                self.proc.pid  # noqa: B018 - the fork server's reply: did the child start?
            except ZygoteError as exc:
                self._lose_zygote(exc)
                self.launch()
        started = time.monotonic()
        deadline = started + WALL_FACTOR * self.cfg.load_timeout_s
        try:
            self._group_counts = False  # known once the child has answered (it joins itself)
            cpu_at_send = self._cpu_now()
            write_message(
                self._req,
                {"op": "load", "cells": [list(c) for c in self.cells], "forbidden": self.forbidden},
                deadline,
            )
            # like a probe call: the limit counts the child's CPU time (importing torch,
            # loading the definitions), not the time a loaded machine made it wait
            if not self._wait_for_reply(started, self.cfg.load_timeout_s, cpu_at_send):
                raise ChannelTimeout()
            raw = read_message(self._rep, deadline)
            if not isinstance(raw, dict) or raw.get("status") != "loaded":
                raise WireError("unexpected reply to load")
            self.report = LoadReport(
                ok=True,
                defined=_strings(raw.get("defined"), 2000, 200),
                problems=_strings(raw.get("problems"), 100, 1000),
                isolation=self._isolation(),
                default_dtype=_clean_dtype(raw.get("default_dtype")),
            )
        except ChannelTimeout:
            self.report = LoadReport(
                False,
                failure=(
                    "loading your notebook's definitions took longer than "
                    f"{self.cfg.load_timeout_s:g} s of CPU time (or "
                    f"{WALL_FACTOR * self.cfg.load_timeout_s:g} s of waiting): is there a loop "
                    "or a long computation in a class body or a constant?"
                ),
            )
            self.kill()
        except (ChannelClosed, BrokenPipeError):
            self.report = LoadReport(
                False, failure=self._death_reason("while loading your notebook")
            )
            self.kill()
        except WireError as exc:
            self.report = LoadReport(
                False, failure=f"the sandbox sent a malformed reply while loading ({exc})"
            )
            self.kill()
        return self.report

    def _isolation(self) -> dict[str, bool]:
        """What isolation took effect for the running child (read from /proc)."""

        def same(kind: str) -> bool | None:
            try:
                return os.readlink(f"/proc/{self.proc.pid}/ns/{kind}") == os.readlink(
                    f"/proc/self/ns/{kind}"
                )
            except OSError:
                return None

        self._group_counts = self.group is not None and self.proc.pid in self.group.pids()
        return {
            "unprivileged_user": self.user is not None,
            "private_network": same("net") is False,
            "private_mounts": same("mnt") is False,
            "private_root": has_allowlisted_root(self.proc.pid, self._reach()),
            "network_filter": self._seccomp_filtered(),
            "own_cgroup": self._group_counts,
        }

    def _cpu_now(self) -> float | None:
        """CPU seconds used so far: by the child and everything it started where it runs
        in a cgroup of its own, else by the child and the children it waited for."""
        if self._group_counts and self.group is not None:
            return self.group.cpu_seconds()
        return _cpu_seconds(self.proc.pid) if self.proc is not None else None

    def _seccomp_filtered(self) -> bool:
        try:
            with open(f"/proc/{self.proc.pid}/status", "rb") as fh:
                return any(line.split() == [b"Seccomp:", b"2"] for line in fh)
        except OSError:
            return False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output_tail(self) -> str:
        """The end of what the student's code printed (capped)."""
        try:
            self._output.seek(0, os.SEEK_END)
            size = self._output.tell()
            self._output.seek(max(0, size - self.cfg.output_limit))
            return self._output.read().decode("utf-8", errors="replace")
        except (AttributeError, OSError, ValueError):
            return ""

    def _death_reason(self, when: str) -> str:
        if self.proc is None:
            return f"the sandbox did not start {when}"
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return f"the sandbox stopped answering {when}"
        if code < 0:
            sig = signal.Signals(-code).name
            hint = {
                "SIGKILL": " (killed: out of memory or over a limit?)",
                "SIGXCPU": " (over the CPU-time limit)",
                "SIGXFSZ": " (wrote a file over the size limit)",
                "SIGSEGV": " (a crash in native code)",
            }.get(sig, "")
            return f"the sandbox process died with {sig}{hint} {when}"
        return f"the sandbox process exited with code {code} {when} (does your code call exit()?)"

    def kill(self) -> None:
        """Kill the child, its process group, and anything else running as the sandbox user."""
        if self.proc is not None:
            if self.user is None:  # no uid of its own: find its processes by descent
                _kill_tree(self.proc.pid)
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self.user is not None:
            self._kill_all_as_user()
        for fd in (getattr(self, "_req", None), getattr(self, "_rep", None)):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._req = self._rep = None

    def _kill_strays(self) -> None:
        """Kill what the student's code left running (not the child): every other process
        of the slot uid, or without one, of the child's session.

        This runs after every call, so it first asks the kernel for the newest pid: if no
        process (or thread) was created anywhere since the last look, there is nothing new
        to find. Release kills everything of the uid regardless.
        """
        if self.proc is None:
            return
        newest = _newest_pid()
        if newest is not None and newest == self._scanned_at_pid:
            return
        self._scanned_at_pid = newest
        if self.user is not None:
            # The slot uid is this sandbox's alone, so any other process of it is a stray,
            # even one that left the session. /proc/<pid> of a dumpable process is owned
            # by its uid: a stat per process, cheaper than reading each one's stat file
            # (this runs after every call). A process that makes itself non-dumpable
            # escapes this courtesy kill, not the one at release (real uids, from status).
            with os.scandir("/proc") as entries:
                for entry in entries:
                    if not entry.name.isdigit() or int(entry.name) == self.proc.pid:
                        continue
                    try:
                        if entry.stat(follow_symlinks=False).st_uid == self.user.uid:
                            os.kill(int(entry.name), signal.SIGKILL)
                    except OSError:
                        pass
            return
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == self.proc.pid:
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if len(fields) > 4 and int(fields[4]) == self.proc.pid:  # field 6: session id
                try:
                    os.kill(int(entry), signal.SIGKILL)
                except OSError:
                    pass

    def _kill_all_as_user(self) -> None:
        """Kill every process of this sandbox's uid, and check that none is left.

        A double-forked daemon escapes killpg; kill(-1) as its uid reaches it. A fork bomb
        can spawn while one kill(-1) walks the process table, so repeat until the uid owns
        no process.
        """
        for _ in range(100):
            if not pids_of_uid(self.user.uid):  # the usual case: the child exited cleanly
                return
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in a short-lived child
                try:
                    os.setgroups([])
                    os.setgid(self.user.gid)
                    os.setuid(self.user.uid)
                    os.kill(-1, signal.SIGKILL)
                finally:
                    os._exit(0)
            os.waitpid(pid, 0)
            if not pids_of_uid(self.user.uid):
                return
            time.sleep(0.02)
        print(f"[autograde] could not kill every process of uid {self.user.uid}", file=sys.stderr)

    def close(self) -> None:
        # No goodbye: the child holds nothing worth a clean exit (it flushes its output
        # after every call), and SIGKILL is quicker than waiting for it to exit.
        self.kill()
        self.proc = None
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def release(self) -> None:
        """Close, and give the sandbox uid back (after nothing runs as it any more)."""
        self.close()
        if self.user is not None:
            if not (self.report and self.report.isolation.get("private_mounts")):
                _remove_files_of(self.user.uid)  # no private scratch: what it left behind
            if self.group is not None:
                self.group.remove()
                self.group = None
            os.close(self.user.lock_fd)
            self.user = None

    # ------------------------------------------------------------------ calls

    def call(
        self,
        question: str,
        forbidden: list[str],
        probe: dict,
        args: list,
        seed: int,
        timeout_s: float,
    ) -> CallResult:
        """Run one probe in the child; a fresh child is started if the last one died."""
        return self.begin_call(question, forbidden, probe, args, seed, timeout_s)()

    def begin_call(
        self,
        question: str,
        forbidden: list[str],
        probe: dict,
        args: list,
        seed: int,
        timeout_s: float,
    ) -> Callable[[], CallResult]:
        """Send one probe call to the child; the returned function waits for its result.

        The time limit runs from the send, so work done here meanwhile (computing the
        reference's value) costs the student nothing.
        """
        if self.proc is None or self._req is None:  # never started, or killed since
            failure = None
            if self.starts >= 1 and self.report is not None and not self.report.ok:
                failure = self.report.failure or "the sandbox is not running"
            else:
                report = self.start()
                if not report.ok:
                    failure = report.failure or ""
            if failure is not None:
                result = CallResult("crash", message=failure)
                return lambda: result
        self._next_id += 1
        call_id = self._next_id
        req = {
            "op": "call",
            "id": call_id,
            "question": question,
            "forbidden": forbidden,
            "probe": probe,
            "args": args,
            "seed": seed,
        }
        started = time.monotonic()
        cpu_at_send = self._cpu_now()
        try:
            write_message(self._req, req, started + timeout_s)
        except ChannelTimeout:  # it stopped reading: the same as not answering
            return lambda: self._timed_out(started, timeout_s)
        except (BrokenPipeError, OSError):
            pass  # the child died: reading its reply says how
        return lambda: self._finish_call(call_id, started, timeout_s, cpu_at_send)

    def _timed_out(self, started: float, timeout_s: float) -> CallResult:
        self.kill()
        return CallResult(
            "timeout",
            message=f"did not finish within {timeout_s:g} s of CPU time "
            f"(or {WALL_FACTOR * timeout_s:g} s of waiting): an infinite loop, or much "
            "slower than needed?",
            seconds=time.monotonic() - started,
        )

    def _wait_for_reply(self, started: float, timeout_s: float, cpu_at_send: float | None) -> bool:
        """Until the reply starts to arrive (True), or the call is over its limit (False).

        The limit counts the child's CPU time, so that busy neighbours (other submissions
        of a batch, a loaded machine) cannot eat it; a child that waits instead of
        computing is stopped after WALL_FACTOR times the limit of wall-clock time.
        """
        wall_deadline = started + WALL_FACTOR * timeout_s
        while True:
            left = wall_deadline - time.monotonic()
            if left <= 0:
                return False
            if readable(self._rep, min(0.2, left)):
                return True
            cpu = self._cpu_now()
            if cpu is not None and cpu_at_send is not None and cpu - cpu_at_send >= timeout_s:
                return False

    def _finish_call(
        self, call_id: int, started: float, timeout_s: float, cpu_at_send: float | None
    ) -> CallResult:
        try:
            if self._rep is None:
                raise ChannelClosed("the sandbox is not running")
            if not self._wait_for_reply(started, timeout_s, cpu_at_send):
                return self._timed_out(started, timeout_s)
            raw = read_message(self._rep, started + WALL_FACTOR * timeout_s)
        except ChannelTimeout:
            return self._timed_out(started, timeout_s)
        except (ChannelClosed, BrokenPipeError):
            reason = self._death_reason("while running this case")
            self.kill()
            return CallResult("crash", message=reason, seconds=time.monotonic() - started)
        except WireError as exc:
            self.kill()
            return CallResult(
                "protocol",
                message=f"the sandbox sent a malformed reply ({exc}); "
                "does your code write to file descriptors it did not open?",
            )
        elapsed = time.monotonic() - started
        self._kill_strays()
        if (
            not isinstance(raw, dict)
            or raw.get("id") != call_id
            or raw.get("status") not in ("ok", "error")
        ):
            self.kill()
            return CallResult(
                "protocol", message="the sandbox sent an unexpected reply", seconds=elapsed
            )
        if raw["status"] == "ok":
            return CallResult("ok", value=raw.get("value"), seconds=elapsed)
        return CallResult(
            "error",
            kind=str(raw.get("kind", ""))[:40],
            message=str(raw.get("message", ""))[:2000],
            traceback=str(raw.get("traceback", ""))[:4000],
            seconds=elapsed,
        )


def sandbox_for(
    course: Any,
    assignment: Any,
    cells: list[tuple[int, str]],
    config: SandboxConfig | None = None,
    hide: tuple[str, ...] = (),
    zygote: Any = None,
) -> Sandbox:
    """The sandbox for one submission of ``assignment`` (a ``spec.Assignment`` of the
    ``course.Course``), not started yet; it hides the reference library and assignments."""
    config = config or SandboxConfig(
        memory_mb=assignment.memory_mb,
        cpu_s=int(assignment.grading_budget_s) + 30,
        load_timeout_s=assignment.load_timeout_s,
    )
    config.hide = (*config.hide, str(course.solutions_dir), str(course.assignments_dir), *hide)
    if zygote is not None:
        config.zygote = zygote
    return Sandbox(cells, assignment.forbidden_apis, config)
