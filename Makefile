# Course kit commands (see README):
#   make lab    - open the course in JupyterLab (creates .venv on first use)
#   make test   - lint (ruff, mypy) + unit tests + doctests + notebooks (nbval) + real-browser tests
#                 (first fetching the kubectl 1.37.1 the tests compare with: scripts/ensure-kubectl)
#   make clean  - remove the venv, caches and test artifacts
#   make fuzz   - the fuzzers with more operations than CI runs (FUZZ_OPS per fuzzer; not run by CI)

PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check
LAB_ARGS ?=
PYTEST_ARGS ?=
# Operations per fuzzer in `make fuzz` (two fuzzers: the state machine and the random-operation driver).
FUZZ_OPS ?= 20000
START_NOTEBOOK ?= notebooks/00-start-here.ipynb
# JupyterLab refuses to run as root (containers, CI machines) without this flag.
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

# Only lint/test the folders that exist, so a partial checkout still works.
RUFF_PATHS := $(wildcard kitlib tests benchmarks)
TEST_PATHS := $(wildcard tests notebooks)

.PHONY: lab test venv install install-test lint fuzz clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

venv: $(BIN)/python

# Stamp files: reinstall only when the project metadata changes (or kitlib/ first appears:
# an editable install made before the package existed cannot import it).
$(VENV)/.installed: pyproject.toml $(wildcard kitlib/__init__.py) | $(BIN)/python
	$(PIP) install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(wildcard kitlib/__init__.py) | $(BIN)/python
	$(PIP) install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

lab: install
	$(BIN)/jupyter lab $(ROOT_FLAG) $(START_NOTEBOOK) $(LAB_ARGS)

lint: install-test
	$(BIN)/ruff check $(RUFF_PATHS)
	$(BIN)/mypy

test: install-test
	bash scripts/ensure-chromium
	PYTHON=$(BIN)/python bash scripts/ensure-kubectl
	$(BIN)/ruff check $(RUFF_PATHS)
	$(BIN)/mypy
	$(BIN)/python -m pytest kitlib --doctest-modules -q -p no:cacheprovider
	$(BIN)/python -m pytest $(TEST_PATHS) --nbval-lax --nbval-current-env -p no:cacheprovider $(PYTEST_ARGS)

fuzz: install-test
	KITLIB_FUZZ_OPS=$(FUZZ_OPS) $(BIN)/python -m pytest tests/test_fuzz_stateful.py tests/test_operations.py \
		-q -s -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build artifacts .pytest_cache .hypothesis *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -name .ipynb_checkpoints -type d -prune -exec rm -rf {} +
