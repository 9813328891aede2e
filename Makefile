# ssecodec developer commands. Every target sets up the environment it needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
ARGS ?=

.PHONY: help venv build system-deps test test-py fuzz-diff bench bench-pytest lint typecheck wheel sdist-check clean

help:
	@echo "make test       install Chromium and redis-server if missing, build the Cython twin, run the tests on both twins"
	@echo "make bench      run the benchmark comparison against the peers (ARGS=--quick for a short run)"
	@echo "make bench-hub  fan-out: ssecodec.hub against sse-starlette + queues and broadcaster (ARGS=--quick)"
	@echo "make bench-e2e  end to end: client and server CPU per event on loopback, every client and server in its own process (ARGS=--quick)"
	@echo "make bench-servers  server CPU per event: the Starlette and aiohttp responses against sse-starlette and aiohttp-sse (ARGS=--quick)"
	@echo "make fuzz-diff  long differential (C vs Python) hypothesis run"
	@echo "make lint       ruff (lint and format check), cython-lint, workflow schema check"
	@echo "make typecheck  mypy --strict (src, tests) + stubtest of the compiled twin's .pyi"
	@echo "make wheel      sdist -> wheel -> auditwheel; tests the wheel installed without a compiler"
	@echo "make sdist-check  sdist contents, twine check, installs with/without compiler and Cython"

$(VENV)/.installed: requirements/test.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q -U pip
	$(PIP) install -q -r requirements/test.txt
	touch $@

venv: $(VENV)/.installed

build: venv
	$(PIP) install -q --no-build-isolation --no-deps -e .
	$(PY) -c "import ssecodec; print('ssecodec', ssecodec.__version__, 'implementation:', ssecodec.IMPLEMENTATION)"

# System programs: tools/system_deps.sh installs the missing ones with apt-get when it can (as
# root or with passwordless sudo), and otherwise stops with one line naming the command to run.
SYSTEM_DEPS = @bash tools/system_deps.sh "make $(or $(MAKECMDGOALS),$@)"
# The integration tests drive Chromium (the browser test) and redis-server. They are not
# checked when ARGS leaves tests/integration out (--ignore=tests/integration, or test paths
# outside it); TEST_SYSTEM_DEPS= skips the check.
CHROMIUM = chromium:chromium,chromium-browser,google-chrome
TEST_PATHS = $(filter-out tests tests/,$(filter tests/%,$(ARGS)))
RUNS_INTEGRATION = $(if $(findstring --ignore=tests/integration,$(ARGS)),,$(if $(TEST_PATHS),$(findstring tests/integration,$(TEST_PATHS)),yes))
TEST_SYSTEM_DEPS ?= $(if $(RUNS_INTEGRATION),$(CHROMIUM) redis-server)

system-deps:
	$(SYSTEM_DEPS) $(TEST_SYSTEM_DEPS)

test: system-deps build
	$(PY) -m pytest $(ARGS)

test-py: system-deps build
	SSECODEC_NO_EXTENSIONS=1 $(PY) -m pytest --no-c-extensions $(ARGS)

fuzz-diff: build
	SSECODEC_DIFF_EXAMPLES=$${SSECODEC_DIFF_EXAMPLES:-200000} $(PY) -m pytest tests/test_differential.py -p no:cacheprovider $(ARGS)

# Lint and type tools go into .venv too (mypy needs the integration packages from test.txt).
$(VENV)/.lint: $(VENV)/.installed requirements/lint.txt
	$(PIP) install -q -r requirements/lint.txt
	touch $@

lint: $(VENV)/.lint
	$(PY) -m ruff check src tests benchmarks tools setup.py
	$(PY) -m ruff format --check src tests benchmarks tools setup.py
	PATH="$(abspath $(VENV))/bin:$$PATH" cython-lint src/ssecodec/_codec_c.pyx
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

# mypy runs twice: tests/ and tests/integration/ each have a conftest.py (pyproject.toml).
# stubtest imports the compiled twin built in place by `build`.
typecheck: build $(VENV)/.lint
	$(PY) -m mypy
	$(PY) -m mypy tests/integration/*.py
	$(PY) -m mypy.stubtest ssecodec._codec_c --mypy-config-file pyproject.toml \
		--allowlist tools/stubtest-allowlist.txt

# Packaging (tools/check_package.py says what is checked) in a venv of its own.
PKG_VENV ?= .venv-pkg
PKG_PY := $(PKG_VENV)/bin/python
DIST ?= dist
WHEELHOUSE ?= wheelhouse

$(PKG_VENV)/.installed: requirements/pkg.txt
	$(PYTHON) -m venv $(PKG_VENV)
	$(PKG_PY) -m pip install -q -U pip
	$(PKG_PY) -m pip install -q -r requirements/pkg.txt
	touch $@

# The sdist, a wheel built from it, auditwheel (Linux), then the wheel installed in a fresh
# venv with no compiler on PATH must pass the codec tests with the compiled twin.
wheel: $(PKG_VENV)/.installed
	rm -rf $(DIST) $(WHEELHOUSE)
	$(PKG_PY) -m build --outdir $(DIST) .
	$(PKG_PY) tools/check_package.py wheel $(DIST) $(WHEELHOUSE)

sdist-check: $(PKG_VENV)/.installed
	rm -f $(DIST)/ssecodec-*.tar.gz
	$(PKG_VENV)/bin/validate-pyproject pyproject.toml
	$(PKG_PY) -m build --sdist --outdir $(DIST) .
	$(PKG_PY) tools/check_package.py sdist $(DIST)

clean:
	rm -rf build dist wheelhouse *.egg-info src/*.egg-info src/ssecodec/*.so src/ssecodec/_codec_c.c src/ssecodec/*.html

# Benchmarks (benchmarks/README.md) run in a venv of their own, with the peers pinned in
# requirements/bench.txt and ssecodec installed from this tree (rebuilt when its sources change).
BENCH_VENV ?= .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python

$(BENCH_VENV)/.installed: requirements/bench.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install -q -U pip
	$(BENCH_PY) -m pip install -q -r requirements/bench.txt
	touch $@

$(BENCH_VENV)/.ssecodec: $(BENCH_VENV)/.installed setup.py pyproject.toml $(wildcard src/ssecodec/*.py src/ssecodec/hub/*.py src/ssecodec/*.pyx src/ssecodec/*.pxd src/ssecodec/*.pyi)
	$(BENCH_PY) -m pip install -q --no-build-isolation --no-deps --force-reinstall .
	$(BENCH_PY) -c "import ssecodec; print('ssecodec', ssecodec.__version__, 'implementation:', ssecodec.IMPLEMENTATION)"
	touch $@

bench: $(BENCH_VENV)/.ssecodec
	$(BENCH_PY) benchmarks/compare.py $(ARGS)

# Fan-out (docs/hub.md): server CPU per delivered event for 100, 1,000 and 10,000 subscribers on
# loopback connections (burst and steady), RSS of 10,000 idle subscribers, Redis latency.
.PHONY: bench-hub
bench-hub: $(BENCH_VENV)/.ssecodec
	$(SYSTEM_DEPS) redis-server
	$(BENCH_PY) benchmarks/hub.py $(ARGS)

# Server responses (benchmarks/README.md): server-process CPU per event delivered, uvicorn and
# aiohttp.web on loopback, 1,000 trickling streams, one-at-a-time and burst; about 6 minutes.
.PHONY: bench-servers
bench-servers: $(BENCH_VENV)/.ssecodec
	$(BENCH_PY) benchmarks/servers.py $(ARGS)

# End to end (benchmarks/README.md): client CPU per event (ssecodec's clients, httpx-sse, httpx2,
# the openai SDK, a raw-socket floor) and the server side above, one report in
# benchmarks/results/e2e/ (benchmarks/out/e2e/ with ARGS=--quick); about 12 minutes.
.PHONY: bench-e2e
bench-e2e: $(BENCH_VENV)/.ssecodec
	$(BENCH_PY) benchmarks/e2e.py $(ARGS)

bench-pytest: $(BENCH_VENV)/.ssecodec
	$(BENCH_PY) -m pytest benchmarks/test_bench_codec.py -p no:cacheprovider --benchmark-columns=min,median,iqr,ops,rounds --benchmark-sort=name $(ARGS)

# --- Robustness: fuzzing, sanitizers, memory limits, linear time, leaks -----------------------
# docs/robustness.md has the figures these produce and what they mean.
.PHONY: fuzz fuzz-smoke asan asan-build fuzz-build valgrind rss linear leaks
FUZZ_RUNS ?= 1000000
FUZZ_FLAGS = -max_len=2048 -print_final_stats=1
ATHERIS := $(VENV)/.atheris-installed
ASAN_TESTS ?= tests/test_robustness.py tests/test_conformance.py tests/test_decoder_api.py tests/test_dispatch.py tests/test_properties.py tests/test_differential.py tests/test_encoder.py
VALGRIND_TESTS ?= tests/test_dispatch.py tests/test_robustness.py::test_reinit_starts_a_clean_stream tests/test_robustness.py::test_tiny_chunks_do_not_amplify_memory tests/test_robustness.py::test_empty_data_across_chunks tests/test_differential.py

$(ATHERIS): $(VENV)/.installed
	$(PIP) install -q atheris
	touch $@

# Build the Cython twin with clang and libFuzzer coverage into a copy of the package (the
# in-place build in src/ is left alone): ASan+UBSan into fuzz/build/, UBSan only (fast, for
# long fuzzing runs) into fuzz/build-fast/.
CLANG_CHECK = $(SYSTEM_DEPS) clang
asan-build: build $(ATHERIS)
	$(CLANG_CHECK)
	MODE=asan PY=$(PY) fuzz/build_asan.sh

fuzz-build: build $(ATHERIS)
	$(CLANG_CHECK)
	MODE=fast PY=$(PY) fuzz/build_asan.sh

# FUZZ_RUNS (1M) executions of the atheris harness, guided by coverage of the C code, new inputs
# kept in fuzz/work. On the UBSan build; with SANITIZE=1 on the ASan+UBSan build (~10x slower).
fuzz: $(if $(SANITIZE),asan-build,fuzz-build)
	mkdir -p fuzz/work
	MODE=$(if $(SANITIZE),asan,fast) PY=$(PY) fuzz/run_asan.sh $(PY) fuzz/fuzz_codec.py fuzz/work fuzz/corpus -runs=$(FUZZ_RUNS) $(FUZZ_FLAGS) $(ARGS)

# What CI runs: 30 seconds on the ordinary build (no clang needed; coverage of the pure twin,
# which mirrors the C code, guides it), seeded with the corpus.
fuzz-smoke: build $(ATHERIS)
	mkdir -p fuzz/work
	$(PY) fuzz/fuzz_codec.py fuzz/work fuzz/corpus -max_total_time=30 $(FUZZ_FLAGS) $(ARGS)

# The test suite (both twins) and the fuzz corpus, against the ASan+UBSan build (-s: a
# sanitizer report must reach the terminal before the abort).
asan: asan-build
	HYPOTHESIS_PROFILE=ci MODE=asan PY=$(PY) fuzz/run_asan.sh $(PY) -m pytest -q -s -p no:cacheprovider $(ASAN_TESTS) $(ARGS)
	MODE=asan PY=$(PY) fuzz/run_asan.sh $(PY) fuzz/fuzz_codec.py fuzz/corpus $$(test -d fuzz/work && echo fuzz/work) -runs=0 $(FUZZ_FLAGS)

# valgrind memcheck on a subset of the tests (PYTHONMALLOC=malloc, so memcheck sees every
# allocation); fails on any error with a frame in _codec_c (CPython itself reports a few).
valgrind: build
	$(SYSTEM_DEPS) valgrind
	HYPOTHESIS_PROFILE=ci SSECODEC_DIFF_EXAMPLES=$${SSECODEC_DIFF_EXAMPLES:-200} \
		$(PY) fuzz/valgrind_check.py $(VALGRIND_TESTS) $(ARGS)

rss: build
	$(PY) tools/robustness/rss_limits.py $(ARGS)

linear: build
	$(PY) -c "import matplotlib" 2>/dev/null || $(PIP) install -q matplotlib
	$(PY) tools/robustness/linear_time.py $(ARGS)

leaks: build
	$(PY) tools/robustness/leaks.py $(ARGS)

# --- Relay benchmark: upstream -> relay -> client on 127.0.0.1 ---------------------------------
# Relay-process CPU per 1M events and events/s for 1, 10 and 100 streams: ssecodec.relay
# (pass-through and with a transform) against httpx-sse + sse-starlette. Two upstreams: one
# writing 16 KiB pieces, one writing each event on its own; and two httpx transports for the
# relays' upstream client (both relays use the same one): httpx's own (httpcore) and aiohttp's
# (httpx-aiohttp). docs/relay.md has the figures. About 40 minutes.
.PHONY: bench-relay
bench-relay: $(BENCH_VENV)/.ssecodec
	$(BENCH_PY) benchmarks/relay.py --events 100000 --repeat 5 --json benchmarks/out/relay.json $(ARGS)
	$(BENCH_PY) benchmarks/relay.py --upstream-write 0 --events 40000 --repeat 3 --json benchmarks/out/relay-per-event.json $(ARGS)
	$(BENCH_PY) benchmarks/relay.py --transport aiohttp --events 100000 --repeat 3 --json benchmarks/out/relay-aiohttp.json $(ARGS)
	$(BENCH_PY) benchmarks/relay.py --transport aiohttp --upstream-write 0 --events 40000 --repeat 3 --json benchmarks/out/relay-aiohttp-per-event.json $(ARGS)
