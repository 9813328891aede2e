"""Relay an upstream event stream to your own clients: SSE proxies and LLM gateways.

Install with ``pip install 'ssecodec[httpx,starlette]'`` (or ``[httpx,aiohttp]``). The
upstream is read with an ``httpx.AsyncClient``; the downstream is a Starlette/FastAPI or an
``aiohttp.web`` response::

    import httpx
    from fastapi import FastAPI, Request
    from ssecodec.relay import relay_starlette

    app = FastAPI()
    upstream = httpx.AsyncClient(timeout=httpx.Timeout(10, read=None))

    @app.get("/events")
    async def events(request: Request):
        return await relay_starlette(request, upstream, "GET", "https://example.com/events")

Without a ``transform`` the relay forwards **whole events without decoding them**
(pass-through): the upstream bytes are cut at event boundaries, so that only complete events
are forwarded and a stream cut mid-event never forwards half of one; ``id``, ``event``,
``retry`` and ``data`` lines pass byte for byte (line ends normalised to LF, a leading BOM
removed, comment lines removed unless ``comments=True``). With a ``transform`` each event is
decoded, passed to it, and what it returns is encoded again.

What the relay does besides (see :func:`relay_starlette`): upstream reads pause while the
client is slow (the buffer in between is bounded by ``buffer_size``); the upstream response is
closed as soon as the client leaves; an upstream that fails mid-stream ends the client's
stream with an ``event: error`` (then a clean end), also when only the connection's close ends
its body and it closes in the middle of an event; the client's ``Last-Event-ID`` is passed to
the upstream; the response carries the headers that stop proxies from buffering it. A big
event is forwarded in the pieces it arrived in, never copied whole.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

from ._deps import require
from ._framing import CommentSplitter, Framer, FramingLimitExceeded, split_comments
from ._http import describe_response, is_event_stream
from ._server import DEFAULT_BUFFER_SIZE, DEFAULT_PING, DEFAULT_SEND_TIMEOUT, Item, OnError

require("httpx", "httpx")

import httpx  # noqa: E402

from ssecodec import (  # noqa: E402
    DEFAULT_MAX_EVENT_SIZE,
    Decoder,
    Event,
    LimitExceeded,
    SSEError,
    encode,
)

if TYPE_CHECKING:
    from aiohttp import web
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = [
    "ERROR_BODY_LIMIT",
    "RELAY_HEADERS",
    "Transform",
    "UpstreamError",
    "error_event",
    "open_upstream",
    "relay_aiohttp",
    "relay_events",
    "relay_starlette",
    "relay_upstream",
]

Transform = Callable[[Event], Event | Awaitable[Event | None] | None]
"""A per-event transform: takes the decoded upstream event, returns the event to send (the
same one, a new one) or ``None`` to drop it; it may be a coroutine function."""

RELAY_HEADERS: Final[Mapping[str, str]] = {
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",
}
"""Headers of the relayed response (on top of ``Content-Type: text/event-stream``): no
caching, no transformation (compression) by intermediaries, no nginx buffering."""

ERROR_BODY_LIMIT: Final = 64 * 1024
"""How much of an upstream error response's body is read (and passed on to the client)."""

_LOG = logging.getLogger("ssecodec.relay")

_PIECE: Final = 256 * 1024
"""The largest item the pipeline yields: a bigger run of events goes out in pieces, so that
neither the relay nor the server's write path ever copies a big event whole."""


class UpstreamError(SSEError):
    """The upstream answered, but not with an event stream (an error status or another type).

    Attributes:
        status_code: the upstream's HTTP status.
        content_type: its ``Content-Type``, or ``None``.
        headers: its headers.
        body: the start of its body (up to :data:`ERROR_BODY_LIMIT` bytes).
    """

    def __init__(
        self, message: str, *, status_code: int, content_type: str | None,
        headers: httpx.Headers, body: bytes,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.content_type = content_type
        self.headers = headers
        self.body = body


def error_event(exc: Exception) -> Event:
    """The default ``on_error``: an ``event: error`` whose data is an OpenAI-style JSON error.

    ``{"error": {"type": "upstream_error", "message": "..."}}`` for a network or protocol
    failure of the upstream (httpx's message), ``"upstream_limit"`` for an upstream event over
    ``max_event_size``, and ``"relay_error"`` (with only the exception's class name, so that
    internals do not leak) for anything else, e.g. a failing transform.
    """
    if isinstance(exc, LimitExceeded):
        kind, message = "upstream_limit", str(exc)
    elif isinstance(exc, (httpx.HTTPError, httpx.StreamError, OSError)):
        kind, message = "upstream_error", str(exc) or type(exc).__name__
    else:
        kind, message = "relay_error", type(exc).__name__
    data = json.dumps({"error": {"type": kind, "message": message}}, ensure_ascii=False)
    return Event(data, event="error")


# -- the pipeline (framework-free) ---------------------------------------------------------


def _retry_line(retry: int) -> bytes:
    # Not b"%d" % retry: a retry of more than 4,300 digits is valid SSE, but Python refuses
    # to format an int that long (sys.int_max_str_digits); the encoder does not.
    return encode(None, retry=retry)


def _pieces(out: bytes | list[bytes]) -> Iterator[bytes]:
    """``out`` in order, in items of at most ``_PIECE`` bytes; a list is consumed (each piece
    released once handed on)."""
    if isinstance(out, bytes):
        out = [out]
    out.reverse()
    while out:
        piece = out.pop()
        if len(piece) <= _PIECE:
            yield piece
        else:
            for start in range(0, len(piece), _PIECE):
                yield piece[start : start + _PIECE]


async def _resolve(result: object) -> Event | None:
    """A transform's result that is not an Event: await it, and check what it gives."""
    if inspect.isawaitable(result):
        result = await result
    if result is None or isinstance(result, Event):
        return result
    raise TypeError(
        "a relay transform returns an ssecodec.Event or None, not " + type(result).__name__
    )


class _Transformer:
    """The decoding path: decode, transform, encode, keeping ids and retry as the client saw."""

    def __init__(
        self,
        transform: Transform,
        comments: bool,
        max_event_size: int | None,
    ) -> None:
        self.transform = transform
        self.comments = comments
        self.decoder = Decoder(max_line_size=max_event_size, max_event_size=max_event_size)
        # The framer removed the upstream's BOM: one at the start of what the decoder is fed
        # (after comments split off) is data, not a BOM to strip. A blank line first does
        # nothing else.
        self.decoder.feed(b"\n")
        # The client parses a new stream from scratch, as the relay does the upstream's (so
        # both start with an empty last event ID, whatever Last-Event-ID the client sent).
        self.sent_id = ""  # the client's last event ID, given what was sent to it
        self.upstream_id = ""  # the upstream's, as of its last event
        self.upstream_retry: int | None = None
        # For pieces that may end inside a line (see the framer's hold=False), with comments.
        self.splitter = CommentSplitter()

    async def region(self, block: bytes | list[bytes]) -> tuple[list[bytes], LimitExceeded | None]:
        """Relay whole events (LF line ends, comments in place), given whole or in pieces (a
        list, consumed: each piece is released once decoded).

        Returns what to send, in order, and the decoder's error if an event was over the
        limit (what to send then holds every event before it).
        """
        out: list[bytes] = []
        try:
            if not isinstance(block, bytes) or (self.comments and not self.splitter.idle):
                # (bytes here go on from a line that earlier pieces began)
                await self._pieces(block if isinstance(block, list) else [block], out)
            elif self.comments and (block[:1] == b":" or block.find(b"\n:") >= 0):
                for is_comment, piece in split_comments(block):
                    if is_comment:
                        # The events are re-encoded whole, so the output is always at an
                        # event boundary here: end the comment with a blank line too.
                        out.append(piece + b"\n")
                    else:
                        await self._events(self.decoder.feed(piece), out)
            else:
                await self._events(self.decoder.feed(block), out)
        except LimitExceeded as exc:
            # The decoder consumed the whole chunk; relay the events it completed, then stop.
            await self._events(exc.events, out)
            return out, exc
        decoder = self.decoder
        # A block without data changes the id or retry without dispatching an event.
        if decoder.last_event_id != self.upstream_id:
            self.upstream_id = decoder.last_event_id
            if self.upstream_id != self.sent_id:
                self.sent_id = self.upstream_id
                out.append(encode(None, id=self.sent_id))
        if decoder.retry != self.upstream_retry and decoder.retry is not None:
            self.upstream_retry = decoder.retry
            out.append(_retry_line(decoder.retry))
        return out, None

    async def _pieces(self, pieces: list[bytes], out: list[bytes]) -> None:
        """:meth:`region` for pieces that may end inside a line, each released once decoded."""
        if self.comments:
            for is_comment, piece in self.splitter.split(pieces):
                if is_comment:
                    out.append(piece + b"\n")  # (see region)
                else:
                    await self._events(self.decoder.feed(piece), out)
        else:
            pieces.reverse()
            while pieces:
                await self._events(self.decoder.feed(pieces.pop()), out)

    async def _events(self, events: list[Event], out: list[bytes]) -> None:
        transform = self.transform
        for event in events:
            upstream_id = self.upstream_id = event.id or ""
            retry = event.retry
            if retry is not None:
                self.upstream_retry = retry
            result = transform(event)
            if result is not None and type(result) is not Event:
                result = await _resolve(result)
            if result is None:
                if retry is not None:  # the client still gets the upstream's retry
                    out.append(_retry_line(retry))
                continue
            # An event the transform built without id or retry keeps the upstream's.
            rid = result.id
            if rid is None:
                rid = upstream_id
            if result.retry is not None:
                retry = result.retry
            name = result.event
            if rid == self.sent_id:
                out.append(
                    encode(result.data, event=None if name == "message" else name, retry=retry)
                )
            else:
                self.sent_id = rid
                out.append(
                    encode(
                        result.data,
                        event=None if name == "message" else name,
                        id=rid,
                        retry=retry,
                    )
                )


def relay_events(
    chunks: AsyncIterable[bytes],
    *,
    transform: Transform | None = None,
    comments: bool = False,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
) -> AsyncIterator[bytes]:
    """Turn the byte chunks of an upstream event stream into the bytes to send downstream.

    This is the relay without any HTTP: it yields ``text/event-stream`` bytes (LF line ends)
    in order, each event as soon as the upstream has completed it. An item is one or more
    whole events, except that an item is never larger than 256 KiB: a bigger event comes in
    consecutive items (with no upstream read in between; concatenated, they are whole events),
    so that it is never copied whole on its way through.

    Args:
        chunks: the upstream body, in chunks of any size and boundaries.
        transform: called with each decoded :class:`~ssecodec.Event`; returns the event to
            send or ``None`` to drop it (sync or async). Without it the events pass through
            undecoded.
        comments: forward comment lines (``: ...``, e.g. the upstream's keep-alives); by
            default they are dropped (the downstream response sends its own keep-alives).
        max_event_size: the largest event held, in bytes (the raw event without a transform,
            a line and the event's data with one); ``None`` for no limit.

    What a reader decodes from the output is what it decodes from the upstream (events,
    their ``event``, ``data``, ``id`` and ``retry``, and the final ``last_event_id`` and
    ``retry``), except for what the transform changes. An event the transform returns without
    ``id`` or ``retry`` keeps the upstream event's. A transform that drops an event drops its
    id with it (resuming then repeats it); its ``retry``, if any, is still sent. At the end of
    the upstream an unfinished event is discarded, as a reader of the upstream would.

    Raises:
        LimitExceeded: an upstream event is larger than ``max_event_size``; the events before
            it have been yielded.
        Exception: whatever ``chunks`` or ``transform`` raise.
    """
    return _relay(chunks, transform, comments, max_event_size, end_marked=True)


async def _relay(
    chunks: AsyncIterable[bytes],
    transform: Transform | None,
    comments: bool,
    max_event_size: int | None,
    *,
    end_marked: bool,
) -> AsyncIterator[bytes]:
    """:func:`relay_events`; ``end_marked=False`` for a body that ends where its connection
    closes: then an unfinished event at its end means the upstream died (an error)."""
    most = _PIECE
    if transform is None:
        framer = Framer(keep_comments=comments, max_event_size=max_event_size)
        async for chunk in chunks:
            try:
                block = framer.feed_split(chunk)
            except FramingLimitExceeded as exc:
                complete, exc.complete = exc.complete, b""
                if complete:
                    for piece in _pieces(complete):
                        yield piece
                raise
            if block:
                if type(block) is bytes and len(block) <= most:
                    yield block
                else:
                    for piece in _pieces(block):
                        yield piece
        _end(framer, end_marked)
        return

    # The decoder holds an unfinished event; the framer need not hold a big one as well.
    framer = Framer(keep_comments=True, max_event_size=max_event_size, hold=False)
    relay = _Transformer(transform, comments, max_event_size)
    async for chunk in chunks:
        error: LimitExceeded | None = None
        try:
            block = framer.feed_split(chunk)
        except FramingLimitExceeded as exc:
            block, error = exc.complete, exc
            exc.complete = b""
        if block:
            out, decoder_error = await relay.region(block)
            if len(out) == 1 and len(out[0]) <= most:
                yield out[0]
            elif out:
                if sum(map(len, out)) <= most:
                    yield b"".join(out)
                else:
                    for piece in _pieces(out):
                        yield piece
            error = decoder_error or error
        if error is not None:
            raise error
    _end(framer, end_marked)


def _end(framer: Framer, end_marked: bool) -> None:
    if not end_marked and framer.holds_event():
        # Where only the connection's close ends the body, a close in the middle of an event
        # is the only sign that the upstream died (what chunked or Content-Length framing
        # would report as an incomplete body).
        raise httpx.RemoteProtocolError(
            "upstream closed the connection in the middle of an event"
        )
    framer.close()


# -- upstream --------------------------------------------------------------------------------


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
            raise UpstreamError(
                describe_response(
                    response.status_code, response.reason_phrase, content_type, body, problem
                ),
                status_code=response.status_code,
                content_type=content_type,
                headers=response.headers,
                body=body,
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

    def __init__(self, response: httpx.Response, **options: Any) -> None:
        self._response = response
        # Without a content coding the raw bytes are the body: skip httpx's decoder layer.
        coding = response.headers.get("content-encoding", "").strip().lower()
        identity = coding in ("", "identity")
        self._chunks = response.aiter_raw() if identity else response.aiter_bytes()
        self._pieces = _relay(self._chunks, **options, end_marked=_end_marked(response))

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
    """:func:`relay_events` over the body of an open upstream response.

    Returns an async iterator whose ``aclose()`` closes the upstream response (the server
    responses call it when the stream ends, fails or the client leaves). Give it to a server
    response yourself when you need more control than :func:`relay_starlette` gives::

        upstream = await open_upstream(client, "GET", url)
        return EventSourceResponse(
            relay_upstream(upstream, transform=fix), on_error=error_event, headers=RELAY_HEADERS
        )
    """
    return _Relayed(
        response,
        transform=transform,
        comments=comments,
        max_event_size=max_event_size,
    )


# -- downstream ----------------------------------------------------------------------------


def _failure(exc: Exception) -> tuple[int, dict[str, str], bytes]:
    """The plain HTTP answer for an upstream that could not be opened."""
    if isinstance(exc, UpstreamError) and exc.status_code >= 400:
        headers = {"Content-Type": exc.content_type or "application/octet-stream"}
        retry_after = exc.headers.get("retry-after")
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        return exc.status_code, headers, exc.body
    if isinstance(exc, httpx.TimeoutException):
        status, message = 504, f"upstream timed out ({type(exc).__name__})"
    elif isinstance(exc, UpstreamError):
        status, message = 502, "upstream did not answer with an event stream"
    else:
        status, message = 502, f"upstream unreachable ({type(exc).__name__}: {exc})"
    body = json.dumps({"error": {"type": "upstream_error", "message": message}}).encode()
    return status, {"Content-Type": "application/json"}, body


def _last_event_id(option: bool | str | None, headers: Mapping[str, str]) -> str | None:
    if option is True:
        return headers.get("last-event-id") or None
    if isinstance(option, str):
        return option or None
    return None


def _logged(on_error: OnError | None) -> OnError | None:
    if on_error is None:
        return None

    def handle(exc: Exception) -> Item | None:
        if isinstance(exc, (httpx.HTTPError, httpx.StreamError, OSError, LimitExceeded)):
            _LOG.warning("upstream stream failed: %s: %s", type(exc).__name__, exc)
        else:
            _LOG.error("relay failed", exc_info=exc)
        return on_error(exc)

    return handle


def _response_headers(extra: Mapping[str, str] | None) -> dict[str, str]:
    headers = dict(RELAY_HEADERS)
    if extra:
        lower = {name.lower() for name in extra}
        headers = {k: v for k, v in headers.items() if k.lower() not in lower}
        headers.update(extra)
    return headers


async def _open(
    client: httpx.AsyncClient,
    method: str,
    url: httpx.URL | str,
    last_event_id: str | None,
    request_kwargs: dict[str, Any],
) -> httpx.Response | tuple[int, dict[str, str], bytes]:
    try:
        return await open_upstream(
            client, method, url, last_event_id=last_event_id, **request_kwargs
        )
    except (UpstreamError, httpx.HTTPError) as exc:
        _LOG.warning("could not open the upstream stream: %s", exc)
        return _failure(exc)


async def relay_starlette(
    request: Request,
    client: httpx.AsyncClient,
    method: str,
    url: httpx.URL | str,
    *,
    transform: Transform | None = None,
    comments: bool = False,
    last_event_id: bool | str | None = True,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    buffer_size: int = DEFAULT_BUFFER_SIZE,
    ping: float = DEFAULT_PING,
    send_timeout: float | None = DEFAULT_SEND_TIMEOUT,
    on_error: OnError | None = error_event,
    response_headers: Mapping[str, str] | None = None,
    **request_kwargs: Any,
) -> Response:
    """Open ``method url`` with ``client`` and relay its event stream as a Starlette response.

    Return the result from a Starlette or FastAPI endpoint. The request is sent here (so an
    upstream that cannot be opened gives a plain HTTP answer, below); the events are relayed
    when the response is sent.

    Args:
        request: the client's request (for its ``Last-Event-ID``).
        client: the ``httpx.AsyncClient`` for the upstream. Streams may pause for long, so
            give it no read timeout, e.g. ``httpx.Timeout(10, read=None)``, or one longer
            than the upstream's keep-alive interval.
        method, url: the upstream request; ``request_kwargs`` (``json``, ``content``,
            ``params``, ``headers``, ``timeout``, ``auth``, ...) go with it to httpx.
        transform: a per-event transform (``Event -> Event | None``, sync or async); without
            one, events pass through undecoded (:func:`relay_events` says what is kept).
        comments: forward the upstream's comment lines (keep-alives); dropped by default.
        last_event_id: ``True`` (default) sends the client's ``Last-Event-ID`` header to the
            upstream; a string sends that; ``False`` or ``None`` sends none.
        max_event_size: the largest upstream event relayed, in bytes; a larger one ends the
            stream with an error event.
        buffer_size: how many bytes may wait for a slow client; the upstream is not read
            while they do (backpressure). Per stream the relay holds at most about this plus
            one upstream read plus one unfinished event (with a transform, also the event
            decoded and encoded again).
        ping: seconds without a write after which the relay sends ``: ping`` to the client
            (0 disables).
        send_timeout: a client that does not take a write for this long is dropped (and the
            upstream closed); ``None`` waits forever.
        on_error: turns an exception raised while relaying (the upstream failing mid-stream,
            an oversized event, a failing transform) into a last item for the client; the
            default :func:`error_event` sends ``event: error`` with a JSON body, then the
            stream ends cleanly. ``None`` drops the connection instead.
        response_headers: added to the response headers (the defaults are
            :data:`RELAY_HEADERS`).

    Returns:
        A :class:`ssecodec.starlette.EventSourceResponse`; or, when the upstream could not be
        opened, a plain response: the upstream's own status, ``Content-Type``, body (up to
        :data:`ERROR_BODY_LIMIT`) and ``Retry-After`` if it answered with an error status;
        otherwise ``502`` (unreachable, or not an event stream) or ``504`` (timed out) with a
        JSON error body.
    """
    from starlette.responses import Response as PlainResponse

    from .starlette import EventSourceResponse

    resume = _last_event_id(last_event_id, request.headers)
    upstream = await _open(client, method, url, resume, request_kwargs)
    if isinstance(upstream, tuple):
        status, headers, body = upstream
        return PlainResponse(body, status_code=status, headers=headers)
    return EventSourceResponse(
        relay_upstream(
            upstream,
            transform=transform,
            comments=comments,
            max_event_size=max_event_size,
        ),
        headers=_response_headers(response_headers),
        ping=ping,
        send_timeout=send_timeout,
        on_error=_logged(on_error),
        buffer_size=buffer_size,
    )


async def relay_aiohttp(
    request: web.Request,
    client: httpx.AsyncClient,
    method: str,
    url: httpx.URL | str,
    *,
    transform: Transform | None = None,
    comments: bool = False,
    last_event_id: bool | str | None = True,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    buffer_size: int = DEFAULT_BUFFER_SIZE,
    ping: float = DEFAULT_PING,
    send_timeout: float | None = DEFAULT_SEND_TIMEOUT,
    on_error: OnError | None = error_event,
    response_headers: Mapping[str, str] | None = None,
    **request_kwargs: Any,
) -> web.StreamResponse:
    """:func:`relay_starlette` for ``aiohttp.web``: return the result from a handler.

    The arguments and the behaviour are the same. It returns a
    :class:`ssecodec.aiohttp.EventSourceResponse`, or a plain ``web.Response`` when the
    upstream could not be opened.
    """
    from aiohttp import web

    from .aiohttp import EventSourceResponse

    resume = _last_event_id(last_event_id, request.headers)
    upstream = await _open(client, method, url, resume, request_kwargs)
    if isinstance(upstream, tuple):
        status, headers, body = upstream
        return web.Response(status=status, headers=headers, body=body)
    return EventSourceResponse(
        relay_upstream(
            upstream,
            transform=transform,
            comments=comments,
            max_event_size=max_event_size,
        ),
        headers=_response_headers(response_headers),
        ping=ping,
        send_timeout=send_timeout,
        on_error=_logged(on_error),
        buffer_size=buffer_size,
    )
