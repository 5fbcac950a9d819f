#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image.
# It installs a pinned CPU build of torch and this package into a virtual environment
# (pip only, no conda), creates the unprivileged user that student code runs as, and
# locks the reference solution and hidden tests away from that user.
set -euo pipefail

TORCH_VERSION="2.13.0"
SOURCE=/autograder/source
VENV=/autograder/venv

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends python3 python3-venv python3-pip

python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet "torch==${TORCH_VERSION}" --index-url https://download.pytorch.org/whl/cpu
"$VENV/bin/pip" install --quiet "$SOURCE"

# Student code runs as unprivileged uids 64000-64255 (no accounts needed). Root only:
# the reference library, hidden tests and salts. The sandbox uids can still run the
# interpreter and the installed package in $VENV.
chmod 700 "$SOURCE"
chmod +x "$SOURCE/run_autograder"
"$VENV/bin/python" -c "import torch, autograder; print('torch', torch.__version__)"
