# Everything a fresh machine needs: Python 3.11, pip, gcc. `make demo` and `make test` set up .venv.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv demo test lint format bench clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "setuptools>=77.0.3,<82" wheel
	# torch first and pinned: the CPU wheel on this disk; anything else may pull a CUDA build.
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[dev,train]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/ecginstruct demo --out out/demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: $(STAMP) lint
	HF_HUB_OFFLINE=1 RAY_AUTH_MODE=disabled $(VENV)/bin/python -m pytest -q tests

bench: $(STAMP)
	$(PY) scripts/bench_synthetic.py
	$(PY) scripts/bench_render.py
	$(PY) scripts/bench_augment.py
	$(PY) scripts/bench_labels.py
	$(PY) scripts/bench_tasks.py

clean:
	rm -rf out .pytest_cache
