"""Identities that cannot collide or vanish, and inputs that get one line, not a
traceback (issue 17). Most of these need no grading: they read the inputs only."""

from __future__ import annotations

import csv
import os
import shutil
import unicodedata
import zipfile
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.grading.batch import BatchError, collect_students, grade_class
from autograder.grading.batch_inputs import MAX_ID_BYTES, safe_id, unpack_zip
from tests.grading.test_batch import CASES

GOOD = CASES / "cheat_reseed_rngs.py"  # full marks
HALF = CASES / "partial_first_question_only.py"


def _export(folder: Path, students: dict[str, Path]) -> Path:
    """A Gradescope export folder: submission_<id>/ per student and the metadata."""
    folder.mkdir(parents=True)
    meta = []
    for sid, notebook in students.items():
        (folder / f"submission_{sid}").mkdir()
        shutil.copy(notebook, folder / f"submission_{sid}" / "hw99_demo.py")
        meta.append(
            f"submission_{sid}:\n  :submitters:\n  - :name: Student {sid}\n"
            f"    :email: s{sid}@example.edu\n"
        )
    (folder / "submission_metadata.yml").write_text("".join(meta))
    return folder


def _zip(folder: Path, target: Path, wrapper: str = "assignment_1_export") -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            zf.write(path, f"{wrapper}/{path.relative_to(folder)}")
    return target


def _collect(paths: list[Path], tmp_path: Path, out: Path | None = None):
    warnings: list[str] = []
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    return collect_students(paths, scratch, warnings, out), warnings


def test_a_students_upload_named_like_the_metadata_drops_nobody(tmp_path):
    export = _export(tmp_path / "export", {"1000": GOOD, "1001": HALF})
    # sorts before the export's own file, as in the issue; it names nobody of the class
    (export / "submission_1000" / "submission_metadata.yml").write_text("submission_9: {}\n")
    for source in (export, _zip(export, tmp_path / "export.zip")):
        students, _ = _collect([source], tmp_path)
        assert sorted(s.id for s in students) == ["1000", "1001"]
        assert {s.name for s in students} == {"Student 1000", "Student 1001"}
    # A class folder whose student uploaded such a file is still a class folder.
    folder = tmp_path / "class"
    (folder / "alice").mkdir(parents=True)
    shutil.copy(GOOD, folder / "alice" / "nb.py")
    (folder / "alice" / "submission_metadata.yml").write_text("submission_9: {}\n")
    students, _ = _collect([folder], tmp_path)
    assert [(s.id, s.path) for s in students] == [("alice", folder / "alice" / "nb.py")]


def test_two_export_zips_with_one_name_are_unpacked_apart(tmp_path):
    one = _zip(_export(tmp_path / "e1", {"1": GOOD}), tmp_path / "s1" / "submissions.zip")
    two = _zip(_export(tmp_path / "e2", {"2": HALF}), tmp_path / "s2" / "submissions.zip")
    students, _ = _collect([one, two], tmp_path)
    by_id = {s.id: s for s in students}
    assert sorted(by_id) == ["1", "2"]
    assert by_id["1"].path.read_bytes() == GOOD.read_bytes()
    assert by_id["2"].path.read_bytes() == HALF.read_bytes()
    assert by_id["1"].path.parent.parent != by_id["2"].path.parent.parent


@pytest.mark.parametrize(
    "names",
    [
        # one name in two Unicode normal forms (macOS writes NFD)
        [unicodedata.normalize("NFC", "zoë.py"), unicodedata.normalize("NFD", "zoë.py")],
        ["Alice.py", "alice.ipynb"],  # one file on a case-insensitive disk
        ["bob.py", "bob"],  # a notebook and a folder
    ],
)
def test_colliding_ids_stop_with_a_clear_message(tmp_path, names):
    folder = tmp_path / "class"
    folder.mkdir()
    for name in names:
        if "." in name:
            shutil.copy(GOOD, folder / name)
        else:
            (folder / name).mkdir()
            shutil.copy(GOOD, folder / name / "nb.py")
    if len(list(folder.iterdir())) < 2:
        pytest.skip("this file system merges the two names itself")
    with pytest.raises(BatchError, match="two submissions would be filed as student"):
        _collect([folder], tmp_path)


def test_distinct_unicode_names_stay_distinct_students(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(GOOD, folder / "zoë.py")
    shutil.copy(HALF, folder / "zoé.py")
    students, _ = _collect([folder], tmp_path)
    assert sorted(s.id for s in students) == sorted(["zoé", "zoë"])


def test_a_path_listed_twice_is_one_row(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(GOOD, folder / "alice.py")
    students, warnings = _collect([folder, folder / "alice.py", folder], tmp_path)
    assert [s.id for s in students] == ["alice"]
    assert len(warnings) == 2 and all("graded once" in w for w in warnings)


def test_out_inside_an_input_is_refused_before_it_is_made(demo_course, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(GOOD, folder / "alice.py")
    with pytest.raises(BatchError, match=r"--out .* is inside the input"):
        _collect([folder], tmp_path, out=folder / "grades")
    with pytest.raises(BatchError, match=r"--out .* is inside the input"):
        grade_class(demo_course, demo_course.assignment("hw99"), [folder], folder / "grades")
    assert sorted(p.name for p in folder.iterdir()) == ["alice.py"]


def test_every_entry_of_a_class_folder_is_a_row(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(GOOD, folder / "alice.py")
    (folder / "notes.txt").write_text("not a notebook")
    os.mkfifo(folder / "fifo.ipynb")
    (folder / "gone.ipynb").symlink_to(folder / "nothing-here.ipynb")
    (folder / "loop.ipynb").symlink_to(folder / "loop.ipynb")
    (folder / ".DS_Store").write_bytes(b"\0")
    students, warnings = _collect([folder], tmp_path)
    rows = {s.source.rsplit("/", 1)[1]: (s.status, s.problem) for s in students}
    assert rows == {
        "alice.py": ("grade", ""),
        "notes.txt": ("skipped", "not a notebook (.txt)"),
        "fifo.ipynb": ("unreadable", "a FIFO"),
        "gone.ipynb": ("unreadable", "a symbolic link to nothing"),
        "loop.ipynb": ("unreadable", "a symbolic link loop"),
        ".DS_Store": ("skipped", "hidden entry"),
    }
    assert sum("fifo.ipynb" in w or "gone.ipynb" in w or "loop.ipynb" in w for w in warnings) == 3


def test_an_unreadable_folder_is_said_to_be_unreadable(tmp_path, monkeypatch):
    import autograder.grading.batch_inputs as inputs

    folder = tmp_path / "class"
    (folder / "bob").mkdir(parents=True)
    shutil.copy(GOOD, folder / "bob" / "nb.py")
    real_listdir = os.listdir

    def listdir(path):  # what chmod 000 does to anyone but root
        if Path(path).name == "bob":
            raise PermissionError(13, "Permission denied")
        return real_listdir(path)

    monkeypatch.setattr(inputs.os, "listdir", listdir)
    students, warnings = _collect([folder], tmp_path)
    assert [(s.id, s.status, s.problem) for s in students] == [
        ("bob", "unreadable", "cannot list the folder: Permission denied")
    ]
    assert warnings == [f"{folder / 'bob'}: cannot list the folder: Permission denied"]


def test_long_names_become_ids_that_fit_a_file_name():
    long = "é" * 120 + ".ipynb"  # 246 bytes: a valid file name, too long with .json.tmp
    sid = safe_id(long)
    assert len(sid.encode()) <= MAX_ID_BYTES
    assert safe_id("é" * 121 + ".ipynb") != sid  # a hash of the whole keeps them apart


def test_a_class_with_odd_entries_is_graded_with_a_row_for_each(demo_course, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    long_stem = "x" * 250  # + ".py": a 253-byte name
    shutil.copy(GOOD, folder / f"{long_stem}.py")
    shutil.copy(HALF, folder / "bea.py")
    (folder / "readme.md").write_text("hi")
    os.mkfifo(folder / "pipe.py")
    out = tmp_path / "out"
    report = grade_class(demo_course, demo_course.assignment("hw99"), [folder], out, jobs=2)
    assert report.graded == 2 and not report.failed
    assert report.not_graded == {"skipped": 1, "unreadable": 1}
    with open(out / "grades.csv", newline="") as fh:
        rows = {Path(r["source"]).name: r for r in csv.DictReader(fh)}
    assert sorted(rows) == sorted([f"{long_stem}.py", "bea.py", "readme.md", "pipe.py"])
    assert rows[f"{long_stem}.py"]["status"] == "graded"
    assert float(rows[f"{long_stem}.py"]["total"]) > float(rows["bea.py"]["total"])
    assert rows["readme.md"]["status"] == "skipped: not a notebook (.md)"
    assert rows["pipe.py"]["status"] == "unreadable: a FIFO"


# ------------------------------------------------------------------ zips and metadata


def test_a_duplicated_zip_member_is_refused(tmp_path):
    target = tmp_path / "dup.zip"
    with zipfile.ZipFile(target, "w") as zf:
        zf.writestr("e/submission_metadata.yml", "submission_1: {}\n")
        zf.writestr("e/submission_1/nb.py", "one = 1\n")
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("e/submission_1/nb.py", "two = 2\n")
    with pytest.raises(BatchError, match=r"holds 'e/submission_1/nb\.py' twice"):
        unpack_zip(target, tmp_path / "x")


def _bad_zip(tmp_path: Path, kind: str) -> Path:
    target = tmp_path / f"{kind}.zip"
    if kind == "not-a-zip":
        target.write_bytes(b"%PDF-1.4 not a zip")
        return target
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("e/submission_1/nb.py", "def add(a, b):\n    return a + b\n" * 50)
        if kind == "bomb":
            zf.writestr("e/submission_1/big.ipynb", b"\0" * (20 << 20))
    if kind == "symlink":
        with zipfile.ZipFile(target, "a") as zf:
            link = zipfile.ZipInfo("e/submission_1/link.py")
            link.external_attr = (0o120777 << 16) | 0x20  # how zip stores a symbolic link
            zf.writestr(link, "/etc/passwd")
    if kind == "unsafe":
        with zipfile.ZipFile(target, "a") as zf:
            zf.writestr("e/../../outside.py", "x = 1\n")
    if kind == "truncated":
        target.write_bytes(target.read_bytes()[:-30])
    if kind == "corrupt":  # the directory is intact, the compressed data is not
        data = bytearray(target.read_bytes())
        start = data.index(b"PK\x03\x04") + 30 + len("e/submission_1/nb.py")
        data[start : start + 20] = bytes(20)
        target.write_bytes(bytes(data))
    if kind == "encrypted":  # what a password-protected export says of its member
        data = bytearray(target.read_bytes())
        for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            data[data.index(signature) + flags_at] |= 0x1
        target.write_bytes(bytes(data))
    return target


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("not-a-zip", "is not a readable zip"),
        ("truncated", "is not a readable zip"),
        ("encrypted", "is encrypted"),
        ("corrupt", "is damaged or truncated"),
        ("bomb", "a zip bomb"),
        ("symlink", "has a symbolic link 'e/submission_1/link.py'"),
        ("unsafe", "has an unsafe path 'e/../../outside.py'"),
    ],
)
def test_broken_zips_and_bombs_are_one_line(tmp_path, kind, message):
    with pytest.raises(BatchError, match=message) as caught:
        unpack_zip(_bad_zip(tmp_path, kind), tmp_path / "x")
    assert "\n" not in str(caught.value)


def test_a_zip_over_the_total_cap_is_refused(tmp_path, monkeypatch):
    import autograder.grading.batch_inputs as inputs

    monkeypatch.setattr(inputs, "MAX_UNZIPPED_BYTES", 1000)
    target = tmp_path / "big.zip"
    with zipfile.ZipFile(target, "w") as zf:
        zf.writestr("e/a.py", "x" * 600)
        zf.writestr("e/b.py", "x" * 600)
    with pytest.raises(BatchError, match=r"unpacks to .* over the"):
        unpack_zip(target, tmp_path / "x")


def test_a_zip_with_too_many_members_is_refused(tmp_path, monkeypatch):
    import autograder.grading.batch_inputs as inputs

    monkeypatch.setattr(inputs, "MAX_MEMBERS", 2)
    target = tmp_path / "many.zip"
    with zipfile.ZipFile(target, "w") as zf:
        for i in range(3):
            zf.writestr(f"e/{i}.py", "x = 1\n")
    with pytest.raises(BatchError, match=r"has 3 members \(at most 2\)"):
        unpack_zip(target, tmp_path / "x")


def test_an_oversized_metadata_file_is_refused(tmp_path, monkeypatch):
    import autograder.grading.batch_inputs as inputs

    export = _export(tmp_path / "export", {"1": GOOD})
    monkeypatch.setattr(inputs, "MAX_METADATA_BYTES", 10)
    with pytest.raises(
        BatchError, match=r"submission_metadata\.yml is over .* not Gradescope.s metadata"
    ):
        _collect([export], tmp_path)


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path):
    export = _export(tmp_path / "export", {"1": GOOD})
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        prev = chr(ord("a") + i - 1)
        name = chr(ord("a") + i)
        lines.append(f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}]")
    (export / "submission_metadata.yml").write_text("\n".join(lines) + "\n")
    with pytest.raises(BatchError, match="aliases are not allowed"):
        _collect([export], tmp_path)


# ------------------------------------------------------------------ the command line


def test_run_on_what_is_not_a_notebook_file_is_one_line_and_non_zero(tmp_path, capsys):
    os.mkfifo(tmp_path / "pipe.ipynb")  # reading it would block forever
    (tmp_path / "secret.py").write_text("x = 1\n")
    (tmp_path / "secret.py").chmod(0)
    (tmp_path / "gone.ipynb").symlink_to(tmp_path / "nowhere.ipynb")
    cases = {
        tmp_path / "missing.ipynb": "does not exist",
        tmp_path / "gone.ipynb": "is a symbolic link to nothing",
        tmp_path: "is a folder",
        tmp_path / "pipe.ipynb": "is a FIFO",
    }
    if os.geteuid() != 0:
        cases[tmp_path / "secret.py"] = "cannot read"
    for path, message in cases.items():
        assert main(["run", "hw04", str(path)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("autograde run: ") and message in err, err
        assert len(err.splitlines()) == 1


def test_an_out_that_cannot_be_written_is_one_line(demo_course, tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(GOOD, folder / "alice.py")
    (tmp_path / "a-file").write_text("")
    out = tmp_path / "a-file" / "out"  # its parent is a file: nothing can be made there
    code = main(
        ["--course", str(demo_course.root), "grade", "hw99", str(folder), "--out", str(out)]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith(f"autograde grade: cannot write to {out}")


def test_an_export_entry_that_is_no_folder_is_one_row_with_its_student(tmp_path):
    export = _export(tmp_path / "export", {"1": GOOD, "2": HALF})
    shutil.rmtree(export / "submission_2")
    os.mkfifo(export / "submission_2")  # listed, but not a folder one can read
    (export / "notes.txt").write_text("")
    students, warnings = _collect([export], tmp_path)
    rows = {s.id: (s.status, s.problem, s.name) for s in students}
    assert rows == {
        "1": ("grade", "", "Student 1"),
        "2": ("unreadable", "a FIFO", "Student 2"),
        "notes.txt": ("skipped", "not a submission folder", ""),
    }
    assert "2: submission_2 is a FIFO" in warnings
