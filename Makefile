# The README's two commands: `make run` and `make test`. Everything else builds on them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

NPM    ?= npm

SHELL := /bin/bash
.PHONY: run test lint docs audit bench bench-load install node clean .venv-ralph

# The tests' Learning Record Store (ralph, tests/lrs.py) in a virtual environment of its own:
# its pinned dependencies (FastAPI, pydantic, bcrypt …) stay out of the app's environment.
RALPH_VENV  := .venv-ralph
RALPH_STAMP := $(RALPH_VENV)/.installed
RALPH_REQ   := 'ralph-malph[cli,lrs]==5.1.0' requests

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@# server: the web app's dependencies; dev: tests, docs and the linters (pyproject.toml)
	$(BIN)/pip install --quiet -e '.[server,dev]'
	touch $(STAMP)

install: $(STAMP) node .venv-ralph

$(RALPH_STAMP):
	$(PYTHON) -m venv $(RALPH_VENV)
	$(RALPH_VENV)/bin/pip install --quiet --upgrade pip
	$(RALPH_VENV)/bin/pip install --quiet $(RALPH_REQ)
	touch $(RALPH_STAMP)

.venv-ralph: $(RALPH_STAMP)

# The Node counterparts of the tests (node/README.md), when npm exists; without them the
# tests that need them skip and say how to install.
NODE_STAMP := node/node_modules/.installed

$(NODE_STAMP): node/package.json node/package-lock.json
	@if command -v $(NPM) >/dev/null 2>&1; then \
	  cd node && $(NPM) ci --ignore-scripts --no-audit --no-fund && touch node_modules/.installed; \
	else \
	  echo "npm not found: tests that need node/ will skip (install npm, then: cd node && npm ci)"; \
	fi

node: $(NODE_STAMP)

run: $(STAMP)
	$(BIN)/lernmodul run-dev

test: $(STAMP) $(RALPH_STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench docs/examples
	$(BIN)/mypy
	$(BIN)/lint-imports
	@# bandit warns about `# nosec` on the continuation lines of one SQL string; the findings count
	set -o pipefail; $(BIN)/bandit -q -c pyproject.toml -r src 2>&1 | { grep -v 'nosec encountered' || true; }

# The library reference (docs/api, Sphinx autodoc + napoleon) into build/docs; offline, and
# every warning is an error.
docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs/api build/docs
	@echo "reference: build/docs/index.html"

# Known vulnerabilities of the installed packages (pip-audit --strict). Needs a reachable
# vulnerability service: without one it says so and fails, it never reports a false "clean".
audit: $(STAMP)
	$(BIN)/python -m lernmodul.ops.dependency_audit

bench: $(STAMP)
	$(BIN)/python -m bench.compile
	$(BIN)/python -m bench.grading
	$(BIN)/python -m bench.certificates
	$(BIN)/python -m bench.http
	$(BIN)/python -m bench.oidc
	$(BIN)/python -m bench.export

# 500 learners starting within a minute against `lernmodul serve` + PostgreSQL
# (needs LERNMODUL_TEST_POSTGRES or --server)
bench-load: $(STAMP)
	$(BIN)/python bench/load.py --profile

clean:
	rm -rf $(VENV) $(RALPH_VENV) .pytest_cache .mypy_cache .ruff_cache node/node_modules
