"""The aiohttp backend (async): an ``aiohttp.ClientSession``, whose C parser makes it the
fastest async HTTP/1.1 stack.

The body is read with ``iter_any()``: whatever has arrived. The session made here reads proxy
settings from the environment as httpx does (``trust_env=True``); redirects are followed (up to
20, as httpx). Connection, timeout and payload errors are tried again; an invalid URL or too
many redirects raise ``EventSourceError``.

aiohttp refuses to send a header value holding a control character other than tab; a
``Last-Event-ID`` holding one (a server may send any id) is sent through httpx instead, for
that request only, so that the stream goes on where it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any, Final

import aiohttp

from ssecodec.aiohttp import _read_preview

from . import AsyncResponse as _AsyncResponse
from . import Headers, timeouts

_REFUSED: Final = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # as aiohttp's header writer
# A URL aiohttp cannot request (NonHttpUrlClientError, from aiohttp 3.10 on: another scheme).
_BAD_URL: Final = (
    aiohttp.InvalidURL,
    getattr(aiohttp, "NonHttpUrlClientError", aiohttp.InvalidURL),
)


class AsyncResponse:
    __slots__ = ("chunks", "content_type", "reason_phrase", "response", "status_code")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.status_code: int = response.status
        self.reason_phrase: str | None = response.reason
        self.content_type: str | None = ", ".join(response.headers.getall("Content-Type", ()))
        self.content_type = self.content_type or None
        self.chunks: AsyncIterator[bytes] = response.content.iter_any()

    async def preview(self) -> bytes:
        return await _read_preview(self.response)


class AsyncBackend:
    """Requests made with ``session.request(...)``."""

    name = "aiohttp"

    def __init__(
        self, client: aiohttp.ClientSession | None, timeout: object, options: dict[str, Any]
    ) -> None:
        self.own = client is None
        self.session = client  # made at the first request, on the running loop
        connect, read = self.limits = timeouts(options.get("timeout", timeout))
        self.timeout: aiohttp.ClientTimeout | None = None
        if client is None or "timeout" in options:  # a session given keeps its own by default
            self.timeout = aiohttp.ClientTimeout(total=None, connect=connect, sock_read=read)
        self.fallback: Any = None  # the httpx backend, for headers aiohttp will not send

    @contextlib.asynccontextmanager
    async def open(self, method: str, url: str, headers: Headers) -> AsyncIterator[_AsyncResponse]:
        fields = _fields(headers)
        if fields is None:
            if self.fallback is None:
                import httpx

                from ._httpx import AsyncBackend as HttpxBackend

                connect, read = self.limits
                timeout = httpx.Timeout(None, connect=connect, read=read)
                self.fallback = HttpxBackend(None, timeout, {})
            async with self.fallback.open(method, url, headers) as response:
                yield response
            return
        if self.session is None:
            self.session = aiohttp.ClientSession(timeout=self.timeout, trust_env=True)
        options: dict[str, Any] = {"timeout": self.timeout} if self.timeout else {}
        async with self.session.request(
            method,
            url,
            headers=fields,
            allow_redirects=True,
            max_redirects=21,  # aiohttp counts the first request: 20 redirects, as httpx
            **options,
        ) as response:
            yield AsyncResponse(response)

    def failure(self, exc: Exception) -> tuple[bool, BaseException | str]:
        if isinstance(exc, aiohttp.TooManyRedirects):
            return False, "too many redirects"
        if isinstance(exc, _BAD_URL):
            return False, f"cannot request this URL ({exc})"
        if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, OSError)):
            return True, exc
        if self.fallback is not None:
            return self.fallback.failure(exc)  # type: ignore[no-any-return]
        return False, exc

    async def aclose(self) -> None:
        if self.own and self.session is not None and not self.session.closed:
            await self.session.close()
        if self.fallback is not None:
            await self.fallback.aclose()


def _fields(headers: Headers) -> list[tuple[str, str]] | None:
    """The headers as aiohttp takes them (it writes str values in UTF-8), or ``None`` if it
    would refuse one."""
    try:
        fields = [(name.decode("ascii"), value.decode("utf-8")) for name, value in headers]
    except UnicodeDecodeError:
        return None
    if any(_REFUSED.search(value) for _, value in headers):
        return None
    return fields
