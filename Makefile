# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEVSTAMP := $(VENV)/.dev-installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
ASSETS := src/vigie/static/vendor/.stamp
PORT := $(or $(VIGIE_PORT),8000)

# The Dijon demo draws Divia's network from the shared open data when it sits beside the checkout.
DIJON_DATA := ../shared/data/dijon
ifneq ($(wildcard $(DIJON_DATA)/divia_gtfs/routes.txt),)
run serve: export VIGIE_TRANSPORT_GTFS ?= $(DIJON_DATA)/divia_gtfs
run serve: export VIGIE_TRANSPORT_ATTRIBUTION ?= Divia mobilités / Dijon Métropole
run serve: export VIGIE_TRANSPORT_STOPS ?= $(DIJON_DATA)/opendata/arrets-tram.geojson,$(DIJON_DATA)/opendata/arrets_bus_divia.geojson
endif

.PHONY: run install dev assets addok migrate demo serve test screenshots lint typecheck check settings-doc clean

run: install assets migrate demo
	@echo ""
	@echo "  Vigie is starting on http://127.0.0.1:$(PORT)"
	@echo "  API docs: http://127.0.0.1:$(PORT)/docs   Open311: http://127.0.0.1:$(PORT)/open311/v2/services.json"
	@echo "  Log in with a demo account listed above (password: vigie-demo-2026)."
	@echo ""
	VIGIE_PORT=$(PORT) $(BIN)/vigie serve

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(VENV)/bin/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

$(DEVSTAMP): $(VENV)/bin/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP) $@

install: $(STAMP)

# A real addok for the tests of VIGIE_GEOCODER=ban (tests/addresses/test_addresses_ban.py),
# in a virtualenv of its own: its pinned dependencies do not mix with Vigie's.
ADDOK := .venv-addok/bin/addok
$(ADDOK):
	$(PYTHON) -m venv .venv-addok
	.venv-addok/bin/pip install --quiet "setuptools<81" addok==1.3.2 addok-france==1.2.0 addok-fr==1.1.0

addok: $(ADDOK)

dev: $(DEVSTAMP)

$(ASSETS): package.json package-lock.json scripts/vendor.mjs
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	node scripts/vendor.mjs
	@touch $@

assets: $(ASSETS)

migrate: install
	$(BIN)/vigie db upgrade

demo: migrate
	$(BIN)/vigie demo

serve: install assets
	$(BIN)/vigie serve

# The whole suite on SQLite, then again on PostgreSQL when VIGIE_TEST_DATABASE_URL is set.
test: dev assets addok
	VIGIE_TEST_BACKEND=sqlite $(BIN)/python -m pytest -q $(PYTEST_ARGS)
	@if [ -n "$$VIGIE_TEST_DATABASE_URL" ]; then \
		echo "== same suite on PostgreSQL ($$VIGIE_TEST_DATABASE_URL) =="; \
		VIGIE_TEST_BACKEND=postgres $(BIN)/python -m pytest -q $(PYTEST_ARGS); \
	fi

# The README's screenshots, taken again by the browser tests (they need Debian's chromium).
screenshots: dev assets
	VIGIE_UPDATE_SCREENSHOTS=1 VIGIE_TEST_BACKEND=sqlite $(BIN)/python -m pytest -q tests/browser

lint: dev
	$(BIN)/ruff check src tests bench

typecheck: dev
	$(BIN)/mypy

check: lint typecheck test

settings-doc: install
	$(BIN)/vigie settings-doc --write docs/settings.md
	$(BIN)/python -c "from vigie.city.schema import update_keys_doc; update_keys_doc('docs/city-profiles.md')"

clean:
	rm -rf $(VENV) node_modules src/vigie/static/vendor .pytest_cache .mypy_cache .ruff_cache
