# Quick start on a fresh machine with Python 3.11 and make:
#   make demo   sets up .venv and runs the main job
#   make test   sets up .venv and runs lint, format check and the whole suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EXTRAS := test,experiments,torch

.PHONY: setup demo test lint format bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) benchmarks/bench_rnn.py --quick

lint: $(STAMP)
	$(VENV)/bin/ruff check lstmjax tests benchmarks experiments
	$(VENV)/bin/ruff format --check lstmjax tests benchmarks experiments

format: $(STAMP)
	$(VENV)/bin/ruff check --fix lstmjax tests benchmarks experiments
	$(VENV)/bin/ruff format lstmjax tests benchmarks experiments

test: lint
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/bench_rnn.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
