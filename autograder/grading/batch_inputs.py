"""The students of a batch: who they are, and which file each is graded on.

Inputs are notebooks, folders of them (a file ``alice.ipynb`` or a folder ``alice/`` per
student), or Gradescope exports (a zip, or the folder it unpacks to, with folders
``submission_<id>/`` and a ``submission_metadata.yml`` naming the students).

The rules that keep a grade with its student:

- a Gradescope export's metadata is read only from the export's own top level (or the
  one folder a zip wraps it in), never from a student's upload of that name deeper down;
- each input zip is unpacked into a scratch folder of its own;
- two submissions that would be filed under one id (also after Unicode normalisation, or
  differing only in case) stop the batch: neither may take the other's grade;
- every entry of an input becomes a row: graded, or skipped or unreadable with a reason;
- the same file reached twice (a path listed twice) is graded once.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..runtime.errors import AutogradeError

__all__ = [
    "BatchError",
    "Student",
    "check_out_outside_inputs",
    "collect_students",
    "describe_unreadable",
    "safe_id",
]

NOTEBOOK_SUFFIXES = (".ipynb", ".py")
METADATA = "submission_metadata.yml"
# Word characters of any script (so zoë and zoé stay two students), digits, . @ -.
_UNSAFE = re.compile(r"[^\w.@-]+")
MAX_ID_BYTES = 120  # results/<id>.json and .<id>.json.<random>.tmp stay under 255 bytes

# Zip bombs: a cap on what an export may unpack to, in all and per member.
MAX_UNZIPPED_BYTES = 8 << 30
MAX_MEMBERS = 100_000
MAX_RATIO = 200  # a member this many times its compressed size, and ...
RATIO_FLOOR_BYTES = 16 << 20  # ... larger than this, is a bomb, not a notebook
MAX_METADATA_BYTES = 32 << 20


class BatchError(AutogradeError, ValueError):
    """The input cannot be read as a class of submissions; the message says why."""


@dataclass
class Student:
    """One row of ``grades.csv``.

    ``status`` is "grade" for a student to grade (``path`` None: graded as "no
    submission", with ``problem`` as the reason), or "skipped" / "unreadable" for an
    input entry that is not graded at all (``problem`` says why).
    """

    id: str
    path: Path | None  # None: listed in the metadata but no file was found
    name: str = ""
    email: str = ""
    problem: str = ""
    source: str = ""  # where it came from, as the TA named it
    status: str = "grade"

    @property
    def gradable(self) -> bool:
        """Graded in a batch (with or without a file), not a skipped or unreadable row."""
        return self.status == "grade"


def safe_id(text: str) -> str:
    """A student id usable as a file name: NFC-normalised, no path characters, at most
    MAX_ID_BYTES bytes (a longer one keeps its start and gets a hash of the whole)."""
    text = unicodedata.normalize("NFC", text)
    sid = _UNSAFE.sub("_", text).strip("._") or "student"
    if len(sid.encode("utf-8")) > MAX_ID_BYTES:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        head = sid.encode("utf-8")[: MAX_ID_BYTES - 13].decode("utf-8", "ignore")
        sid = f"{head}-{digest}"
    return sid


def describe_unreadable(path: Path) -> str | None:
    """Why ``path`` cannot be read as a submission file, in one line; None if it can.

    Never opens anything in a way that could block (a FIFO)."""
    try:
        st = path.lstat()
    except OSError as exc:
        return f"{path} does not exist" if exc.errno == errno.ENOENT else f"{path}: {exc.strerror}"
    if stat.S_ISLNK(st.st_mode):
        try:
            st = path.stat()
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return f"{path} is a symbolic link loop"
            return f"{path} is a symbolic link to nothing ({os.readlink(path)})"
    if stat.S_ISDIR(st.st_mode):
        return f"{path} is a folder, not a notebook"
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "not a regular file"
        return f"{path} is {kind}, not a notebook"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror}"
    os.close(fd)
    return None


def _entry_problem(path: Path) -> tuple[str, str] | None:
    """("unreadable", why) for an entry that is neither a readable file nor a folder."""
    try:
        st = path.lstat()
    except OSError as exc:
        return "unreadable", exc.strerror or str(exc)
    if stat.S_ISLNK(st.st_mode):
        try:
            st = path.stat()
        except OSError as exc:
            return "unreadable", (
                "a symbolic link loop" if exc.errno == errno.ELOOP else "a symbolic link to nothing"
            )
    if stat.S_ISDIR(st.st_mode):
        try:
            os.listdir(path)
        except OSError as exc:
            return "unreadable", f"cannot list the folder: {exc.strerror}"
        return None
    if not stat.S_ISREG(st.st_mode):
        return "unreadable", "a FIFO" if stat.S_ISFIFO(st.st_mode) else "not a regular file"
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
    except OSError as exc:
        return "unreadable", f"cannot read the file: {exc.strerror}"
    return None


def _pick_notebook(folder: Path) -> Path | None:
    """The notebook in a student's folder: the first ``.ipynb`` in sorted order, else the
    first ``.py``. Symbolic links and checkpoints are not considered."""
    files = []
    for root, dirs, names in os.walk(folder):  # os.walk follows no links
        dirs[:] = sorted(d for d in dirs if d != ".ipynb_checkpoints")
        for name in names:
            p = Path(root) / name
            try:
                if stat.S_ISREG(p.lstat().st_mode):
                    files.append(p)
            except OSError:
                continue
    files.sort()
    for suffix in NOTEBOOK_SUFFIXES:
        found = [p for p in files if p.suffix == suffix]
        if found:
            return found[0]
    return None


# ------------------------------------------------------------------ Gradescope exports


def _no_alias_loader() -> type:
    """yaml.SafeLoader that refuses aliases: Gradescope's metadata has none, and a few
    nested aliases expand to billions of nodes (an alias bomb)."""
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None, None, "YAML aliases are not allowed here", event.start_mark
                )
            return super().compose_node(parent, index)

    return NoAliasLoader


def _read_metadata(path: Path, shown: str) -> dict[str, dict]:
    """Gradescope's submission_metadata.yml: folder -> {name, email, sid}."""
    import yaml

    try:
        if path.stat().st_size > MAX_METADATA_BYTES:
            raise BatchError(
                f"{shown} is over {MAX_METADATA_BYTES >> 20} MB: not Gradescope's metadata"
            )
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_no_alias_loader()) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise BatchError(f"{shown} is not readable YAML: {reason}") from None
    out = {}
    for folder, entry in data.items() if isinstance(data, dict) else []:
        if not isinstance(entry, dict):
            continue
        submitters = entry.get(":submitters") or entry.get("submitters") or []
        people = (
            [s for s in submitters if isinstance(s, dict)] if isinstance(submitters, list) else []
        )
        names = "; ".join(str(s.get(":name") or s.get("name") or "") for s in people)
        emails = "; ".join(str(s.get(":email") or s.get("email") or "") for s in people)
        sids = [str(s.get(":sid") or s.get("sid") or "") for s in people]
        out[str(folder)] = {"name": names, "email": emails, "sid": next((x for x in sids if x), "")}
    return out


def export_root(folder: Path, wrapped: bool) -> Path | None:
    """Where an export's own ``submission_metadata.yml`` is: at ``folder``'s top level,
    or (``wrapped``: a zip) in the one folder the zip wraps everything in. Never deeper:
    a file of that name further down is some student's upload."""
    if (folder / METADATA).is_file():
        return folder
    if wrapped:
        tops = [p for p in folder.iterdir() if not p.name.startswith(".") and p.name != "__MACOSX"]
        if len(tops) == 1 and tops[0].is_dir() and (tops[0] / METADATA).is_file():
            return tops[0]
    return None


def _from_export(base: Path, shown: str, warnings: list[str]) -> list[Student]:
    meta = _read_metadata(base / METADATA, f"{shown}/{METADATA}")
    students = []
    folders: dict[str, Path] = {}
    unreadable: dict[str, Student] = {}  # a listed student's folder that cannot be read
    for entry in sorted(base.iterdir()):
        if entry.name == METADATA:
            continue
        problem = _entry_problem(entry)
        if problem is None and entry.is_dir():
            folders[entry.name] = entry
            continue
        status, why = problem or ("skipped", "not a submission folder")
        row = Student(
            safe_id(entry.name.removeprefix("submission_")),
            None,
            problem=why,
            source=f"{shown}/{entry.name}",
            status=status,
        )
        students.append(row)
        unreadable[entry.name] = row
    for folder, info in sorted(meta.items()):
        sid = safe_id(folder.removeprefix("submission_"))
        if folder in unreadable:  # its row says why; it gets the student's name
            unreadable[folder].name, unreadable[folder].email = info["name"], info["email"]
            warnings.append(f"{sid}: {folder} is {unreadable[folder].problem}")
            continue
        path = _pick_notebook(folders[folder]) if folder in folders else None
        missing = ""
        if path is None:
            missing = (
                f"no notebook in {folder}/"
                if folder in folders
                else f"{folder}/ is listed in the metadata but missing"
            )
            warnings.append(f"{sid}: {missing}")
        students.append(
            Student(sid, path, info["name"], info["email"], missing, f"{shown}/{folder}")
        )
    for folder in sorted(set(folders) - set(meta)):
        warnings.append(f"{folder}/ is not in {METADATA} (unknown student); graded anyway")
        path = _pick_notebook(folders[folder])
        sid = safe_id(folder.removeprefix("submission_"))
        students.append(
            Student(
                sid, path, problem="" if path else "no notebook found", source=f"{shown}/{folder}"
            )
        )
    return students


def _is_symlink_member(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def unpack_zip(path: Path, dest: Path) -> None:
    """Unpack a Gradescope export into ``dest``, refusing anything that is not a plain,
    honest archive: unsafe or duplicated names, links, encryption, bombs."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise BatchError(f"{path} is not a readable zip ({exc})") from None
    except OSError as exc:
        raise BatchError(f"cannot read {path}: {exc.strerror or exc}") from None
    with zf:
        members = zf.infolist()
        if len(members) > MAX_MEMBERS:
            raise BatchError(f"{path} has {len(members)} members (at most {MAX_MEMBERS})")
        seen: set[str] = set()
        total = 0
        root = dest.resolve()
        for m in members:
            name = m.filename
            key = unicodedata.normalize("NFC", name.rstrip("/")).casefold()
            if key in seen:
                raise BatchError(
                    f"{path} holds {name!r} twice: which one is the student's is unclear, "
                    "so nothing was graded (export it again)"
                )
            seen.add(key)
            target = (dest / name).resolve()
            if name.startswith("/") or not (target == root or root in target.parents):
                raise BatchError(f"{path} has an unsafe path {name!r}")
            if _is_symlink_member(m):
                raise BatchError(f"{path} has a symbolic link {name!r}; refusing it")
            if m.flag_bits & 0x1:
                raise BatchError(f"{path} is encrypted ({name!r}); export it without a password")
            total += m.file_size
            if m.file_size > RATIO_FLOOR_BYTES and m.file_size > MAX_RATIO * max(
                m.compress_size, 1
            ):
                raise BatchError(
                    f"{path}: {name!r} unpacks to {m.file_size >> 20} MB from "
                    f"{m.compress_size} bytes: a zip bomb, not a submission"
                )
        if total > MAX_UNZIPPED_BYTES:
            raise BatchError(
                f"{path} unpacks to {total >> 20} MB, over the {MAX_UNZIPPED_BYTES >> 30} GB cap"
            )
        try:
            for m in members:
                target = dest / m.filename
                if m.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                written = 0
                with zf.open(m) as src, open(target, "wb") as dst:
                    # the sizes in the directory were checked; the data must not exceed them
                    for block in iter(lambda: src.read(1 << 20), b""):
                        written += len(block)
                        if written > m.file_size:
                            raise BatchError(f"{path}: {m.filename!r} is larger than it says")
                        dst.write(block)
        except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as exc:
            raise BatchError(f"{path} is damaged or truncated ({exc})") from None
        except RuntimeError as exc:  # zipfile's "password required"
            raise BatchError(f"{path} cannot be unpacked: {exc}") from None
        except OSError as exc:
            full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
            hint = " (set TMPDIR to a folder with room)" if full else ""
            raise BatchError(
                f"cannot unpack {path} into {dest.parent}: {exc.strerror or exc}{hint}"
            ) from None


# ------------------------------------------------------------------------- collecting


def _from_folder(path: Path, warnings: list[str]) -> list[Student]:
    """A class folder: one notebook file or one folder per student; every other entry
    gets a row saying why it was not graded."""
    students = []
    for child in sorted(path.iterdir()):
        shown = str(child)
        problem = _entry_problem(child)
        if problem is not None:
            warnings.append(f"{shown}: {problem[1]}")
            students.append(
                Student(
                    safe_id(child.name), None, problem=problem[1], source=shown, status=problem[0]
                )
            )
        elif child.name.startswith(".") or child.name == "__MACOSX":
            hidden = Student(safe_id(child.name), None, problem="hidden entry", source=shown)
            hidden.status = "skipped"
            students.append(hidden)
        elif child.is_dir():
            nb = _pick_notebook(child)
            if nb is None:
                warnings.append(f"{child.name}/: no notebook found")
            students.append(
                Student(
                    safe_id(child.name), nb, problem="" if nb else "no notebook found", source=shown
                )
            )
        elif child.suffix in NOTEBOOK_SUFFIXES:
            students.append(Student(safe_id(child.stem), child, source=shown))
        else:
            students.append(
                Student(
                    safe_id(child.name),
                    None,
                    source=shown,
                    status="skipped",
                    problem=f"not a notebook ({child.suffix or 'no suffix'})",
                )
            )
    return students


def check_out_outside_inputs(paths: list[Path], out: Path) -> None:
    """Refuse an ``--out`` inside an input folder: its files would be graded as students
    (a student named ``grades``). Called before ``--out`` is made."""
    target = out.resolve()
    for path in paths:
        if path.is_dir():
            folder = path.resolve()
            if target == folder or folder in target.parents:
                raise BatchError(
                    f"--out {out} is inside the input {path}: its files would be graded as "
                    "students; put it elsewhere"
                )


def collect_students(
    paths: list[Path], scratch: Path, warnings: list[str], out: Path | None = None
) -> list[Student]:
    """Every submission named by ``paths`` (files, folders, export zips), one per student,
    plus a row for every entry that is not graded (see the module docstring). With
    ``out``, an ``--out`` inside an input is refused."""
    if out is not None:
        check_out_outside_inputs(paths, out)
    students: list[Student] = []
    seen_inputs: dict[str, Path] = {}
    for index, path in enumerate(paths):
        try:
            real = os.path.realpath(path)
        except OSError:
            real = str(path)
        if real in seen_inputs:
            warnings.append(f"{path} is listed twice (as {seen_inputs[real]}); graded once")
            continue
        seen_inputs[real] = path
        if not os.path.lexists(path):
            raise BatchError(f"{path} does not exist")
        problem = _entry_problem(path)
        if problem is not None:
            warnings.append(f"{path}: {problem[1]}")
            students.append(
                Student(
                    safe_id(path.name),
                    None,
                    problem=problem[1],
                    source=str(path),
                    status=problem[0],
                )
            )
        elif path.is_file() and path.suffix == ".zip":
            dest = scratch / f"{index:03d}-{safe_id(path.stem)}"  # one folder per zip
            dest.mkdir(parents=True)
            unpack_zip(path, dest)
            base = export_root(dest, wrapped=True)
            if base is None:
                raise BatchError(f"{path} has no {METADATA} (is it a Gradescope export?)")
            students += _from_export(base, str(path), warnings)
        elif path.is_dir() and export_root(path, wrapped=False) is not None:
            students += _from_export(path, str(path), warnings)
        elif path.is_dir():
            students += _from_folder(path, warnings)
        elif path.suffix in NOTEBOOK_SUFFIXES:
            students.append(Student(safe_id(path.stem), path, source=str(path)))
        else:
            raise BatchError(f"{path}: expected a notebook, a folder or a Gradescope export zip")
    return _one_row_per_file(students, warnings)


def _one_row_per_file(students: list[Student], warnings: list[str]) -> list[Student]:
    """Drop a second row for a file already collected; stop on two files, one id."""
    out: list[Student] = []
    by_file: dict[str, Student] = {}
    by_id: dict[str, Student] = {}
    for s in students:
        if s.path is not None:
            real = os.path.realpath(s.path)
            if real in by_file:
                warnings.append(
                    f"{s.source} is the file of {by_file[real].id} already; graded once"
                )
                continue
            by_file[real] = s
        if s.gradable:
            # ids are file names: two that differ only in case are one file on macOS
            key = s.id.casefold()
            if key in by_id:
                other = by_id[key]
                raise BatchError(
                    f"two submissions would be filed as student {s.id!r}: {other.source} and "
                    f"{s.source}; rename one of them (nothing was graded)"
                )
            by_id[key] = s
        out.append(s)
    return out
