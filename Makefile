# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Installs follow the lock files (exact versions, hashes checked; pip only); `make lock`
# refreshes them from pyproject.toml.
LOCK := requirements.lock
DEVLOCK := requirements-dev.lock
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)
DEVSTAMP := $(VENV)/.dev-installed-$(shell cat pyproject.toml $(DEVLOCK) | cksum | cut -d' ' -f1)
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock" $(LOCK_ARGS)
ASSETS := src/vigie/static/vendor/.stamp
PORT := $(or $(VIGIE_PORT),8000)
# `make test`: pytest-xdist workers (0 = one process; each worker has its own database;
# tests are dealt one by one, which balanced better than a file per worker: docs/benchmarks.md)
# and coverage of src/vigie (COVERAGE=0 to skip), e.g. `make test PYTEST_WORKERS=0 COVERAGE=0`.
PYTEST_WORKERS ?= 2
COVERAGE ?= 1
PYTEST_PARALLEL := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS))
PYTEST_COV := $(if $(filter 1,$(COVERAGE)),--cov=vigie --cov-report=term:skip-covered,)

# The Dijon demo draws Divia's network from the shared open data when it sits beside the checkout.
DIJON_DATA := ../shared/data/dijon
ifneq ($(wildcard $(DIJON_DATA)/divia_gtfs/routes.txt),)
run serve: export VIGIE_TRANSPORT_GTFS ?= $(DIJON_DATA)/divia_gtfs
run serve: export VIGIE_TRANSPORT_ATTRIBUTION ?= Divia mobilités / Dijon Métropole
run serve: export VIGIE_TRANSPORT_STOPS ?= $(DIJON_DATA)/opendata/arrets-tram.geojson,$(DIJON_DATA)/opendata/arrets_bus_divia.geojson
endif
# Divia's recorded day of 31 October 2023 replayed as the real-time feed (the timetable is
# rebuilt from it by `vigie demo`), and the DiviaPark car parks with their recorded occupancy.
ifneq ($(wildcard $(DIJON_DATA)/divia_gtfs_2023-10/observed_stop_times_2023-10-31_gtfsrt.csv),)
run serve: export VIGIE_TRANSPORT_REPLAY ?= $(DIJON_DATA)/divia_gtfs_2023-10/observed_stop_times_2023-10-31_gtfsrt.csv
endif
run serve: export VIGIE_TRANSPORT_CAR_PARKS ?= src/vigie/city/profiles/dijon/car_parks.yaml
# Illustrative waste rounds (no Dijon data at hand: docs/waste.md).
run serve: export VIGIE_WASTE_ROUNDS ?= src/vigie/city/profiles/dijon/waste.yaml
run serve: export VIGIE_CITY_SERVICES ?= src/vigie/city/profiles/dijon/services.yaml
# The library search asks the BnF's public SRU catalogue (a third party: leave it out with
# VIGIE_LIBRARY_SRU_URL= ) standing in for the municipal library's.
run serve: export VIGIE_LIBRARY_SRU_URL ?= https://catalogue.bnf.fr/api/SRU
run serve: export VIGIE_LIBRARY_SRU_INDEX ?= bib.anywhere
run serve: export VIGIE_LIBRARY_SRU_SCHEMA ?= dublincore
ifneq ($(wildcard $(DIJON_DATA)/opendata/diviapark_occupancy_timeseries.csv),)
run serve: export VIGIE_TRANSPORT_CAR_PARKS_REPLAY ?= $(DIJON_DATA)/opendata/diviapark_occupancy_timeseries.csv
endif

.PHONY: run install dev lock assets addok migrate demo serve test screenshots lint typecheck check settings-doc clean

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

$(STAMP): $(VENV)/bin/python pyproject.toml $(LOCK)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

$(DEVSTAMP): $(VENV)/bin/python pyproject.toml $(DEVLOCK)
	$(BIN)/pip install --quiet --require-hashes -r $(DEVLOCK)
	$(BIN)/pip install --quiet --no-deps -e .
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

# Versions already locked are kept unless pyproject.toml rules them out;
# `make lock LOCK_ARGS=--upgrade` moves everything to the newest allowed.
lock: $(VENV)/bin/python
	@test -x $(BIN)/uv || $(BIN)/pip install --quiet uv
	$(UV_COMPILE) -o $(LOCK)
	$(UV_COMPILE) --extra dev -c $(LOCK) -o $(DEVLOCK)

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

# The whole suite on SQLite, then again on PostgreSQL when VIGIE_TEST_DATABASE_URL is set
# (coverage then adds up both runs). `PYTEST_ARGS='-m "not slow"'` is the quick loop.
test: dev assets addok
	VIGIE_TEST_BACKEND=sqlite $(BIN)/python -m pytest -q $(PYTEST_PARALLEL) $(PYTEST_COV) $(PYTEST_ARGS)
	@if [ -n "$$VIGIE_TEST_DATABASE_URL" ]; then \
		echo "== same suite on PostgreSQL ($$VIGIE_TEST_DATABASE_URL) =="; \
		VIGIE_TEST_BACKEND=postgres $(BIN)/python -m pytest -q $(PYTEST_PARALLEL) \
			$(if $(PYTEST_COV),$(PYTEST_COV) --cov-append,) $(PYTEST_ARGS); \
	fi

# The README's screenshots, taken again by the browser tests (they need Debian's chromium).
screenshots: dev assets
	VIGIE_UPDATE_SCREENSHOTS=1 VIGIE_TEST_BACKEND=sqlite $(BIN)/python -m pytest -q tests/browser

lint: dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: dev
	$(BIN)/mypy

check: lint typecheck test

settings-doc: install
	$(BIN)/vigie settings-doc --write docs/settings.md
	$(BIN)/python -c "from vigie.city.schema import update_keys_doc; update_keys_doc('docs/city-profiles.md')"
	$(BIN)/python -c "from vigie.accounts.permissions import update_permissions_doc; update_permissions_doc('docs/security.md')"
	$(BIN)/python -c "from vigie.importer.doc import update_keys_doc; update_keys_doc('docs/import.md')"

clean:
	rm -rf $(VENV) node_modules src/vigie/static/vendor .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
