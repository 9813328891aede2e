"""``benchmarks/chunk_size.py`` runs and checks that every chunking decodes to the same events."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "chunk_size.py"


def test_chunk_size_script_runs() -> None:
    args = ["--rounds", "1", "--events", "300", "--sizes", "4096,1500,7"]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines() if line.strip()[:1].isdigit()]
    rows = rows[1:]  # the first line is the summary (it starts with the event count)
    assert [row[0] for row in rows] == ["4096", "1500", "7"]
    assert rows[0][3] == "+0.0%"
    assert all(row[-1] == "ns" for row in rows)
