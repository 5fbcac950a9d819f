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
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from ..runtime.outcomes import CallStatus
from ..runtime.wire import WireError
from . import cgroup
from .channel import ChannelClosed, ChannelTimeout, read_message, readable, write_message
from .config import CallResult, LoadReport, SandboxConfig, rlimits
from .confine import become_sandboxed, engine_command, sandbox_env, seal_from_same_uid
from .forkserver import Zygote, ZygoteChild, ZygoteError, ZygoteServer
from .proctree import (
    cpu_seconds,
    kill_all_of_uid,
    kill_others_of_uid,
    kill_session,
    kill_tree,
    remove_files_of,
)
from .reach import check_reachable, has_allowlisted_root, runtime_paths
from .slots import acquire_identity, is_sandbox_uid, newest_pid

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
]


@functools.lru_cache(maxsize=4)
def _check_reachable_once(paths: tuple[str, ...]) -> None:
    check_reachable(paths)


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
            if is_sandbox_uid(self.user.uid):
                # A grader killed from outside (OOM, SIGKILL) frees its slot at once, and
                # its child may outlive it for a moment: nothing of that submission may
                # share a uid with this one.
                kill_all_of_uid(self.user.uid, self.user.gid)
        self.proc: subprocess.Popen | ZygoteChild | None = None
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
            rlimits(self.cfg),
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
            "limits": [[which, soft, hard] for which, (soft, hard) in rlimits(self.cfg)],
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
        assert self._req is not None and self._rep is not None  # launch() opened the pipes
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
        assert self.proc is not None  # the child has just answered
        pid = self.proc.pid

        def same(kind: str) -> bool | None:
            try:
                return os.readlink(f"/proc/{pid}/ns/{kind}") == os.readlink(f"/proc/self/ns/{kind}")
            except OSError:
                return None

        self._group_counts = self.group is not None and pid in self.group.pids()
        return {
            "unprivileged_user": self.user is not None,
            "private_network": same("net") is False,
            "private_mounts": same("mnt") is False,
            "private_root": has_allowlisted_root(pid, self._reach()),
            "network_filter": self._seccomp_filtered(pid),
            "own_cgroup": self._group_counts,
        }

    def _cpu_now(self) -> float | None:
        """CPU seconds used so far: by the child and everything it started where it runs
        in a cgroup of its own, else by the child and the children it waited for."""
        if self._group_counts and self.group is not None:
            return self.group.cpu_seconds()
        return cpu_seconds(self.proc.pid) if self.proc is not None else None

    def _seccomp_filtered(self, pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/status", "rb") as fh:
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
                kill_tree(self.proc.pid)
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
            kill_others_of_uid(self.user.uid, spare=self.proc.pid)
        else:
            kill_session(self.proc.pid)

    def _kill_all_as_user(self) -> None:
        assert self.user is not None
        kill_all_of_uid(self.user.uid, self.user.gid)

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
                remove_files_of(self.user.uid)  # no private scratch: what it left behind
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
                result = CallResult(CallStatus.CRASH, message=failure)
                return lambda: result
        assert self._req is not None  # start() succeeded: a child and its pipes
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
            CallStatus.TIMEOUT,
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
        assert self._rep is not None  # the caller's child is running
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
            return CallResult(CallStatus.CRASH, message=reason, seconds=time.monotonic() - started)
        except WireError as exc:
            self.kill()
            return CallResult(
                CallStatus.PROTOCOL,
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
                CallStatus.PROTOCOL, message="the sandbox sent an unexpected reply", seconds=elapsed
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
