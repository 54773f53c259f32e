# The README's two commands: `make run` and `make test`. Everything else builds on them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench bench-load install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/lernmodul run-dev

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench.compile
	$(BIN)/python -m bench.certificates
	$(BIN)/python -m bench.http

# 500 learners starting within a minute against `lernmodul serve` + PostgreSQL
# (needs LERNMODUL_TEST_POSTGRES or --server)
bench-load: $(STAMP)
	$(BIN)/python bench/load.py --profile

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
