# Two entry points for a fresh clone: `make serve` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2

.PHONY: serve test lint install install-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# constraints.txt pins every dependency to the versions the suite last passed with.
# setup.py builds the compiled n-gram counter (optional: skipped without a C compiler),
# so a change to its source reinstalls too.
BUILT := pyproject.toml constraints.txt setup.py moderator/classifier/_ngrams.c \
	moderator/_textscan.c
$(VENV)/.installed: $(BUILT) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

# python-akismet installs a package named `akismet`, as the test extra's akismet does:
# it gets a folder of its own (tests/http/test_akismet_clients.py runs it from there).
$(VENV)/.installed-test: $(BUILT) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	$(BIN)/python -m pip install --quiet -c constraints.txt --no-deps --upgrade \
		--target $(VENV)/clients/python-akismet python-akismet
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

serve: install
	$(BIN)/moderator serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

lint: install-test
	$(BIN)/ruff check .

test: install-test lint
	$(BIN)/python -c "from moderator.classifier.native import describe; print(describe())"
	$(BIN)/python -m pytest
