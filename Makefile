# The entry points: make run, make test, make bench, make lint, make ui.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
UI_INSTALLED := ui/node_modules/.package-lock.json
UI_SOURCES := $(shell find ui/src ui/public -type f 2>/dev/null) ui/index.html ui/vite.config.js ui/package.json

.PHONY: run test test-python test-ui lint bench ui clean

run: $(INSTALLED) public/index.html
	$(BIN)/gunicorn wsgi:app

test: $(INSTALLED) public/index.html lint test-ui test-python

# The browser tests run the built page: rebuild it first when its sources changed.
test-python: $(INSTALLED) public/index.html
	$(BIN)/python -m pytest

test-ui: $(UI_INSTALLED)
	cd ui && npm test

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(INSTALLED)
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 2; }
	$(BIN)/python bench/run.py

ui: public/index.html

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(UI_INSTALLED): ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	touch $@

# The page is built when its sources change.
public/index.html: $(UI_INSTALLED) $(UI_SOURCES)
	cd ui && npm run build

clean:
	rm -rf $(VENV) ui/node_modules public tests/artifacts bench/results
