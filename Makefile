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

# Benchmarks (benchmarks/README.md) run in a venv of their own, with the peers pinned in
# requirements/bench.txt and ssecodec installed from this tree (rebuilt when its sources change).
BENCH_VENV ?= .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python

$(BENCH_VENV)/.installed: requirements/bench.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install -q -U pip
	$(BENCH_PY) -m pip install -q -r requirements/bench.txt
	touch $@

$(BENCH_VENV)/.ssecodec: $(BENCH_VENV)/.installed setup.py pyproject.toml $(wildcard src/ssecodec/*.py src/ssecodec/*.pyx src/ssecodec/*.pxd src/ssecodec/*.pyi)
	$(BENCH_PY) -m pip install -q --no-build-isolation --no-deps --force-reinstall .
	$(BENCH_PY) -c "import ssecodec; print('ssecodec', ssecodec.__version__, 'implementation:', ssecodec.IMPLEMENTATION)"
	touch $@

bench: $(BENCH_VENV)/.ssecodec
	$(BENCH_PY) benchmarks/compare.py $(ARGS)

bench-pytest: $(BENCH_VENV)/.ssecodec
	$(BENCH_PY) -m pytest benchmarks/test_bench_codec.py -p no:cacheprovider --benchmark-columns=min,median,iqr,ops,rounds --benchmark-sort=name $(ARGS)
