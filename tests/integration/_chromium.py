"""Headless Chromium for the browser tests: where it is, how it is started, how it is ended."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterable

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
"""Headless as root, and no background connections: a closed network refuses them."""


def find_chromium() -> str:
    """The Chromium binary; a missing browser FAILS the test (it never skips)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(
        "Chromium is not installed: apt-get install chromium (make test does it); "
        "the browser tests do not skip"
    )


def stop(processes: Iterable[subprocess.Popen[bytes]]) -> None:
    """End each browser's process group (started with ``start_new_session=True``)."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
