# ssecodec developer commands. Every target sets up the environment it needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
ARGS ?=

.PHONY: help venv build test test-py fuzz-diff bench bench-pytest lint clean

help:
	@echo "make test       build the Cython twin and run the tests on both twins"
	@echo "make bench      run the benchmark comparison against the peers (ARGS=--quick for a short run)"
	@echo "make fuzz-diff  long differential (C vs Python) hypothesis run"
	@echo "make lint       ruff + mypy"

$(VENV)/.installed: requirements/test.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q -U pip
	$(PIP) install -q -r requirements/test.txt
	touch $@

venv: $(VENV)/.installed

build: venv
	$(PIP) install -q --no-build-isolation --no-deps -e .
	$(PY) -c "import ssecodec; print('ssecodec', ssecodec.__version__, 'implementation:', ssecodec.IMPLEMENTATION)"

test: build
	$(PY) -m pytest $(ARGS)

test-py: build
	SSECODEC_NO_EXTENSIONS=1 $(PY) -m pytest --no-c-extensions $(ARGS)

fuzz-diff: build
	SSECODEC_DIFF_EXAMPLES=$${SSECODEC_DIFF_EXAMPLES:-200000} $(PY) -m pytest tests/test_differential.py -p no:cacheprovider $(ARGS)

lint: build
	$(PIP) install -q ruff mypy
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m mypy

clean:
	rm -rf build dist *.egg-info src/*.egg-info src/ssecodec/*.so src/ssecodec/_codec_c.c src/ssecodec/*.html
