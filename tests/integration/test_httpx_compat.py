"""ssecodec.httpx is a drop-in for httpx-sse: its documented examples, import changed only.

The examples below are copied from httpx-sse's README (0.4.3). Each is run twice, once with
``httpx_sse`` and once with the import switched to ``ssecodec.httpx``, against the same server,
and the two runs must print the same thing. The server side of the examples imports
``sse_starlette``; that import is switched to ``ssecodec.starlette`` (its dict items are
accepted as they are), and the example server's 0.9 s sleeps are shortened.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conftest import StreamServer, UvicornServer

QUICKSTART_CLIENT = """
import httpx
from httpx_sse import connect_sse

with httpx.Client() as client:
    with connect_sse(client, "GET", "http://localhost:8000/sse") as event_source:
        for sse in event_source.iter_sse():
            print(sse.event, sse.data, sse.id, sse.retry)
"""

QUICKSTART_SERVER = """
# Requirements: pip install uvicorn starlette sse-starlette
import asyncio
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route
from sse_starlette.sse import EventSourceResponse

async def numbers(minimum, maximum):
    for i in range(minimum, maximum + 1):
        await asyncio.sleep(0.9)
        yield {"data": i}

async def sse(request):
    generator = numbers(1, 5)
    return EventSourceResponse(generator)

routes = [
    Route("/sse", endpoint=sse)
]

app = Starlette(routes=routes)

if __name__ == "__main__":
    uvicorn.run(app)
"""

ASGI_EXAMPLE = """
import asyncio

import httpx
from httpx_sse import aconnect_sse
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.routing import Route

async def auth_events(request):
    async def events():
        yield {
            "event": "login",
            "data": '{"user_id": "4135"}',
        }

    return EventSourceResponse(events())

app = Starlette(routes=[Route("/sse/auth/", endpoint=auth_events)])

async def main():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app)) as client:
        async with aconnect_sse(
            client, "GET", "http://localhost:8000/sse/auth/"
        ) as event_source:
            events = [sse async for sse in event_source.aiter_sse()]
            (sse,) = events
            assert sse.event == "login"
            assert sse.json() == {"user_id": "4135"}

asyncio.run(main())
"""

RECONNECTION_EXAMPLE = """
import time
from typing import Iterator

import httpx
from httpx_sse import connect_sse, ServerSentEvent
from stamina import retry

def iter_sse_retrying(client, method, url):
    last_event_id = ""
    reconnection_delay = 0.0

    # `stamina` will apply jitter and exponential backoff on top of
    # the `retry` reconnection delay sent by the server.
    @retry(on=httpx.ReadError)
    def _iter_sse():
        nonlocal last_event_id, reconnection_delay

        time.sleep(reconnection_delay)

        headers = {"Accept": "text/event-stream"}

        if last_event_id:
            headers["Last-Event-ID"] = last_event_id

        with connect_sse(client, method, url, headers=headers) as event_source:
            for sse in event_source.iter_sse():
                last_event_id = sse.id

                if sse.retry is not None:
                    reconnection_delay = sse.retry / 1000

                yield sse

    return _iter_sse()
"""

RECONNECTION_USAGE = """
with httpx.Client() as client:
    for sse in iter_sse_retrying(client, "GET", "http://localhost:8000/sse"):
        print(sse.event, sse.data)
"""

RAISE_FOR_STATUS = """
import httpx
from httpx_sse import connect_sse

with httpx.Client() as client:
    with connect_sse(client, "GET", "http://localhost:8000/sse") as event_source:
        event_source.response.raise_for_status()

        for sse in event_source.iter_sse():
            print(sse.event, sse.data)
"""

LIBRARIES = ["httpx_sse", "ssecodec.httpx"]


def adapt(code: str, library: str, url: str | None = None) -> str:
    """Switch the imports (the only change a user makes) and point the URL at our server."""
    code = code.replace("from httpx_sse import", f"from {library} import")
    code = code.replace("from sse_starlette.sse import", "from ssecodec.starlette import")
    if url is not None:
        code = code.replace("http://localhost:8000/sse", url)
    return code


def run(code: str, namespace: dict[str, Any] | None = None) -> list[str]:
    """Execute an example; return what it printed."""
    printed: list[str] = []
    namespace = {} if namespace is None else namespace
    namespace.setdefault("__name__", "example")
    namespace["print"] = lambda *args: printed.append(" ".join(map(str, args)))
    exec(compile(code, "<example>", "exec"), namespace)
    return printed


@pytest.fixture(scope="module")
def quickstart_server() -> Iterator[str]:
    namespace: dict[str, Any] = {}
    fast = QUICKSTART_SERVER.replace("asyncio.sleep(0.9)", "asyncio.sleep(0.01)")
    run(adapt(fast, ""), namespace)
    server = UvicornServer(namespace["app"]).start()
    yield f"{server.url}/sse"
    server.stop()


def test_quickstart(quickstart_server: str) -> None:
    outputs = [run(adapt(QUICKSTART_CLIENT, lib, quickstart_server)) for lib in LIBRARIES]
    assert outputs[0] == outputs[1]
    assert outputs[1] == [f"message {i}  None" for i in range(1, 6)]


@pytest.mark.parametrize("library", LIBRARIES)
def test_calling_into_asgi_apps(library: str) -> None:
    run(adapt(ASGI_EXAMPLE, library))  # the example asserts on the events itself


@pytest.mark.parametrize("library", LIBRARIES)
def test_raise_for_status(starlette_server: Any, library: str) -> None:
    url = f"{starlette_server.url}/wrong"
    with pytest.raises(httpx.HTTPStatusError, match="404"):
        run(adapt(RAISE_FOR_STATUS, library, url))


@pytest.mark.parametrize("library", LIBRARIES)
def test_wrong_content_type_is_a_transport_error(starlette_server: Any, library: str) -> None:
    url = f"{starlette_server.url}/plain"
    with pytest.raises(httpx.TransportError, match="text/event-stream"):
        run(adapt(QUICKSTART_CLIENT, library, url))


class ResettingServer(StreamServer):
    """A raw HTTP/1.1 SSE server that resets the TCP connection (RST) every few events, so
    that the client gets ``httpx.ReadError``, and resumes from ``Last-Event-ID``."""

    def __init__(self, total: int = 12, per_connection: int = 4) -> None:
        self.total = total
        self.per_connection = per_connection
        self.requests: list[str | None] = []
        super().__init__()
        self.url = f"http://127.0.0.1:{self.port}/sse"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        last = None
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "last-event-id":
                last = value.strip()
        self.requests.append(last)
        start = int(last or 0) + 1
        end = min(self.total, start + self.per_connection - 1)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        # (retry rides in an event's block: httpx-sse, unlike the spec, would dispatch a
        # data-less block as an event of its own)
        body = b"retry: 10\n" + b"".join(
            f"id: {i}\ndata: event {i}\n\n".encode() for i in range(start, end + 1)
        )
        writer.write(b"%x\r\n%s\r\n" % (len(body), body))
        await writer.drain()
        if end < self.total:
            writer.write(b"5\r\ndata:")  # a partial event, then a reset
            await writer.drain()
            await asyncio.sleep(0.1)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        else:
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            writer.close()
            await writer.wait_closed()


def test_handling_reconnections() -> None:
    import stamina

    outputs = []
    for library in LIBRARIES:
        with ResettingServer() as server, stamina.set_testing(True, attempts=10):
            namespace: dict[str, Any] = {}
            run(adapt(RECONNECTION_EXAMPLE, library), namespace)
            outputs.append(run(adapt(RECONNECTION_USAGE, library, server.url), namespace))
            assert server.requests == [None, "4", "8"]
    assert outputs[0] == outputs[1]
    assert outputs[1] == [f"message event {i}" for i in range(1, 13)]
