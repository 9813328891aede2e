#!/usr/bin/env bash
# Build ssecodec._codec_c with clang and libFuzzer coverage counters into a copy of the package
# (the in-place build in src/ssecodec is never touched). Run things against it with
# fuzz/run_asan.sh, given the same MODE.
#   MODE=asan (default): AddressSanitizer + UndefinedBehaviorSanitizer, -O1  -> fuzz/build/
#   MODE=fast:           UndefinedBehaviorSanitizer only, -O2 (for long fuzzing runs) -> fuzz/build-fast/
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
CC=${CC:-clang}
MODE=${MODE:-asan}
command -v "$CC" >/dev/null || { echo "$CC not found: apt-get install clang" >&2; exit 1; }
# -fno-sanitize-recover: undefined behaviour aborts (a finding), instead of printing and going on.
# fuzzer-no-link: coverage counters for libFuzzer, whose runtime fuzz/run_asan.sh preloads.
case "$MODE" in
    asan) OUT=fuzz/build
          FLAGS=(-O1 -fsanitize=address,undefined,fuzzer-no-link) ;;
    fast) OUT=fuzz/build-fast
          FLAGS=(-O2 -fsanitize=undefined,fuzzer-no-link) ;;
    *) echo "MODE must be asan or fast" >&2; exit 1 ;;
esac
FLAGS+=(-g -fno-omit-frame-pointer -fno-sanitize-recover=undefined -DCYTHON_CCOMPLEX=0)
rm -rf "$OUT"
mkdir -p "$OUT/ssecodec"
cp src/ssecodec/*.py src/ssecodec/*.pyi src/ssecodec/py.typed "$OUT/ssecodec/"
# --line-directives: reports (and llvm-cov) point at _codec_c.pyx lines, not the generated C.
"$PY" -m cython -3 --fast-fail --line-directives -o "$OUT/_codec_c.c" src/ssecodec/_codec_c.pyx
INC=$("$PY" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
SUFFIX=$("$PY" -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
# -Isrc/ssecodec: the generated C, written to $OUT, includes src/ssecodec/_scan.h.
"$CC" -shared -fPIC "${FLAGS[@]}" -I"$INC" -Isrc/ssecodec "$OUT/_codec_c.c" \
    -o "$OUT/ssecodec/_codec_c$SUFFIX"
echo "built $OUT/ssecodec/_codec_c$SUFFIX ($MODE)"
