# The two set-up commands of the README. Only python3 and make are needed: everything else is
# installed into .venv from the package index.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: install hookconform and run its main job on the built-in default
demo: $(STAMP)
	$(BIN)/hookconform specs list
	$(BIN)/hookconform specs validate

## test: lint with ruff, then run the whole test suite
test: lint
	$(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache .hypothesis
