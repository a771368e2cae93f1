# Two commands on a fresh machine (Python 3.11+ and make): `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
PIP := $(BIN)/python -m pip --disable-pip-version-check

# The locks: generated from pyproject.toml by `make lock` (uv pip compile --universal: one file for Python 3.11 and
# later on any platform, each pinned release with the hashes of all its files), installed by pip alone with
# --require-hashes: the dev lock (extras dev and embedded) here, the runtime lock (no extras) in the Dockerfile.
DEV_LOCK := requirements/dev.txt
RUNTIME_LOCK := requirements/runtime.txt
# More options for uv pip compile, e.g. `make lock LOCK_FLAGS=--upgrade` or LOCK_FLAGS='--upgrade-package fastapi'.
LOCK_FLAGS ?=
COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command 'make lock' --quiet $(LOCK_FLAGS)
# The checks of `make lint` and `make test`, run from $(BIN); .pre-commit-config.yaml runs the same ones.
LINT_CHECKS := 'ruff check .' 'ruff format --check .' 'mypy app tests bench fuzz'

.PHONY: run test lint format lock openapi bench bench-indicators demo install clean fuzz

# The venv with everything in the dev lock, uv included (so that `make lock` works while pyproject.toml is ahead).
$(BIN)/.locked: $(DEV_LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --require-hashes -r $(DEV_LOCK)
	touch $@

# The project itself, editable, without dependencies: the lock has them all, and `pip check` says when it does not.
$(BIN)/.installed: $(BIN)/.locked pyproject.toml $(RUNTIME_LOCK)
	$(PIP) install -q --no-deps -e .
	$(PIP) check || { echo 'make: $(DEV_LOCK) does not satisfy pyproject.toml: run `make lock`' >&2; exit 1; }
	touch $@

install: $(BIN)/.installed

lock: $(BIN)/.locked ## regenerate both locks from pyproject.toml, keeping what pins it can (LOCK_FLAGS=--upgrade)
	$(COMPILE) --extra dev --extra embedded -o $(DEV_LOCK)
	$(COMPILE) --constraint $(DEV_LOCK) -o $(RUNTIME_LOCK)

run: install ## serve the API (embedded PostgreSQL unless DATABASE_URL is set)
	$(BIN)/coso serve --port $(PORT)

# The suite runs in parallel (pytest-xdist), each process on a database (or embedded server) of its own.
TEST_WORKERS ?= auto

test: lint ## the checks of `make lint`, then the whole test suite (TEST_WORKERS=1 for one process)
	$(BIN)/pytest -q -n $(TEST_WORKERS)

lint: install ## ruff's rules and formatting, mypy --strict: runs every check, then fails if one did
	@failed=; for check in $(LINT_CHECKS); do \
	  echo "$(BIN)/$$check"; $(BIN)/$$check || failed="$$failed '$$check'"; \
	done; \
	if [ -n "$$failed" ]; then echo "make lint: failed:$$failed" >&2; exit 1; fi

format: install ## rewrite the code: ruff's fixes and ruff format, then report what is left to fix by hand
	$(BIN)/ruff check --fix --exit-zero --silent .
	$(BIN)/ruff format .
	$(BIN)/ruff check .

openapi: install ## regenerate openapi.yaml from the app
	$(BIN)/coso openapi > openapi.yaml

fuzz: install ## schemathesis on every operation, 100 examples each, stateful links: 0 server errors, 0 violations
	$(BIN)/python fuzz/run.py --max-examples 100

demo: install
	$(BIN)/coso demo-data

bench: install ## national-scale organisation tree benchmark
	$(BIN)/python bench/org_tree.py --client raw

bench-indicators: install ## indicator analytics and upkeep cost over five years of history of 5.6 M members
	$(BIN)/python bench/indicators.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
