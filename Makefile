# Hearth: two commands do all the set-up.
#   make run    create .venv, install everything, start the app
#   make test   the same set-up, then lint, types, import contracts and tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LLAMA_VERSION := 0.3.36

# llama-cpp-python is source-only on PyPI, so we compile llama.cpp here, once per machine:
# scripts/build_llama.sh builds a wheel cached in ~/.cache/hearth/wheels (keyed by version
# and flags) and prints its path. The build must be portable, because a shipped app runs on
# the user's CPU, not the builder's: -march=native (llama.cpp's default) would tie it to
# this machine, and on AMX Xeons it also enables AMX kernels that segfault in llama_decode
# on quantized models. So ggml is built with one CPU module per x86 generation
# (GGML_BACKEND_DL + GGML_CPU_ALL_VARIANTS); at run time ggml scores them against the CPU
# and loads the best. The AMX module is removed from the wheel. docs/BUILD.md has the why
# and the measurements (about 2x faster prompt processing than a GGML_NATIVE=OFF build).
STAMP := $(VENV)/.hearth-installed

.PHONY: run test test-sysdeps setup lint typecheck pytest selftest bench bench-quick package screenshots clean

setup: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml scripts/build_llama.sh | $(BIN)/python
	WHEEL=$$(LLAMA_VERSION=$(LLAMA_VERSION) PYTHON=$(PYTHON) bash scripts/build_llama.sh) && \
	  $(BIN)/pip install --quiet --force-reinstall --no-deps "$$WHEEL" && \
	  $(BIN)/pip install --quiet "$$WHEEL[server]"
	$(BIN)/pip install --quiet -e ".[dev]"
	touch "$@"

run: setup
	$(BIN)/python -m app $(ARGS)

lint: setup
	$(BIN)/ruff check app tests scripts packaging
	$(BIN)/ruff format --check app tests scripts packaging

typecheck: setup
	$(BIN)/mypy app/core
	$(BIN)/lint-imports

pytest: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

selftest: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m app --self-test

# Test-only system tools, from the distribution: a browser and its driver for the web page
# test, strace for the OS-level privacy test. Without them those tests skip and say why.
test-sysdeps:
	@if ! command -v chromedriver >/dev/null || ! command -v strace >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium chromium-driver strace >/dev/null; \
	  else echo "note: install chromium, chromium-driver and strace for the browser and OS privacy tests"; fi; \
	fi

test: lint typecheck test-sysdeps pytest selftest

bench: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m app bench $(ARGS)

bench-quick: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m app bench --quick $(ARGS)

# PNGs of the real window under Xvfb (both themes, both languages) into docs/screenshots/.
screenshots: setup
	$(BIN)/python scripts/screenshots.py

# The double-click app: dist/Hearth/ (one folder), the frozen self-test, and on Linux a
# tarball with a .desktop file. MODEL=path/to.gguf bundles a model for air-gapped installs.
package: setup
	MODEL="$(MODEL)" PYTHON="$(BIN)/python" bash packaging/build.sh

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
