# The two commands of the README: `make run` and `make test`.
# Both create the virtual environment .venv on first use and install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test setup setup-test system bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet -e .

setup-test: $(BIN)/python system
	$(BIN)/pip install --quiet -e '.[test]'

system:
	bash scripts/install-system-packages.sh

run: setup
	$(BIN)/zhagen run

# One pytest worker per core; a test file stays in one worker (its session fixtures are built once).
test: setup-test
	$(BIN)/python -m pytest -n auto --dist loadfile

bench: setup-test
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) zhagen-out .pytest_cache .hypothesis
