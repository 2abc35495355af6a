# Hearth: two commands do all the set-up.
#   make run    create .venv, install everything, start the app
#   make test   the same set-up, then lint, types, import contracts and tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LLAMA_VERSION := 0.3.36

# llama-cpp-python is source-only on PyPI, so we compile llama.cpp here.
# The build must be portable: a shipped app runs on the user's CPU, not the builder's.
# llama.cpp's default (GGML_NATIVE=ON, i.e. -march=native) also enables the AMX kernels
# on Sapphire Rapids-class Xeons, and that build segfaults in llama_decode on every
# quantized model on our build machines. GGML_NATIVE=OFF compiles a portable x86-64
# baseline (SSE/AVX/AVX2/FMA/F16C are still used where the CPU reports them at build
# configuration for the generic variant) that runs quantized models everywhere we test.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF
# Built wheels are cached outside the clone, keyed by version and flags, so a fresh
# clone on the same machine reuses the ~6 minute compile, and pip's own wheel cache
# (which ignores CMAKE_ARGS) can never hand us a wheel built with other flags.
LLAMA_KEY := $(shell printf '%s' '$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS)' | sha256sum | cut -c1-12)
WHEEL_DIR ?= $(HOME)/.cache/hearth/wheels/llama-$(LLAMA_KEY)
STAMP := $(VENV)/.hearth-installed

.PHONY: run test setup lint typecheck pytest selftest bench bench-quick package screenshots clean

setup: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(WHEEL_DIR)/.built:
	mkdir -p "$(WHEEL_DIR)"
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
	  $(PYTHON) -m pip wheel --no-deps --no-binary llama-cpp-python \
	  "llama-cpp-python==$(LLAMA_VERSION)" -w "$(WHEEL_DIR)"
	touch "$@"

$(STAMP): pyproject.toml | $(BIN)/python $(WHEEL_DIR)/.built
	$(BIN)/pip install --quiet --find-links "$(WHEEL_DIR)" "llama-cpp-python==$(LLAMA_VERSION)"
	$(BIN)/pip install --quiet --find-links "$(WHEEL_DIR)" -e ".[dev]"
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

test: lint typecheck pytest selftest

bench: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m app bench $(ARGS)

bench-quick: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m app bench --quick $(ARGS)

# The double-click app: dist/Hearth/ (one folder), the frozen self-test, and on Linux a
# tarball with a .desktop file. MODEL=path/to.gguf bundles a model for air-gapped installs.
package: setup
	MODEL="$(MODEL)" PYTHON="$(BIN)/python" bash packaging/build.sh

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
