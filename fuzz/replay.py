"""Run fuzz inputs through the harness without libFuzzer: files or directories of them.

    python fuzz/replay.py fuzz/corpus fuzz/work          # every input once; exit 1 on a failure
    python fuzz/replay.py crash-<sha1>                   # reproduce a finding with its traceback

``fuzz/coverage.sh`` uses it to measure what a corpus covers.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fuzz_codec import TestOneInput


def main() -> int:
    paths: list[Path] = []
    for arg in sys.argv[1:]:
        p = Path(arg)
        paths.extend(sorted(q for q in p.iterdir() if q.is_file()) if p.is_dir() else [p])
    failures = 0
    for p in paths:
        try:
            TestOneInput(p.read_bytes())
        except Exception:
            failures += 1
            print(f"--- {p}", file=sys.stderr)
            traceback.print_exc()
    print(f"{len(paths)} inputs, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
