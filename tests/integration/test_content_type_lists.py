"""Every client integration reads ``Content-Type`` as a browser does, over real sockets.

A raw HTTP/1.1 server sends the header as a list of types or twice (httpx and requests join
repeated headers with ", ", aiohttp keeps them apart); httpx, aiohttp, requests and the
reconnecting client must all apply the Fetch standard's "extract a MIME type": the last type
that parses counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import aiohttp
import httpx
import pytest
import requests

import ssecodec
import ssecodec.aiohttp
import ssecodec.client
import ssecodec.httpx
import ssecodec.requests
from conftest import StreamServer

BODY = b"data: hi\n\n"

# path -> the Content-Type header lines the server sends
ROUTES: dict[str, list[str]] = {
    "/twice": ["text/event-stream", "text/event-stream"],
    "/listed": ["application/json, text/event-stream; charset=utf-8"],
    "/listed-lines": ["application/json", "text/event-stream; charset=utf-8"],
    "/quoted": ['application/json;x="a,b;c", text/event-stream'],
    "/json-last": ["text/event-stream, application/json"],
    "/json-last-lines": ["text/event-stream", "application/json"],
    "/none": [],
}
ACCEPTED = ["/twice", "/listed", "/listed-lines", "/quoted"]
REFUSED = ["/json-last", "/json-last-lines", "/none"]


class RawServer(StreamServer):
    """Answers every request with ``BODY`` and the Content-Type lines of its path."""

    def __init__(self) -> None:
        super().__init__()
        self.url = f"http://127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        path = head.split(" ", 2)[1]
        lines = [f"Content-Type: {value}\r\n" for value in ROUTES[path]]
        writer.write(
            b"HTTP/1.1 200 OK\r\n"
            + "".join(lines).encode()
            + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(BODY)
            + BODY
        )
        await writer.drain()
        writer.close()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with RawServer() as raw:
        yield raw.url


def read_httpx(url: str) -> list[str]:
    with (
        httpx.Client(timeout=20) as client,
        ssecodec.httpx.connect_sse(client, "GET", url) as source,
    ):
        return [sse.data for sse in source.iter_sse()]


def read_httpx_async(url: str) -> list[str]:
    async def main() -> list[str]:
        async with (
            httpx.AsyncClient(timeout=20) as client,
            ssecodec.httpx.aconnect_sse(client, "GET", url) as source,
        ):
            return [sse.data async for sse in source.aiter_sse()]

    return asyncio.run(main())


def read_aiohttp(url: str) -> list[str]:
    async def main() -> list[str]:
        async with (
            aiohttp.ClientSession() as session,
            ssecodec.aiohttp.aconnect_sse(session, "GET", url) as source,
        ):
            return [event.data async for event in source.aiter_sse()]

    return asyncio.run(main())


def read_requests(url: str) -> list[str]:
    with requests.get(url, stream=True, timeout=20) as response:
        return [event.data for event in ssecodec.requests.iter_events(response)]


def read_client(url: str, backend: str = "httpx") -> list[str]:
    # The server closes after one event, so the client would reconnect for ever: stop it.
    with ssecodec.client.EventSource(url, max_failures=1, backend=backend) as source:
        for event in source:
            return [event.data]
    return []  # pragma: no cover


def read_async_client(url: str, backend: str = "httpx") -> list[str]:
    async def main() -> list[str]:
        async with ssecodec.client.AsyncEventSource(url, max_failures=1, backend=backend) as source:
            async for event in source:
                return [event.data]
        return []  # pragma: no cover

    return asyncio.run(main())


READERS: dict[str, Callable[[str], list[str]]] = {
    "httpx": read_httpx,
    "httpx-async": read_httpx_async,
    "aiohttp": read_aiohttp,
    "requests": read_requests,
    "client": read_client,
    "client-urllib3": lambda url: read_client(url, "urllib3"),
    "client-async": read_async_client,
    "client-aiohttp": lambda url: read_async_client(url, "aiohttp"),
}


@pytest.mark.parametrize("client", READERS)
@pytest.mark.parametrize("path", ACCEPTED)
def test_accepted(server: str, client: str, path: str) -> None:
    assert READERS[client](server + path) == ["hi"]


@pytest.mark.parametrize("client", READERS)
@pytest.mark.parametrize("path", REFUSED)
def test_refused(server: str, client: str, path: str) -> None:
    with pytest.raises(ssecodec.SSEError, match="text/event-stream"):
        READERS[client](server + path)
