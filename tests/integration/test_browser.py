"""A real browser: headless Chromium's EventSource reads the tricky stream from the Starlette
endpoint, and must see exactly what ssecodec's decoder reads from the same endpoint.

The page (served by the same app) opens ``new EventSource("/tricky")``, records each event's
type, data and lastEventId, and POSTs them back when the ``done`` event arrives. Chromium comes
from the Debian package ``chromium`` (``make test`` installs it); a missing browser FAILS.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sseapps
from _chromium import FLAGS, find_chromium, stop

import ssecodec

BROWSER_TIMEOUT = 45  # seconds for the page to report back


@pytest.fixture
def chromium() -> Iterator[Any]:
    """Start Chromium on a URL; the processes and the profile are removed afterwards."""
    binary = find_chromium()
    profile = tempfile.mkdtemp(prefix="ssecodec-chromium-")
    log_path = Path(profile) / "chromium.log"
    processes: list[subprocess.Popen[bytes]] = []

    def open_page(url: str) -> Path:
        with open(log_path, "wb") as log:
            processes.append(
                subprocess.Popen(
                    [binary, *FLAGS, f"--user-data-dir={profile}", url],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group, ended below
                )
            )
        return log_path

    try:
        yield open_page
    finally:
        stop(processes)
        shutil.rmtree(profile, ignore_errors=True)


def test_browser_sees_what_the_decoder_sees(
    starlette_server: Any, chromium: Any, token: str
) -> None:
    probe = sseapps.PROBES[token]
    log = chromium(f"{starlette_server.url}/browser?token={token}")
    if not probe.reported.wait(BROWSER_TIMEOUT):
        tail = log.read_bytes()[-3000:].decode(errors="replace") if log.exists() else ""
        pytest.fail(f"the page did not report within {BROWSER_TIMEOUT} s; Chromium said:\n{tail}")
    report = probe.report
    assert "error" not in report, report

    with httpx.Client(timeout=20) as client:
        body = client.get(f"{starlette_server.url}/tricky").content
    decoder = ssecodec.Decoder()
    decoded = decoder.feed(body) + decoder.close()
    expected = [{"type": e.event, "data": e.data, "lastEventId": e.id} for e in decoded]

    assert report["events"] == expected
    # The stream really is tricky: these all arrived.
    kinds = {e["type"] for e in expected}
    assert {"message", "multi", "json", "empty", "with space", "done"} <= kinds
    assert any("\ufffd" in e.data for e in decoded)  # invalid UTF-8 replaced
    assert any("🎉" in e.data for e in decoded)
    assert [e["lastEventId"] for e in expected][-1] == "end"
