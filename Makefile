# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test lint typecheck pytest desktop bench schema clean

run: $(VENV)/.installed
	$(BIN)/chinwag serve $(ARGS)

desktop: $(VENV)/.installed
	$(BIN)/chinwag desktop $(ARGS)

test: $(VENV)/.dev-installed lint typecheck pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

pytest: $(VENV)/.dev-installed
	$(BIN)/python -m pytest $(ARGS)

bench: $(VENV)/.bench-installed
	$(BIN)/chinwag bench all $(ARGS)

schema: $(VENV)/.installed
	$(BIN)/python -m chinwag.protocol.schema > docs/protocol.schema.json

$(VENV)/.created:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "chinwag needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@touch $@

$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.bench-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

clean:
	rm -rf $(VENV) build dist src/*.egg-info .mypy_cache .pytest_cache .ruff_cache
