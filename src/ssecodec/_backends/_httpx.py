"""The httpx backend: any ``httpx.Client`` or ``httpx.AsyncClient`` and its transport.

Every request option httpx's ``client.stream()`` takes is passed on. Network errors
(``httpx.TransportError``) are tried again; a URL httpx cannot request raises
``httpx.UnsupportedProtocol`` (or ``httpx.InvalidURL``), and other errors are raised as httpx
raises them.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from ssecodec.httpx import _aread_preview, _read_preview

from . import Headers


def _failure(exc: Exception) -> tuple[bool, BaseException | str]:
    retry = isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.UnsupportedProtocol)
    return retry, exc


class _Response:
    __slots__ = ("chunks", "content_type", "reason_phrase", "response", "status_code")

    def __init__(self, response: httpx.Response, chunks: Any) -> None:
        self.response = response
        self.status_code = response.status_code
        self.reason_phrase: str | None = response.reason_phrase
        self.content_type: str | None = response.headers.get("content-type")
        self.chunks = chunks


class SyncResponse(_Response):
    __slots__ = ()

    def preview(self) -> bytes:
        return _read_preview(self.response)

    def close(self) -> None:
        # Shut the socket down first: closing it does not wake a read blocked in another
        # thread (the connection is given up anyway).
        stream = self.response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.response.close()


class AsyncResponse(_Response):
    __slots__ = ()

    async def preview(self) -> bytes:
        return await _aread_preview(self.response)


class SyncBackend:
    """Requests made with ``client.stream(...)``."""

    name = "httpx"

    def __init__(self, client: httpx.Client | None, timeout: object, options: dict[str, Any]):
        self.own = client is None
        self.client = httpx.Client(timeout=timeout) if client is None else client  # type: ignore[arg-type]
        self.options = options

    @contextlib.contextmanager
    def open(self, method: str, url: str, headers: Headers) -> Iterator[SyncResponse]:
        with self.client.stream(
            method, url, headers=httpx.Headers(headers), follow_redirects=True, **self.options
        ) as response:
            yield SyncResponse(response, response.iter_bytes())

    def failure(self, exc: Exception) -> tuple[bool, BaseException | str]:
        return _failure(exc)

    def close(self) -> None:
        if self.own and not self.client.is_closed:
            self.client.close()


class AsyncBackend:
    """Async twin of :class:`SyncBackend`."""

    name = "httpx"

    def __init__(self, client: httpx.AsyncClient | None, timeout: object, options: dict[str, Any]):
        self.own = client is None
        self.client = httpx.AsyncClient(timeout=timeout) if client is None else client  # type: ignore[arg-type]
        self.options = options

    @contextlib.asynccontextmanager
    async def open(self, method: str, url: str, headers: Headers) -> AsyncIterator[AsyncResponse]:
        async with self.client.stream(
            method, url, headers=httpx.Headers(headers), follow_redirects=True, **self.options
        ) as response:
            chunks = response.aiter_bytes()
            try:
                yield AsyncResponse(response, chunks)
            finally:  # now, not when the garbage collector finds it
                await chunks.aclose()  # type: ignore[attr-defined]

    def failure(self, exc: Exception) -> tuple[bool, BaseException | str]:
        return _failure(exc)

    async def aclose(self) -> None:
        if self.own and not self.client.is_closed:
            await self.client.aclose()
