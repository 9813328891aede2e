"""Headless Chromium's EventSource on ssecodec.hub across worker processes, with a forced
reconnect.

The browser loads examples/hub_app.py's page through a small TCP proxy in front of worker A;
its EventSource gets what worker C publishes. The proxy then cuts every connection and points
at worker B: the browser reconnects by itself (``retry: 1000``), sending ``Last-Event-ID``, and
must end up with exactly the events published (those it missed while away included), each
once, in order. The page's ``window.received`` is read through the DevTools protocol.
Chromium (Debian package ``chromium``) and redis-server are required: missing, the test FAILS.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _chromium import FLAGS, find_chromium, stop
from test_hub_redis import Worker, publish, redis_server, wait_until, workers

__all__ = ["redis_server", "workers"]  # fixtures used here


class Proxy:
    """Forwards 127.0.0.1:port to a backend port; ``switch`` cuts every connection first."""

    def __init__(self, backend: int) -> None:
        self.backend = backend
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.requests: list[bytes] = []  # the requests the clients sent
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.backend), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.open += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, record: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if record and data.startswith(b"GET "):
                    self.requests.append(data)
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def switch(self, backend: int) -> None:
        with self.lock:
            self.backend = backend
            for sock in self.open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.open.clear()

    def close(self) -> None:
        self.switch(self.backend)
        self.listener.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Start headless Chromium on a URL; returns a function evaluating JS in the page."""
    binary = find_chromium()
    profile = tempfile.mkdtemp(prefix="ssecodec-hub-chromium-")
    processes: list[subprocess.Popen[bytes]] = []

    def open_page(url: str) -> Any:
        processes.append(
            subprocess.Popen(
                [binary, *FLAGS, "--remote-debugging-port=0", f"--user-data-dir={profile}", url],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        port_file = Path(profile) / "DevToolsActivePort"
        wait_until(port_file.exists, 30, "Chromium's DevTools port")
        wait_until(lambda: port_file.read_text().count("\n") >= 1, 5, "the port file")
        port = int(port_file.read_text().split()[0])

        def page_socket() -> str | None:
            targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
            pages = [t for t in targets if t.get("type") == "page" and t["url"].startswith(url)]
            return str(pages[0]["webSocketDebuggerUrl"]) if pages else None

        wait_until(lambda: page_socket() is not None, 20, "the page")
        ws_url = page_socket()

        def evaluate(expression: str) -> Any:
            from aiohttp import ClientSession

            async def call() -> Any:
                async with (
                    ClientSession() as session,
                    session.ws_connect(str(ws_url), max_msg_size=0) as ws,
                ):
                    params = {"expression": expression, "returnByValue": True}
                    await ws.send_json({"id": 1, "method": "Runtime.evaluate", "params": params})
                    while True:
                        message = await ws.receive_json(timeout=10)
                        if message.get("id") == 1:
                            return message["result"]["result"].get("value")

            return asyncio.run(call())

        return evaluate

    try:
        yield open_page
    finally:
        stop(processes)
        shutil.rmtree(profile, ignore_errors=True)


def test_browser_reconnects_to_another_worker_and_misses_nothing(
    workers: list[Worker], browser: Any
) -> None:
    a, b, c = workers
    proxy = Proxy(a.port)
    channel = "browser-" + uuid.uuid4().hex
    evaluate = browser(f"http://127.0.0.1:{proxy.port}/?channel={channel}")

    def received() -> list[dict[str, str]]:
        value: list[dict[str, str]] = json.loads(evaluate("JSON.stringify(window.received || [])"))
        return value

    deadline = time.monotonic() + 20
    while not received():  # the EventSource is open once a warm-up event arrives
        assert time.monotonic() < deadline, "the page's EventSource received nothing"
        publish(c, channel, "warm-up")
        time.sleep(0.1)
    warm = len(received())
    sent = [publish(c, channel, f"e{i}") for i in range(5)]
    wait_until(lambda: len(received()) >= warm + 5, 15, "the first events in the browser")

    proxy.switch(b.port)  # cut: the browser reconnects, through the proxy, to worker B
    sent += [publish(c, channel, f"m{i}") for i in range(5)]  # published while it is away

    def streams() -> list[str]:
        heads = [r.decode("latin-1").lower() for r in list(proxy.requests)]
        return [h for h in heads if h.startswith(f"get /events/{channel}")]

    wait_until(lambda: len(streams()) >= 2, 15, "the browser's reconnection")
    sent += [publish(c, channel, f"l{i}") for i in range(3)]
    wait_until(lambda: len(received()) >= warm + 13, 15, "every event in the browser")
    time.sleep(0.3)
    got = received()[warm:]
    assert [(e["type"], e["id"]) for e in got] == [("message", i) for i in sent]
    assert [e["data"] for e in got] == [f"e{i}" for i in range(5)] + [f"m{i}" for i in range(5)] + [
        f"l{i}" for i in range(3)
    ]
    first, reconnect = streams()
    assert "last-event-id" not in first
    assert f"last-event-id: {sent[4]}\r\n" in reconnect  # the browser's own header
    proxy.close()
