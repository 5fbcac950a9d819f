#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (Ubuntu 22.04
# with Python 3.10, or 24.04 with Python 3.12). With pip only, into a virtual environment,
# it installs the versions that `autograde build` verified (constraints.txt): torch
# 2.13.0, CPU build, from PyTorch's CPU index, then the engine's wheel (wheels/) and its
# dependencies. Then it locks the reference solution and hidden tests away from the
# unprivileged uids that student code runs as (64000-64255, no accounts needed).
#
# On Gradescope no variable is set. Tests set these to run it under a temporary root,
# offline (pip's own PIP_INDEX_URL / PIP_CONFIG_FILE then choose the default index):
#   AUTOGRADER_ROOT         instead of /autograder
#   AUTOGRADE_SETUP_PYTHON  the interpreter to make the venv with (then apt-get is skipped)
#   AUTOGRADE_TORCH_INDEX   instead of https://download.pytorch.org/whl/cpu
set -euo pipefail

TORCH_VERSION="2.13.0"
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="$ROOT/venv"
TORCH_INDEX="${AUTOGRADE_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"
PYTHON="${AUTOGRADE_SETUP_PYTHON:-}"
CONSTRAINTS="$SOURCE/constraints.txt"
started=$SECONDS

log() { echo "setup.sh: $*"; }

if [ -z "$PYTHON" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends python3 python3-venv python3-pip
    PYTHON=python3
fi
"$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
log "$("$PY" -c 'import platform; print("Python", platform.python_version())'), \
$(grep -m1 '^# verified-python:' "$CONSTRAINTS" | sed 's/^# verified-python: /versions verified on Python /')"
pip_install() { "$PY" -m pip install --quiet --disable-pip-version-check -c "$CONSTRAINTS" "$@"; }

pip_install --upgrade pip
# torch alone from the CPU index (--no-deps: its dependencies come from the default index
# below, at the verified versions). If that index cannot serve it, the default index.
tried="$(mktemp)"
if ! pip_install --no-deps --index-url "$TORCH_INDEX" "torch==$TORCH_VERSION" >"$tried" 2>&1; then
    why="$(grep -m1 -E '^ERROR' "$tried" || tail -n1 "$tried")"
    log "$TORCH_INDEX could not serve torch==$TORCH_VERSION ($why); installing it from the default index instead (on Linux x86_64 that is the CUDA build: gigabytes more, the same results)"
    pip_install --no-deps "torch==$TORCH_VERSION"
fi
rm -f "$tried"
pip_install "$SOURCE"/wheels/optim_autograder-*.whl
"$PY" -m pip check --disable-pip-version-check >/dev/null

# What was installed against what was verified: one line.
"$PY" - "$CONSTRAINTS" <<'EOF'
import re
import sys
from importlib import metadata

pins = {}
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"([A-Za-z0-9._-]+)==([^\s;]+)", line.strip())
    if m:
        pins[re.sub(r"[-_.]+", "-", m[1]).lower()] = m[2]
other = []
for name, want in sorted(pins.items()):
    try:
        got = metadata.version(name).split("+")[0]
    except metadata.PackageNotFoundError:
        continue
    if got != want:
        other.append(f"{name} {got} (verified {want})")
same = len(pins) - len(other)
print(
    f"setup.sh: {same} packages at their verified versions"
    + (f"; not available for this Python, chosen by pip: {', '.join(other)}" if other else "")
)
EOF

chmod 700 "$SOURCE"
chmod +x "$SOURCE/run_autograder"
"$PY" -c "import torch, autograder; print('setup.sh: torch', torch.__version__, 'autograder', autograder.__version__)"
log "done in $((SECONDS - started)) s"
