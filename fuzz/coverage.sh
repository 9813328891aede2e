#!/usr/bin/env bash
# What a fuzz corpus covers: replays it (fuzz/replay.py) against a clang source-coverage build
# of the Cython twin (lines of _codec_c.pyx, through Cython's #line directives) and under
# coverage.py for the pure twin. Usage: fuzz/coverage.sh fuzz/corpus fuzz/work
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=fuzz/build-cov
rm -rf "$OUT"
mkdir -p "$OUT/ssecodec"
cp src/ssecodec/*.py "$OUT/ssecodec/"
"$PY" -c "import coverage" 2>/dev/null || "$PY" -m pip install -q coverage
"$PY" -m cython -3 --line-directives -o "$OUT/_codec_c.c" src/ssecodec/_codec_c.pyx
INC=$("$PY" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
SO="$OUT/ssecodec/_codec_c$("$PY" -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")"
clang -shared -fPIC -O0 -fprofile-instr-generate -fcoverage-mapping -DCYTHON_CCOMPLEX=0 \
    -I"$INC" -Isrc/ssecodec "$OUT/_codec_c.c" -o "$SO"
LLVM_PROFILE_FILE="$PWD/$OUT/replay.profraw" PYTHONPATH="$PWD/$OUT" SSECODEC_FUZZ_INSTRUMENT_PY=0 \
    "$PY" -m coverage run --data-file="$OUT/.coverage" --include="*/_codec_py.py,*/_numbers.py" \
    fuzz/replay.py "${@:-fuzz/corpus}"
llvm-profdata merge -o "$OUT/replay.profdata" "$OUT/replay.profraw"
echo "== Cython twin"
llvm-cov show "$SO" -instr-profile="$OUT/replay.profdata" -format=text 2>/dev/null \
    > "$OUT/codec_c.coverage.txt"
"$PY" fuzz/pyx_coverage.py < "$OUT/codec_c.coverage.txt"
echo "(generated C with counts: $OUT/codec_c.coverage.txt)"
echo "== pure twin"
"$PY" -m coverage report --data-file="$OUT/.coverage" -m --include="*/_codec_py.py,*/_numbers.py"
