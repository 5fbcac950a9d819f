"""Length-prefixed wire-format messages over a pair of pipes."""

from __future__ import annotations

import os
import select
import time
from typing import Any

from ..runtime.wire import DEFAULT_LIMITS, HEADER, Limits, WireError, decode, encode, frame

__all__ = [
    "ChannelClosed",
    "ChannelTimeout",
    "read_message",
    "readable",
    "write_frame",
    "write_message",
]


class ChannelClosed(EOFError):
    """The other end closed its pipe (the child died or exited)."""


class ChannelTimeout(TimeoutError):
    """No complete message before the deadline."""


def write_message(fd: int, value: Any, deadline: float | None = None) -> None:
    write_frame(fd, frame(*encode(value)), deadline)


def readable(fd: int, timeout_s: float) -> bool:
    """Whether ``fd`` has something to read (or is closed) within ``timeout_s``."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(max(0.0, timeout_s) * 1000))


def _wait(fd: int, events: int, deadline: float | None) -> None:
    """Until ``fd`` is ready for ``events``; ChannelTimeout once ``deadline`` passes."""
    if deadline is None:
        return
    left = deadline - time.monotonic()
    if left <= 0:
        raise ChannelTimeout()
    poller = select.poll()
    poller.register(fd, events)
    if not poller.poll(left * 1000):
        raise ChannelTimeout()


def write_frame(fd: int, data: bytes, deadline: float | None = None) -> None:
    """Write an already encoded message (``wire.frame(*wire.encode(value))``).

    With a ``deadline``, ``fd`` must be non-blocking: a reader that stops reading (a child
    that stalls, or shrank its pipe) then costs a ChannelTimeout, never a hung grader.
    """
    view = memoryview(data)
    while view:
        _wait(fd, select.POLLOUT, deadline)
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            continue
        view = view[written:]


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    chunks, remaining = [], n
    while remaining:
        _wait(fd, select.POLLIN, deadline)
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise ChannelClosed()
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int, deadline: float | None = None, limits: Limits = DEFAULT_LIMITS) -> Any:
    """One message; ``WireError`` if it is malformed or over the limits."""
    json_len, blob_len = HEADER.unpack(_read_exact(fd, HEADER.size, deadline))
    if json_len > limits.max_json_bytes or blob_len > limits.max_blob_bytes:
        raise WireError(f"message of {json_len + blob_len} bytes is over the limit")
    doc = _read_exact(fd, json_len, deadline)
    blob = _read_exact(fd, blob_len, deadline)
    try:
        return decode(doc, blob, limits)
    except WireError:
        raise
    except Exception as exc:  # a 5000-digit integer, 1e400, ...: the sender's fault
        raise WireError(f"undecodable message ({type(exc).__name__})") from None
