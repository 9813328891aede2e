"""Run pytest under valgrind memcheck and fail on any error that involves ssecodec's extension.

CPython 3.11 itself makes memcheck report "uninitialised value" errors inside the interpreter
(``maybe_small_long`` reading the unset digit of a zero int, in int() and int.from_bytes) that
have nothing to do with ssecodec, so ``--error-exitcode`` alone cannot be the verdict. This runs
memcheck with a log file, splits the log into error records, and counts as ours those where a
``_codec_c`` frame comes before any Python bytecode frame on the way out from the error.
Exit status: 1 if pytest failed or any error is ours.

    python fuzz/valgrind_check.py tests/test_dispatch.py tests/test_differential.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile


def _ours(record: str) -> bool:
    """True if, walking the stack from the error outwards, a _codec_c frame comes before any
    Python bytecode frame. (An error under _PyEval_EvalFrameDefault happened in Python code
    that ssecodec called, e.g. int() inside parse_retry: it is CPython's, not ours.)"""
    for frame in re.findall(r"==\d+== +(?:at|by) 0x[0-9A-F]+: (.*)", record):
        if "_codec_c" in frame:
            return True
        if "_PyEval_EvalFrameDefault" in frame:
            return False
    return False


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "memcheck.log")
        cmd = [
            "valgrind", "--tool=memcheck", "--leak-check=no", "--num-callers=50",
            f"--log-file={log}", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            *sys.argv[1:],
        ]  # fmt: skip
        env = dict(os.environ, PYTHONMALLOC="malloc")
        status = subprocess.run(cmd, env=env).returncode
        with open(log) as f:
            text = f.read()
    records = [r for r in re.split(r"\n==\d+== \n", text) if re.search(r"==\d+== +(at|by) 0x", r)]
    ours = [r for r in records if _ours(r)]
    summary = re.findall(r"ERROR SUMMARY: (\d+) errors from (\d+) contexts", text)
    print(f"memcheck: {len(records)} error records, {len(ours)} involving _codec_c", summary[-1:])
    for r in ours[:10]:
        print(r)
    return 1 if status or ours else 0


if __name__ == "__main__":
    sys.exit(main())
