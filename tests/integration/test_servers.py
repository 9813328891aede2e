"""The server integrations on real servers: uvicorn (Starlette, FastAPI) and aiohttp.web,
read by the httpx, aiohttp and requests clients."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import threading
import time
from typing import Any

import aiohttp
import httpx
import pytest
import requests
import sseapps

import ssecodec
import ssecodec.aiohttp
import ssecodec.httpx
import ssecodec.requests
from conftest import AiohttpServer, UvicornServer, wait_until
from ssecodec import Event
from ssecodec.starlette import close_all_streams

TIMEOUT = httpx.Timeout(20.0)


def read_httpx(url: str) -> list[Event]:
    with (
        httpx.Client(timeout=TIMEOUT) as client,
        ssecodec.httpx.connect_sse(client, "GET", url) as source,
    ):
        return [sse.to_event() for sse in source.iter_sse()]


async def read_httpx_async(url: str) -> list[Event]:
    async with (
        httpx.AsyncClient(timeout=TIMEOUT) as client,
        ssecodec.httpx.aconnect_sse(client, "GET", url) as source,
    ):
        return [sse.to_event() async for sse in source.aiter_sse()]


async def read_aiohttp(url: str) -> list[Event]:
    timeout = aiohttp.ClientTimeout(total=20)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        ssecodec.aiohttp.aconnect_sse(session, "GET", url) as source,
    ):
        return [event async for event in source.aiter_sse()]


def read_requests(url: str) -> list[Event]:
    with requests.get(url, stream=True, timeout=20) as response:
        return list(ssecodec.requests.iter_events(response))


def read(client: str, url: str) -> list[Event]:
    if client == "httpx":
        return read_httpx(url)
    if client == "httpx-async":
        return asyncio.run(read_httpx_async(url))
    if client == "aiohttp":
        return asyncio.run(read_aiohttp(url))
    return read_requests(url)


CLIENTS = ["httpx", "httpx-async", "aiohttp", "requests"]


def expected_tricky() -> list[Event]:
    """What the tricky stream decodes to: the decoder's reading of its bytes."""
    raw = b"".join(sseapps_bytes(item) for item in sseapps.TRICKY)
    decoder = ssecodec.Decoder()
    return decoder.feed(raw) + decoder.close()


def sseapps_bytes(item: Any) -> bytes:
    from ssecodec._server import to_bytes

    return to_bytes(item)


@pytest.mark.parametrize("client", CLIENTS)
def test_clients_read_servers(server_url: str, client: str) -> None:
    events = read(client, f"{server_url}/numbers?n=50&mode=async")
    assert events == sseapps.numbers(50)


@pytest.mark.parametrize("mode", ["async", "sync", "list"])
def test_producer_kinds(server_url: str, mode: str) -> None:
    """Async generators, sync generators (run in a thread) and lists."""
    events = read("httpx", f"{server_url}/numbers?n=50&mode={mode}")
    assert events == sseapps.numbers(50)


@pytest.mark.parametrize("client", CLIENTS)
def test_tricky_stream(server_url: str, client: str) -> None:
    events = read(client, f"{server_url}/tricky")
    assert events == expected_tricky()
    assert [e.event for e in events][-1] == "done"
    assert len(events) > 20


def test_headers(server_url: str) -> None:
    with (
        httpx.Client(timeout=TIMEOUT) as client,
        client.stream("GET", f"{server_url}/numbers?n=1") as response,
    ):
        response.read()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert "content-length" not in response.headers


def test_keepalive_comments(server_url: str, token: str) -> None:
    with httpx.Client(timeout=TIMEOUT) as client:
        body = client.get(f"{server_url}/delayed?token={token}&delay=0.6&ping=0.1").content
        assert body.count(b": ping\n") >= 2, body
        assert body.endswith(b"data: late\n\n")
        body = client.get(f"{server_url}/delayed?token={token}&delay=0.3&ping=0").content
        assert body == b"data: late\n\n"


def test_keepalive_message(server_url: str, token: str) -> None:
    """``ping_message`` replaces the ``: ping`` comment: bytes as they are, or a callable
    called for each keep-alive."""
    with httpx.Client(timeout=TIMEOUT) as client:
        url = f"{server_url}/delayed?token={token}&delay=0.6&ping=0.1"
        body = client.get(f"{url}&ping_message=bytes").content
        assert body.count(b": beat\n\n") >= 2, body
        assert b"ping" not in body and body.endswith(b"data: late\n\n")
        events = ssecodec.Decoder().feed(client.get(f"{url}&ping_message=event").content)
    beats = [e.data for e in events if e.event == "beat"]
    assert len(beats) >= 2 and beats == [str(i) for i in range(1, len(beats) + 1)], events
    assert events[-1].data == "late"


def test_keepalive_options_validated() -> None:
    with pytest.raises(ValueError, match="ping"):
        ssecodec.starlette.EventSourceResponse([], ping=-1)
    with pytest.raises(ValueError, match="send_timeout"):
        ssecodec.aiohttp.EventSourceResponse([], send_timeout=0)
    with pytest.raises(TypeError, match="iterable"):
        ssecodec.starlette.EventSourceResponse("not a stream")
    with pytest.raises(TypeError, match="Event, dict, str or bytes"):
        ssecodec.aiohttp.EventSourceResponse([], ping_message=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="event"):
        ssecodec.starlette.EventSourceResponse([], ping_message={"event": "a\nb"})


@pytest.mark.parametrize("server", ["starlette", "aiohttp"])
@pytest.mark.parametrize("mode", ["list", "async", "sync"])
def test_write_coalescing(request: pytest.FixtureRequest, server: str, mode: str) -> None:
    url = request.getfixturevalue(f"{server}_server").url
    n = 2000
    sends = {}
    for coalesce in ("1", "0"):
        token = f"coalesce-{server}-{mode}-{coalesce}-{time.monotonic_ns()}"
        events = read_httpx(f"{url}/numbers?n={n}&mode={mode}&coalesce={coalesce}&token={token}")
        assert events == sseapps.numbers(n)
        sends[coalesce] = sseapps.PROBES[token].response.sends
    # ~70 KB of events already produced: a few 64 KiB writes, not one per event.
    assert sends["0"] == n
    limit = 10 if mode != "sync" else n // 10  # a thread producer races the writer
    assert sends["1"] <= limit, sends


@pytest.mark.parametrize("mode", ["async", "sync"])
def test_disconnect_stops_producer(server_url: str, token: str, mode: str) -> None:
    probe = sseapps.PROBES[token]
    with (
        httpx.Client(timeout=TIMEOUT) as client,
        ssecodec.httpx.connect_sse(
            client, "GET", f"{server_url}/infinite?token={token}&mode={mode}"
        ) as source,
    ):
        for count, _ in enumerate(source.iter_sse(), 1):
            if count == 3:
                break
    left = time.monotonic()
    assert probe.finished.wait(5), "the producer's finally did not run"
    assert probe.finished_at is not None
    assert probe.finished_at - left < 1.0


def test_disconnect_while_idle(server_url: str, token: str) -> None:
    probe = sseapps.PROBES[token]
    with socket.create_connection(("127.0.0.1", int(server_url.rsplit(":", 1)[1])), 10) as sock:
        sock.sendall(b"GET /idle?token=" + token.encode() + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        sock.settimeout(10)
        received = b""
        while b"data: hello" not in received:
            chunk = sock.recv(4096)
            assert chunk
            received += chunk
    left = time.monotonic()
    assert probe.finished.wait(5), "the idle producer was not stopped"
    assert probe.finished_at is not None
    assert probe.finished_at - left < 1.0


def test_stalled_client_send_timeout(server_url: str, token: str) -> None:
    probe = sseapps.PROBES[token]
    port = int(server_url.rsplit(":", 1)[1])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", port))
        sock.sendall(
            b"GET /flood?send_timeout=0.5&token=" + token.encode() + b" HTTP/1.1\r\nHost: t\r\n\r\n"
        )
        # Never read: the server's writes stall, and the per-send timeout gives up.
        assert probe.finished.wait(20), "the stalled stream was not stopped"
    finally:
        sock.close()


def test_structured_error_then_close(server_url: str) -> None:
    events = read_httpx(f"{server_url}/fail?mode=on_error")
    assert [e.data for e in events[:2]] == ["ok 0", "ok 1"]
    assert events[2].event == "error"
    assert events[2].json() == {"error": "Boom", "message": "the upstream went away"}
    assert len(events) == 3


def test_producer_error_drops_connection(request: pytest.FixtureRequest, server_url: str) -> None:
    got: list[Event] = []
    url = f"{server_url}/fail?mode=raise"
    if request.node.callspec.params["server_url"] == "fastapi":
        # The FastAPI app has an @app.middleware("http") (Starlette's BaseHTTPMiddleware),
        # which ends the body cleanly when the app raises mid-stream: the client sees an end
        # of stream, not a broken one (documented; on_error is the portable way).
        got.extend(read_httpx(url))
    else:
        with (
            pytest.raises(httpx.RemoteProtocolError),
            httpx.Client(timeout=TIMEOUT) as client,
            ssecodec.httpx.connect_sse(client, "GET", url) as source,
        ):
            got.extend(e.to_event() for e in source.iter_sse())
    assert [e.data for e in got] == ["ok 0", "ok 1"]


# -- shutdown ----------------------------------------------------------------------------------


class ClosingServer:
    """uvicorn.Server that ends open event streams when asked to exit (the documented recipe)."""

    @staticmethod
    def make() -> Any:
        import uvicorn

        class Server(uvicorn.Server):
            def handle_exit(self, sig: int, frame: Any) -> None:
                close_all_streams(Event("server shutting down", event="close"))
                super().handle_exit(sig, frame)

        return Server


def test_uvicorn_shutdown_ends_streams(token: str) -> None:
    probe = sseapps.PROBES[token]
    server = UvicornServer(
        sseapps.starlette_app(), server_class=ClosingServer.make(), timeout_graceful_shutdown=30
    ).start()
    try:
        got = []
        with (
            httpx.Client(timeout=TIMEOUT) as client,
            ssecodec.httpx.connect_sse(
                client, "GET", f"{server.url}/infinite?token={token}&interval=0.05"
            ) as source,
        ):
            for event in source.iter_sse():
                got.append(event)
                if len(got) == 2:
                    began = time.monotonic()
                    server.server.handle_exit(signal.SIGINT, None)
        # The stream ended cleanly (no RemoteProtocolError), with the final event.
        assert (got[-1].event, got[-1].data) == ("close", "server shutting down")
        server.thread.join(10)
        assert not server.thread.is_alive()
        assert time.monotonic() - began < 5
        assert probe.finished.is_set()
    finally:
        if server.thread.is_alive():
            server.server.force_exit = True
            server.stop()
        server.sock.close()


def test_uvicorn_graceful_timeout_cancels_streams(token: str) -> None:
    """Without the recipe, uvicorn's --timeout-graceful-shutdown cancels the stream: the
    producer's cleanup still runs."""
    probe = sseapps.PROBES[token]
    server = UvicornServer(sseapps.starlette_app(), timeout_graceful_shutdown=1).start()
    errors: list[BaseException] = []

    def client() -> None:
        try:
            with (
                httpx.Client(timeout=TIMEOUT) as c,
                ssecodec.httpx.connect_sse(
                    c, "GET", f"{server.url}/infinite?token={token}&interval=0.05"
                ) as source,
            ):
                for _ in source.iter_sse():
                    pass
        except httpx.HTTPError as exc:
            errors.append(exc)

    reader = threading.Thread(target=client, daemon=True)
    reader.start()
    try:
        wait_until(lambda: len(server.server.server_state.tasks) > 0, 10, "the stream")
        time.sleep(0.2)
        began = time.monotonic()
        server.stop(timeout=15)
        assert time.monotonic() - began < 8
        assert probe.finished.wait(5)
        reader.join(10)
        assert not reader.is_alive()
    finally:
        if server.thread.is_alive():
            server.server.force_exit = True
            server.thread.join(10)


def test_aiohttp_shutdown_ends_streams(token: str) -> None:
    probe = sseapps.PROBES[token]
    server = AiohttpServer(sseapps.aiohttp_app(), shutdown_timeout=30).start()
    got: list[Event] = []
    done = threading.Event()

    def client() -> None:
        try:
            with (
                httpx.Client(timeout=TIMEOUT) as c,
                ssecodec.httpx.connect_sse(
                    c, "GET", f"{server.url}/infinite?token={token}&interval=0.05"
                ) as source,
            ):
                got.extend(e.to_event() for e in source.iter_sse())
        finally:
            done.set()

    reader = threading.Thread(target=client, daemon=True)
    reader.start()
    try:
        wait_until(lambda: bool(ssecodec.aiohttp._STREAMS.snapshot(server.app)), 10, "the stream")
        time.sleep(0.2)
        took = server.cleanup()
        assert took < 5
        assert done.wait(10)
        assert got, "no event before the shutdown"
        assert probe.finished.is_set()
    finally:
        server.stop()


def test_close_all_streams_is_selective_for_aiohttp(aiohttp_server: AiohttpServer) -> None:
    assert ssecodec.aiohttp.close_all_streams(app=object()) == 0  # type: ignore[arg-type]


def test_response_body_json_mapping_data() -> None:
    from ssecodec._server import to_bytes

    assert to_bytes({"data": {"a": [1, "é"]}}) == 'data: {"a":[1,"é"]}\n\n'.encode()
    assert to_bytes({"data": 5, "id": "1"}) == b"id: 1\ndata: 5\n\n"
    assert to_bytes("x") == b"data: x\n\n"
    assert to_bytes(b"raw") == b"raw"
    with pytest.raises(TypeError, match="unknown SSE field"):
        to_bytes({"date": 1})
    with pytest.raises(TypeError, match="Event, dict, str or bytes"):
        to_bytes(42)


def test_json_mapping_encoding_is_documented() -> None:
    assert json.loads(ssecodec.Decoder().feed(sseapps_bytes({"data": [1, 2]}))[0].data) == [1, 2]
