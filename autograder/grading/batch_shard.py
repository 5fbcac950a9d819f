"""One slice of a class, for grading a class on many machines (``--shard K/N``).

A student's shard depends only on their id and the number of shards: the first eight
bytes of the SHA-256 of the id, modulo N. So every machine that reads the same class
agrees on the slices without talking to the others, whatever order its file system lists
the folders in, and a student added later moves nobody else. Every row of
``grades.csv`` (a skipped or unreadable entry too) belongs to exactly one shard.

Where no ``--shard`` is given, the slice comes from the scheduler that started the
process: a Slurm job array (``SLURM_ARRAY_TASK_ID``, ``SLURM_ARRAY_TASK_MIN``,
``SLURM_ARRAY_TASK_COUNT``, ``SLURM_ARRAY_TASK_STEP``) or a Kubernetes Indexed Job
(``JOB_COMPLETION_INDEX``, with the number of completions from ``--shard-count`` or
``AUTOGRADE_SHARD_COUNT``, which Kubernetes does not tell its pods).

A shard's ``--out`` gets ``shard.json`` when it finishes: which slice it is, the
assignment, the engine and the grader it was graded with, the whole class's ids (as a
hash) and its own rows. ``autograde merge`` (``batch_merge``) checks these before it
combines shards.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..spec import Assignment
from .batch_inputs import BatchError, Student

__all__ = [
    "MANIFEST",
    "Shard",
    "ShardError",
    "check_shard_folder",
    "class_key",
    "engine_fingerprint",
    "parse_shard",
    "read_manifest",
    "resolve_shard",
    "shard_of",
    "write_manifest",
]

MANIFEST = "shard.json"
MANIFEST_FORMAT = 1
_SHARD = re.compile(r"^\s*(-?\d+)\s*/\s*(-?\d+)\s*$")


class ShardError(BatchError):
    """A shard that cannot be, or outputs that cannot be merged; the message says why."""


def shard_of(student_id: str, count: int) -> int:
    """The shard (1 to ``count``) that grades ``student_id``."""
    digest = hashlib.sha256(student_id.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (counted from 1), and where that came from."""

    index: int
    count: int
    origin: str = "--shard"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, student_id: str) -> bool:
        """Whether this shard grades ``student_id``."""
        return shard_of(student_id, self.count) == self.index

    def select(self, students: list[Student]) -> list[Student]:
        """The rows of ``students`` this shard grades (or reports, if not gradable)."""
        return [s for s in students if self.holds(s.id)]


def _whole(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ShardError(f"{what} must be a whole number, got {text!r}") from None


def _checked(index: int, count: int, origin: str) -> Shard:
    if count < 1:
        raise ShardError(f"{origin}: the number of shards must be at least 1, got {count}")
    if not 1 <= index <= count:
        raise ShardError(
            f"{origin}: shard {index} of {count} does not exist; shards count from 1 to "
            f"{count} (the first is 1/{count})"
        )
    return Shard(index, count, origin)


def parse_shard(text: str) -> Shard:
    """``--shard K/N``: shard K of N, K counted from 1."""
    match = _SHARD.match(text)
    if not match:
        raise ShardError(f"--shard expects K/N (say 2/8: the second of 8 slices), got {text!r}")
    return _checked(int(match[1]), int(match[2]), f"--shard {text.strip()}")


def _from_slurm(env: Mapping[str, str], count: int | None) -> Shard:
    """A Slurm job array's task: its place in the array, counted from the array's first
    id (``--array=1-8`` and ``--array=0-7`` both make 8 shards), in steps of the array's
    step (``--array=0-14:2``)."""
    missing = [
        v for v in ("SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN") if not env.get(v, "").strip()
    ]
    if missing:
        raise ShardError(
            f"SLURM_ARRAY_TASK_ID is set but {' and '.join(missing)} not (a Slurm older than "
            "15.08?): give the slice as --shard K/N"
        )
    task = _whole(env["SLURM_ARRAY_TASK_ID"], "SLURM_ARRAY_TASK_ID")
    first = _whole(env["SLURM_ARRAY_TASK_MIN"], "SLURM_ARRAY_TASK_MIN")
    total = _whole(env["SLURM_ARRAY_TASK_COUNT"], "SLURM_ARRAY_TASK_COUNT")
    step = _whole(env.get("SLURM_ARRAY_TASK_STEP") or "1", "SLURM_ARRAY_TASK_STEP")
    origin = f"SLURM_ARRAY_TASK_ID={task} (array from {first}, {total} tasks)"
    if step < 1:
        raise ShardError(f"SLURM_ARRAY_TASK_STEP must be at least 1, got {step}")
    last = env.get("SLURM_ARRAY_TASK_MAX", "").strip()
    # An array given as a list (--array=0,3,7) has no single step: its ids cannot be
    # numbered 1..N without knowing the list, and guessing would grade a slice twice.
    if last and (_whole(last, "SLURM_ARRAY_TASK_MAX") - first) != (total - 1) * step:
        raise ShardError(
            f"the Slurm array ({first}-{last}, {total} tasks) is not one evenly spaced range; "
            f"submit it as --array=0-{total - 1} (or give --shard K/N)"
        )
    if task < first or (task - first) % step:
        raise ShardError(f"{origin}: not a task of an array from {first} in steps of {step}")
    if count is not None and count != total:
        raise ShardError(
            f"--shard-count {count} disagrees with the Slurm array's {total} tasks "
            "(leave --shard-count out under Slurm)"
        )
    return _checked((task - first) // step + 1, total, origin)


def _from_kubernetes(env: Mapping[str, str], count: int | None) -> Shard:
    """A Kubernetes Indexed Job's pod: JOB_COMPLETION_INDEX counts from 0."""
    index = _whole(env["JOB_COMPLETION_INDEX"], "JOB_COMPLETION_INDEX")
    if count is None:
        text = env.get("AUTOGRADE_SHARD_COUNT", "").strip()
        if not text:
            raise ShardError(
                f"JOB_COMPLETION_INDEX={index} (a Kubernetes Indexed Job) but no number of "
                "shards: pass --shard-count N, or set AUTOGRADE_SHARD_COUNT, to the Job's "
                "completions"
            )
        count = _whole(text, "AUTOGRADE_SHARD_COUNT")
    origin = f"JOB_COMPLETION_INDEX={index} of {count} completions"
    if index < 0:
        raise ShardError(f"{origin}: the index counts from 0, got {index}")
    return _checked(index + 1, count, origin)


def resolve_shard(text: str | None, count: int | None, env: Mapping[str, str]) -> Shard | None:
    """The slice this run grades: ``--shard`` if given, else the Slurm array task or the
    Kubernetes Indexed Job pod this process runs in, else None (the whole class).

    ``--shard 1/1`` grades the whole class as an unsharded run, even inside an array (an
    array whose tasks each grade a different assignment, say)."""
    if text is not None:
        shard = parse_shard(text)
        if count is not None and count != shard.count:
            raise ShardError(f"--shard {shard} and --shard-count {count} disagree")
        return None if shard.count == 1 else shard
    if env.get("SLURM_ARRAY_TASK_ID", "").strip():
        shard = _from_slurm(env, count)
    elif env.get("JOB_COMPLETION_INDEX", "").strip():
        shard = _from_kubernetes(env, count)
    elif count is not None:
        raise ShardError(
            "--shard-count needs a shard index: JOB_COMPLETION_INDEX (a Kubernetes Indexed "
            "Job) or SLURM_ARRAY_TASK_ID; outside those, give --shard K/N"
        )
    else:
        return None
    return shard  # a one-task array too: its output is a shard, for autograde merge


def class_key(students: list[Student]) -> str:
    """A hash of the whole class's ids: shards that read different inputs (a stale copy of
    the export on one machine) would merge into a class nobody graded."""
    digest = hashlib.sha256()
    for sid in sorted(s.id for s in students):
        digest.update(sid.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """The engine's version and a hash of its source: two machines with different
    engines can grade one submission differently, so their shards are not merged."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        digest.update(f"{rel}\0".encode() + path.read_bytes() + b"\0")
    return f"{__version__}+{digest.hexdigest()[:16]}"


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """``folder/shard.json``; None where there is none. ShardError if unreadable."""
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ShardError(f"{path} is unreadable ({exc}); grade that shard again") from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise ShardError(f"{path} is not a shard record this engine knows; grade it again")
    return data


def check_shard_folder(out: Path, shard: Shard | None) -> None:
    """Refuse an ``--out`` that holds another slice's results: merged, its files would
    count twice or go missing. The same slice may resume into it."""
    data = read_manifest(out)
    if data is None:
        return
    other = f"{data['shard']['index']}/{data['shard']['count']}"
    if shard is None:
        raise ShardError(
            f"{out} holds shard {other} of a sharded run; give the whole class an --out of "
            "its own (or merge the shards with autograde merge)"
        )
    if other != str(shard):
        raise ShardError(f"{out} holds shard {other}, not {shard}: give each shard its own --out")


def write_manifest(
    out: Path,
    assignment: Assignment,
    grader: str,
    shard: Shard,
    rows: list[Student],
    whole_class: list[Student],
) -> None:
    """Write ``out/shard.json`` (see the module docstring), atomically, last: a shard
    without one did not finish."""
    from .batch_outputs import write_text_atomic

    data = {
        "format": MANIFEST_FORMAT,
        "assignment": assignment.id,
        "engine": engine_fingerprint(),
        "grader": grader,
        "shard": {"index": shard.index, "count": shard.count},
        "class": {"rows": len(whole_class), "key": class_key(whole_class)},
        "rows": [
            {
                "id": s.id,
                "name": s.name,
                "email": s.email,
                "problem": s.problem,
                "source": s.source,
                "status": s.status,
            }
            for s in sorted(rows, key=lambda s: (s.id, s.source))
        ],
    }
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    write_text_atomic(out / MANIFEST, text)
