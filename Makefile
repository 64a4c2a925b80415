# msgrouter: `make run` to try it, `make test` to run the whole suite.
PYTHON ?= python3
VENV ?= .venv
# Two pytest-xdist workers, one a core; a test file stays on one worker (its module
# fixtures are built once). PYTEST_WORKERS= runs the suite in one process.
PYTEST_WORKERS ?= -n 2 --dist loadfile
PY := $(VENV)/bin/python

.PHONY: run test lint install test-install services bench clean mutation

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test]'
	touch $@

$(VENV)/.mutation-installed: $(VENV)/.test-installed
	$(PY) -m pip install -q -e '.[test,mutation]'
	touch $@

install: $(VENV)/.installed

test-install: $(VENV)/.test-installed

## Start msgrouter with its embedded defaults (SQLite, in-process broker and worker).
run: install
	$(VENV)/bin/msgrouter run

## Install test dependencies, start Redis and PostgreSQL if they are not running, run the suite.
test: lint services
	$(PY) -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

## ruff over the whole checkout, mypy over the packages (settings in pyproject.toml): a
## finding fails the build before any test runs.
lint: test-install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

services:
	bash tests/services.sh

## Mutation testing of the modules that carry the README's promises (README, "Mutation
## testing"; config in pyproject.toml [tool.mutmut]). Needs a green suite. Two mutants at a
## time, one a core: each child's tests take Redis databases of their own (tests/conftest.py,
## _redis_of_this_mutmut_child). MUTMUT_ARGS picks mutants, e.g. 'router.sla.deadlines.*'.
mutation: $(VENV)/.mutation-installed services
	rm -rf mutants
	nice -n 19 $(VENV)/bin/mutmut run --max-children 2 $(MUTMUT_ARGS)
	$(PY) tests/mutation/score.py
	$(PY) tests/mutation/score.py --times

bench: install services
	$(PY) bench/throughput.py --quick

clean:
	rm -rf var/*.db var/*.db-* var/celerybeat-schedule*
