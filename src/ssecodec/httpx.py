"""Server-sent events over httpx, API-compatible with ``httpx-sse``.

Install with ``pip install 'ssecodec[httpx]'``. Switching from httpx-sse is an import change::

    from ssecodec.httpx import connect_sse   # was: from httpx_sse import connect_sse

    with httpx.Client() as client:
        with connect_sse(client, "GET", "http://localhost:8000/sse") as event_source:
            for sse in event_source.iter_sse():
                print(sse.event, sse.data, sse.id, sse.retry)

The events are :class:`ssecodec.Event` objects (also exported as ``ServerSentEvent``) with the
same ``event``, ``data``, ``id``, ``retry`` and ``json()``. Decoding follows the WHATWG spec
exactly, where httpx-sse differs on edge cases: a block without ``data`` (only ``id``,
``event`` or ``retry``) dispatches no event, a ``retry`` that is not all ASCII digits is
ignored, and the body is always UTF-8.

For a client that reconnects by itself, see :mod:`ssecodec.client`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from ._deps import require
from ._http import BODY_PREVIEW, is_event_stream, wrong_content_type

require("httpx", "httpx")

import httpx  # noqa: E402

from ssecodec import Decoder, Event, LimitExceeded  # noqa: E402
from ssecodec import SSEError as _SSEError  # noqa: E402

__all__ = [
    "EventSource",
    "SSEError",
    "ServerSentEvent",
    "aconnect_sse",
    "connect_sse",
]

ServerSentEvent = Event
"""httpx-sse's name for an event; here it is :class:`ssecodec.Event`."""


class SSEError(_SSEError, httpx.TransportError):
    """The response is not an event stream (its ``Content-Type`` is not ``text/event-stream``).

    Like httpx-sse's ``SSEError`` it is an ``httpx.TransportError``; it is also an
    :class:`ssecodec.SSEError`. The message shows the status and the start of the body.

    Attributes:
        status_code: the HTTP status code.
        content_type: the ``Content-Type`` header, or ``None``.
        body: the first bytes of the body (up to 512).
    """

    status_code: int
    content_type: str | None
    body: bytes


def _error(response: httpx.Response, body: bytes) -> SSEError:
    content_type = response.headers.get("content-type")
    exc = SSEError(
        wrong_content_type(response.status_code, response.reason_phrase, content_type, body),
        request=response.request,
    )
    exc.status_code = response.status_code
    exc.content_type = content_type
    exc.body = body
    return exc


def _read_preview(response: httpx.Response) -> bytes:
    try:
        return response.content[:BODY_PREVIEW]
    except httpx.ResponseNotRead:
        pass
    buf = bytearray()
    try:
        chunks = response.iter_bytes()
        for chunk in chunks:
            buf += chunk
            if len(buf) >= BODY_PREVIEW:
                break
        chunks.close()  # type: ignore[attr-defined]
    except (httpx.HTTPError, httpx.StreamError):
        pass
    return bytes(buf[:BODY_PREVIEW])


async def _aread_preview(response: httpx.Response) -> bytes:
    try:
        return response.content[:BODY_PREVIEW]
    except httpx.ResponseNotRead:
        pass
    buf = bytearray()
    try:
        chunks = response.aiter_bytes()
        try:
            async for chunk in chunks:
                buf += chunk
                if len(buf) >= BODY_PREVIEW:
                    break
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]
    except (httpx.HTTPError, httpx.StreamError):
        pass
    return bytes(buf[:BODY_PREVIEW])


class EventSource:
    """Helper for reading an SSE response (httpx-sse's ``EventSource``).

    Args:
        response: a streaming ``httpx.Response`` (from ``client.stream(...)``).
    """

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self._decoder: Decoder | None = None

    @property
    def response(self) -> httpx.Response:
        """The underlying ``httpx.Response`` (check its status before iterating, say)."""
        return self._response

    @property
    def last_event_id(self) -> str:
        """The last event ID read so far (``""`` if none); send it as ``Last-Event-ID``."""
        return "" if self._decoder is None else self._decoder.last_event_id

    @property
    def retry(self) -> int | None:
        """The latest ``retry`` value (ms) the server sent, or ``None``."""
        return None if self._decoder is None else self._decoder.retry

    def _check(self) -> None:
        if not is_event_stream(self._response.headers.get("content-type")):
            raise _error(self._response, _read_preview(self._response))

    async def _acheck(self) -> None:
        if not is_event_stream(self._response.headers.get("content-type")):
            raise _error(self._response, await _aread_preview(self._response))

    def iter_sse(self, **decoder_options: Any) -> Iterator[Event]:
        """Yield the events of the response as they arrive.

        ``decoder_options`` (``max_line_size``, ``max_event_size``) go to
        :class:`ssecodec.Decoder`. At the end of the body an unfinished event is discarded
        (spec). Network errors are httpx's (e.g. ``httpx.RemoteProtocolError`` when the server
        drops the connection mid-stream).

        Raises:
            SSEError: the ``Content-Type`` is not ``text/event-stream`` (raised on the first
                ``next()``, so the response can be inspected before iterating).
            LimitExceeded: a line or event went over a decoder limit.
        """
        self._check()
        decoder = self._decoder = Decoder(**decoder_options)
        for chunk in self._response.iter_bytes():
            try:
                events = decoder.feed(chunk)
            except LimitExceeded as exc:
                yield from exc.events
                raise
            yield from events
        yield from decoder.close()

    async def aiter_sse(self, **decoder_options: Any) -> AsyncGenerator[Event, None]:
        """Async twin of :meth:`iter_sse`."""
        await self._acheck()
        decoder = self._decoder = Decoder(**decoder_options)
        chunks = self._response.aiter_bytes()
        try:
            async for chunk in chunks:
                try:
                    events = decoder.feed(chunk)
                except LimitExceeded as exc:
                    for event in exc.events:
                        yield event
                    raise
                for event in events:
                    yield event
            for event in decoder.close():
                yield event
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]


def _sse_headers(kwargs: dict[str, Any]) -> httpx.Headers:
    headers = httpx.Headers(kwargs.pop("headers", None))
    headers["Accept"] = "text/event-stream"
    headers["Cache-Control"] = "no-store"
    return headers


@contextmanager
def connect_sse(
    client: httpx.Client, method: str, url: str | httpx.URL, **kwargs: Any
) -> Iterator[EventSource]:
    """Send a streaming request and yield an :class:`EventSource` for its response.

    Sets ``Accept: text/event-stream`` and ``Cache-Control: no-store`` (other headers given
    in ``headers`` are kept); the keyword arguments go to ``client.stream``. The response is
    closed on exit. The content type is checked when iterating, not here.
    """
    headers = _sse_headers(kwargs)
    with client.stream(method, url, headers=headers, **kwargs) as response:
        yield EventSource(response)


@asynccontextmanager
async def aconnect_sse(
    client: httpx.AsyncClient, method: str, url: str | httpx.URL, **kwargs: Any
) -> AsyncIterator[EventSource]:
    """Async twin of :func:`connect_sse`, for an ``httpx.AsyncClient``."""
    headers = _sse_headers(kwargs)
    async with client.stream(method, url, headers=headers, **kwargs) as response:
        yield EventSource(response)
