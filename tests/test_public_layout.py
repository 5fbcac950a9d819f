"""Every assignment lays out its public checks the same way: one file per question.

``tests/public/`` holds ``test_qK.py`` files only (and optionally ``conftest.py`` and
``__init__.py``), one for each question ``qK`` of ``assignment.toml`` that has public
checks: an autograded question (a manual one has no ``check("qK")``), and at least one
test in the file. Every test function of ``test_qK.py`` is named ``test_qK_...``, so the
file, the name (from which the recorded seeds derive) and the question it is graded under
agree.
"""

from __future__ import annotations

import ast
import re

import pytest

from autograder.course import Course
from autograder.grading.runner import collect_tests

from .conftest import REPO

IDS = Course(REPO).ids()
ALLOWED = {"conftest.py", "__init__.py"}
QUESTION_FILE = re.compile(r"test_(q\d+)\.py")


def _test_functions(source: str) -> list[str]:
    """Names of the top-level test functions and test classes of a module."""
    return [
        node.name
        for node in ast.parse(source).body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.name.lower().startswith("test")
    ]


@pytest.mark.parametrize("aid", IDS)
def test_public_checks_are_one_file_per_question(repo_course, aid):
    a = repo_course.assignment(aid)
    autograded = {q.id for q in a.questions if not q.manual}
    folder = a.public_tests
    assert folder.is_dir(), f"{aid}: no tests/public/"
    names = sorted(p.name for p in folder.iterdir() if p.name != "__pycache__")
    odd = [n for n in names if n not in ALLOWED and not QUESTION_FILE.fullmatch(n)]
    assert not odd, f"{aid}: tests/public/ holds only test_qK.py files, not {odd}"
    files = {QUESTION_FILE.fullmatch(n)[1]: folder / n for n in names if n not in ALLOWED}
    assert files, f"{aid}: no public checks"
    unknown = sorted(set(files) - autograded)
    assert not unknown, f"{aid}: {unknown} name no autograded question of assignment.toml"
    for q, path in files.items():
        tests = _test_functions(path.read_text(encoding="utf-8"))
        assert tests, f"{aid}: {path.name} has no test"
        misnamed = [t for t in tests if not t.startswith(f"test_{q}_")]
        assert not misnamed, f"{aid}: {path.name} has tests not named test_{q}_...: {misnamed}"


@pytest.mark.parametrize("aid", IDS)
def test_public_checks_are_graded_under_their_files_question(repo_course, aid):
    a = repo_course.assignment(aid)
    collected = collect_tests(a, a.public_tests)
    assert collected, f"{aid}: no public check collected"
    wrong = [
        f"{t.path.name}::{t.name} is graded under {t.question}"
        for t in collected
        if t.path.name != f"test_{t.question}.py"
    ]
    assert not wrong, f"{aid}: public checks graded under another question: {wrong}"
