"""How a batch answers SIGINT and SIGTERM, and shows its progress.

A stop never lands halfway through writing a student's files (``Signals.critical``), so a
stopped batch resumes from whole results.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

__all__ = ["Progress", "Signals", "Stop"]


class Progress:
    """One line per graded student, or a progress bar on a terminal."""

    def __init__(self, total: int, stream: Any = sys.stderr) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.tty = stream.isatty()
        self.started = time.monotonic()

    def step(self, student: str, text: str) -> None:
        """``student`` was graded (``text``: the score, or what happened)."""
        self.done += 1
        if self.tty:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            rate = self.done / max(time.monotonic() - self.started, 1e-9)
            self.stream.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"{rate:.1f}/s  {student[:20]:<20}"
            )
            self.stream.flush()
            if self.done == self.total:
                self.stream.write("\n")
        else:
            print(
                f"graded {self.done}/{self.total} {student}: {text}", file=self.stream, flush=True
            )


class Stop(BaseException):
    """Raised in the main thread by SIGINT/SIGTERM (a BaseException: nothing on the way
    may swallow it)."""

    def __init__(self, signame: str) -> None:
        super().__init__(signame)
        self.signame = signame


class Signals:
    """SIGINT and SIGTERM stop the batch, but never halfway through writing a student's
    files: inside ``critical()`` the stop waits for the block to end."""

    def __init__(self) -> None:
        self.pending: str | None = None
        self.depth = 0
        self.saved: dict[int, Any] = {}

    def __enter__(self) -> Signals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: object) -> None:
        self.pending = signal.Signals(signum).name
        if self.depth == 0:
            raise Stop(self.pending)

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        """A block that a stop waits for (writing one student's files, say)."""
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
        if self.depth == 0 and self.pending:
            raise Stop(self.pending)
