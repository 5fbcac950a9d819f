"""A fork server for sandbox children: import torch once, fork a child per submission.

A fresh Python that imports torch costs over a second; batch grading should not pay it
per submission. The zygote is started once per batch (shared by the grading workers, who
connect to its listening socket) or once per client (on a socket pair). It imports what a
sandbox child needs (torch, numpy, matplotlib, the child runtime, the modules the
assignment's notebook imports), installs the assignment's forbidden-API traps, and then
only forks. It never imports the reference, the hidden tests or anything secret (every
child would inherit them), and runs no torch op before forking (forking after OpenMP
threads start can hang).

``python -m autograder.sandbox.zygote FD CONFIG``: ``FD`` is a connected or a listening
``SOCK_SEQPACKET`` Unix socket; ``CONFIG`` is JSON ``{"warm": [...], "forbidden": [...],
"may_warm": [...]}``: modules to import now, APIs to trap, and modules a client may ask
for later (``{"op": "warm", "modules": [...]}``, answered ``{"warmed": [...]}``).

Protocol, one JSON message per packet:
``{"op": "spawn", ...}`` with three file descriptors (request pipe, reply pipe, output
file) -> ``{"pid": n}``; ``{"op": "wait", "pid": n}`` -> ``{"status": code or null}``
(``code`` as ``Popen.returncode``: negative for a signal).

The forked child becomes a sandbox exactly as ``process.py``'s ``preexec`` does for a
spawned one: its own session, namespaces, the slot uid, no_new_privs, limits; then it runs
``child.main`` on the pipes it was given.
"""

from __future__ import annotations

import gc
import json
import os
import socket
import sys
from typing import cast

__all__ = ["main"]


def _become_sandbox(req: dict, fds: list[int], sock: socket.socket) -> None:
    from . import child
    from .confine import become_sandboxed

    request_fd, reply_fd, output_fd = fds
    sock.close()
    become_sandboxed(
        req.get("uid"),
        req.get("gid"),
        tuple(req.get("hide", ())),
        bool(req.get("isolate_network", True)),
        [(which, (soft, hard)) for which, soft, hard in req["limits"]],
        tuple(req.get("reach", ())),
        req["workdir"],
        tuple(req.get("cgroup", ())),
    )
    os.chdir(req["workdir"])
    os.environ.clear()
    os.environ.update(req["env"])
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    keep = {0, 1, 2, request_fd, reply_fd}
    for fd in os.listdir("/proc/self/fd"):
        if int(fd) not in keep:
            try:
                os.close(int(fd))
            except OSError:
                pass
    import random

    random.seed()
    code = 1
    try:
        code = child.main(["child", str(request_fd), str(reply_fd)])
    finally:
        try:
            sys.stdout.flush()
        finally:
            os._exit(code)


def _status(pid: int) -> int | None:
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return -9999  # unknown or already reaped
    if done == 0:
        return None
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


# Imported before forking whatever the notebook says: torch.optim.Optimizer imports
# torch._dynamo on first use (about a second, and a fork server exists to pay that once).
ALWAYS_WARM = ("torch._dynamo",)


def _warm(names: list[str]) -> None:
    """Import ``names`` (the assignment notebook's imports) so that children inherit them.

    Importing runs no torch op. A module that started threads would make forking unsafe
    (a child could inherit a lock held by a thread it does not have): that is reported.
    """
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # a missing optional module costs only its warm-up
            print(f"[autograde zygote] could not pre-import {name}: {exc}", file=sys.stderr)
    threads = len(os.listdir("/proc/self/task"))
    if threads > 1:
        print(
            f"[autograde zygote] {threads} threads after pre-imports; forking may be unsafe",
            file=sys.stderr,
        )


def _serve(conn: socket.socket, may_warm: set[str]) -> bool:
    """Answer one request on ``conn``; False when the connection is closed."""
    try:
        msg, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 3)
    except (ConnectionResetError, OSError):
        return False
    if not msg:
        return False
    try:
        req = json.loads(msg)
    except ValueError:
        req = {}
    if req.get("op") == "spawn" and len(fds) == 3:
        # Everything imported so far is shared with the children copy-on-write; the
        # collector would touch (and so copy) every page of it in each child: freeze it.
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            _become_sandbox(req, fds, conn)
        for fd in fds:
            os.close(fd)
        conn.send(json.dumps({"pid": pid}).encode())
    elif req.get("op") == "warm":
        wanted = [str(name) for name in req.get("modules", []) if name in may_warm]
        _warm([name for name in wanted if name not in sys.modules])
        conn.send(json.dumps({"warmed": wanted}).encode())
    elif req.get("op") == "wait":
        conn.send(json.dumps({"status": _status(int(req["pid"]))}).encode())
    else:
        for fd in fds:
            os.close(fd)
        conn.send(b'{"error": "unknown op"}')
    return True


def _import_runtime() -> None:
    """What every sandbox child needs, imported once. No torch op runs here."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot
    import numpy  # noqa: F401
    import torch  # noqa: F401

    from ..runtime import (  # noqa: F401
        compare,
        extract,
        probe_helpers,
        traps,
        wire,
    )
    from . import channel, child  # noqa: F401


def serve(sock: socket.socket, config: dict) -> int:
    """Import and trap what ``config`` says, then answer requests on ``sock``."""
    from ..runtime import traps
    from .confine import seal_from_same_uid

    seal_from_same_uid()

    _import_runtime()
    _warm([str(name) for name in config.get("warm", [])])
    if config.get("forbidden") is not None:
        traps.traps_for([str(name) for name in config["forbidden"]])
    # Modules a child may need only sometimes (imported inside the notebook's functions):
    # imported when a client asks, once it has seen the reference need them.
    allowed = {str(name) for name in config.get("may_warm", [])}

    import selectors

    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    # A listening socket: a shared server; any number of workers connect, and it runs
    # until it is killed. A connected one (a socket pair): one client, until it hangs up.
    listening = bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
    while True:
        for key, _events in selector.select():
            peer = cast(socket.socket, key.fileobj)  # only sockets are registered
            if listening and peer is sock:
                conn, _addr = sock.accept()
                selector.register(conn, selectors.EVENT_READ)
            elif not _serve(peer, allowed):
                if not listening:
                    return 0
                selector.unregister(peer)
                peer.close()


def main(argv: list[str]) -> int:
    sock = socket.socket(fileno=int(argv[1]))
    config = json.loads(argv[2]) if len(argv) > 2 else {}
    config["warm"] = [*ALWAYS_WARM, *config.get("warm", [])]
    return serve(sock, config)


if __name__ == "__main__":
    os._exit(main(sys.argv))
