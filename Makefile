# rethink: build the book and run the tests.
#   make book        experiments (cpu profile) + Jupyter Book, offline, warnings are errors
#   make test        every test, including notebook, training and headless-browser ones
#   make test-fast   unit tests only (seconds)
#   make venv | setup-system | clean
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PROFILE ?= cpu
SYSTEM_PACKAGES := dataset-fashion-mnist chromium chromium-driver

.PHONY: venv setup-system book test test-fast clean

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

book: setup-system venv
	@if $(PY) -c "import importlib.util as u, sys; sys.exit(u.find_spec('rethink_lib.make_runs') is None)"; then \
		echo "$(PY) -m rethink_lib.make_runs --profile $(PROFILE)"; \
		$(PY) -m rethink_lib.make_runs --profile $(PROFILE); \
	else \
		echo "book: no rethink_lib.make_runs yet; the notebooks run what they need"; \
	fi
	$(VENV)/bin/jupyter-book build . --all -W -n --keep-going  # --all: the cache keys on code, not on results/

test: setup-system venv
	$(VENV)/bin/pytest -q

test-fast: venv
	$(VENV)/bin/pytest -q -m "not slow and not book and not browser"

# Removes build outputs only: results/, data/ and checkpoints are kept.
clean:
	rm -rf _build .pytest_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
