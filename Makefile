# The entry points: make run, make test, make test-fast, make bench, make lint, make ui.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
UI_INSTALLED := ui/node_modules/.package-lock.json

.PHONY: run test test-fast test-python test-ui lint bench ui clean

# The tests start hundreds of Python processes (gunicorn's workers, the commands): each would
# compile the app's modules again (about 50 ms) where PYTHONDONTWRITEBYTECODE is set, so the
# tests write their bytecode (into __pycache__, which git ignores) whatever it says.
TEST_ENV := PYTHONDONTWRITEBYTECODE=

run: $(INSTALLED)
	$(BIN)/gunicorn wsgi:app

# The page's tests and the Python tests run side by side (each one's output kept together).
test: $(INSTALLED) $(UI_INSTALLED) lint
	$(MAKE) --no-print-directory -j2 --output-sync=target test-ui test-python

# The inner loop: lint, then the tests that run in-process: no server, browser, fuzzer, build
# or command-line process (docs/testing.md).
test-fast: $(INSTALLED) lint
	$(TEST_ENV) $(BIN)/python -m pytest -n 2 -m "not server and not browser and not fuzz and not build and not commands"

# The browser tests run the committed page; tests/test_build.py fails when it is stale
# (run make ui and commit public/): it is never rebuilt here behind the contributor's back.
# pytest-xdist, three processes on the two cores: about a third of the suite's time is spent
# waiting (for pages to poll, for servers and databases to answer), which a third process
# fills. The slowest layers go first (tests/conftest.py), so no process ends alone.
test-python: $(INSTALLED) $(UI_INSTALLED)
	$(TEST_ENV) $(BIN)/python -m pytest -n 3

test-ui: $(UI_INSTALLED)
	cd ui && npm test

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(INSTALLED)
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 2; }
	$(BIN)/python bench/run.py

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(UI_INSTALLED): ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	touch $@

# public/ is committed: after changing ui/, run make ui and commit public/ with the change.
# make test checks that public/ is what ui/ builds (tests/test_build.py).
ui: $(UI_INSTALLED)
	cd ui && npm run build

clean:
	rm -rf $(VENV) ui/node_modules tests/artifacts bench/results
