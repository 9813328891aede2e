"""Line coverage of _codec_c.pyx from ``llvm-cov show`` of a Cython build with #line directives.

Clang maps coverage to the generated C file; Cython's ``#line N "..._codec_c.pyx"`` lines carry
the execution count of the C code that implements .pyx line N. A .pyx line is counted as
instrumented if any such line has a count, and as covered if any count is non-zero.

    llvm-cov show EXT.so -instr-profile=P.profdata -format=text | python fuzz/pyx_coverage.py
"""

from __future__ import annotations

import re
import sys

LINE = re.compile(r'^\s*\d+\|\s*([0-9.]+[kMG]?)\|#line (\d+) "[^"]*_codec_c\.pyx"')


def ranges(numbers: list[int]) -> str:
    out: list[str] = []
    for n in numbers:
        if out and "-" not in out[-1] and int(out[-1]) == n - 1:
            out[-1] = f"{out[-1]}-{n}"
        elif out and "-" in out[-1] and int(out[-1].split("-")[1]) == n - 1:
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


def main() -> None:
    seen: dict[int, bool] = {}
    for text in sys.stdin:
        m = LINE.match(text)
        if m:
            line = int(m.group(2))
            seen[line] = seen.get(line, False) or m.group(1) != "0"
    covered = sorted(n for n, hit in seen.items() if hit)
    missed = sorted(n for n, hit in seen.items() if not hit)
    pct = 100 * len(covered) / max(1, len(seen))
    print(f"_codec_c.pyx: {len(covered)}/{len(seen)} lines with code executed ({pct:.1f}%)")
    print(f"not executed: {ranges(missed)}")


if __name__ == "__main__":
    main()
