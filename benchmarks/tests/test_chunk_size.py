"""``benchmarks/chunk_size.py`` runs and checks that every chunking decodes to the same events."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "chunk_size.py"


@pytest.mark.parametrize("mode", ["consume", "collect"])
def test_chunk_size_script_runs(mode: str) -> None:
    args = ["--rounds", "1", "--events", "300", "--sizes", "4096,1500,7", "--mode", mode]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines() if line.strip()[:1].isdigit()]
    summary, base, *smaller = rows  # the summary line starts with the event count
    assert ("dropped" if mode == "consume" else "kept") in " ".join(summary)
    assert [row[0] for row in (base, *smaller)] == ["4096", "1500", "7"]
    assert base[3] == "+0.0%" and len(base) == 4  # no cost per extra chunk for the base size
    for row in smaller:
        # per extra chunk, floor, decoder (each "<n> ns"), then the ratio if decoder = 0
        assert row[5] == row[7] == row[9] == "ns", row
        assert row[-1].endswith("%"), row
