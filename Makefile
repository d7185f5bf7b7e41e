# The course's two commands: `make book` and `make test`. Both set everything up on a fresh machine.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.ready
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export TORCH_NUM_THREADS ?= 1   # the checked outputs are stored with one thread (see start_notebook)

.PHONY: book test unit notebooks site-tests chromium lab outputs clean

$(READY): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(READY)

book: $(READY)
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "The book is built: open $(CURDIR)/_build/html/index.html"

# Headless Chromium for the browser tests: Debian's package, never a browser Playwright downloads.
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

test: book chromium
	$(BIN)/python -m pytest -q   # testpaths: tests/ and nbval on book/

unit: $(READY)
	$(BIN)/python -m pytest tests -q -m "not site"

# Open the chapters live in JupyterLab (installs it into the course's environment).
lab: $(READY)
	$(BIN)/pip install --quiet jupyterlab==4.4.10
	$(BIN)/jupyter lab book/

# Re-execute the chapters and keep only the outputs that nbval checks (run after editing a chapter).
outputs: $(READY)
	$(BIN)/python tests/store_checked_outputs.py book/*.ipynb

clean:
	rm -rf _build
