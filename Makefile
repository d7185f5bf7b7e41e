# The course's two commands: `make book` and `make test`. Both set everything up on a fresh machine.
# The interpreter for .venv: the first of python3.11, 3.12, 3.13, 3.10, python3 that runs and is
# Python 3.10 to 3.13 (the course is tested on 3.11). `make book PYTHON=/path/to/python3.x` overrides.
SUPPORTED_PYTHON := import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 13))
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in python3.11 python3.12 python3.13 python3.10 python3; do \
            $$p -c '$(SUPPORTED_PYTHON)' >/dev/null 2>&1 && { echo $$p; break; }; done)
endif
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.ready
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Where pip takes torch from when set, e.g. TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu for the
# CPU-only build; unset, torch comes from pip's default index like every other requirement (see README).
TORCH_INDEX_URL ?=
TORCH_PIN = $(shell grep -E '^torch==' requirements.txt)
# the checked outputs are stored with one thread (see start_notebook)
export TORCH_NUM_THREADS ?= 1
# chapters executed side by side, one kernel (on one thread) per core
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# test processes side by side (pytest-xdist). The non-live tests, Chromium's work included, took 772 s
# one after another on 2 cores, 414 s with one process a core (a sixth of the CPU still idle, waiting
# for pages) and 360-412 s with two a core (both cores busy). The quick numeric tests compute all the
# time: one a core (94 s; 154 s with two a core).
TEST_JOBS ?= $(shell echo $$(( 2 * $(JOBS) )))

.PHONY: book test unit notebooks live colab chromium npm lab outputs clean

$(READY): requirements.txt pyproject.toml
	@[ -n "$(PYTHON)" ] || { echo "No Python 3.10 to 3.13 found (looked for python3.11, python3.12, python3.13," \
	  "python3.10, python3). Install one, e.g. apt-get install python3.12 python3.12-venv, or name it:" \
	  "make book PYTHON=/path/to/python3.x" >&2; exit 1; }
	@$(PYTHON) -c '$(SUPPORTED_PYTHON)' || { echo "PYTHON=$(PYTHON) is not Python 3.10 to 3.13:" \
	  "name another, e.g. make book PYTHON=python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip
	$(if $(TORCH_INDEX_URL),$(BIN)/pip install --quiet --index-url $(TORCH_INDEX_URL) "$(TORCH_PIN)")
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(READY)

# The chapters that changed since the last build execute first, $(JOBS) side by side; the site is then
# built from that cache (book/_ext/chapter_cache.py: a change in helpers/ or the pins runs them all).
# FRESH=--fresh executes every chapter again (make test does).
book: $(READY)
	$(BIN)/python book/_ext/chapter_cache.py --jobs $(JOBS) $(FRESH)
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "The book is built: open $(CURDIR)/_build/html/index.html"

# Headless Chromium for the browser tests: Debian's package, never a browser Playwright downloads.
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

# The site's pinned npm packages (package.json, package-lock.json): the partial plotly.js bundles and the
# MathJax the book build serves or runs, and axe-core for the browser tests. Debian's npm when missing.
npm: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm; }
	npm ci --no-audit --no-fund --ignore-scripts

# The chapters run twice, on two CPU code paths, and both runs must reproduce the stored checks: the
# book build executes them afresh on this CPU's own kernels (tests/test_executed_checks.py compares its
# outputs with the stored ones), then the live JupyterLab test runs them again, on ATen's generic
# kernels and MKL's compatible path, the stand-in for another CPU (see GENERIC_CPU), and compares the
# notebooks it saves the same way. The quick numeric tests run on both paths too.
GENERIC_CPU := ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE

test: FRESH := --fresh
test: npm book chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n $(TEST_JOBS) --durations=12 -m "not live and not colab"   # unit, site, browser, launch tests, the build's checks
	$(GENERIC_CPU) $(BIN)/python -m pytest -q -n $(JOBS) -m "not site and not launch and not live and not colab and not build" tests
	$(GENERIC_CPU) $(BIN)/python -m pytest -q -m live tests   # every chapter live, its checks on the generic path

# nbval on both CPU code paths, without building the book (after `make outputs`).
notebooks: $(READY)
	$(BIN)/python -m pytest -q book
	$(GENERIC_CPU) $(BIN)/python -m pytest -q book

# The quick tests: not those that need the built site, the launch tests (they build fresh venvs), the
# small-book build test or the live test (every chapter in JupyterLab; `make live` runs it alone, printing each redraw's time).
unit: $(READY)
	$(BIN)/python -m pytest tests -q -n $(JOBS) -m "not site and not launch and not live and not build"

# Every chapter in JupyterLab in headless Chromium: Run All, then a control of every explorer moves
# (on the generic CPU path, as make test runs it).
live: $(READY) chromium
	$(GENERIC_CPU) $(BIN)/python -m pytest -q -s -m live tests

# Every chapter with an explorer, alone, in an environment with Colab's preinstalled versions.
colab: $(READY)
	$(BIN)/python -m pytest -q -m colab tests

# Open the chapters live in JupyterLab (requirements.txt pins it). The reader's
# kernels get all cores: the one-thread default above is for the build and the tests only.
lab: $(READY)
	$(if $(filter file,$(origin TORCH_NUM_THREADS)),env -u TORCH_NUM_THREADS) $(BIN)/jupyter lab book/

# Re-execute the chapters and keep only the outputs that nbval checks (run after editing a chapter).
outputs: $(READY)
	$(BIN)/python tests/store_checked_outputs.py book/*.ipynb

clean:
	rm -rf _build
