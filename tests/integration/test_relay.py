"""``ssecodec.relay`` on real servers: upstream (uvicorn) -> relay (uvicorn or aiohttp) -> client.

Every server listens on 127.0.0.1 on a port the OS picks. The relay is run in both paths
(pass-through, and decoding with a sync and an async identity transform) and both frameworks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import struct
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import h11
import httpx
import pytest

from conftest import AiohttpServer, UvicornServer, bound_socket
from conftest import reader_state as decode
from ssecodec import Decoder, Event
from ssecodec.relay import RelayOptions, relay_aiohttp, relay_starlette

TIMEOUT = 10.0

# -- the upstream --------------------------------------------------------------------------

TRICKY = (
    b"\xef\xbb\xbf: hello\r\n"
    b"retry: 2500\r\n\r\n"
    b"id: 1\revent: delta\rdata: caf\xc3\xa9 \xe2\x9c\x93\r\r"
    b"data: multi\ndata: line\n\n"
    b"id\ndata: id reset\r\n\r\n"
    b"id: bad\x00\ndata: an id with NUL is ignored\n\n"
    b"data: invalid \xff utf-8\n\n"
    b"event: only-a-type\n\n"
    b": ping\n\n"
    b"id: 99\n\n"
    b"data:no space\r\n"
    b"data\r\n\r\n"
    b"data: an unfinished event"
)


@dataclass
class Probe:
    finished: threading.Event = field(default_factory=threading.Event)
    finished_at: float = 0.0
    produced: int = 0
    last_event_id: str | None = None


PROBES: dict[str, Probe] = {}


def probe(token: str) -> Probe:
    return PROBES.setdefault(token, Probe())


def upstream_app() -> Any:
    """A raw ASGI upstream: exact bytes in exact HTTP chunks where that matters."""
    from ssecodec.starlette import EventSourceResponse

    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"text/event-stream")],
    }

    async def body(send: Any, data: bytes, more: bool = True) -> None:
        await send({"type": "http.response.body", "body": data, "more_body": more})

    async def infinite(token: str) -> AsyncIterator[Event]:
        try:
            i = 0
            while True:
                yield Event(f"tick {i}", id=str(i))
                i += 1
                await asyncio.sleep(0.02)
        finally:
            probe(token).finished_at = time.monotonic()
            probe(token).finished.set()

    async def flood(token: str) -> AsyncIterator[Event]:
        payload = "x" * 1000
        state = probe(token)
        try:
            i = 0
            while True:
                event = Event(payload, id=str(i))
                state.produced += len(event.encode())
                yield event
                i += 1
                if i % 64 == 0:
                    await asyncio.sleep(0)
        finally:
            state.finished_at = time.monotonic()
            state.finished.set()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        path = scope["path"]
        query = dict(
            part.split("=", 1) for part in scope["query_string"].decode().split("&") if part
        )
        headers = dict(scope["headers"])
        if path == "/tricky":
            size = int(query["size"])
            await send(start)
            for i in range(0, len(TRICKY), size):
                await body(send, TRICKY[i : i + size])
            await body(send, b"", more=False)
        elif path == "/fail":
            await send(start)
            await body(send, b"id: 1\ndata: one\n\ndata: two\r\n")
            await body(send, b"\r\ndata: half an ev")
            raise RuntimeError("the upstream broke mid-stream")
        elif path == "/long-retry":
            # A retry-only block of 5,000 digits (valid SSE; more than Python formats by
            # default, sys.int_max_str_digits), then events.
            await send(start)
            await body(send, b"retry: " + b"7" * 5000 + b"\n\n")
            await body(send, b"id: 1\ndata: after\n\ndata: and on\n\n", more=False)
        elif path == "/echo-id":
            probe(query["token"]).last_event_id = headers.get(b"last-event-id", b"").decode()
            await send(start)
            await body(send, b"data: hello\n\n", more=False)
        elif path == "/comments":
            await send(start)
            await body(send, b": keepalive\n\ndata: a\n: inside\ndata: b\n\n", more=False)
        elif path == "/limited":
            await send(
                {
                    **start,
                    "status": 429,
                    "headers": [(b"content-type", b"application/json"), (b"retry-after", b"7")],
                }
            )
            await body(send, b'{"error": {"message": "slow down"}}', more=False)
        elif path == "/html":
            await send({**start, "headers": [(b"content-type", b"text/html")]})
            await body(send, b"<html></html>", more=False)
        elif path == "/infinite":
            await EventSourceResponse(infinite(query["token"]))(scope, receive, send)
        elif path == "/flood":
            await EventSourceResponse(flood(query["token"]))(scope, receive, send)
        else:
            await send({**start, "status": 404})
            await body(send, b"", more=False)

    return app


# -- the relays ------------------------------------------------------------------------------


def identity(event: Event) -> Event:
    return event


async def async_identity(event: Event) -> Event:
    return event


TRANSFORMS = {"pass": None, "transform": identity, "async": async_identity}


def target(upstream: str, up: str) -> str:
    """The upstream URL of a relay request: ``up`` is a path on the uvicorn upstream, or the
    whole URL of another one (the raw-socket upstream)."""
    return up if up.startswith("http://") else upstream + up


def relay_options(query: Any) -> dict[str, Any]:
    return {
        "transform": TRANSFORMS[query.get("mode", "pass")],
        "comments": query.get("comments") == "1",
        "ping": 0,
    }


def upstream_client(transport: str) -> httpx.AsyncClient:
    """The relay's client to the upstream: httpx's own transport, or aiohttp's (httpx-aiohttp,
    the transport docs/relay.md recommends for throughput)."""
    timeout = httpx.Timeout(TIMEOUT, read=None)
    if transport == "aiohttp":
        from httpx_aiohttp import AiohttpTransport

        return httpx.AsyncClient(transport=AiohttpTransport(), timeout=timeout)
    return httpx.AsyncClient(timeout=timeout)


def starlette_relay(upstream: str, transport: str = "httpcore") -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    clients: list[httpx.AsyncClient] = []

    async def relay(request: Request) -> Response:
        return await relay_starlette(
            request,
            clients[0],
            "GET",
            target(upstream, request.query_params["up"]),
            **relay_options(request.query_params),
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        async with upstream_client(transport) as client:
            clients.append(client)
            yield

    return Starlette(routes=[Route("/relay", relay)], lifespan=lifespan)


def aiohttp_relay(upstream: str) -> Any:
    from aiohttp import web

    from ssecodec.aiohttp import on_shutdown

    key = web.AppKey("client", httpx.AsyncClient)

    async def relay(request: web.Request) -> web.StreamResponse:
        return await relay_aiohttp(
            request,
            request.app[key],
            "GET",
            target(upstream, request.query["up"]),
            **relay_options(request.query),
        )

    async def client_ctx(app: web.Application) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=httpx.Timeout(TIMEOUT, read=None)) as client:
            app[key] = client
            yield

    app = web.Application()
    app.router.add_get("/relay", relay)
    app.cleanup_ctx.append(client_ctx)
    app.on_shutdown.append(on_shutdown)
    return app


@pytest.fixture(scope="module")
def upstream() -> Iterator[UvicornServer]:
    server = UvicornServer(upstream_app()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def starlette_relay_server(upstream: UvicornServer) -> Iterator[UvicornServer]:
    server = UvicornServer(starlette_relay(upstream.url), lifespan="on").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def starlette_aiohttp_transport_relay_server(upstream: UvicornServer) -> Iterator[UvicornServer]:
    server = UvicornServer(starlette_relay(upstream.url, "aiohttp"), lifespan="on").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def aiohttp_relay_server(upstream: UvicornServer) -> Iterator[AiohttpServer]:
    server = AiohttpServer(aiohttp_relay(upstream.url)).start()
    yield server
    server.stop()


@pytest.fixture(params=["starlette", "aiohttp", "starlette-aiohttp-transport"])
def relay_url(request: pytest.FixtureRequest) -> str:
    server = request.getfixturevalue(f"{request.param.replace('-', '_')}_relay_server")
    return f"{server.url}/relay"


@pytest.fixture
def token(request: pytest.FixtureRequest) -> str:
    # Only URL-safe characters: aiohttp re-quotes a URL's query ("[" and "]" of a test id).
    return f"{re.sub(r'[^A-Za-z0-9_-]', '_', request.node.name)}-{time.monotonic_ns()}"


# -- helpers ---------------------------------------------------------------------------------


def get(url: str, **params: str) -> httpx.Response:
    with httpx.Client(timeout=TIMEOUT) as client:
        return client.get(url, params=params)


# -- correctness -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["pass", "transform", "async"])
@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_chunk_splitting(relay_url: str, mode: str, size: int) -> None:
    """Upstream HTTP chunks of 1, 7, 64 bytes (CRLF, BOM, UTF-8 split) or one: same events."""
    response = get(relay_url, up=f"/tricky?size={size}", mode=mode)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache, no-transform"
    assert response.headers["x-accel-buffering"] == "no"
    expected = decode(TRICKY)
    assert decode(response.content) == expected
    assert len(expected[0]) == 6 and expected[1:] == ("99", 2500)
    assert b"\r" not in response.content
    assert not [line for line in response.content.split(b"\n") if line.startswith(b":")]
    if mode == "pass":  # forwarded undecoded: the invalid UTF-8 byte is still there
        assert b"invalid \xff utf-8" in response.content


@pytest.mark.parametrize("mode", ["pass", "transform"])
def test_comments_forwarded_when_asked(relay_url: str, mode: str) -> None:
    kept = get(relay_url, up="/comments", mode=mode, comments="1").content
    assert [line for line in kept.split(b"\n") if line.startswith(b":")] == [
        b": keepalive",
        b": inside",
    ]
    dropped = get(relay_url, up="/comments", mode=mode).content
    assert b":" not in dropped.replace(b"data:", b"")
    assert decode(kept) == decode(dropped) == ([("message", "a\nb", "", None)], "", None)


@pytest.mark.parametrize("mode", ["pass", "transform"])
def test_upstream_failure_mid_stream(
    relay_url: str, mode: str, request: pytest.FixtureRequest
) -> None:
    """The events before the failure, then an error event, then a clean end; no half event."""
    response = get(relay_url, up="/fail", mode=mode)  # would raise on a broken stream
    events, _, _ = decode(response.content)
    assert events[:2] == [("message", "one", "1", None), ("message", "two", "1", None)]
    assert len(events) == 3
    kind, data, _, _ = events[2]
    assert kind == "error"
    error = json.loads(data)["error"]
    assert error["type"] == "upstream_error"
    # The transport's own words for a chunked body cut short.
    on_aiohttp = request.node.callspec.params["relay_url"] == "starlette-aiohttp-transport"
    expected = "Not enough data" if on_aiohttp else "incomplete chunked read"
    assert expected in error["message"]
    assert b"half" not in response.content


@pytest.mark.parametrize("mode", ["pass", "transform", "async"])
def test_retry_of_thousands_of_digits(relay_url: str, mode: str) -> None:
    """A retry-only block of 5,000 digits is relayed, and so is every event after it."""
    response = get(relay_url, up="/long-retry", mode=mode)
    events, last_id, retry = decode(response.content)
    assert events == [("message", "after", "1", None), ("message", "and on", "1", None)]
    assert retry == (10**5000 - 1) // 9 * 7  # 5,000 sevens
    assert last_id == "1"


# -- an upstream written by hand: how its body ends, and how it dies --------------------------

BEFORE = b"id: 1\ndata: one\n\ndata: two\n\n"
TAILS = {"half": b"data: half an ev", "none": b"", "comment": b": only a comment\n"}


class RawUpstream:
    """An HTTP/1.1 upstream written on a plain socket, for what a server does not do on
    request: a body that only the connection's close ends, a connection reset.

    ``/?framing=chunked|length|close&tail=half|none|comment&end=fin|rst|complete``: the body
    is :data:`BEFORE` then the tail; ``chunked`` and ``length`` (a ``Content-Length``) mark
    where the body ends, ``close`` does not (no length, no chunking). ``fin`` closes the
    connection after the tail without completing the body (a FIN); ``rst`` resets it;
    ``complete`` ends the body properly first (the terminating chunk; the full length).
    """

    def __init__(self) -> None:
        self.sock = bound_socket()
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(TIMEOUT)
        request = b""
        while b"\r\n\r\n" not in request:
            piece = conn.recv(4096)
            if not piece:
                conn.close()
                return
            request += piece
        query = parse_qs(urlsplit(request.split(b" ")[1].decode()).query)
        framing, tail, end = query["framing"][0], TAILS[query["tail"][0]], query["end"][0]
        body = BEFORE + tail
        head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
        if framing == "chunked":
            head += b"transfer-encoding: chunked\r\n\r\n"
            data = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (BEFORE, tail) if p)
            if end == "complete":
                data += b"0\r\n\r\n"
        elif framing == "length":
            full = len(body) if end == "complete" else len(body) + 100
            head += b"content-length: %d\r\n\r\n" % full
            data = body
        else:
            head += b"connection: close\r\n\r\n"
            data = body
        conn.sendall(head + data)
        if end == "rst":
            time.sleep(0.3)  # the relay reads what was sent (a reset may discard unread data)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            return
        conn.shutdown(socket.SHUT_WR)  # a FIN, even with unread bytes from the relay
        with contextlib.suppress(OSError):
            while conn.recv(4096):
                pass
        conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def raw_upstream() -> Iterator[RawUpstream]:
    server = RawUpstream()
    yield server
    server.close()


@pytest.mark.parametrize("mode", ["pass", "transform"])
@pytest.mark.parametrize("end", ["fin", "rst"])
@pytest.mark.parametrize("framing", ["chunked", "length", "close"])
def test_upstream_dies_mid_event(
    relay_url: str, raw_upstream: RawUpstream, framing: str, end: str, mode: str
) -> None:
    """Whatever marks the end of its body (chunks, a length, or only the connection's close),
    an upstream that dies in the middle of an event ends the client's stream with an error
    event after the events before it, and never the half event."""
    up = f"{raw_upstream.url}/?framing={framing}&tail=half&end={end}"
    response = get(relay_url, up=up, mode=mode)
    assert response.status_code == 200
    events, _, _ = decode(response.content)
    assert events, response.content
    kind, data, _, _ = events[-1]
    assert kind == "error", response.content
    assert json.loads(data)["error"]["type"] == "upstream_error"
    before = [("message", "one", "1", None), ("message", "two", "1", None)]
    if end == "fin":
        assert events[:-1] == before
    else:  # a reset may discard what the relay had not read yet
        assert events[:-1] == before[: len(events) - 1]
    assert b"half" not in response.content


@pytest.mark.parametrize("mode", ["pass", "transform"])
@pytest.mark.parametrize(
    ("framing", "tail", "end"),
    [
        ("close", "none", "fin"),  # closed at an event boundary: the end of the body
        ("close", "comment", "fin"),  # only a comment unfinished: no event lost
        ("chunked", "half", "complete"),  # a body that ends mid-event, properly: the spec
        ("length", "half", "complete"),  # discards the unfinished event, and so does a relay
    ],
)
def test_upstream_ends_cleanly(
    relay_url: str, raw_upstream: RawUpstream, framing: str, tail: str, end: str, mode: str
) -> None:
    up = f"{raw_upstream.url}/?framing={framing}&tail={tail}&end={end}"
    response = get(relay_url, up=up, mode=mode)
    assert response.status_code == 200
    assert decode(response.content) == (
        [("message", "one", "1", None), ("message", "two", "1", None)],
        "1",
        None,
    )
    assert b"error" not in response.content


def test_last_event_id_passed_upstream(relay_url: str, token: str) -> None:
    with httpx.Client(timeout=TIMEOUT) as client:
        response = client.get(
            relay_url,
            params={"up": f"/echo-id?token={token}"},
            headers={"Last-Event-ID": "41"},
        )
    assert response.status_code == 200
    assert probe(token).last_event_id == "41"


def test_upstream_errors_become_http_errors(relay_url: str) -> None:
    limited = get(relay_url, up="/limited")
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "7"
    assert limited.json() == {"error": {"message": "slow down"}}
    html = get(relay_url, up="/html")
    assert html.status_code == 502
    assert html.json()["error"]["type"] == "upstream_error"
    missing = get(relay_url, up="/nowhere")
    assert missing.status_code == 404


@pytest.mark.parametrize("framework", ["starlette", "aiohttp"])
def test_unreachable_upstream(framework: str) -> None:
    sock = bound_socket()  # bound, never listening: connections are refused
    port = sock.getsockname()[1]
    app = (starlette_relay if framework == "starlette" else aiohttp_relay)(
        f"http://127.0.0.1:{port}"
    )
    server: Any
    if framework == "starlette":
        server = UvicornServer(app, lifespan="on").start()
    else:
        server = AiohttpServer(app).start()
    try:
        response = get(f"{server.url}/relay", up="/x")
        assert response.status_code == 502
        assert "unreachable" in response.json()["error"]["message"]
    finally:
        server.stop()
        sock.close()


# -- lifecycle -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["pass", "transform"])
def test_client_disconnect_closes_upstream(relay_url: str, token: str, mode: str) -> None:
    state = probe(token)
    with (
        httpx.Client(timeout=TIMEOUT) as client,
        client.stream(
            "GET", relay_url, params={"up": f"/infinite?token={token}", "mode": mode}
        ) as response,
    ):
        decoder = Decoder()
        events: list[Event] = []
        for chunk in response.iter_raw():
            events.extend(decoder.feed(chunk))
            if len(events) >= 3:
                break
    left = time.monotonic()
    assert [e.data for e in events[:3]] == ["tick 0", "tick 1", "tick 2"]
    assert state.finished.wait(5), "the upstream stream was not closed"
    assert state.finished_at - left < 1.0


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def _kernel_queued(*ports: int) -> int:
    """Bytes the kernel holds in the send and receive queues of the established IPv4 TCP
    connections that have one of ``ports`` at either end (Linux ``/proc/net/tcp``)."""
    queued = 0
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            local, remote, state, queues = line.split()[1:5]
            ends = {int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16)}
            if state == "01" and ends & set(ports):
                tx_queue, rx_queue = queues.split(":")
                queued += int(tx_queue, 16) + int(rx_queue, 16)
    return queued


@pytest.mark.parametrize("mode", ["pass", "transform"])
def test_slow_client_pauses_the_upstream(
    relay_url: str, upstream: UvicornServer, token: str, mode: str
) -> None:
    """A client that stops reading: the relay stops reading the upstream (bounded memory),
    and once the client reads again the stream goes on with nothing lost.

    What the upstream produced while the client stalls is held in three places: the kernel's
    TCP queues (their size is the machine's autotuning: up to ``tcp_rmem``'s maximum, 32 MiB
    on some machines, per receive queue), the servers' own buffers, and the relay's. The bound
    is on the last two: produced minus what the kernel holds.
    """
    state = probe(token)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(TIMEOUT)
    try:
        sock.connect(("127.0.0.1", _port(relay_url)))
        path = f"/relay?up=/flood%3Ftoken%3D{token}&mode={mode}"
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        received = sock.recv(4096)
        assert received.startswith(b"HTTP/1.1 200")
        # Stall; the upstream can produce far more than 100 MB/s here, unless held back.
        time.sleep(1.0)
        plateau = state.produced
        time.sleep(1.0)
        grown = state.produced - plateau
        in_kernel = _kernel_queued(_port(relay_url), upstream.port)
        held = state.produced - in_kernel
        assert held < 4 * 2**20, (
            f"{state.produced} bytes taken from the upstream, {in_kernel} of them in TCP queues"
        )
        assert grown < 512 * 1024, f"the upstream still ran {grown} bytes ahead while stalled"
        # Read on: the events continue in order.
        connection = h11.Connection(h11.CLIENT)
        connection.send(h11.Request(method="GET", target=path, headers=[("Host", "t")]))
        connection.receive_data(received)
        decoder = Decoder()
        ids: list[int] = []
        while len(ids) < 2000:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                chunk = sock.recv(65536)
                assert chunk
                connection.receive_data(chunk)
            elif isinstance(event, h11.Data):
                ids.extend(int(e.id or -1) for e in decoder.feed(event.data))
            else:
                assert isinstance(event, h11.Response) and event.status_code == 200
        assert ids == list(range(len(ids)))
    finally:
        sock.close()
    assert state.finished.wait(5), "the upstream stream was not closed"


# -- options ---------------------------------------------------------------------------------


def upper(event: Event) -> Event:
    return Event(event.data.upper(), event=event.event)


class Body(httpx.AsyncByteStream):
    """A streamed body (``content=`` bytes would be read at once: nothing left to stream)."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b": hi\n\nid: 7\ndata: a\n\n"


def mock_upstream(seen: list[httpx.Request]) -> httpx.AsyncClient:
    """An upstream client that answers every request with the same short event stream."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Body())

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


def test_options_made_once_with_keywords_over_them() -> None:
    """``options=RelayOptions(...)`` made once configures the relay as the keywords do; a
    keyword given with it replaces that one field."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    options = RelayOptions(
        transform=upper, comments=True, last_event_id=False, response_headers={"X-Relay": "1"}
    )
    seen: list[httpx.Request] = []
    upstream = mock_upstream(seen)

    async def relay(request: Request) -> Response:
        overrides = {"comments": False} if "override" in request.query_params else {}
        return await relay_starlette(
            request, upstream, "GET", "http://upstream/", options=options, **overrides
        )

    server = UvicornServer(Starlette(routes=[Route("/relay", relay)])).start()
    try:
        with httpx.Client(timeout=TIMEOUT) as client:
            kept = client.get(f"{server.url}/relay", headers={"Last-Event-ID": "3"})
            dropped = client.get(f"{server.url}/relay", params={"override": "1"})
    finally:
        server.stop()
        asyncio.run(upstream.aclose())
    for response in (kept, dropped):
        assert response.headers["x-relay"] == "1"
        assert decode(response.content) == ([("message", "A", "7", None)], "7", None)
    assert ": hi" in kept.text
    assert ": hi" not in dropped.text
    assert [request.headers.get("last-event-id") for request in seen] == [None, None]


INVALID_OPTIONS: list[tuple[dict[str, Any], type[Exception]]] = [
    ({"ping": -1}, ValueError),
    ({"send_timeout": "soon"}, TypeError),
    ({"buffer_size": 0}, ValueError),
    ({"max_event_size": 0}, ValueError),
    ({"transform": "upper"}, TypeError),
    ({"on_error": 1}, TypeError),
    ({"last_event_id": 41}, TypeError),
    ({"response_headers": [("X-Relay", "1")]}, TypeError),
    ({"options": {"ping": 5}}, TypeError),
]


@pytest.mark.parametrize("framework", ["starlette", "aiohttp"])
@pytest.mark.parametrize(
    ("options", "error"), INVALID_OPTIONS, ids=[next(iter(o)) for o, _ in INVALID_OPTIONS]
)
def test_invalid_options_raise_before_the_upstream_request(
    framework: str, options: dict[str, Any], error: type[Exception]
) -> None:
    """A wrong option is reported at once, before the upstream is asked for anything (an
    upstream request may cost money, as an LLM completion does)."""
    seen: list[httpx.Request] = []

    async def run() -> None:
        async with mock_upstream(seen) as client:
            if framework == "starlette":
                from starlette.requests import Request

                request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
                await relay_starlette(request, client, "GET", "http://upstream/", **options)
            else:
                from aiohttp.test_utils import make_mocked_request

                await relay_aiohttp(
                    make_mocked_request("GET", "/"), client, "GET", "http://upstream/", **options
                )

    with pytest.raises(error):
        asyncio.run(run())
    assert seen == []
