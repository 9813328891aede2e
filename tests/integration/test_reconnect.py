"""ssecodec.client: the reconnecting EventSource against real servers, on each backend."""

from __future__ import annotations

import asyncio
import math
import random
import socket
import sys
import threading
import time
from typing import Any, TypedDict

import aiohttp
import httpx
import pytest
import sseapps
import urllib3

from conftest import UvicornServer, wait_until
from ssecodec import Event
from ssecodec.client import (
    CLOSED,
    CONNECTING,
    MAX_RETRY_DELAY,
    AsyncEventSource,
    EventSource,
    EventSourceError,
)


class Delays(TypedDict):
    """The client's delay options, passed as ``**FAST``."""

    reconnection_time: float
    min_backoff: float
    max_backoff: float


FAST: Delays = {"reconnection_time": 0.01, "min_backoff": 0.01, "max_backoff": 0.05}
SYNC_BACKENDS = ["httpx", "urllib3"]
ASYNC_BACKENDS = ["httpx", "aiohttp"]


@pytest.fixture(params=SYNC_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each backend of EventSource in turn."""
    return str(request.param)


@pytest.fixture(params=ASYNC_BACKENDS)
def async_backend(request: pytest.FixtureRequest) -> str:
    """Each backend of AsyncEventSource in turn."""
    return str(request.param)


TOTAL, CUT_EVERY = 100, 5  # 20 connections cut mid-stream, then a clean end and a 204


def expected_resume() -> list[tuple[str, str, str | None]]:
    return [("resume", f"event {i} ✓ ünïcødé\nsecond line", str(i)) for i in range(1, TOTAL + 1)]


def check_resume(events: list[Event], probe: sseapps.Probe) -> None:
    got = [(e.event, e.data, e.id) for e in events]
    assert got == expected_resume()  # every event once, in order, nothing glued or partial
    # 20 cut connections + the one that ends cleanly + the 204.
    assert probe.connections == TOTAL // CUT_EVERY + 1
    assert probe.last_event_ids[0] is None
    assert probe.last_event_ids[1:] == [str(i) for i in range(CUT_EVERY, TOTAL + 1, CUT_EVERY)]


@pytest.mark.parametrize("server", ["starlette", "fastapi", "aiohttp"])
def test_drop_and_resume_sync(
    request: pytest.FixtureRequest, server: str, token: str, backend: str
) -> None:
    url = request.getfixturevalue(f"{server}_server").url
    probe = sseapps.PROBES[token]
    with EventSource(
        f"{url}/resume?token={token}&total={TOTAL}&cut_every={CUT_EVERY}", backend=backend, **FAST
    ) as source:
        assert source.backend == backend
        events = list(source)
        assert source.ready_state == CLOSED
        assert source.last_event_id == str(TOTAL)
        assert source.retry == 10
        assert source.connections == TOTAL // CUT_EVERY
    check_resume(events, probe)


@pytest.mark.parametrize("server", ["starlette", "aiohttp"])
def test_drop_and_resume_async(
    request: pytest.FixtureRequest, server: str, token: str, async_backend: str
) -> None:
    url = request.getfixturevalue(f"{server}_server").url
    probe = sseapps.PROBES[token]

    async def main() -> list[Event]:
        async with AsyncEventSource(
            f"{url}/resume?token={token}&total={TOTAL}&cut_every={CUT_EVERY}",
            backend=async_backend,
            **FAST,
        ) as source:
            assert source.backend == async_backend
            events = [event async for event in source]
            assert source.ready_state == CLOSED
            assert source.last_event_id == str(TOTAL)
            return events

    check_resume(asyncio.run(main()), probe)


def test_honours_server_retry(starlette_server: UvicornServer, token: str, backend: str) -> None:
    url = f"{starlette_server.url}/retry?token={token}&ms=300&times=3"
    probe = sseapps.PROBES[token]
    # Without the server's retry it would wait 30 s; the test would time out.
    with EventSource(
        url, reconnection_time=30, min_backoff=30, max_backoff=60, backend=backend
    ) as source:
        events = list(source)
        assert source.retry == 300
        assert source.reconnection_time == 0.3
    assert [e.data for e in events] == ["connection 1", "connection 2", "connection 3"]
    gaps = [b - a for a, b in zip(probe.connected_at, probe.connected_at[1:], strict=False)]
    assert len(gaps) == 3
    assert all(0.29 <= gap < 5 for gap in gaps), gaps
    assert probe.last_event_ids == [None, "1", "2", "3"]


def test_reconnection_time_without_retry(
    starlette_server: UvicornServer, token: str, backend: str
) -> None:
    url = f"{starlette_server.url}/retry?token={token}&times=2"
    probe = sseapps.PROBES[token]
    with EventSource(url, reconnection_time=0.2, min_backoff=30, backend=backend) as source:
        assert len(list(source)) == 2
        assert source.retry is None
    gaps = [b - a for a, b in zip(probe.connected_at, probe.connected_at[1:], strict=False)]
    assert all(0.19 <= gap < 5 for gap in gaps), gaps


def test_sends_initial_last_event_id(
    starlette_server: UvicornServer, token: str, backend: str
) -> None:
    url = f"{starlette_server.url}/resume?token={token}&total=3&cut_every=10"
    probe = sseapps.PROBES[token]
    with EventSource(url, last_event_id="1", backend=backend, **FAST) as source:
        assert [e.id for e in source] == ["2", "3"]
    assert probe.last_event_ids == ["1", "3"]


def test_stops_on_204(server_url: str, backend: str) -> None:
    with EventSource(f"{server_url}/nocontent", backend=backend, **FAST) as source:
        assert list(source) == []
        assert source.ready_state == CLOSED
        assert source.connections == 0


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/status?code=500", 500, "server says no"),
        ("/wrong", 404, "<html><body>Not here"),
        ("/plain", 200, "just text"),
    ],
)
def test_fails_on_bad_response(
    server_url: str, path: str, status: int, body: str, backend: str
) -> None:
    with (
        EventSource(server_url + path, backend=backend, **FAST) as source,
        pytest.raises(EventSourceError) as info,
    ):
        list(source)
    assert info.value.status_code == status
    assert body in str(info.value) and f"HTTP {status}" in str(info.value)
    assert info.value.body.decode().startswith(body)
    assert source.ready_state == CLOSED


def test_async_fails_on_bad_response(server_url: str, async_backend: str) -> None:
    async def main() -> None:
        async with AsyncEventSource(server_url + "/wrong", backend=async_backend, **FAST) as source:
            with pytest.raises(EventSourceError, match="Not here") as info:
                async for _ in source:
                    pass
            assert info.value.status_code == 404

    asyncio.run(main())


CONNECT_ERRORS: dict[str, type[Exception]] = {
    "httpx": httpx.ConnectError,
    "urllib3": urllib3.exceptions.NewConnectionError,
    "aiohttp": aiohttp.ClientConnectorError,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_backoff_on_failures_then_gives_up(backend: str) -> None:
    url = f"http://127.0.0.1:{free_port()}/"  # nothing listens: connection refused
    began = time.monotonic()
    with EventSource(
        url,
        reconnection_time=0.01,
        min_backoff=0.05,
        max_backoff=0.2,
        max_failures=5,
        backend=backend,
    ) as source:
        with pytest.raises(EventSourceError, match="5 failed attempts") as info:
            list(source)
        # The last network error, as the backend's library raised it.
        assert isinstance(info.value.__cause__, CONNECT_ERRORS[backend])
        assert info.value.status_code is None
    # Waits before attempts 2..5: at least 0.05 + 0.05 + 0.1 + 0.1 (jitter keeps half).
    assert time.monotonic() - began >= 0.3


def test_async_backoff_gives_up(async_backend: str) -> None:
    url = f"http://127.0.0.1:{free_port()}/"

    async def main() -> None:
        async with AsyncEventSource(url, max_failures=3, backend=async_backend, **FAST) as source:
            with pytest.raises(EventSourceError, match="3 failed attempts") as info:
                async for _ in source:
                    pass
            assert isinstance(info.value.__cause__, CONNECT_ERRORS[async_backend])

    asyncio.run(main())


def test_backoff_schedule(backend: str) -> None:
    random.seed(1234)
    source = EventSource("http://127.0.0.1:1/", reconnection_time=0.5, backend=backend)
    try:
        source._attempts = 1
        delays = []
        for failures in range(1, 10):
            source._failures = failures
            delays.append(source._next_delay())
        bounds = [min(30.0, 2.0 ** (n - 1)) for n in range(1, 10)]
        for delay, bound in zip(delays, bounds, strict=True):
            assert max(1.0, bound / 2) <= delay <= bound
        assert delays[-1] >= 15.0  # capped at 30 s, with jitter
        source._failures = 0
        assert source._next_delay() == 0.5  # a drop after events: the reconnection time
        source._retry = 4000
        assert source._next_delay() == 4.0  # the server's retry wins
        source._failures = 1
        assert source._next_delay() == 4.0  # never less than the reconnection time
    finally:
        source.close()


def test_close_from_another_thread(
    starlette_server: UvicornServer, token: str, backend: str
) -> None:
    import threading

    url = f"{starlette_server.url}/infinite?token={token}&interval=0.05"
    source = EventSource(url, backend=backend, **FAST)
    got = []
    timer = threading.Timer(0.5, source.close)
    timer.start()
    try:
        for event in source:  # ends quietly when close() is called from another thread
            got.append(event)
    finally:
        timer.join()
    assert got
    assert source.ready_state == CLOSED
    assert sseapps.PROBES[token].finished.wait(5)


def test_validation(backend: str) -> None:
    with pytest.raises(ValueError, match="min_backoff"):
        EventSource("http://x/", min_backoff=-1, backend=backend)
    with pytest.raises(ValueError, match="max_failures"):
        EventSource("http://x/", max_failures=0, backend=backend)
    with pytest.raises(ValueError, match="max_line_size"):
        EventSource("http://x/", max_line_size=0, backend=backend)
    source = EventSource("http://x/", backend=backend)
    assert source.ready_state == CONNECTING
    source.close()


HUGE_RETRIES = pytest.mark.parametrize(
    "ms", ["9" * 400, "9223372037000"], ids=["400-digits", "past-timeout-max"]
)


@HUGE_RETRIES
def test_huge_retry_waits_the_maximum(
    starlette_server: UvicornServer, token: str, ms: str, backend: str
) -> None:
    """A retry too large for a float (400 digits), or for threading's timeout, is waited as
    MAX_RETRY_DELAY; close() from another thread ends that wait."""
    url = f"{starlette_server.url}/retry?token={token}&ms={ms}&times=3"
    source = EventSource(url, backend=backend)
    got: list[Event] = []
    errors: list[BaseException] = []

    def follow() -> None:
        try:
            got.extend(source)
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=follow)
    thread.start()
    try:
        wait_until(lambda: source.last_delay is not None or not thread.is_alive(), 10, "the wait")
        time.sleep(0.3)  # inside threading.Event.wait(MAX_RETRY_DELAY) by now
        assert thread.is_alive(), errors
    finally:
        source.close()
        thread.join(10)
    assert not thread.is_alive() and errors == []
    assert source.last_delay == MAX_RETRY_DELAY
    assert source.reconnection_time == MAX_RETRY_DELAY
    assert source.retry == int(ms)
    assert [e.data for e in got] == ["connection 1"]
    assert sseapps.PROBES[token].connections == 1


@HUGE_RETRIES
def test_async_huge_retry_waits_the_maximum(
    starlette_server: UvicornServer, token: str, ms: str, async_backend: str
) -> None:
    url = f"{starlette_server.url}/retry?token={token}&ms={ms}&times=3"

    async def main() -> None:
        source = AsyncEventSource(url, backend=async_backend)
        got: list[Event] = []

        async def follow() -> None:
            async for event in source:
                got.append(event)

        task = asyncio.create_task(follow())
        for _ in range(1000):
            if source.last_delay is not None or task.done():
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # inside the wait for MAX_RETRY_DELAY by now
        assert not task.done(), task.exception() if task.done() else None
        await source.aclose()
        await asyncio.wait_for(task, 10)
        assert source.last_delay == MAX_RETRY_DELAY
        assert source.reconnection_time == MAX_RETRY_DELAY
        assert source.retry == int(ms)
        assert [e.data for e in got] == ["connection 1"]

    asyncio.run(main())
    assert sseapps.PROBES[token].connections == 1


def test_delays_are_capped(backend: str) -> None:
    """Delay arguments, the server's retry and the backoff never exceed MAX_RETRY_DELAY and
    never overflow a float."""
    random.seed(99)
    source = EventSource(
        "http://127.0.0.1:1/",
        reconnection_time=10**400,
        min_backoff=2.0,
        max_backoff=math.inf,
        backend=backend,
    )
    try:
        assert source.reconnection_time == MAX_RETRY_DELAY
        source._attempts = 1
        for retry in (10**100_000 - 1, 2**63, 86_400_001, 86_400_000):
            source._retry = retry
            assert source.reconnection_time == MAX_RETRY_DELAY
            assert source._next_delay() == MAX_RETRY_DELAY
        source._retry = 86_399_999
        assert source.reconnection_time == 86_399.999
        source._retry = 0
        for failures in (1, 20, 1023, 1024, 1025, 5000, 10**6):
            source._failures = failures
            delay = source._next_delay()
            assert 1.0 <= delay <= MAX_RETRY_DELAY
        assert delay >= MAX_RETRY_DELAY / 2  # capped, with jitter
    finally:
        source.close()
    tiny = EventSource("http://127.0.0.1:1/", min_backoff=1e-300, max_backoff=5, backend=backend)
    try:
        tiny._attempts, tiny._failures = 1, 10**6
        assert 2.5 <= tiny._next_delay() <= 5  # the doubling reaches max_backoff
    finally:
        tiny.close()


@pytest.mark.parametrize("name", ["reconnection_time", "min_backoff", "max_backoff"])
def test_delay_arguments_checked(name: str, backend: str) -> None:
    def make(value: float) -> EventSource:
        options: dict[str, Any] = {name: value}
        return EventSource("http://x/", backend=backend, **options)

    with pytest.raises(ValueError, match=f"{name} must be a number of seconds, not NaN"):
        make(math.nan)
    with pytest.raises(ValueError, match=f"^{name} must be >= 0$"):
        make(-(10**5000))
    with pytest.raises(ValueError, match=f"^{name} must be >= 0, not -1.5$"):
        make(-1.5)


STREAM_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"


class RawServer:
    """A bare HTTP/1.1 server answering every request with ``head`` (by default, that of an
    event stream) and ``body``, then closing; it records each request's raw Last-Event-ID
    header (or None)."""

    def __init__(self, body: bytes, head: bytes = STREAM_HEAD) -> None:
        self.body = body
        self.head = head
        self.last_event_ids: list[bytes | None] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.05)  # accept() polls `stopped`: close() does not wake it
        self.stopped = threading.Event()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            conn.settimeout(10)
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    data = conn.recv(65536)
                    if not data:
                        break
                    request += data
                found = [
                    line.partition(b":")[2].strip(b" ")
                    for line in request.split(b"\r\n")
                    if line.lower().startswith(b"last-event-id:")
                ]
                self.last_event_ids.append(found[0] if found else None)
                conn.sendall(self.head + self.body)

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.sock.close()


ODD_IDS = pytest.mark.parametrize(
    ("sent", "header"),
    [
        (b"\xc3\xa9t\xc3\xa9", b"\xc3\xa9t\xc3\xa9"),
        (b"\xe2\x82\xac 1", b"\xe2\x82\xac 1"),
        (b"\xff", b"\xef\xbf\xbd"),
        (b"7 ", b"7"),
        (b"\t x\x0b", b"x"),
        (b"a\x01\x7fb", b"a\x01\x7fb"),
    ],
    ids=["utf8", "euro", "invalid-utf8", "trailing-space", "whitespace", "controls"],
)


@ODD_IDS
def test_odd_ids_are_sent_back(sent: bytes, header: bytes, backend: str) -> None:
    """Any id a server sends is sent back on reconnection (UTF-8, trimmed as HTTP trims it):
    never a UnicodeEncodeError, never a request h11 refuses to send."""
    server = RawServer(b"retry: 1\nid: " + sent + b"\ndata: x\n\n")
    try:
        with EventSource(server.url, max_failures=2, backend=backend, **FAST) as source:
            events = []
            for event in source:
                events.append(event)
                if len(events) == 2:
                    break
    finally:
        server.close()
    assert server.last_event_ids == [None, header]


@ODD_IDS
def test_async_odd_ids_are_sent_back(sent: bytes, header: bytes, async_backend: str) -> None:
    server = RawServer(b"retry: 1\nid: " + sent + b"\ndata: x\n\n")

    async def main() -> None:
        async with AsyncEventSource(
            server.url, max_failures=2, backend=async_backend, **FAST
        ) as source:
            count = 0
            async for _ in source:
                count += 1
                if count == 2:
                    break

    try:
        asyncio.run(main())
    finally:
        server.close()
    assert server.last_event_ids == [None, header]


def test_last_event_id_argument(backend: str) -> None:
    server = RawServer(b"data: x\n\n")
    try:
        with EventSource(server.url, last_event_id=" \u00e9t\u00e9 ", backend=backend) as source:
            next(iter(source))
        with EventSource(
            server.url, last_event_id=" ", headers={"last-event-id": "7"}, backend=backend
        ) as source:
            next(iter(source))
    finally:
        server.close()
    assert server.last_event_ids == [b"\xc3\xa9t\xc3\xa9", None]
    for bad in ("a\nb", "a\rb", "a\x00b", "\ud800"):
        with pytest.raises(ValueError, match="last_event_id"):
            EventSource("http://x/", last_event_id=bad, backend=backend)


# -- choosing the backend, and what each one takes ---------------------------------------

EITHER = [("sync", "httpx"), ("sync", "urllib3"), ("async", "httpx"), ("async", "aiohttp")]
EITHER_IDS = ["httpx", "urllib3", "async-httpx", "aiohttp"]
Spec = tuple[str, str]


def take(
    spec: Spec, url: str, count: int | None = None, got: list[Event] | None = None, **options: Any
) -> list[Event]:
    """The events (``count`` at most) of an event source on backend ``spec`` (sync or async,
    and the backend's name); ``got`` keeps those read before an error."""
    kind, backend = spec
    events = [] if got is None else got
    if kind == "sync":
        with EventSource(url, backend=backend, **options) as source:
            assert source.backend == backend
            for event in source:
                events.append(event)
                if len(events) == count:
                    break
        return events

    async def main() -> None:
        async with AsyncEventSource(url, backend=backend, **options) as source:
            assert source.backend == backend
            async for event in source:
                events.append(event)
                if len(events) == count:
                    break

    asyncio.run(main())
    return events


@pytest.fixture(params=EITHER, ids=EITHER_IDS)
def either(request: pytest.FixtureRequest) -> Spec:
    """Each backend of EventSource and of AsyncEventSource in turn."""
    kind, backend = request.param
    return str(kind), str(backend)


def test_fastest_backend_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)
    url = "http://127.0.0.1:1/"

    async def async_backend(**options: Any) -> str:
        async with AsyncEventSource(url, **options) as source:
            return source.backend

    def sync_backend(**options: Any) -> str:
        with EventSource(url, **options) as source:
            return source.backend

    assert sync_backend() == "urllib3"
    assert asyncio.run(async_backend()) == "aiohttp"
    # The options every backend takes keep the fast one; httpx's own choose httpx.
    assert sync_backend(timeout=5, params={"a": 1}) == "urllib3"
    assert asyncio.run(async_backend(timeout=httpx.Timeout(5))) == "aiohttp"
    assert sync_backend(auth=("user", "secret")) == "httpx"
    assert asyncio.run(async_backend(cookies={"a": "b"})) == "httpx"
    with httpx.Client() as client:
        assert sync_backend(client=client) == "httpx"
        assert not client.is_closed  # not closed: the caller's
    # urllib3 reads no proxy settings from the environment: httpx does, so it is chosen.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9/")
    assert sync_backend() == "httpx"
    assert sync_backend(backend="urllib3") == "urllib3"
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert sync_backend() == "urllib3"
    assert asyncio.run(async_backend()) == "aiohttp"  # aiohttp reads them (trust_env)


@pytest.mark.parametrize(("kind", "library"), [("sync", "urllib3"), ("async", "aiohttp")])
def test_httpx_when_the_fast_stack_is_missing(
    monkeypatch: pytest.MonkeyPatch, kind: str, library: str
) -> None:
    monkeypatch.setitem(sys.modules, library, None)  # import fails
    source_class = EventSource if kind == "sync" else AsyncEventSource
    source = source_class("http://127.0.0.1:1/")
    assert source.backend == "httpx"
    with pytest.raises(ImportError, match=rf"needs {library}.*ssecodec\[client\]"):
        source_class("http://127.0.0.1:1/", backend=library)


def test_backend_argument_checked() -> None:
    with pytest.raises(ValueError, match="EventSource's backend is one of urllib3, httpx"):
        EventSource("http://x/", backend="aiohttp")
    with pytest.raises(ValueError, match="AsyncEventSource's backend is one of aiohttp, httpx"):
        AsyncEventSource("http://x/", backend="urllib3")
    with httpx.Client() as client, pytest.raises(TypeError, match="cannot use a httpx client"):
        EventSource("http://x/", client=client, backend="urllib3")
    with pytest.raises(TypeError, match="AsyncEventSource takes no urllib3 client"):
        AsyncEventSource("http://x/", client=urllib3.PoolManager())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="the urllib3 backend takes no auth"):
        EventSource("http://x/", backend="urllib3", auth=("user", "secret"))
    with pytest.raises(TypeError, match="timeout must be a number"):
        EventSource("http://x/", backend="urllib3", timeout="soon")


def test_params_and_timeout_on_every_backend(
    starlette_server: UvicornServer, token: str, either: Spec
) -> None:
    """``params`` are added to the URL's query; a read ``timeout`` drops a silent connection
    (the event source then reconnects, as after any drop)."""
    url = f"{starlette_server.url}/resume"
    params = {"token": token, "total": 4, "cut_every": 2}
    events = take(either, url, params=params, timeout=20, **FAST)
    assert [e.id for e in events] == ["1", "2", "3", "4"]
    assert sseapps.PROBES[token].last_event_ids == [None, "2", "4"]
    idle = take(either, f"{starlette_server.url}/idle", 2, timeout=0.3, **FAST)
    assert [e.data for e in idle] == ["hello", "hello"]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_client_of_ones_own(starlette_server: UvicornServer, token: str, kind: str) -> None:
    """A client passed in chooses its backend; closing the event source leaves it open."""
    url = f"{starlette_server.url}/resume?token={token}&total=6&cut_every=3"
    if kind == "sync":
        for client in (httpx.Client(), urllib3.PoolManager()):
            with EventSource(url, client=client, **FAST) as source:
                assert source.backend == type(client).__module__.partition(".")[0]
                assert [e.id for e in source] == ["1", "2", "3", "4", "5", "6"]
            if isinstance(client, httpx.Client):
                assert not client.is_closed
                client.close()
        return

    async def main() -> None:
        async with (
            httpx.AsyncClient() as client,
            AsyncEventSource(url, client=client, **FAST) as source,
        ):
            assert source.backend == "httpx"
            assert len([e async for e in source]) == 6
        assert client.is_closed  # by its own async with
        session = aiohttp.ClientSession()
        async with AsyncEventSource(
            url.replace(token, token + "b"), client=session, **FAST
        ) as source:
            assert source.backend == "aiohttp"
            assert len([e async for e in source]) == 6
        assert not session.closed
        await session.close()

    asyncio.run(main())


def test_redirects_are_followed(either: Spec) -> None:
    target = RawServer(b"data: here\n\n")
    redirect = RawServer(
        b"",
        f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {target.url}\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n".encode(),
    )
    try:
        assert [e.data for e in take(either, redirect.url, 1)] == ["here"]
    finally:
        redirect.close()
        target.close()
    assert target.last_event_ids == [None]


def test_too_many_redirects(either: Spec) -> None:
    loop = RawServer(
        b"",
        b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /again\r\n"
        b"Content-Length: 0\r\nConnection: close\r\n\r\n",
    )
    try:
        # httpx raises its own error, as it always did; the others fail the event source.
        error = httpx.TooManyRedirects if either[1] == "httpx" else EventSourceError
        with pytest.raises(error, match=r"(?i)redirects"):
            take(either, loop.url, **FAST)
    finally:
        loop.close()
    assert len(loop.last_event_ids) == 21  # the request and 20 redirects


def test_a_url_no_backend_can_request(either: Spec) -> None:
    # httpx raises its own error, as it always did; the others fail the event source.
    error = httpx.UnsupportedProtocol if either[1] == "httpx" else EventSourceError
    with pytest.raises(error):
        take(either, "ftp://127.0.0.1:1/", **FAST)


def test_close_wakes_a_blocked_read(
    starlette_server: UvicornServer, token: str, backend: str
) -> None:
    """close() from another thread ends an iteration waiting on a silent stream."""
    source = EventSource(f"{starlette_server.url}/idle?token={token}", backend=backend)
    got: list[Event] = []
    thread = threading.Thread(target=lambda: got.extend(source))
    thread.start()
    wait_until(lambda: bool(got), 10, "the first event")
    time.sleep(0.2)  # blocked in a read by now
    began = time.monotonic()
    source.close()
    thread.join(10)
    assert not thread.is_alive()
    assert time.monotonic() - began < 2
    assert [e.data for e in got] == ["hello"]
    assert sseapps.PROBES[token].finished.wait(5)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_proxy_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """By default, the proxy environment variables are honoured, as httpx honours them: a
    RawServer answers every request, so it stands for an HTTP proxy here."""
    proxy = RawServer(b"data: through the proxy\n\n")
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    url = "http://events.invalid/stream"  # never resolved: the proxy is asked for it
    try:
        if kind == "sync":
            with EventSource(url, max_failures=1) as source:
                assert source.backend == "httpx"  # urllib3 reads no proxy settings
                assert next(iter(source)).data == "through the proxy"

            with EventSource(url, client=urllib3.ProxyManager(proxy.url)) as source:
                assert source.backend == "urllib3"
                assert next(iter(source)).data == "through the proxy"
        else:

            async def main() -> None:
                async with AsyncEventSource(url, max_failures=1) as source:
                    assert source.backend == "aiohttp"
                    assert (await source.__aiter__().__anext__()).data == "through the proxy"

            asyncio.run(main())
    finally:
        proxy.close()
    assert proxy.last_event_ids == [None] * (2 if kind == "sync" else 1)
