"""``benchmarks/e2e_clients.py`` runs, and every client reads every event, in both shapes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "e2e_clients.py"


@pytest.mark.parametrize("write", [0, 16384, 1000])
def test_e2e_clients_script_runs(write: int, tmp_path: Path) -> None:
    out = tmp_path / "clients.json"
    args = [
        "--events",
        "3000",
        "--rounds",
        "1",
        "--write",
        str(write),
        "--json",
        str(out),
        "--only",
        "ssecodec.requests",
        "ssecodec.httpx (sync), httpx transport",
    ]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300
    )
    # a client that reads another number of events than the server sent fails the run
    assert done.returncode == 0, done.stderr
    medians = json.loads(out.read_text())["medians"]
    assert set(medians) == {
        "httpx + httpx-sse (sync)",
        "httpx + httpx-sse (async)",
        "ssecodec.requests",
        "ssecodec.httpx (sync), httpx transport",
        "raw socket + Decoder (floor)",
    }
    assert all(value > 0 for value in medians.values())
