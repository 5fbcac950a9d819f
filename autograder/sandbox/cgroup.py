"""A control group of its own for each sandbox slot: fair CPU, whole-tree accounting.

Resource limits (``setrlimit``) count per process, and a probe's CPU limit read from
``/proc/<pid>/stat`` counts the child alone. A submission that starts 60 busy processes
therefore slows every other submission of a batch, and its own children's CPU time is
not charged to it. A cgroup per slot fixes both, where the grader may make one (root,
with a writable cgroup file system; not in Gradescope's containers, where one submission
runs per container and there is no neighbour to be fair to):

- the kernel's scheduler shares the CPU between groups, not processes: a slot gets its
  share whatever number of processes its neighbour starts;
- CPU time is counted for the child and everything it started (``cpu_seconds``);
- the memory of the whole tree is capped (``memory.limit_in_bytes`` / ``memory.max``);
- its processes are listed by the kernel (``pids``), which nothing can leave.

Both cgroup versions are handled: v1 (one hierarchy per controller: cpu, cpuacct,
memory) and v2 (the unified hierarchy, with whatever controllers are delegated to us).
The child joins its group itself, as root, before it drops privileges; the group's files
belong to root, so it cannot leave.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["SlotGroup", "available", "join"]

_ROOT = Path("/sys/fs/cgroup")


def _own_paths() -> dict[str, str]:
    """Controller name ("" for v2) -> this process's cgroup path, from /proc/self/cgroup."""
    found: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            found[name.removeprefix("name=")] = path
    return found


def _mount_of(controller: str) -> Path | None:
    """Where the v1 hierarchy of ``controller`` is mounted (None if not, or read-only)."""
    for candidate in (_ROOT / controller, _ROOT / "cpu,cpuacct"):
        if (candidate / "cgroup.procs").exists() and os.access(candidate, os.W_OK):
            if controller == "cpuacct" and not (candidate / "cpuacct.usage").exists():
                continue
            return candidate
    return None


class SlotGroup:
    """The cgroup(s) of one sandbox slot, named after it, below the grader's own."""

    def __init__(self, folders: dict[str, Path], version: int) -> None:
        self.folders = folders  # controller -> folder ("unified" for v2)
        self.version = version

    @classmethod
    def create(cls, name: str, memory_bytes: int | None = None) -> SlotGroup | None:
        """Make (or reuse) the slot's groups; None where this process may not."""
        if os.geteuid() != 0:
            return None
        own = _own_paths()
        folders: dict[str, Path] = {}
        version = 1
        for controller in ("cpu", "cpuacct", "memory"):
            mount = _mount_of(controller)
            if mount is not None and controller in own:
                folders[controller] = mount / own[controller].lstrip("/") / name
        if "cpuacct" not in folders:  # no v1 accounting: the unified hierarchy, if it is one
            folders = {}
            if (_ROOT / "cgroup.controllers").exists() and "" in own:
                folders["unified"] = _ROOT / own[""].lstrip("/") / name
                version = 2
        if not folders:
            return None
        try:
            for folder in folders.values():
                folder.mkdir(mode=0o755, exist_ok=True)
        except OSError:
            return None
        group = cls(folders, version)
        if memory_bytes is not None:
            group._write_optional(
                "memory", "memory.limit_in_bytes" if version == 1 else "memory.max", memory_bytes
            )
        return group

    def _write_optional(self, controller: str, file: str, value: int) -> None:
        folder = self.folders.get(controller) or self.folders.get("unified")
        try:
            if folder is not None:
                (folder / file).write_text(str(value))
        except OSError:  # the controller is not delegated here: the rlimits still hold
            pass

    def procs_files(self) -> list[str]:
        """The files a process writes its pid to in order to join every group."""
        return [str(folder / "cgroup.procs") for folder in self.folders.values()]

    def cpu_seconds(self) -> float | None:
        """CPU time used by everything that ever ran in the group."""
        try:
            if self.version == 1:
                return int((self.folders["cpuacct"] / "cpuacct.usage").read_text()) / 1e9
            for line in (self.folders["unified"] / "cpu.stat").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "usage_usec":
                    return int(value) / 1e6
        except (OSError, ValueError, KeyError):
            pass
        return None

    def pids(self) -> list[int]:
        """Every process in the group now."""
        found: set[int] = set()
        for file in self.procs_files():
            try:
                found.update(int(x) for x in Path(file).read_text().split())
            except (OSError, ValueError):
                pass
        return sorted(found)

    def remove(self) -> None:
        """Remove the (empty) groups; a group that still holds a process stays."""
        for folder in self.folders.values():
            try:
                folder.rmdir()
            except OSError:
                pass


def join(procs_files: list[str]) -> None:
    """Move the calling process into the groups (as root, before dropping privileges)."""
    for file in procs_files:
        with open(file, "w") as fh:
            fh.write(str(os.getpid()))


def available() -> bool:
    """Whether this process can give a sandbox slot a cgroup of its own (tried once)."""
    global _AVAILABLE
    if _AVAILABLE is None:
        group = SlotGroup.create(f"autograde-probe-{os.getpid()}")
        _AVAILABLE = group is not None
        if group is not None:
            group.remove()
    return _AVAILABLE


_AVAILABLE: bool | None = None
