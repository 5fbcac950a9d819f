"""Keeping each sandbox out of the class's submissions and everyone's results."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["open_to_sandboxes", "private_folders"]


def open_to_sandboxes(paths: list[Path]) -> list[str]:
    """Warnings for input folders that a sandbox could read where no mount namespace hides
    them (no CAP_SYS_ADMIN): a class's notebooks are none of one student's business."""
    from ..sandbox.reach import mount_namespaces_work

    if mount_namespaces_work():
        return []
    warnings = []
    for path in paths:
        folder = path if path.is_dir() else path.parent
        try:
            mode = folder.stat().st_mode
        except OSError:
            continue
        if mode & 0o005:
            warnings.append(
                f"{folder} is readable by other users and no mount namespace can hide it "
                f"here: a submission could read its classmates' files (chmod 700 {folder})"
            )
    return warnings


def private_folders(
    folders: list[Path], warnings: list[str], needed: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The folders among ``folders`` that each sandbox can be kept out of: the class's
    submissions and everyone's results are none of one student's business.

    A folder that holds what the sandbox needs (the temporary folder its working folder
    is made in, Python, the autograder) cannot be hidden; that is reported.
    """
    import tempfile

    needed = (
        *needed,
        tempfile.gettempdir(),
        sys.prefix,
        str(Path(sys.executable).resolve().parent),
        str(Path(__file__).resolve().parents[1]),  # the engine (autograder/)
    )
    needed_paths = [Path(n).resolve() for n in needed]
    out: list[str] = []
    for folder in dict.fromkeys(f.resolve() for f in folders):
        if any(n == folder or folder in n.parents for n in needed_paths):
            warnings.append(
                f"{folder} also holds what the sandbox needs, so it stays visible to "
                "students' code (keep submissions in a folder of their own)"
            )
            continue
        out.append(str(folder))
    return tuple(out)
