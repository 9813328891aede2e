"""The relay's upstream side: open the upstream request, check its answer, relay its body."""

from __future__ import annotations

import copyreg
from collections.abc import AsyncIterator
from typing import Any, Final

import httpx

from ssecodec import DEFAULT_MAX_EVENT_SIZE

from ._http import ResponseError, is_event_stream
from ._relay_pipeline import relay_chunks
from ._relay_transform import Transform

__all__ = ["ERROR_BODY_LIMIT", "UpstreamError", "open_upstream", "relay_upstream"]

ERROR_BODY_LIMIT: Final = 64 * 1024
"""How much of an upstream error response's body is read (and passed on to the client)."""


class UpstreamError(ResponseError):
    """The upstream answered, but not with an event stream (an error status or another type).

    Like the client integrations' errors it is a :class:`ssecodec.SSEError`.

    Attributes:
        status_code: the upstream's HTTP status.
        content_type: its ``Content-Type``, or ``None``.
        headers: its headers.
        body: the start of its body (up to :data:`ERROR_BODY_LIMIT` bytes).
    """

    __module__ = "ssecodec.relay"

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        content_type: str | None,
        headers: httpx.Headers,
        body: bytes,
    ) -> None:
        super().__init__(message, status_code=status_code, content_type=content_type, body=body)
        self.headers = headers

    def __reduce__(self) -> tuple[Any, ...]:
        # The keywords are required, so not ``cls(message)`` as for other exceptions: a bare
        # instance, then its attributes.
        return (copyreg.__newobj__, (type(self), str(self)), self.__dict__)  # type: ignore[attr-defined]


async def _read_limited(response: httpx.Response, limit: int) -> bytes:
    buf = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            buf += chunk
            if len(buf) >= limit:
                break
    except (httpx.HTTPError, httpx.StreamError):
        pass
    return bytes(buf[:limit])


async def open_upstream(
    client: httpx.AsyncClient,
    method: str,
    url: httpx.URL | str,
    *,
    last_event_id: str | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send the upstream request and return its streaming response, checked.

    Sets ``Accept: text/event-stream`` and ``Cache-Control: no-store`` unless given in
    ``headers``, and ``Last-Event-ID`` when ``last_event_id`` is non-empty. The other keyword
    arguments go to ``client.build_request`` (``json``, ``content``, ``params``, ``headers``,
    ``timeout``, ...), except ``auth`` and ``follow_redirects`` which go to ``client.send``.
    The caller must close the response (:func:`relay_upstream` does).

    Raises:
        UpstreamError: the status is not 2xx or the type is not ``text/event-stream`` (the
            response is closed; the error has its status, headers and the start of its body).
        httpx.HTTPError: the request failed (connection refused, timeout, ...).
    """
    headers = httpx.Headers(kwargs.pop("headers", None))
    headers.setdefault("Accept", "text/event-stream")
    headers.setdefault("Cache-Control", "no-store")
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    send_options = {key: kwargs.pop(key) for key in ("auth", "follow_redirects") if key in kwargs}
    request = client.build_request(method, url, headers=headers, **kwargs)
    response = await client.send(request, stream=True, **send_options)
    try:
        content_type = response.headers.get("content-type")
        if not response.is_success or not is_event_stream(content_type):
            body = await _read_limited(response, ERROR_BODY_LIMIT)
            problem = (
                "The upstream did not answer with an event stream"
                if response.is_success
                else "The upstream failed"
            )
            raise UpstreamError.for_response(
                response.status_code,
                response.reason_phrase,
                content_type,
                body,
                problem,
                headers=response.headers,
            )
    except BaseException:
        await response.aclose()
        raise
    return response


def _end_marked(response: httpx.Response) -> bool:
    """Whether the body's end is marked (Content-Length, chunked, HTTP/2 or later); if not,
    only the connection's close ends it, and a dying upstream looks like a normal end."""
    if response.http_version not in ("HTTP/1.1", "HTTP/1.0"):
        return True
    headers = response.headers
    return "content-length" in headers or "chunked" in headers.get("transfer-encoding", "").lower()


class _Relayed:
    """The relayed bytes of an upstream response; closing it closes the upstream response,
    whether or not iteration started (a client may leave before the first event)."""

    def __init__(
        self,
        response: httpx.Response,
        transform: Transform | None,
        comments: bool,
        max_event_size: int | None,
    ) -> None:
        self._response = response
        # Without a content coding the raw bytes are the body: skip httpx's decoder layer.
        coding = response.headers.get("content-encoding", "").strip().lower()
        identity = coding in ("", "identity")
        self._chunks = response.aiter_raw() if identity else response.aiter_bytes()
        self._pieces = relay_chunks(
            self._chunks, transform, comments, max_event_size, end_marked=_end_marked(response)
        )

    def __aiter__(self) -> _Relayed:
        return self

    async def __anext__(self) -> bytes:
        return await self._pieces.__anext__()

    async def aclose(self) -> None:
        try:
            await self._pieces.aclose()  # type: ignore[attr-defined]
            await self._chunks.aclose()  # type: ignore[attr-defined]
        finally:
            await self._response.aclose()


def relay_upstream(
    response: httpx.Response,
    *,
    transform: Transform | None = None,
    comments: bool = False,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
) -> AsyncIterator[bytes]:
    """:func:`~ssecodec.relay.relay_events` over the body of an open upstream response.

    Returns an async iterator whose ``aclose()`` closes the upstream response (the server
    responses call it when the stream ends, fails or the client leaves). Give it to a server
    response yourself when you need more control than :func:`~ssecodec.relay.relay_starlette`
    gives::

        upstream = await open_upstream(client, "GET", url)
        return EventSourceResponse(
            relay_upstream(upstream, transform=fix), on_error=error_event, headers=RELAY_HEADERS
        )
    """
    return _Relayed(response, transform, comments, max_event_size)
