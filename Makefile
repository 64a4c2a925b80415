# msgrouter: `make run` to try it, `make test` to run the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test install test-install services bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

test-install: $(VENV)/.test-installed

## Start msgrouter with its embedded defaults (SQLite, in-process broker and worker).
run: install
	$(VENV)/bin/msgrouter run

## Install test dependencies, start Redis and PostgreSQL if they are not running, run the suite.
test: test-install services
	$(PY) -m pytest $(PYTEST_ARGS)

services:
	bash tests/services.sh

bench: install services
	$(PY) bench/throughput.py --quick

clean:
	rm -rf var/*.db var/*.db-* var/celerybeat-schedule*
