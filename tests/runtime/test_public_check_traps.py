"""``check("qK")`` refuses what the grader refuses, with the grader's message.

The student bundle ships the grader's traps (``autograde_check/traps.py``); importing
``autograde_check`` (the notebook's first cell) installs them for every API a public check
forbids, and each check runs with its question's list, less what the check allows.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder.build.bundle import build_assignment, unpack_student_bundle
from autograder.course import Course

REPO = Path(__file__).resolve().parents[2]

STUDENT = """
import json, sys
sys.path.insert(0, {folder!r})
from autograde_check import check   # the notebook's first cell: traps go in here

import torch
from torch.autograd import grad     # bound after the traps: still reaches one


def classifier_forward(params, X):
    return torch.sigmoid(torch.tanh(X @ params["W1"].T + params["b1"]) @ params["w2"] + params["b2"])


def classifier_backward(params, X, y):   # q5 asks for this by hand
    p = {{k: v.clone().requires_grad_(True) for k, v in params.items()}}
    loss = torch.nn.functional.binary_cross_entropy(classifier_forward(p, X), y)
    return dict(zip(p, grad(loss, list(p.values()))))


def classifier_grads_autograd(params, X, y):   # q5's contrast: torch's autograd allowed
    return classifier_backward(params, X, y)


rows = check("q5").rows
print(json.dumps([[case, ok, message] for _, case, ok, message in rows]))
grad(torch.tensor(2.0, requires_grad=True) ** 2, [torch.tensor(2.0, requires_grad=True)], allow_unused=True)
print("outside a check, nothing is refused")
"""


@pytest.fixture(scope="module")
def hw04_build(tmp_path_factory: pytest.TempPathFactory):
    course = Course(REPO)
    return build_assignment(
        course, course.assignment("hw04_autograd"), tmp_path_factory.mktemp("d")
    )


@pytest.fixture(scope="module")
def hw04_bundle(hw04_build, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unpack_student_bundle(hw04_build.student_zip, tmp_path_factory.mktemp("student"))


@pytest.mark.parametrize("layout", ["as built", "under a top folder"])
def test_the_setup_cell_finds_the_checks_in_an_uploaded_zip(
    hw04_build, tmp_path: Path, layout: str
) -> None:
    """Colab: only the notebook and the zip were uploaded; the first cell unpacks the
    check runtime next to the notebook, without the interpreter internals (sys) that the
    static scan would flag. A zip re-packed under a folder (or an older bundle) works too."""
    import zipfile

    import nbformat

    from autograder.build.bundle import read_zip

    files = read_zip(hw04_build.student_zip)
    notebook = nbformat.reads(files["hw04_autograd.ipynb"].decode(), 4)
    setup = next(c.source for c in notebook.cells if "from autograde_check import" in c.source)
    assert "import sys" not in setup
    prefix = "" if layout == "as built" else "hw04_autograd/"
    with zipfile.ZipFile(tmp_path / "hw04_autograd.zip", "w") as zf:
        for name, data in files.items():
            zf.writestr(prefix + name, data)
    done = subprocess.run(
        [sys.executable, "-c", setup + "\nprint(check.__module__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "autograde_check"
    assert (tmp_path / "autograde_check" / "checks.json").is_file()


def test_a_check_refuses_a_forbidden_call_with_the_graders_message(hw04_bundle: Path) -> None:
    script = STUDENT.format(folder=str(hw04_bundle))
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    rows = {case: (ok, message) for case, ok, message in json.loads(lines[0])}
    by_hand = next(v for k, v in rows.items() if k.startswith("by hand"))
    assert by_hand == (
        False,
        "refused: torch.autograd.grad is not allowed in q5: this question asks you to "
        "compute it yourself",
    )
    allowed = next(v for k, v in rows.items() if k.startswith("torch.autograd"))
    assert not allowed[1].startswith("refused"), allowed  # the check allows it
    assert lines[1] == "outside a check, nothing is refused"


def test_checks_json_lists_what_each_check_forbids(hw04_bundle: Path) -> None:
    data = json.loads((hw04_bundle / "autograde_check" / "checks.json").read_text())
    course = Course(REPO)
    q5 = course.assignment("hw04_autograd").question("q5")
    items = {item["case"]: item for item in data["questions"]["q5"]}
    by_hand = next(v for k, v in items.items() if k.startswith("by hand"))
    assert by_hand["forbidden"] == list(q5.forbidden)
    allowed = next(v for k, v in items.items() if k.startswith("torch.autograd"))
    assert "torch.autograd.grad" not in allowed["forbidden"]
