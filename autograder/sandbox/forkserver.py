"""The trusted side's handle on the fork server (``zygote.py``): ask it for children,
share one between batch workers (``ZygoteServer``), or fork one from this process
(``Zygote.fork_here``) for a single quick run."""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

from ..runtime.errors import AutogradeError
from .confine import PR_SET_PDEATHSIG, engine_command, prctl, sandbox_env, scrub_initial_environment
from .cpu_settings import grading_threads

__all__ = [
    "Zygote",
    "ZygoteChild",
    "ZygoteError",
    "ZygoteServer",
    "remove_dead_servers_folders",
]


class ZygoteChild:
    """A child forked by the zygote, with the parts of ``Popen``'s interface we use.

    Its pid arrives with the server's reply, which is read when first needed: the request
    is sent at launch and the trusted side goes on (loading the reference, say) meanwhile.
    """

    def __init__(self, zygote: Zygote) -> None:
        self.zygote = zygote
        self._pid: int | None = None
        self.returncode: int | None = None

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
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                assert timeout is not None  # a deadline comes from a timeout
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
            time.sleep(0.005)
        return code

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


class ForkedServer:
    """``Popen``'s ``wait`` and ``kill`` for a fork server forked from this process."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.returncode = os.waitstatus_to_exitcode(status)
            elif deadline is not None and time.monotonic() > deadline:
                assert timeout is not None  # a deadline comes from a timeout
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


class ZygoteError(AutogradeError, RuntimeError):
    """The fork server is gone or answered nonsense; spawn children directly instead."""


_MODULE_NAME = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*")


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
        preexec_fn=lambda: prctl(PR_SET_PDEATHSIG, signal.SIGKILL),
    )


_FOLDER_PREFIX = "autograde-zygote-"


def remove_dead_servers_folders(where: str | None = None) -> list[str]:
    """Remove the socket folders that fork servers of killed batches left behind (this
    user's, whose socket nobody listens on any more); returns the folders removed."""
    import socket

    where = where or tempfile.gettempdir()
    removed: list[str] = []
    try:
        entries = [e for e in os.scandir(where) if e.name.startswith(_FOLDER_PREFIX)]
    except OSError:
        return removed
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
            if not entry.is_dir(follow_symlinks=False) or info.st_uid != os.geteuid():
                continue
            if time.time() - info.st_mtime < 60:  # maybe a server still starting up
                continue
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                sock.connect(os.path.join(entry.path, "zygote.sock"))
                continue  # a live server: another batch's
            except (ConnectionRefusedError, FileNotFoundError):
                pass
            finally:
                sock.close()
        except OSError:
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(entry.path)
    return removed


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

        remove_dead_servers_folders()
        self.folder = tempfile.mkdtemp(prefix=_FOLDER_PREFIX)  # mode 700
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
        self.proc: subprocess.Popen | ForkedServer | None = None
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
                prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
                devnull = os.open(os.devnull, os.O_RDWR)
                os.dup2(devnull, 0)  # not the caller's stdin, nor its stdout (the JSON)
                os.dup2(devnull, 1)
                os.environ.clear()
                os.environ.update(sandbox_env(threads=grading_threads()))
                scrub_initial_environment()
                from . import zygote

                code = zygote.serve(theirs, {})
            finally:
                os._exit(code)
        theirs.close()
        server = cls(_sock=ours)
        server.proc = ForkedServer(pid)
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
