#!/usr/bin/env bash
# Build ssecodec._codec_c with clang: AddressSanitizer + UndefinedBehaviorSanitizer + libFuzzer
# coverage counters, into fuzz/build/ssecodec/ (a copy of the package). The in-place build in
# src/ssecodec is never touched. Run things against it with fuzz/run_asan.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
CC=${CC:-clang}
OUT=fuzz/build
command -v "$CC" >/dev/null || { echo "$CC not found: apt-get install clang" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT/ssecodec"
cp src/ssecodec/*.py src/ssecodec/*.pyi src/ssecodec/py.typed "$OUT/ssecodec/"
"$PY" -m cython -3 --fast-fail -o "$OUT/_codec_c.c" src/ssecodec/_codec_c.pyx
INC=$("$PY" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
SUFFIX=$("$PY" -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
# -fno-sanitize-recover: undefined behaviour aborts (a finding), instead of printing and going on.
# fuzzer-no-link: coverage counters for libFuzzer, whose runtime atheris preloads.
FLAGS=(-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,fuzzer-no-link
       -fno-sanitize-recover=undefined -DCYTHON_CCOMPLEX=0)
"$CC" -shared -fPIC "${FLAGS[@]}" -I"$INC" "$OUT/_codec_c.c" -o "$OUT/ssecodec/_codec_c$SUFFIX"
echo "built $OUT/ssecodec/_codec_c$SUFFIX"
