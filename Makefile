# One task runner: the README's two commands and CI call these targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: run test lint build serve clean browser load-tools load virtuoso

$(BIN)/kg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The base of the graph's IRIs: KG_BASE_URI when it is set, else the address being served.
BASE_OPTION = $(if $(KG_BASE_URI),,--base http://localhost:$(PORT)/)

# Build the graph from seeds/ and serve it on http://127.0.0.1:$(PORT)/.
# `kg build` exits 1 when some records were rejected; the graph is still built from the others.
run: $(BIN)/kg
	$(BIN)/kg build seeds/ $(BASE_OPTION) || [ $$? -eq 1 ]
	$(BIN)/kg serve --port $(PORT)

build: $(BIN)/kg
	$(BIN)/kg build seeds/ $(BASE_OPTION)

serve: $(BIN)/kg
	$(BIN)/kg serve --port $(PORT)

test: browser load-tools virtuoso $(BIN)/kg
	$(BIN)/pytest

# Debian's Chromium for the browser tests (tests/test_web_browser.py), installed only when missing.
browser:
	@test -x /usr/bin/chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

# wrk, the load generator of tests/test_load.py and bench/load.py, from Debian's packages.
load-tools:
	@command -v wrk >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk)

# Virtuoso Open Source, the second remote store of tests/test_remote_store.py: Debian's binaries
# only (virtuoso-t and isql-vt), not its system service; the tests start their own instance.
virtuoso:
	@command -v virtuoso-t >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y virtuoso-opensource-7-bin)

# The long load test (50,500 synthetic records of which about 50,200 are valid, 32 connections,
# ten minutes, memory of every server process sampled): figures in docs/load.md.
load: load-tools $(BIN)/kg
	$(BIN)/python bench/load.py --records 50500 --duration 600

lint: $(BIN)/kg
	$(BIN)/ruff check kg tests server.py bench
	$(BIN)/ruff format --check kg tests server.py bench

clean:
	rm -rf $(VENV) kg-data .pytest_cache
