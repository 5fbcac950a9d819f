"""The sandbox: a child process that loads a student's definitions and runs probes.

``process`` is the trusted side (spawn, limits, privilege drop, timeouts, cleanup);
``child`` is the entry point that runs inside the sandbox; ``channel`` frames messages
between them; ``traps`` enforces forbidden APIs inside the child.
"""

from .process import CallResult, LoadReport, Sandbox, SandboxConfig, is_sandbox_uid

__all__ = ["CallResult", "LoadReport", "Sandbox", "SandboxConfig", "is_sandbox_uid"]
