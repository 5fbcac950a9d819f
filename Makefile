# Two commands set everything up on a fresh machine: `make dist` and `make test`.
# Both create the virtual environment first if it is missing.

# `make test PYTHON=python3.12` builds and uses a virtual environment of its own
# (.venv-python3.12), so that several Python versions can be tried side by side.
ifeq ($(origin PYTHON),command line)
VENV        ?= .venv-$(notdir $(PYTHON))
endif
VENV        ?= .venv
# Prefer the system interpreter (any Python >= 3.10 works; the sandbox reaches one under
# a folder other users cannot enter, such as pyenv's under /root, through a mount).
PYTHON      ?= $(shell if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then echo /usr/bin/python3; else command -v python3; fi)
TORCH       ?= torch==2.13.0
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
OUT         ?= dist
JOBS        ?= auto

.PHONY: venv dist test test-fast lint format bench matrix mutants clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, pinned, so nothing later pulls a CUDA build
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e '.[dev,otter]'
	touch $(STAMP)

dist: $(STAMP)
	$(PY) -m autograder build --all --verify --out $(OUT)

test: $(STAMP)
	$(PY) -m pytest -q -n auto

# The quick loop while editing: everything but the tests marked slow (otter round trips,
# sharded batches, planted-bug runs).
test-fast: $(STAMP)
	$(PY) -m pytest -q -n auto -m "not slow"

lint: $(STAMP)
	$(PY) -m ruff check autograder solutions tests assignments student_template
	$(PY) -m ruff format --check autograder solutions tests assignments student_template
	$(PY) -m mypy

format: $(STAMP)
	$(PY) -m ruff format autograder solutions tests assignments student_template
	$(PY) -m ruff check --fix autograder solutions tests assignments student_template

bench: $(STAMP)
	$(PY) -m autograder.tools.bench

# Every solution notebook, student template and tests/submissions/ notebook, graded under
# emulated CPUs (MKL and ATen kernels, thread counts): the same, expected score under all.
# MATRIX=full (16 settings, about 10 minutes on 2 cores) or ci (4 settings).
MATRIX      ?= full
matrix: $(STAMP)
	$(PY) -m autograder.tools.matrix --settings $(MATRIX)

# Mutation score of every hidden suite, per question (docs/mutants.md): a report like
# bench, not part of `make test`. ONLY=hw03 (or "hw03 --limit 40 --jobs 2") narrows it.
mutants: $(STAMP)
	$(PY) -m autograder.tools.mutants $(ONLY)

clean:
	rm -rf $(OUT) build *.egg-info .pytest_cache .mypy_cache
