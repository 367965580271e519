# Every target creates .venv when it is missing and installs what it needs; only Python 3.11+ is required.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PARAMS ?= params/local.yaml

.DEFAULT_GOAL := help
.PHONY: help run test test-unit test-airflow soak lint lab emulator clean

## help: this list of targets (the default goal)
help:
	@awk '/^## [a-z-]+: / { sub(/^## /, ""); name = $$0; sub(/: .*/, "", name); sub(/^[^:]*: /, ""); \
	  printf "  %-14s %s\n", name, $$0 }' $(MAKEFILE_LIST)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "backlog-alerts needs Python 3.11 or newer: make ... PYTHON=python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@ $(VENV)/.installed

## run: the main job (three notebooks) on the embedded AWS emulator, or on what PARAMS says
run: $(VENV)/.installed
	$(BIN)/backlog-alerts run --params $(PARAMS)

## test: lint, unit and integration tests (the 25 slowest listed), then every notebook executed by nbval
# The package compiled first: with PYTHONDONTWRITEBYTECODE set (CI images often set it) each of the
# suite's kernels and commands would compile it again from source (pip compiles what it installs, not an
# editable install's own sources).
test: $(VENV)/.installed-test lint
	$(BIN)/python -m compileall -q backlog_alerts
	$(BIN)/python -m pytest -n auto --dist loadgroup --durations=25 tests
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env notebooks/

## test-unit: the pure unit tests alone, in seconds
test-unit: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q tests/unit

# Airflow pins many packages, so its test gets a venv of its own.
AIRFLOW_VENV ?= .venv-airflow
$(AIRFLOW_VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))'
	$(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]" \
	  "apache-airflow>=3.0,<4" "apache-airflow-providers-papermill>=3.8"
	touch $@

## test-airflow: the Airflow DAG (deploy/airflow/) imported by DagBag and run by `airflow dags test` against moto
test-airflow: $(AIRFLOW_VENV)/.installed
	$(AIRFLOW_VENV)/bin/python -m pytest -p no:cacheprovider tests/with_airflow

## soak: 20 seeded fault trials (20% of calls failing) and 20 SIGKILL trials, with the figures docs/reliability.md quotes
soak: $(VENV)/.installed-test
	$(BIN)/python tests/faults/soak.py --trials 20

## lint: ruff's checks and formatting over the whole repository, mypy and the import layers of the package
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## lab: JupyterLab on notebooks/, with the emulator started and seeded
lab: $(VENV)/.installed
	$(BIN)/backlog-alerts lab

## emulator: only the seeded emulator, for papermill or Jupyter started by hand
emulator: $(VENV)/.installed
	$(BIN)/backlog-alerts emulator

## clean: remove the virtual environments and the tool caches
clean:
	rm -rf $(VENV) $(AIRFLOW_VENV) .pytest_cache .ruff_cache .mypy_cache
