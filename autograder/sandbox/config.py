"""What a sandbox child is given (its limits) and what it gives back (load and call
results): plain data shared by the sandbox's modules and the grading side."""

from __future__ import annotations

import os
import resource
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .cpu_settings import grading_threads

if TYPE_CHECKING:
    from .forkserver import Zygote

__all__ = ["CallResult", "LoadReport", "SandboxConfig", "rlimits"]


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


def rlimits(cfg: SandboxConfig) -> list[tuple[int, tuple[int, int]]]:
    """The resource limits (``resource.setrlimit`` arguments) a child starts with."""
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
