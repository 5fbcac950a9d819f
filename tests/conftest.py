"""Shared fixtures: the real course (this checkout) and a small demo course."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder.course import Course
from autograder.grading.runner import GradeReport, grade_cells
from autograder.grading.submission import read_submission

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_course() -> Course:
    return Course(REPO)


@pytest.fixture(scope="session")
def demo_course(tmp_path_factory) -> Course:
    """tests/fixtures/course plus what a course folder needs to build bundles."""
    root = tmp_path_factory.mktemp("demo_course")
    shutil.copytree(REPO / "tests" / "fixtures" / "course", root, dirs_exist_ok=True)
    shutil.copytree(REPO / "student_template", root / "student_template")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, root / name)
    return Course(root)


def grade_text(
    course: Course, assignment: str, text: str, tmp_path: Path, suffix: str = ".py"
) -> GradeReport:
    """Grade ``text`` as a submission file."""
    path = tmp_path / f"submission{suffix}"
    path.write_text(text, encoding="utf-8")
    a = course.assignment(assignment)
    return grade_cells(course, a, read_submission(path).cells)


def messages(report: GradeReport) -> str:
    """Every case message of a report, one per line (for assertions on feedback)."""
    return "\n".join(f"{t.name}: {r.case}: {r.message}" for t in report.tests for r in t.records)


def expected_isolation() -> dict[str, bool]:
    """What the sandbox's isolation report should say on this machine, as root: the
    namespaces need CAP_SYS_ADMIN (absent in Gradescope's and Docker's containers); the
    uid drop and the network filter never do."""
    import os

    from autograder.sandbox import cgroup
    from autograder.sandbox.reach import mount_namespaces_work

    namespaces = os.geteuid() == 0 and mount_namespaces_work()
    return {
        "unprivileged_user": os.geteuid() == 0,
        "private_network": namespaces,
        "private_mounts": namespaces,
        "private_root": namespaces,
        "network_filter": True,
        "own_cgroup": os.geteuid() == 0 and cgroup.available(),
    }
