# The two commands of the quick start: `make run` and `make test`.
#
# Every install comes from the lock in requirements/ (exact versions, hash-checked), so a
# fresh clone installs today what it will install next month. `make lock` refreshes it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
REQ := requirements
ARGS ?=

.PHONY: run test lint typecheck pytest reliability desktop bench schema lock clean

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

# The reliability suite (tests/reliability, which `make test` runs at small sizes) at its
# larger sizes; the figures go to benchmarks/results/reliability.json and into the tables
# of docs/reliability.md, even when a test fails (the make still fails then). PostgreSQL
# and Redis come from CHINWAG_TEST_POSTGRES_URL and CHINWAG_TEST_REDIS_URL, as for the tests.
RELIABILITY_OUT := benchmarks/results/reliability.json
reliability: $(VENV)/.dev-installed
	CHINWAG_RELIABILITY=large CHINWAG_RELIABILITY_OUT=$(RELIABILITY_OUT) \
		$(BIN)/python -m pytest tests/reliability $(ARGS); \
	status=$$?; \
	$(BIN)/python -m tests.reliability.report $(RELIABILITY_OUT) docs/reliability.md && exit $$status

bench: $(VENV)/.bench-installed
	$(BIN)/chinwag bench all $(ARGS)

schema: $(VENV)/.installed
	$(BIN)/python -m chinwag.protocol.schema > docs/protocol.schema.json

# -- installing from the lock ---------------------------------------------------------
# Each stamp depends on the lock files it installed, so a changed lock (a pull, or
# `make lock`) reinstalls. pip and setuptools (the build backend) come from the lock
# too: the editable install builds with the locked setuptools (--no-build-isolation)
# instead of fetching whatever setuptools is newest into an isolated build.

$(VENV)/.created:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "chinwag needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	@touch $@

$(VENV)/.bootstrapped: $(VENV)/.created $(REQ)/bootstrap.txt
	$(PIP) install --quiet --require-hashes -r $(REQ)/bootstrap.txt
	@touch $@

$(VENV)/.installed: $(VENV)/.bootstrapped $(REQ)/runtime.txt pyproject.toml
	$(PIP) install --quiet --require-hashes -r $(REQ)/runtime.txt
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	$(PIP) check
	@touch $@

$(VENV)/.bench-installed: $(VENV)/.installed $(REQ)/bench.txt
	$(PIP) install --quiet --require-hashes -r $(REQ)/bench.txt
	$(PIP) check
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.installed $(REQ)/dev.txt
	$(PIP) install --quiet --require-hashes -r $(REQ)/dev.txt
	$(PIP) check
	@touch $@

# -- making the lock --------------------------------------------------------------------
# uv resolves once for every platform (--universal: Linux, macOS and Windows, every
# Python that pyproject.toml allows) from PyPI alone: no uv.toml or pip.conf is read and
# every UV_* variable is unset, so the lock is the same on any machine. The inputs are
# pyproject.toml's dependencies and extras and its [build-system] requires (plus pip);
# runtime.txt constrains dev.txt and bench.txt, so a package shared by two files has
# the same version in both. By default everything moves to the newest version allowed;
# `make lock LOCK_ARGS=` only adds and drops what pyproject.toml changed, and
# `make lock LOCK_ARGS="--upgrade-package msgspec"` moves one package.
UV_VERSION := 0.13.9
LOCK_INDEX := https://pypi.org/simple
LOCK_PYTHON := $(shell sed -n 's/^requires-python = ">=\([0-9.]*\)"$$/\1/p' pyproject.toml)
LOCK_ARGS ?= --upgrade
COMPILE = env $$(env | sed -n 's/^\(UV_[A-Z_]*\)=.*/-u \1/p') $(BIN)/uv pip compile \
	--quiet --no-config --universal --python-version $(LOCK_PYTHON) \
	--index-url $(LOCK_INDEX) --generate-hashes \
	--custom-compile-command 'make lock' $(LOCK_ARGS)

lock: $(VENV)/.uv-$(UV_VERSION)
	@test -n "$(LOCK_PYTHON)" || { echo 'no requires-python = ">=X.Y" in pyproject.toml'; exit 1; }
	@mkdir -p $(REQ)
	{ echo pip; $(BIN)/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")'; } \
		| $(COMPILE) - -o $(REQ)/bootstrap.txt
	$(COMPILE) pyproject.toml -c $(REQ)/bootstrap.txt -o $(REQ)/runtime.txt
	$(COMPILE) pyproject.toml --extra dev -c $(REQ)/bootstrap.txt -c $(REQ)/runtime.txt \
		-o $(REQ)/dev.txt
	$(COMPILE) pyproject.toml --extra bench -c $(REQ)/bootstrap.txt -c $(REQ)/runtime.txt \
		-o $(REQ)/bench.txt

$(VENV)/.uv-$(UV_VERSION): $(VENV)/.created
	$(PIP) install --quiet uv==$(UV_VERSION)
	@touch $@

clean:
	rm -rf $(VENV) build dist src/*.egg-info .mypy_cache .pytest_cache .ruff_cache
