"""The urllib3 backend (sync): a ``urllib3.PoolManager``, the fastest sync HTTP/1.1 stack.

A chunked body is read with ``read_chunked()``: one read per HTTP chunk, the chunk handed over
once it has arrived whole (servers of event streams send each chunk in one piece). Other bodies
are read with ``read1()``: whatever has arrived. Redirects are followed (up to 20, as httpx);
urllib3 itself tries nothing again, the event source does. Connection, read and protocol errors
are tried again; a URL urllib3 cannot request (no host, a scheme other than http and https) or
too many redirects raise ``EventSourceError``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError, LocationValueError, MaxRetryError, ResponseError

from ssecodec._http import BODY_PREVIEW

from . import Headers, timeouts

# Redirects only: a failed attempt is the event source's to try again, after its backoff.
_RETRIES = urllib3.Retry(total=None, connect=0, read=0, redirect=20, status=0, other=0)
_READ_SIZE = 64 * 1024


def _read1(response: Any) -> Iterator[bytes]:
    while chunk := response.read1(_READ_SIZE):
        yield chunk


class SyncResponse:
    __slots__ = ("chunks", "content_type", "reason_phrase", "response", "status_code")

    def __init__(self, response: Any) -> None:
        self.response = response
        self.status_code: int = response.status
        self.reason_phrase: str | None = response.reason
        self.content_type: str | None = response.headers.get("content-type")
        self.chunks: Iterator[bytes] = (
            response.read_chunked(decode_content=True) if response.chunked else _read1(response)
        )

    def preview(self) -> bytes:
        with contextlib.suppress(HTTPError, OSError):
            return bytes(self.response.read(BODY_PREVIEW))
        return b""

    def close(self) -> None:
        response = self.response
        with contextlib.suppress(Exception):
            response.shutdown()  # wakes a read blocked in another thread
        response.close()


class SyncBackend:
    """Requests made with ``PoolManager.request(..., preload_content=False)``."""

    name = "urllib3"

    def __init__(
        self, client: urllib3.PoolManager | None, timeout: object, options: dict[str, Any]
    ) -> None:
        self.own = client is None
        self.pool = urllib3.PoolManager() if client is None else client
        self.timeout: urllib3.Timeout | None = None
        if client is None or "timeout" in options:  # a pool given keeps its own by default
            connect, read = timeouts(options.get("timeout", timeout))
            self.timeout = urllib3.Timeout(connect=connect, read=read)

    @contextlib.contextmanager
    def open(self, method: str, url: str, headers: Headers) -> Iterator[SyncResponse]:
        # http.client sends str values as latin-1: the same bytes.
        fields = urllib3.HTTPHeaderDict()
        for name, value in headers:
            fields.add(name.decode("latin-1"), value.decode("latin-1"))
        options: dict[str, Any] = {"timeout": self.timeout} if self.timeout else {}
        response = self.pool.request(
            method,
            url,
            headers=fields,
            preload_content=False,
            decode_content=True,
            retries=_RETRIES,
            **options,
        )
        try:
            yield SyncResponse(response)
        finally:
            response.close()
            response.release_conn()

    def failure(self, exc: Exception) -> tuple[bool, BaseException | str]:
        if isinstance(exc, MaxRetryError):
            if isinstance(exc.reason, ResponseError):
                return False, "too many redirects"
            return True, exc.reason or exc
        if isinstance(exc, LocationValueError):  # also a scheme other than http and https
            return False, f"cannot request this URL ({exc})"
        return isinstance(exc, (HTTPError, OSError)), exc

    def close(self) -> None:
        if self.own:
            self.pool.clear()
