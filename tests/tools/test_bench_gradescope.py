"""``make bench``'s Gradescope conditions: run_autograder in a cgroup of 0.5 CPU and a
memory limit, as Gradescope runs it (root and a writable cgroup v1 hierarchy needed)."""

import os
from pathlib import Path

import pytest

from autograder.build.bundle import build_assignment
from autograder.tools.bench import _Limits, gradescope_conditions

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not _Limits.available(), reason="needs root and a writable cgroup v1"),
]


@pytest.fixture(scope="module")
def builds(demo_course, tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    return {"hw99_demo": build_assignment(demo_course, demo_course.assignment("hw99"), out)}


def _row(lines: list[str]) -> list[str]:
    (row,) = [ln for ln in lines if ln.startswith("| hw99_demo |")]
    return [cell.strip() for cell in row.strip("|").split("|")]


def _ours() -> set[str]:
    return {p.name for p in Path("/sys/fs/cgroup/memory").glob(f"autograde-bench-{os.getpid()}")}


def test_the_solution_under_gradescope_defaults(builds, tmp_path):
    lines = gradescope_conditions(builds, tmp_path, cpus=0.5, memory_mb=768)
    assert not _ours()  # its cgroups (and the sandbox's slot groups below them) are gone
    assert any("in a cgroup (v1) of 0.5 CPU and 768 MB" in ln for ln in lines)
    _, wall, peak, score, hit, fault = _row(lines)
    assert score == "100.0 (100)" and hit == "no" and fault == "no"
    assert 50 < float(peak) < 768 and float(wall) > 0


def test_below_the_floor_it_is_a_grader_fault_never_a_zero(builds, tmp_path):
    lines = gradescope_conditions(builds, tmp_path, cpus=0.5, memory_mb=160)
    _, _, _, score, hit, fault = _row(lines)
    assert hit.startswith("OOM-killed") and fault == "yes" and score.startswith("0.0")
