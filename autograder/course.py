"""Where the course lives: the folder holding ``assignments/`` and ``solutions/``.

The engine is installed as a package, but assignments and the reference library are
course content, found at run time: ``--course DIR`` on the command line, else the
``AUTOGRADE_COURSE`` environment variable, else the checkout this package sits in, else
the current directory. On Gradescope that is ``/autograder/source``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .runtime.errors import AutogradeError
from .spec import Assignment, load_assignment

__all__ = ["Course", "CourseError", "find_course"]


class CourseError(AutogradeError, LookupError):
    """No course folder, or no such assignment in it."""


class Course:
    """The assignments of one course folder."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.assignments_dir = self.root / "assignments"
        self.solutions_dir = self.root / "solutions"
        if not self.assignments_dir.is_dir():
            raise CourseError(f"{self.root} has no assignments/ folder")

    def ids(self) -> list[str]:
        return sorted(
            p.name for p in self.assignments_dir.iterdir() if (p / "assignment.toml").is_file()
        )

    def resolve(self, name: str) -> str:
        """``hw04_autograd`` or its prefix ``hw04`` to the full id."""
        ids = self.ids()
        if name in ids:
            return name
        matches = [i for i in ids if i.split("_", 1)[0] == name]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(ids) or "none"
        raise CourseError(f"no assignment {name!r} (known: {known})")

    def assignment(self, name: str) -> Assignment:
        return load_assignment(self.assignments_dir / self.resolve(name))

    def reference_path(self, assignment_id: str) -> Path:
        return self.solutions_dir / f"{assignment_id}.py"


def find_course(explicit: str | os.PathLike | None = None) -> Course:
    """The course folder, by the rule in this module's docstring."""
    # A folder named on purpose (--course, AUTOGRADE_COURSE) is used or refused, never
    # silently replaced by the checkout's own course.
    for named, where in ((explicit, "--course"), (os.environ.get("AUTOGRADE_COURSE"), None)):
        if named:
            if not (Path(named) / "assignments").is_dir():
                raise CourseError(
                    f"{where or 'AUTOGRADE_COURSE'} {named} is not a course folder "
                    "(it has no assignments/ folder)"
                )
            return Course(Path(named))
    candidates = [Path(__file__).resolve().parent.parent, Path.cwd()]
    for c in candidates:
        if (c / "assignments").is_dir():
            return Course(c)
    raise CourseError(
        "cannot find the course folder (one with assignments/): pass --course DIR "
        "or set AUTOGRADE_COURSE"
    )
