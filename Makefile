# Course kit commands (see README):
#   make lab    - open the course in JupyterLab (creates .venv on first use), on the learner's copies in work/
#   make reset LESSON=01 - put one lesson of work/ back as the course ships it
#   make test   - lint (ruff, mypy) + unit tests + doctests + notebooks (nbval) + real-browser tests
#                 (first fetching the kubectl 1.37.1 and network-config-analyzer the tests compare with:
#                 scripts/ensure-kubectl, scripts/ensure-analyzer)
#   make clean  - remove the venv, caches and test artifacts
#   make fuzz   - the fuzzers with more operations than CI runs (FUZZ_OPS per fuzzer; not run by CI)
#   make lite       - build the course as a static JupyterLite site into lite/_output
#   make lite-serve - serve that site on http://127.0.0.1:$(LITE_PORT)/ (builds it if it is missing or stale)
#   make lite-test  - run lessons in that site in Chromium (LITE_LESSONS=00,01 by default; LITE_LESSONS=all)

PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check
LAB_ARGS ?=
PYTEST_ARGS ?=
# Operations per fuzzer in `make fuzz` (two fuzzers: the state machine and the random-operation driver).
FUZZ_OPS ?= 20000
# The learner's copy of the start page: make lab copies the lessons into work/ (kitlib/workcopy.py).
START_NOTEBOOK ?= work/00-start-here.ipynb
# JupyterLab's settings for the course (no news pop-up, no update check): the same file Binder installs.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.d/kitlib-course.json
# JupyterLab refuses to run as root (containers, CI machines) without this flag.
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

# Only lint/test the folders that exist, so a partial checkout still works.
RUFF_PATHS := $(wildcard kitlib tests benchmarks lite)
TEST_PATHS := $(wildcard tests notebooks)

# JupyterLite: its own build environment (lite/requirements.txt), the site in lite/_output.
LITE_VENV ?= lite/.venv
LITE_BIN := $(LITE_VENV)/bin
LITE_OUT := lite/_output
LITE_PORT ?= 8000
LITE_LESSONS ?= 00,01
# What the site is built from: a change to any of these makes lite-serve and lite-test rebuild it.
LITE_INPUTS := $(wildcard lite/*.py lite/*.json lite/*.txt notebooks/*.ipynb) pyproject.toml \
	$(shell find kitlib -name '*.py' -o -name '*.json' -o -name py.typed 2>/dev/null)

.PHONY: lab reset test venv install install-test lint fuzz clean lite lite-serve lite-test lite-site

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

venv: $(BIN)/python

# Stamp files: reinstall only when the project metadata changes (or kitlib/ first appears:
# an editable install made before the package existed cannot import it).
# JupyterLab is kitlib's `lab` extra (kitlib itself must stay installable inside JupyterLite).
$(VENV)/.installed: pyproject.toml $(wildcard kitlib/__init__.py) | $(BIN)/python
	$(PIP) install --quiet -e '.[lab]'
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(wildcard kitlib/__init__.py) | $(BIN)/python
	$(PIP) install --quiet -e '.[lab,test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

$(LAB_OVERRIDES): binder/overrides.json | $(BIN)/python
	mkdir -p $(dir $@)
	cp $< $@

# The file browser's root is the checkout (course/ is reachable); the server's configuration
# (binder/jupyter_server_config.json) keeps saves out of notebooks/ and widget views out of saves.
lab: install $(LAB_OVERRIDES)
	$(BIN)/python -m kitlib.workcopy
	JUPYTER_CONFIG_PATH=$(CURDIR)/binder $(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir=$(CURDIR) \
		$(START_NOTEBOOK) $(LAB_ARGS)

# Put one lesson of work/ back as the course ships it: make reset LESSON=01
reset: install
	$(BIN)/python -m kitlib.workcopy reset $(LESSON)

lint: install-test
	$(BIN)/ruff check $(RUFF_PATHS)
	$(BIN)/mypy

test: install-test
	bash scripts/ensure-chromium
	PYTHON=$(BIN)/python bash scripts/ensure-kubectl
	PYTHON=$(PY) bash scripts/ensure-analyzer
	$(BIN)/ruff check $(RUFF_PATHS)
	$(BIN)/mypy
	$(BIN)/python -m pytest kitlib --doctest-modules -q -p no:cacheprovider
	$(BIN)/python -m pytest $(TEST_PATHS) --ignore=tests/lite --nbval-lax --nbval-current-env -p no:cacheprovider $(PYTEST_ARGS)

fuzz: install-test
	KITLIB_FUZZ_OPS=$(FUZZ_OPS) $(BIN)/python -m pytest tests/test_fuzz_stateful.py tests/test_operations.py \
		-q -s -p no:cacheprovider $(PYTEST_ARGS)

$(LITE_BIN)/python:
	$(PY) -m venv $(LITE_VENV)
	$(LITE_BIN)/pip --disable-pip-version-check install --quiet --upgrade pip

$(LITE_VENV)/.installed: lite/requirements.txt lite/extensions.txt | $(LITE_BIN)/python
	$(LITE_BIN)/pip --disable-pip-version-check install --quiet -r lite/requirements.txt
	$(LITE_BIN)/pip --disable-pip-version-check install --quiet --no-deps -r lite/extensions.txt
	@touch $@

# Always builds (downloads are cached in lite/.cache); the GitHub Pages workflow runs this too.
lite: $(LITE_VENV)/.installed
	$(LITE_BIN)/python lite/build.py

# Builds only when an input changed since the last build.
$(LITE_OUT)/.built: $(LITE_VENV)/.installed $(LITE_INPUTS)
	$(LITE_BIN)/python lite/build.py

lite-site: $(LITE_OUT)/.built

lite-serve: lite-site
	$(LITE_BIN)/python lite/serve.py --port $(LITE_PORT)

lite-test: lite-site install-test
	bash scripts/ensure-chromium
	LITE_LESSONS=$(LITE_LESSONS) $(BIN)/python -m pytest tests/lite -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build artifacts .pytest_cache .hypothesis *.egg-info lite/.venv lite/.cache lite/_output
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -name .ipynb_checkpoints -type d -prune -exec rm -rf {} +
