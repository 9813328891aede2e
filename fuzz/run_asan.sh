#!/usr/bin/env bash
# Run a command with the instrumented build of fuzz/build_asan.sh first on the path:
#   fuzz/run_asan.sh .venv/bin/python -m pytest tests -s -p no:cacheprovider
#   MODE=fast fuzz/run_asan.sh .venv/bin/python fuzz/fuzz_codec.py ...
# The sanitizer and libFuzzer runtimes come from atheris (asan_with_fuzzer.so or
# ubsan_with_fuzzer.so), preloaded because the Python binary is not instrumented. With ASan,
# PYTHONMALLOC=malloc makes every Python allocation visible to it, and leak detection is off
# because CPython does not free everything at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
MODE=${MODE:-asan}
SITE=$("$PY" -c "import atheris; print(atheris.path())")
if [ "$MODE" = asan ]; then
    export LD_PRELOAD="$SITE/asan_with_fuzzer.so"
    export PYTHONMALLOC=malloc
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:detect_stack_use_after_return=1:quarantine_size_mb=64}
    BUILD=fuzz/build
else
    export LD_PRELOAD="$SITE/ubsan_with_fuzzer.so"
    export SSECODEC_FUZZ_INSTRUMENT_PY=${SSECODEC_FUZZ_INSTRUMENT_PY:-0}
    BUILD=fuzz/build-fast
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export PYTHONPATH="$PWD/$BUILD${PYTHONPATH:+:$PYTHONPATH}"
exec "$@"
