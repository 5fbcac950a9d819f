"""Every command shown in the README and docs/ runs.

Commands are taken from the ```sh blocks. ``make`` targets are dry-run (``make -n``);
``autograde`` commands run for real against the demo course, with ``hw04`` standing for
the demo assignment and the documented file names (notebook.ipynb, submissions/,
gradescope_export.zip) made in a scratch folder.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.build.bundle import build_assignment

from .conftest import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BLOCK = re.compile(r"```sh\n(.*?)```", re.S)


def documented_commands() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for block in BLOCK.findall(doc.read_text()):
            for line in block.splitlines():
                command = line.split("  #", 1)[0].strip()
                if command.startswith(("autograde ", "make ")):
                    found.append((doc.name, command))
    return found


COMMANDS = documented_commands()
# Ids a documented ``autograde new`` makes: a command naming one runs in a copy of the demo
# course where that ``new`` ran first (the shared demo course keeps its one assignment).
MADE = {shlex.split(c)[2] for _, c in COMMANDS if c.startswith("autograde new ")}


def test_the_docs_show_the_main_commands():
    shown = {c for _, c in COMMANDS}
    assert {"make dist", "make test"} <= shown
    assert any(c.startswith("autograde grade") for c in shown)
    assert any(c.startswith("autograde run") for c in shown)


@pytest.fixture(scope="module")
def scratch(demo_course, tmp_path_factory) -> Path:
    cwd = tmp_path_factory.mktemp("docs_cwd")
    built = build_assignment(demo_course, demo_course.assignment("hw99"), cwd / "prebuilt")
    shutil.copy(built.instructor_notebook, cwd / "notebook.ipynb")
    (cwd / "submissions").mkdir()
    shutil.copy(built.instructor_notebook, cwd / "submissions" / "alice.ipynb")
    with zipfile.ZipFile(built.student_zip) as zf:
        (cwd / "submissions" / "bob.ipynb").write_bytes(zf.read("hw99_demo.ipynb"))
    export = cwd / "export"
    (export / "submission_1").mkdir(parents=True)
    shutil.copy(built.instructor_notebook, export / "submission_1" / "hw99_demo.ipynb")
    (export / "submission_metadata.yml").write_text(
        "submission_1:\n  :submitters:\n  - :name: Alice\n    :email: alice@example.edu\n"
    )
    with zipfile.ZipFile(cwd / "gradescope_export.zip", "w") as zf:
        for path in export.rglob("*"):
            zf.write(path, path.relative_to(export))
    return cwd


@pytest.mark.parametrize("doc, command", COMMANDS, ids=[f"{d}: {c}" for d, c in COMMANDS])
def test_documented_command_runs(doc, command, demo_course, scratch, tmp_path):
    if command.startswith("make "):
        proc = subprocess.run(
            ["make", "-n", *shlex.split(command)[1:]], cwd=REPO, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr
        return
    words = shlex.split(command.replace("hw04_autograd", "hw99_demo").replace("hw04", "hw99"))
    course = demo_course.root
    made = [w for w in words if w in MADE]
    if made:
        course = tmp_path / "course"
        shutil.copytree(demo_course.root, course)
        if words[1] != "new":
            new = [sys.executable, "-m", "autograder", "--course", str(course), "new", made[0]]
            assert subprocess.run(new, capture_output=True).returncode == 0
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "--course", str(course), *words[1:]],
        cwd=scratch,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"{command}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
