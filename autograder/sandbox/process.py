"""The trusted side of the sandbox: start the child, talk to it, and clean up after it.

The child runs in its own session (so a wall-clock kill takes its whole process group),
in a fresh temporary directory, with a scrubbed environment and resource limits; when
the grader runs as root (Gradescope, CI) it also runs as an unprivileged slot uid
(``slots``), confined as ``confine`` says, and is forked from the fork server where there
is one (``forkserver``). Every reply is decoded with the wire format's caps; a child that
dies, stalls, or sends garbage costs the probe that was running, and the next probe gets
a fresh child.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..runtime.wire import WireError
from . import cgroup
from .channel import ChannelClosed, ChannelTimeout, read_message, readable, write_message
from .confine import become_sandboxed, engine_command, sandbox_env, seal_from_same_uid
from .cpu_settings import grading_threads
from .forkserver import ForkedServer, Zygote, ZygoteChild, ZygoteError, ZygoteServer
from .reach import SCRATCH, check_reachable, has_allowlisted_root, runtime_paths
from .slots import acquire_identity, is_sandbox_uid, newest_pid, pids_of_uid

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


@functools.lru_cache(maxsize=4)
def _check_reachable_once(paths: tuple[str, ...]) -> None:
    check_reachable(paths)


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
        self.proc: subprocess.Popen | ForkedServer | None = None
        self.workdir: str | None = None
        self.report: LoadReport | None = None
        self.starts = 0
        self._next_id = 0
        self._scanned_at_pid: int | None = None  # the newest pid when strays were last sought
        self._req: int | None = None  # pipe ends: requests to the child, its replies
        self._rep: int | None = None
        self.death_signal: int | None = None  # the signal that killed the last child, if any
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
        self.death_signal = None
        if self.proc is None:
            return f"the sandbox did not start {when}"
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return f"the sandbox stopped answering {when}"
        if code < 0:
            self.death_signal = -code
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
        newest = newest_pid()
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
