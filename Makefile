# onething — the two set-up commands are `make run` (serve on embedded SQLite) and `make test`.
# `make test` runs the suite on SQLite, then again on a throwaway PostgreSQL server it installs and starts.
# `make lint` (which `make test` runs first): ruff's checks and formatting, and mypy over engine/.
VENV   ?= .venv
PYTHON ?= python3
PY      = $(VENV)/bin/python
NPM_CI  = npm ci --no-audit --no-fund --loglevel=error

.PHONY: install node browser lint run test test-sqlite test-postgresql bench demo screenshots clean

install: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

NODE_PROJECTS := $(patsubst %/package-lock.json,%,$(wildcard tests/*/package-lock.json))

node: $(addsuffix /node_modules/.installed,$(NODE_PROJECTS))

tests/%/node_modules/.installed: tests/%/package-lock.json
	$(NPM_CI) --prefix tests/$*
	touch $@

# The browser tests drive the distribution's Chromium (never a browser download), with CJK fonts.
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; }

run: install
	$(VENV)/bin/onething serve

screenshots: install browser
	ONETHING_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q tests/e2e/test_web_browser.py -k screenshots

demo: install
	$(VENV)/bin/onething demo

PGCLUSTER = $(PY) -m tests.support.pgcluster run --

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

test: install node browser lint
	$(PY) -m pytest
	$(PGCLUSTER) $(PY) -m pytest

test-sqlite: install node browser lint
	$(PY) -m pytest

test-postgresql: install node browser
	$(PGCLUSTER) $(PY) -m pytest

bench: install
	$(PY) -m pip install --quiet -e '.[bench]'  # py-spy: where the CPU goes (bench/profile.py)
	$(PY) bench/run.py $(BENCH_ARGS)
	$(PY) bench/modeler_deploy.py

clean:
	rm -rf $(VENV) tests/*/node_modules instance
