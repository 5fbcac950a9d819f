"""The Gradescope image: the engine wheel, the pinned versions, and the real ``setup.sh``.

Always run: the wheel and ``constraints.txt`` in the zip (reproducible, SPDX licence,
exact pins), and ``setup.sh``'s control flow against a stand-in interpreter (every install
uses the constraints; a torch index that cannot serve the wheel is one log line and a
retry on the default index).

Opt-in (``AUTOGRADE_WHEELHOUSE=/some/folder``, slow): the real ``setup.sh`` and
``run_autograder`` under a temporary root with pyenv's Python 3.10 and 3.12, offline: pip
sees only a local index made from the wheelhouse, and a dead proxy stops anything else.
The wheelhouse is filled once, online, by ``pip download`` run with each of those Pythons
(the only step that needs a network); later runs reuse it. With CUDA builds of torch (all
PyPI has for Linux) it holds about 4 GB, and each Python's venv about 5 GB while its test
runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from packaging.requirements import Requirement

from autograder.build import bundle
from autograder.build.bundle import build_assignment, read_zip

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(__file__).with_name("gradescope_results.schema.json")).read_text())
TORCH = "2.13.0"
PYTHONS = {
    "3.10": "/root/.pyenv/versions/3.10.13/bin/python",
    "3.12": "/root/.pyenv/versions/3.12.1/bin/python",
}


@pytest.fixture(scope="module")
def gs_build(demo_course, tmp_path_factory):
    return build_assignment(
        demo_course, demo_course.assignment("hw99"), tmp_path_factory.mktemp("d")
    )


# --------------------------------------------------------------------------- the zip


def test_the_zip_pins_the_verifying_environment(gs_build):
    files = read_zip(gs_build.gradescope_zip)
    text = files["constraints.txt"].decode()
    assert f"# verified-python: {sys.version.split()[0]}" in text
    pins = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            req = Requirement(line)  # every line is a valid requirement
            (spec,) = req.specifier
            assert spec.operator == "==", line
            pins[req.name] = (spec.version, req.marker)
    # the engine's direct dependencies and their closure, at the versions installed here
    from importlib import metadata

    for name in ("torch", "numpy", "nbformat", "pytest", "matplotlib", "pip", "jsonschema"):
        assert name in pins, name
        assert pins[name][0] == metadata.version(name).split("+")[0]
    assert pins["torch"][0] == TORCH  # the local label (+cpu) is dropped: 2.13.0 matches it
    # a release that does not support a Gradescope Python is pinned only where it does
    for name, (_, marker) in pins.items():
        requires_python = metadata.distribution(name).metadata["Requires-Python"]
        expected = bundle._requires_python_marker(requires_python)
        assert (str(marker) if marker else "") == expected, name
    assert "optim-autograder" not in pins and "ruff" not in pins  # no dev extras


def test_requires_python_markers():
    assert bundle._requires_python_marker(">=3.11") == 'python_version != "3.10"'
    assert bundle._requires_python_marker(">=3.10") == ""
    assert bundle._requires_python_marker(None) == ""
    assert bundle._requires_python_marker("<3.12,>=3.9") == " and ".join(
        f'python_version != "{v}"' for v in ("3.12", "3.13", "3.14")
    )


def test_the_engine_wheel_is_reproducible_and_declares_spdx_licence(gs_build, tmp_path):
    # two separate builds of one snapshot of the sources (the tree may change meanwhile)
    sources = tuple(sorted(bundle._engine_sources().items()))
    name, first = bundle._build_wheel.__wrapped__("", sources)
    _, second = bundle._build_wheel.__wrapped__("", sources)
    assert first == second
    assert f"wheels/{name}" in read_zip(gs_build.gradescope_zip)
    wheel = tmp_path / name
    wheel.write_bytes(first)
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "autograder/cli.py" in names and "autograder/templates/setup.sh" in names
    assert not any("__pycache__" in n for n in names)
    assert "License-Expression: MIT" in meta
    assert not re.search(r"^License: ", meta, re.M)  # no deprecated licence table
    assert 'Requires-Dist: tomli>=2.0; python_version < "3.11"' in meta


def test_pyproject_declares_spdx_licence_and_tomli():
    text = (REPO / "pyproject.toml").read_text()
    assert re.search(r'^license = "MIT"$', text, re.M)  # SPDX, not a table
    assert re.search(r"^requires = \[\"setuptools>=77\"\]$", text, re.M)
    assert "\"tomli>=2.0; python_version < '3.11'\"" in text  # spec.py imports it on 3.10


# --------------------------------------------------------------- setup.sh, stand-in

STUB = r"""#!/usr/bin/env bash
# A stand-in interpreter: records its arguments; pip fails for the index named in
# STUB_BAD_INDEX; `-m venv DIR` makes DIR/bin/python a copy of this script.
echo "$*" >>"$STUB_LOG"
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && exit 0
fi
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
    case " $* " in
        *" --index-url $STUB_BAD_INDEX "*)
            echo "Looking in indexes: $STUB_BAD_INDEX"
            echo "ERROR: Could not find a version that satisfies the requirement torch==2.13.0"
            exit 1;;
    esac
    exit 0
fi
if [ "$1" = "-c" ]; then echo "Python 3.10.99"; exit 0; fi
if [ "$1" = "-" ]; then cat >/dev/null; echo "setup.sh: 60 packages at their verified versions"; exit 0; fi
exit 0
"""


def _stub_setup(tmp_path: Path, gs_zip: Path, torch_index: str, bad_index: str) -> tuple:
    root = tmp_path / "root"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(gs_zip) as zf:
        zf.extractall(root / "source")
    stub = tmp_path / "python"
    stub.write_text(STUB)
    stub.chmod(0o755)
    log = tmp_path / "calls.log"
    env = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "AUTOGRADE_SETUP_PYTHON": str(stub),
        "AUTOGRADE_TORCH_INDEX": torch_index,
        "STUB_LOG": str(log),
        "STUB_BAD_INDEX": bad_index,
    }
    proc = subprocess.run(
        ["bash", str(root / "source" / "setup.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return proc, log.read_text().splitlines(), root


def test_setup_sh_installs_everything_with_the_constraints(gs_build, tmp_path):
    proc, calls, root = _stub_setup(tmp_path, gs_build.gradescope_zip, "file:///cpu", "none")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installs = [c for c in calls if c.startswith("-m pip install")]
    assert len(installs) == 3, calls  # pip itself, torch, the engine wheel
    constraints = f"-c {root}/source/constraints.txt"
    assert all(constraints in c for c in installs)
    assert "--upgrade pip" in installs[0]
    assert f"--no-deps --index-url file:///cpu torch=={TORCH}" in installs[1]
    assert re.search(r"source/wheels/optim_autograder-0\.1\.0-py3-none-any\.whl$", installs[2])
    assert "could not serve" not in proc.stdout
    assert "versions verified on " in proc.stdout
    assert (root / "source").stat().st_mode & 0o777 == 0o700
    assert not any("apt-get" in c for c in calls)


def test_setup_sh_falls_back_to_the_default_index_with_one_line(gs_build, tmp_path):
    proc, calls, root = _stub_setup(tmp_path, gs_build.gradescope_zip, "file:///cpu", "file:///cpu")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    said = [ln for ln in proc.stdout.splitlines() if "could not serve" in ln]
    assert len(said) == 1, proc.stdout
    assert said[0].startswith(
        f"setup.sh: file:///cpu could not serve torch=={TORCH} (ERROR: Could not find a version"
    )
    assert "installing it from the default index instead" in said[0]
    assert "Looking in indexes" not in proc.stdout + proc.stderr  # pip's noise stays out
    torch_installs = [c for c in calls if f"torch=={TORCH}" in c]
    assert len(torch_installs) == 2 and "--index-url" not in torch_installs[1]
    assert f"-c {root}/source/constraints.txt" in torch_installs[1]


def test_setup_sh_production_defaults_are_unchanged():
    text = (REPO / "autograder" / "templates" / "setup.sh").read_text()
    assert 'ROOT="${AUTOGRADER_ROOT:-/autograder}"' in text
    assert 'TORCH_INDEX="${AUTOGRADE_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"' in text
    assert f'TORCH_VERSION="{TORCH}"' in text
    assert "apt-get install -y -q --no-install-recommends python3 python3-venv python3-pip" in text
    subprocess.run(["bash", "-n", str(REPO / "autograder" / "templates" / "setup.sh")], check=True)


# ------------------------------------------------------------ setup.sh, for real

WHEELHOUSE = os.environ.get("AUTOGRADE_WHEELHOUSE")


def _fill_wheelhouse(wheelhouse: Path, python: str, constraints: Path, wheel: Path) -> None:
    """Download, with ``python`` itself (so that markers are its own), every wheel that
    setup.sh will ask for. Online, once per Python and constraints file."""
    key = hashlib.sha256(constraints.read_bytes() + python.encode()).hexdigest()[:16]
    stamp = wheelhouse / f".filled-{key}"
    if stamp.exists():
        return
    wheelhouse.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--only-binary=:all:",
            "--dest",
            str(wheelhouse),
            "-c",
            str(constraints),
            "pip",
            f"torch=={TORCH}",
            str(wheel),
        ],
        check=True,
        timeout=3000,
    )
    (wheelhouse / wheel.name).unlink(missing_ok=True)  # the zip's own copy is installed
    stamp.touch()


def _simple_index(wheelhouse: Path, dest: Path) -> str:
    """A PEP 503 index (``file://``) over the wheelhouse: what pip sees as an index."""
    projects: dict[str, list[Path]] = {}
    for whl in sorted(wheelhouse.glob("*.whl")):
        name = re.sub(r"[-_.]+", "-", whl.name.split("-")[0]).lower()
        projects.setdefault(name, []).append(whl)
    for name, files in projects.items():
        (dest / name).mkdir(parents=True, exist_ok=True)
        links = "".join(f'<a href="file://{f}">{f.name}</a>\n' for f in files)
        (dest / name / "index.html").write_text(f"<html><body>\n{links}</body></html>\n")
    (dest / "index.html").write_text(
        "<html><body>\n"
        + "".join(f'<a href="{n}/">{n}</a>\n' for n in sorted(projects))
        + "</body></html>\n"
    )
    return dest.as_uri()


def _offline_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    env.pop("PYTHONPATH", None)
    env.update(
        PIP_CONFIG_FILE=os.devnull,  # not this machine's pip.conf (its indexes, its wheels)
        PIP_NO_CACHE_DIR="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        # anything that still tries the network meets a closed port
        http_proxy="http://127.0.0.1:9",
        https_proxy="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
        **extra,
    )
    return env


@pytest.mark.slow
@pytest.mark.skipif(not WHEELHOUSE, reason="opt-in: set AUTOGRADE_WHEELHOUSE to a folder")
@pytest.mark.parametrize(
    "version, torch_index_ok",
    # 3.10 installs torch from the "CPU index" (the local one), 3.12 meets an index that
    # cannot serve it and falls back to the default index
    [("3.10", True), ("3.12", False)],
)
def test_real_setup_sh_and_run_autograder(gs_build, tmp_path, version, torch_index_ok):
    python = PYTHONS[version]
    if not Path(python).exists():
        pytest.skip(f"no {python}")
    files = read_zip(gs_build.gradescope_zip)
    constraints = tmp_path / "constraints.txt"
    constraints.write_bytes(files["constraints.txt"])
    (wheel_name,) = [n for n in files if n.startswith("wheels/")]
    wheel = tmp_path / Path(wheel_name).name
    wheel.write_bytes(files[wheel_name])
    wheelhouse = Path(WHEELHOUSE)
    _fill_wheelhouse(wheelhouse, python, constraints, wheel)
    index = _simple_index(wheelhouse, tmp_path / "simple")

    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(gs_build.gradescope_zip) as zf:
        zf.extractall(root / "source")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    env = _offline_env(
        AUTOGRADER_ROOT=str(root),
        AUTOGRADE_SETUP_PYTHON=python,
        AUTOGRADE_TORCH_INDEX=index if torch_index_ok else (tmp_path / "no-index").as_uri(),
        PIP_INDEX_URL=index,
    )
    try:
        setup = subprocess.run(
            ["bash", str(root / "source" / "setup.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        log = setup.stdout + setup.stderr
        print(log)
        assert setup.returncode == 0, log[-4000:]
        assert f"setup.sh: Python {version}." in log
        assert re.search(r"versions verified on Python 3\.\d+\.\d+\n", log)
        assert re.search(r"^setup\.sh: \d+ packages at their verified versions", log, re.M)
        assert f"setup.sh: torch {TORCH}" in log
        fallback = [ln for ln in log.splitlines() if "could not serve" in ln]
        assert len(fallback) == (0 if torch_index_ok else 1), log
        assert (root / "venv" / "bin" / "python").exists()

        def grade(notebook: Path) -> tuple[dict, str]:
            for old in (root / "submission").iterdir():
                old.unlink()
            shutil.copy(notebook, root / "submission" / notebook.name)
            proc = subprocess.run(
                [str(root / "source" / "run_autograder")],
                env={k: v for k, v in env.items() if k != "AUTOGRADE_SETUP_PYTHON"},
                capture_output=True,
                text=True,
                timeout=600,
            )
            results = json.loads((root / "results" / "results.json").read_text())
            jsonschema.validate(results, SCHEMA)
            return results, proc.stdout

        results, out = grade(gs_build.instructor_notebook)
        assert results["score"] == 100, out
        assert "[autograde] hw99_demo: graded submission/" in out
        with zipfile.ZipFile(gs_build.student_zip) as zf:
            zf.extract("hw99_demo.ipynb", tmp_path / "student")
        results, out = grade(tmp_path / "student" / "hw99_demo.ipynb")
        assert results["score"] == 0, out
        assert all("not implemented" in t["output"] for t in results["tests"])
        assert not list((root / "source").rglob("__pycache__"))
    finally:
        shutil.rmtree(root / "venv", ignore_errors=True)  # gigabytes
