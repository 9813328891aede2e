"""Peak memory of a relay process relaying one 50 MB event (``benchmarks/relay_rss.py``).

docs/relay.md promises that per stream the relay holds about ``buffer_size`` + one upstream
read + one unfinished event; with a transform, the decoder holds the unfinished event, and the
decoded event and its encoding come on top: what the codec costs for that event alone.
Each case runs the benchmark script on one framework, transport and mode: it starts a real
relay process (uvicorn + Starlette, or aiohttp.web), resets its peak RSS after a warm-up,
relays the event and reads the peak (``VmHWM``) again; for a transform it also measures, in a
fresh process, the decoder and encoder alone on the same event.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "relay_rss.py"
SIZE = 50_000_000
# What the bound leaves out: buffer_size (64 KiB), one upstream read (64 KiB to a few
# hundred), the write path's copies of one piece (at most 256 KiB, twice) and the allocator's
# and the interpreter's slack. Measured: under 2 MB. A copy of the event, what this guards
# against, is 50 MB.
MARGIN = 8_000_000


CASES = [
    (framework, transport, mode, 0)
    for framework in ["starlette", "aiohttp"]
    for transport in ["httpcore", "aiohttp"]
    for mode in ["pass", "transform"]
] + [("starlette", "httpcore", mode, 1000) for mode in ["pass", "transform"]]


@pytest.mark.parametrize(("framework", "transport", "mode", "line"), CASES)
def test_peak_rss_of_one_big_event(
    framework: str, transport: str, mode: str, line: int, tmp_path: Path
) -> None:
    """One line of 50 MB, or (``line``) lines of 1,000 bytes."""
    out = tmp_path / "rss.json"
    subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--size",
            str(SIZE),
            "--line",
            str(line),
            "--frameworks",
            framework,
            "--transports",
            transport,
            "--modes",
            mode,
            "--json",
            str(out),
        ],
        check=True,
        timeout=50,
    )
    report = json.loads(out.read_text())
    (result,) = report["results"]
    # Pass-through: the unfinished event, forwarded in the pieces it arrived in. A transform:
    # what the decoder and the encoder take for it (with the compiled core about twice the
    # event: the raw event, then the str, then the str and its encoding; more with the
    # pure-Python core, whose decoder and encoder make copies of their own).
    held = SIZE if mode == "pass" else result["codec_alone"]
    peak = result["peak_over_before"]
    assert peak <= held + MARGIN, (
        f"{framework}/{transport}/{mode}: peak RSS rose by {peak / 1e6:.1f} MB for a "
        f"{SIZE / 1e6:.0f} MB event (bound {(held + MARGIN) / 1e6:.1f} MB)"
    )
