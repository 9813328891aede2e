"""ssecodec.hub on real parts: a real redis-server (started here on a free port, persistence
off; a missing redis-server FAILS), uvicorn worker processes running examples/hub_app.py, raw
HTTP/1.0 clients, and an aiohttp.web server.

- a client on worker A gets what worker C publishes, is cut, reconnects to worker B with
  Last-Event-ID and gets exactly the events it missed, then the live ones;
- Redis restarting mid-stream: the stream stays open and nothing is lost;
- Redis down: publishing raises BrokerUnavailable, subscribers stay and catch up;
- the history trimmed under a resuming client: it is told (ssecodec-gap);
- one XREAD loop per channel per process, whatever the number of subscribers.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ssecodec import Decoder, Event
from ssecodec.hub import GAP_EVENT, BrokerUnavailable, Hub, RedisBroker

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


class RedisServer:
    """redis-server on 127.0.0.1 and a free port, no persistence; restartable on that port."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server") or (
            "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
        )
        if binary is None:
            pytest.fail(
                "redis-server is not installed: apt-get install redis-server (make test does "
                "it); the hub's Redis tests do not skip"
            )
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--stream-node-max-entries",
                "8",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def up() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_until(up, 10, "redis-server")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        yield server
    finally:
        server.stop()


class Worker:
    """A uvicorn worker process serving examples/hub_app.py on its own port."""

    def __init__(self, redis_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "hub_app:app",
                "--app-dir",
                str(EXAMPLES),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--http",
                "h11",
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env={**os.environ, "REDIS_URL": redis_url},
        )

    def wait_ready(self) -> None:
        def ready() -> bool:
            assert self.process.poll() is None, "the worker died"
            try:
                return httpx.get(self.url + "/", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(ready, 30, f"worker on {self.url}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def workers(redis_server: RedisServer) -> Iterator[list[Worker]]:
    started = [Worker(redis_server.url) for _ in range(3)]
    try:
        for worker in started:
            worker.wait_ready()
        yield started
    finally:
        for worker in started:
            worker.stop()


class Stream:
    """A raw HTTP/1.0 event-stream client in a thread: what a browser does, cut at will."""

    def __init__(self, base: str, path: str, last_event_id: str | None = None) -> None:
        port = int(base.rsplit(":", 1)[1])
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        extra = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id else ""
        request = f"GET {path} HTTP/1.0\r\nHost: test\r\nAccept: text/event-stream\r\n"
        self.sock.sendall(f"{request}{extra}\r\n".encode())
        self.events: list[Event] = []
        self.ended = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        decoder = Decoder()
        head = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            if head is not None:
                head += chunk
                if b"\r\n\r\n" not in head:
                    continue
                status, _, chunk = head.partition(b"\r\n\r\n")
                assert status.split()[1] == b"200", status
                head = None  # type: ignore[assignment]
            self.events.extend(decoder.feed(chunk))
        self.ended = True

    def data(self) -> list[str]:
        return [e.data for e in list(self.events) if e.event == "message"]

    def wait_for(self, count: int, timeout: float = 15) -> list[str]:
        wait_until(lambda: len(self.data()) >= count, timeout, f"{count} events")
        return self.data()

    def cut(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(5)


def publish(worker: Worker, channel: str, data: str, *, retry_for: float = 0) -> str:
    """Publish through a worker's POST endpoint; retry while Redis is down (503)."""
    deadline = time.monotonic() + retry_for
    while True:
        response = httpx.post(f"{worker.url}/publish/{channel}", content=data, timeout=10)
        if response.status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.05)
            continue
        assert response.status_code == 200, response.text
        return str(response.json()["id"])


def joined(stream: Stream, worker: Worker, channel: str) -> None:
    """Publish warm-up events until the stream gets one (its subscription is live)."""
    deadline = time.monotonic() + 15
    while not stream.events:
        assert time.monotonic() < deadline, "the stream never received anything"
        publish(worker, channel, "warm-up")
        time.sleep(0.05)
    time.sleep(0.2)
    stream.events.clear()


def test_cut_on_worker_a_resume_on_worker_b_gets_exactly_the_missed_events(
    workers: list[Worker],
) -> None:
    a, b, c = workers
    channel = "prices-" + uuid.uuid4().hex
    first = Stream(a.url, f"/events/{channel}")
    joined(first, c, channel)
    ids = [publish(c, channel, f"e{i}") for i in range(5)]
    assert first.wait_for(5) == [f"e{i}" for i in range(5)]
    assert [e.id for e in first.events] == ids  # Redis stream entry ids
    last = first.events[-1].id
    first.cut()

    missed = [publish(c, channel, f"m{i}") for i in range(5)]
    second = Stream(b.url, f"/events/{channel}", last_event_id=last)
    assert second.wait_for(5) == [f"m{i}" for i in range(5)]
    live = [publish(c, channel, f"l{i}") for i in range(3)]
    got = second.wait_for(8)
    time.sleep(0.3)  # nothing more may come
    assert second.data() == got == [f"m{i}" for i in range(5)] + [f"l{i}" for i in range(3)]
    assert [e.id for e in second.events] == missed + live
    assert not any(e.event == GAP_EVENT for e in second.events)
    # the query parameter works as the header does (browsers cannot set headers)
    third = Stream(a.url, f"/events/{channel}?last_event_id={missed[2]}")
    assert third.wait_for(5) == ["m3", "m4", "l0", "l1", "l2"]
    second.cut()
    third.cut()


def test_redis_restart_mid_stream_loses_nothing(
    redis_server: RedisServer, workers: list[Worker]
) -> None:
    a, _, c = workers
    channel = "restart-" + uuid.uuid4().hex
    stream = Stream(a.url, f"/events/{channel}")
    joined(stream, c, channel)
    sent: list[str] = []
    for i in range(40):
        if i == 20:
            redis_server.stop()  # publishing now fails with 503 ...
            response = httpx.post(f"{c.url}/publish/{channel}", content="lost", timeout=10)
            assert response.status_code == 503
            assert "unavailable" in response.json()["error"]
            time.sleep(0.5)  # ... while the stream stays open on keep-alives
            redis_server.start()
        publish(c, channel, f"p{i}", retry_for=15)
        sent.append(f"p{i}")
        time.sleep(0.01)
    assert stream.wait_for(40, timeout=20) == sent
    time.sleep(0.3)
    assert stream.data() == sent and not stream.ended  # the same connection, exactly once
    stream.cut()


def run(main: Any) -> Any:
    return asyncio.run(asyncio.wait_for(main(), 30))


def test_trimmed_history_and_unknown_ids_are_told(redis_server: RedisServer) -> None:
    async def main() -> None:
        hub = Hub(RedisBroker(redis_server.url, history=10, block=0.2))
        ids = [await hub.apublish("c", f"e{i}") for i in range(100)]
        cases = [(ids[3], "expired"), ("nonsense", "unknown"), ("99999999999999-0", "unknown")]
        for last, reason in cases:
            decoder = Decoder()
            sub = hub.subscribe("c", last)
            got = decoder.feed(await sub.__anext__())
            assert got[0].event == GAP_EVENT and json.loads(got[0].data)["reason"] == reason
            kept = [e.data for e in got[1:]]
            assert 10 <= len(kept) < 30 and kept == [f"e{i}" for i in range(100 - len(kept), 100)]
            await sub.aclose()
        sub = hub.subscribe("c", ids[95])  # still in the history: exactly what follows
        assert [e.data for e in Decoder().feed(await sub.__anext__())] == [
            f"e{i}" for i in range(96, 100)
        ]
        await sub.aclose()
        await hub.aclose()

    run(main)


def test_redis_down_publish_raises_and_subscribers_catch_up(redis_server: RedisServer) -> None:
    async def main() -> None:
        broker = RedisBroker(redis_server.url, block=0.2, timeout=2)
        hub = Hub(broker)
        subs = [hub.subscribe("c") for _ in range(20)]
        firsts = [asyncio.ensure_future(s.__anext__()) for s in subs]
        await asyncio.sleep(0.3)
        first_id = await hub.apublish("c", "before")
        got = [await asyncio.wait_for(t, 10) for t in firsts]
        assert all(g == b"data: before\nid: " + first_id.encode() + b"\n\n" for g in got)
        clients = await broker._client().client_list()
        assert sum(1 for c in clients if c.get("cmd") == "xread") == 1  # one loop per channel
        redis_server.stop()
        with pytest.raises(BrokerUnavailable, match="unavailable"):
            await hub.apublish("c", "lost")
        with pytest.raises(BrokerUnavailable):
            await asyncio.to_thread(hub.publish, "c", "lost")
        pending = [asyncio.ensure_future(s.__anext__()) for s in subs]
        await asyncio.sleep(0.5)
        assert not any(t.done() for t in pending)  # still subscribed
        redis_server.start()
        for _ in range(100):
            try:
                event_id = hub.publish("c", "after")
                break
            except BrokerUnavailable:
                await asyncio.sleep(0.05)
        got = [await asyncio.wait_for(t, 10) for t in pending]
        assert all(g == b"data: after\nid: " + event_id.encode() + b"\n\n" for g in got)
        await hub.aclose()

    run(main)


def test_aiohttp_end_resumes_from_query_parameter() -> None:
    from aiohttp import ClientSession, web

    async def main() -> None:
        hub = Hub()
        app = web.Application()

        async def handler(request: web.Request) -> web.StreamResponse:
            response: web.StreamResponse = hub.response(request, "c", ping=0)
            return response

        app.router.add_get("/sse", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        ids = [hub.publish("c", f"e{i}") for i in range(4)]
        decoder = Decoder()
        got: list[Event] = []
        async with (
            ClientSession() as session,
            session.get(
                f"http://127.0.0.1:{port}/sse", params={"last_event_id": ids[1]}
            ) as response,
        ):
            assert response.headers["Content-Type"].startswith("text/event-stream")
            while len(got) < 2:
                got += decoder.feed(await response.content.readany())
            hub.publish("c", "live")
            while len(got) < 3:
                got += decoder.feed(await response.content.readany())
        assert [e.data for e in got] == ["e2", "e3", "live"]
        await hub.aclose()
        await runner.cleanup()

    run(main)
