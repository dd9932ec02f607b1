# yingdu — two commands: `make run` serves the platform with demo data, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
# Where `make run` serves: `make run YINGDU_BIND=0.0.0.0:8080` (or the variable in the environment) changes it.
YINGDU_BIND ?= 127.0.0.1:8000
# An interpreter of Python >= 3.12: PYTHON=... overrides; otherwise the first suitable one found.
PYTHON ?= $(shell for c in python3.13 /root/.pyenv/versions/3.13*/bin/python3 /usr/bin/python3.13 python3.12 /root/.pyenv/versions/3.12*/bin/python3 python3; do \
	  p=$$(command -v $$c 2>/dev/null) || continue; \
	  $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null && { echo $$p; break; }; done)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: oidc-provider push-dist static help run test test-sqlite test-postgres test-e2e test-timeshift lint bench install system-deps postgres messages vendor clean

help:
	@echo "make run    — set up, migrate, load demo data and serve at http://$(YINGDU_BIND) (make run YINGDU_BIND=host:port)"
	@echo "make test   — set up and run the whole suite on SQLite, PostgreSQL and in Chromium"
	@echo "make bench  — run the benchmarks and write docs/benchmarks.md"

$(STAMP): pyproject.toml push/pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "yingdu needs Python >= 3.12 (3.13 preferred): install it or pass PYTHON=/path/to/python3.13" >&2; exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ./push
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP) messages vendor static oidc-provider

# The provider client as its own wheel (no Django): var/dist/yingdu_push-<version>-py3-none-any.whl. Providers install
# it with `pip install yingdu_push-….whl` (or `pip install ./push` from a checkout); see push/README.md.
push-dist: $(STAMP)
	@rm -rf var/dist && mkdir -p var/dist
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir var/dist ./push
	@ls var/dist/*.whl

# Static files collected and compressed (gzip, Brotli) once here, not at each start of the server: `yingdu
# static_collect` does nothing when the collected set still matches its sources (yingdu/staticfiles.py).
static: $(STAMP) vendor
	@$(BIN)/yingdu static_collect -v0 >/dev/null

# Apache ECharts, pinned, from its npm package; served locally (the platform must work on an intranet). The file is
# git-ignored; this step does nothing once it exists.
ECHARTS_VERSION := 5.6.0
ECHARTS_JS := src/yingdu/static/vendor/echarts/echarts.min.js

vendor: $(ECHARTS_JS)

$(ECHARTS_JS):
	@command -v npm >/dev/null || { echo "npm is needed once to fetch Apache ECharts $(ECHARTS_VERSION) (apt-get install npm)" >&2; exit 1; }
	@mkdir -p var/npm $(dir $@)
	cd var/npm && npm pack --silent echarts@$(ECHARTS_VERSION) >/dev/null
	tar -xzf var/npm/echarts-$(ECHARTS_VERSION).tgz -C var/npm package/dist/echarts.min.js package/LICENSE package/NOTICE
	cp var/npm/package/LICENSE var/npm/package/NOTICE $(dir $@)
	cp var/npm/package/dist/echarts.min.js $@.tmp && mv $@.tmp $@

# axe-core, pinned, from its npm package: the browser tests inject it into every page they check for accessibility
# (tests/e2e/test_accessibility.py). Test-only, git-ignored under var/; this step does nothing once it exists.
AXE_VERSION := 4.11.0
AXE_JS := var/npm/axe-core-$(AXE_VERSION)/axe.min.js

$(AXE_JS):
	@command -v npm >/dev/null || { echo "npm is needed once to fetch axe-core $(AXE_VERSION) (apt-get install npm)" >&2; exit 1; }
	@mkdir -p var/npm/axe
	cd var/npm/axe && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null
	@mkdir -p $(dir $@)
	tar -xzf var/npm/axe/axe-core-$(AXE_VERSION).tgz -C $(dir $@) --strip-components=1 package/axe.min.js package/LICENSE
	@test -s $@

# panva's oidc-provider, pinned, from npm into var/oidc-provider: the real OpenID Connect provider that the sign-in
# tests start (yingdu/testing/oidc_provider.mjs). Needs node >= 18 and npm; does nothing once installed.
OIDC_PROVIDER_VERSION := 8.8.1
OIDC_PROVIDER_STAMP := var/oidc-provider/.installed-$(OIDC_PROVIDER_VERSION)

oidc-provider: $(OIDC_PROVIDER_STAMP)

$(OIDC_PROVIDER_STAMP):
	@command -v npm >/dev/null || { echo "npm is needed once to fetch oidc-provider $(OIDC_PROVIDER_VERSION) (apt-get install npm)" >&2; exit 1; }
	@mkdir -p var/oidc-provider
	@[ -f var/oidc-provider/package.json ] || echo '{"private": true}' > var/oidc-provider/package.json
	cd var/oidc-provider && npm install --silent --no-audit --no-fund oidc-provider@$(OIDC_PROVIDER_VERSION) >/dev/null
	@touch $@

# gettext compiles the translation catalogues; Prometheus and a single-node Slurm (slurmdbd on MariaDB, munge) are
# started by the yingdu-push adapter tests; Chromium and a CJK font are needed by browser tests and PDFs;
# WeasyPrint renders PDF notices with Pango; poppler-utils' pdffonts lets the tests check the embedded CJK font.
system-deps:
	@missing=""; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	ldconfig -p 2>/dev/null | grep -q "libpango-1.0.so" || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	command -v pdffonts >/dev/null || missing="$$missing poppler-utils"; \
	command -v faketime >/dev/null || missing="$$missing faketime"; \
	command -v prometheus >/dev/null || missing="$$missing prometheus"; \
	command -v slurmctld >/dev/null || missing="$$missing slurmctld slurmd slurmdbd slurm-client munge"; \
	command -v mariadbd >/dev/null || missing="$$missing mariadb-server"; \
	command -v go >/dev/null || missing="$$missing golang-go"; \
	[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb ] || missing="$$missing golang-golang-x-mod-dev"; \
	if [ -n "$$missing" ]; then echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; fi

messages: $(STAMP)
	@command -v msgfmt >/dev/null || { DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq gettext >/dev/null; }
	@cd src/yingdu && ../../$(BIN)/python -m django compilemessages --settings=yingdu.settings -v0

# The task worker (checkpoint signing, periodic work) runs in the background and is stopped when the server stops.
run: install
	$(BIN)/yingdu migrate --no-input -v0
	$(BIN)/yingdu demo
	$(BIN)/yingdu worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; trap 'exit 130' INT TERM; \
	  $(BIN)/yingdu serve --bind $(YINGDU_BIND)

# PostgreSQL: on the development and CI machines a cluster listens on 127.0.0.1:5432 (trust auth, database test).
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { echo "Starting the local PostgreSQL cluster"; \
	  $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -n1) main start; }
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; \
	  echo "PostgreSQL is not reachable on 127.0.0.1:5432 (see DEVELOPERS.md)" >&2; exit 1

# Three passes: the non-browser suite on PostgreSQL with the clock at this year's Beijing New Year's Eve 23:30, on
# SQLite with the clock at 15 July next year (whose holiday calendar is not yet published), then the browser journeys
# at the real clock. No test may depend on the real date, so neither non-browser pass runs at it (docs/decisions.md).
test: install system-deps postgres
	$(MAKE) --no-print-directory test-postgres TEST_CLOCK=$(NEW_YEARS_EVE)
	$(MAKE) --no-print-directory test-sqlite TEST_CLOCK=$(NEXT_JULY)
	$(MAKE) --no-print-directory test-e2e

lint: install
	$(BIN)/ruff check src tests bench

# The non-browser passes run in parallel worker processes (pytest-xdist), a test file per worker at a time; `make test
# TEST_WORKERS=0` runs them in one process.
TEST_WORKERS ?= 2
PYTEST_PARALLEL = -n $(TEST_WORKERS) --dist loadfile

# TEST_CLOCK=<ISO moment> runs the pass with the clock moved there (libfaketime, see below); the SQLite pass also
# checks that the suite appends an entry of every declared type (YINGDU_EVENT_COVERAGE).
test-sqlite: install $(if $(TEST_CLOCK),system-deps)
	@echo "== unit and integration tests on SQLite$(if $(TEST_CLOCK), with the clock at $(TEST_CLOCK))"
	env -u DATABASE_URL YINGDU_EVENT_COVERAGE=1 $(call at_clock,$(TEST_CLOCK)) $(BIN)/python -m pytest -q -m "not e2e" $(PYTEST_PARALLEL)

test-postgres: install system-deps postgres
	@echo "== unit and integration tests on PostgreSQL ($(PG_URL))$(if $(TEST_CLOCK), with the clock at $(TEST_CLOCK))"
	DATABASE_URL=$(PG_URL) $(call at_clock,$(TEST_CLOCK)) $(BIN)/python -m pytest -q -m "not e2e" $(PYTEST_PARALLEL)

# The clock is moved with libfaketime by a relative offset, so that child processes and the Asia/Shanghai zone agree;
# the moments are computed from today so that the check never goes stale.
NEW_YEARS_EVE = $$(TZ=Asia/Shanghai date +%Y)-12-31T23:30:00+08:00
NEXT_JULY = $$(( $$(TZ=Asia/Shanghai date +%Y) + 1 ))-07-15T10:00:00+08:00
at_clock = $(if $(1),faketime -f "$$(printf '%+d' $$(( $$(date -d "$(1)" +%s) - $$(date +%s) )))s")

# `make test-timeshift` runs the SQLite suite at both moments (`make test` runs PostgreSQL at the first, SQLite at
# the second).
TIMESHIFT_TARGETS = $(NEW_YEARS_EVE) $(NEXT_JULY)

test-timeshift: install system-deps
	@for target in $(TIMESHIFT_TARGETS); do \
	  offset=$$(( $$(date -d "$$target" +%s) - $$(date +%s) )); \
	  echo "== unit and integration tests on SQLite with the clock at $$target (FAKETIME=$$(printf '%+d' $$offset)s)"; \
	  env -u DATABASE_URL faketime -f "$$(printf '%+d' $$offset)s" \
	    $(BIN)/python -m pytest -q -m "not e2e" $(PYTEST_PARALLEL) || exit 1; \
	done

# The browser journeys run in two workers too (each its own server, database and Chromium); E2E_WORKERS=0 runs them in
# one process. The keyboard journeys run first, alone: they open the native file chooser with the Space key, and beside
# another browser worker Chromium did not report the chooser (docs/decisions.md).
E2E_WORKERS ?= 2
E2E_ALONE := tests/e2e/test_keyboard.py
E2E_ENV = env -u DATABASE_URL DJANGO_ALLOW_ASYNC_UNSAFE=true YINGDU_AXE_JS=$(AXE_JS)

test-e2e: install system-deps $(AXE_JS)
	@echo "== browser journeys in Debian's Chromium (headless)"
	$(E2E_ENV) $(BIN)/python -m pytest -q -m e2e -p no:xdist $(E2E_ALONE)
	$(E2E_ENV) $(BIN)/python -m pytest -q -m e2e tests/e2e --ignore=$(E2E_ALONE) -n $(E2E_WORKERS) --dist loadfile

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var
