#!/usr/bin/env bash
# Run a command (python ...) with the sanitizer build of fuzz/build first on the path:
#   fuzz/run_asan.sh .venv/bin/python -m pytest tests -p no:cacheprovider
# ASan and UBSan runtimes come from atheris's asan_with_fuzzer.so (preloaded, as the Python
# binary is not instrumented). PYTHONMALLOC=malloc makes every Python allocation visible to
# ASan; leak detection is off because CPython does not free everything at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
RT=$("$PY" -c "import atheris, os; print(os.path.join(atheris.path(), 'asan_with_fuzzer.so'))")
export LD_PRELOAD="$RT"
export PYTHONMALLOC=malloc
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export PYTHONPATH="$PWD/fuzz/build${PYTHONPATH:+:$PYTHONPATH}"
exec "$@"
