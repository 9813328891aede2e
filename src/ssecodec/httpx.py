"""Server-sent events over httpx, API-compatible with ``httpx-sse``.

Install with ``pip install 'ssecodec[httpx]'``. Switching from httpx-sse is an import change::

    from ssecodec.httpx import connect_sse   # was: from httpx_sse import connect_sse

    with httpx.Client() as client:
        with connect_sse(client, "GET", "http://localhost:8000/sse") as event_source:
            for sse in event_source.iter_sse():
                print(sse.event, sse.data, sse.id, sse.retry)

The events are :class:`ServerSentEvent` objects, httpx-sse's class: same constructor,
attributes, ``json()`` and ``repr``. Decoding follows the WHATWG spec exactly, where
httpx-sse differs on edge cases: a block without ``data`` (only ``id``, ``event`` or
``retry``) dispatches no event, a ``retry`` that is not all ASCII digits is ignored, a
leading byte order mark is removed, and the body is always UTF-8.

The ``Content-Type`` check extracts the MIME type the way browsers do (the Fetch standard):
of a list of types (``application/json, text/event-stream``, or the header sent twice) the
last valid one counts. When the check fails, :class:`SSEError` shows the status and the
start of the body, and the body stays readable (``response.read()``, ``.json()``).

For a client that reconnects by itself, see :mod:`ssecodec.client`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from ._deps import require
from ._http import BODY_PREVIEW, DecoderState, NotEventStreamError, is_event_stream

require("httpx", "httpx")

import httpx  # noqa: E402

from ssecodec import Decoder, Event, LimitExceeded  # noqa: E402

__all__ = [
    "EventSource",
    "SSEError",
    "ServerSentEvent",
    "aconnect_sse",
    "connect_sse",
]


class _Fields:
    """The four fields of a :class:`ServerSentEvent` built by hand (decoded events keep the
    decoder's :class:`ssecodec.Event` instead)."""

    __slots__ = ("data", "event", "id", "retry")

    def __init__(self, event: Any, data: Any, id: Any, retry: Any) -> None:
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry


class ServerSentEvent:
    """One server-sent event, httpx-sse's class: ``ServerSentEvent(event, data, id, retry)``.

    Args:
        event: the event type; ``None`` or ``""`` gives ``"message"``.
        data: the data (``data`` lines joined with LF); ``None`` gives ``""``.
        id: the last event ID when the event was dispatched; ``None`` gives ``""``.
        retry: the reconnection time (ms) given inside this event's block, else ``None``.

    As in httpx-sse the arguments are stored as given (no type checks), the four attributes
    are read-only properties and the class can be subclassed. Unlike httpx-sse's, events
    compare equal (and hash alike) when they are of the same class and their four attributes
    are equal. :class:`EventSource` yields this class; :meth:`to_event` gives the
    :class:`ssecodec.Event` with the same fields.
    """

    _ev: Event | _Fields

    def __init__(
        self,
        event: str | None = None,
        data: str | None = None,
        id: str | None = None,
        retry: int | None = None,
    ) -> None:
        self._ev = _Fields(
            event or "message",
            "" if data is None else data,
            "" if id is None else id,
            retry,
        )

    if TYPE_CHECKING:

        @property
        def event(self) -> str: ...
        @property
        def data(self) -> str: ...
        @property
        def id(self) -> str: ...
        @property
        def retry(self) -> int | None: ...

    else:
        # C-level getters (operator.attrgetter): reading an attribute costs no Python call.
        event = property(
            attrgetter("_ev.event"),
            doc='The event type (``"message"`` when the stream named none).',
        )
        data = property(attrgetter("_ev.data"), doc="The event's data.")
        id = property(
            attrgetter("_ev.id"),
            doc='The last event ID at dispatch (``""`` if none was ever set).',
        )
        retry = property(
            attrgetter("_ev.retry"),
            doc="The reconnection time (ms) given inside this event's block, else ``None``.",
        )

    def json(self) -> Any:
        """``json.loads(self.data)``, as httpx-sse does.

        Raises:
            json.JSONDecodeError: the data is not JSON.
        """
        return json.loads(self.data)

    def to_event(self) -> Event:
        """The :class:`ssecodec.Event` with the same four fields (it can ``encode()``)."""
        ev = self._ev
        if type(ev) is Event:
            return ev
        return Event(self.data, event=self.event, id=self.id, retry=self.retry)

    def __repr__(self) -> str:
        pieces = [f"event={self.event!r}"]
        if self.data != "":
            pieces.append(f"data={self.data!r}")
        if self.id != "":
            pieces.append(f"id={self.id!r}")
        if self.retry is not None:
            pieces.append(f"retry={self.retry!r}")
        return f"ServerSentEvent({', '.join(pieces)})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, ServerSentEvent)
        return (
            self.event == other.event
            and self.data == other.data
            and self.id == other.id
            and self.retry == other.retry
        )

    def __hash__(self) -> int:
        return hash((self.event, self.data, self.id, self.retry))


_new = object.__new__


def _converted(events: list[Event]) -> Iterator[ServerSentEvent]:
    """The decoder's events as :class:`ServerSentEvent` objects that keep them (no copy of the
    fields, no ``__init__``: this is the per-event cost of :meth:`EventSource.iter_sse`)."""
    for event in events:
        sse = _new(ServerSentEvent)
        sse._ev = event
        yield sse


class SSEError(NotEventStreamError, httpx.TransportError):
    """The response is not an event stream (its ``Content-Type`` is not ``text/event-stream``).

    Like httpx-sse's ``SSEError`` it is an ``httpx.TransportError``; it is also an
    :class:`ssecodec.SSEError`. The message shows the status and the start of the body; the
    body itself is left unread, for ``response.read()`` or ``response.json()``.

    Attributes:
        status_code: the HTTP status code.
        content_type: the ``Content-Type`` header, or ``None``.
        body: the first bytes of the body (up to 512).
    """


def _error(response: httpx.Response, body: bytes) -> SSEError:
    content_type = response.headers.get("content-type")
    try:
        request: httpx.Request | None = response.request
    except RuntimeError:  # a response built by hand, with no request attached
        request = None
    return SSEError.for_response(
        response.status_code, response.reason_phrase, content_type, body, request=request
    )


class _Replay(httpx.SyncByteStream):
    """A response's body stream with the chunks already read from it put back in front (and
    the error that stopped the reading, if any, raised after them)."""

    def __init__(
        self,
        stream: httpx.SyncByteStream,
        head: list[bytes],
        rest: Iterator[bytes] | None,
        error: Exception | None,
    ) -> None:
        self._stream = stream
        self._head = head
        self._rest = rest
        self._error = error

    def __iter__(self) -> Iterator[bytes]:
        yield from self._head
        if self._error is not None:
            raise self._error
        if self._rest is not None:
            yield from self._rest

    def close(self) -> None:
        self._stream.close()


class _AsyncReplay(httpx.AsyncByteStream):
    """Async twin of :class:`_Replay`."""

    def __init__(
        self,
        stream: httpx.AsyncByteStream,
        head: list[bytes],
        rest: AsyncIterator[bytes] | None,
        error: Exception | None,
    ) -> None:
        self._stream = stream
        self._head = head
        self._rest = rest
        self._error = error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._head:
            yield chunk
        if self._error is not None:
            raise self._error
        if self._rest is not None:
            async for chunk in self._rest:
                yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()


def _decoded(response: httpx.Response, raw: bytes) -> bytes:
    """The start of the body, ``raw`` as it came over the wire, with its content coding
    (gzip, ...) undone as far as it goes."""
    if response.headers.get("content-encoding", "identity").strip().lower() == "identity":
        return raw[:BODY_PREVIEW]
    try:
        return httpx.Response(200, headers=response.headers, content=raw).content[:BODY_PREVIEW]
    except httpx.DecodingError:
        return raw[:BODY_PREVIEW]


def _read_preview(response: httpx.Response) -> bytes:
    """The start of the body, read without consuming it: the raw chunks read are put back
    (``response.stream`` replays them), so ``response.read()`` still gets the whole body."""
    try:
        return response.content[:BODY_PREVIEW]
    except httpx.ResponseNotRead:
        pass
    stream = response.stream
    if (
        response.is_stream_consumed
        or response.is_closed
        or not isinstance(stream, httpx.SyncByteStream)
    ):
        return b""
    head: list[bytes] = []
    size = 0
    rest: Iterator[bytes] | None = iter(stream)
    error: Exception | None = None
    try:
        while size < BODY_PREVIEW:
            chunk = next(rest)  # type: ignore[arg-type]
            head.append(chunk)
            size += len(chunk)
    except StopIteration:
        rest = None
    except Exception as exc:  # raised again when the body is read
        rest, error = None, exc
    response.stream = _Replay(stream, head, rest, error)
    return _decoded(response, b"".join(head))


async def _aread_preview(response: httpx.Response) -> bytes:
    """Async twin of :func:`_read_preview`."""
    try:
        return response.content[:BODY_PREVIEW]
    except httpx.ResponseNotRead:
        pass
    stream = response.stream
    if (
        response.is_stream_consumed
        or response.is_closed
        or not isinstance(stream, httpx.AsyncByteStream)
    ):
        return b""
    head: list[bytes] = []
    size = 0
    rest: AsyncIterator[bytes] | None = stream.__aiter__()
    error: Exception | None = None
    try:
        while size < BODY_PREVIEW:
            chunk = await rest.__anext__()  # type: ignore[union-attr]
            head.append(chunk)
            size += len(chunk)
    except StopAsyncIteration:
        rest = None
    except Exception as exc:  # raised again when the body is read
        rest, error = None, exc
    response.stream = _AsyncReplay(stream, head, rest, error)
    return _decoded(response, b"".join(head))


def _body_is_raw(response: httpx.Response) -> bool:
    """Whether ``response.iter_raw()`` yields what ``iter_bytes()`` would: the body is still
    unread and has no content coding (``iter_bytes`` then only wraps ``iter_raw`` in a
    generator of its own, a pass-through decoder and a chunker, per chunk)."""
    try:
        response.content  # noqa: B018 - raises when the body is unread
    except httpx.ResponseNotRead:
        codings = response.headers.get_list("content-encoding", split_commas=True)
        return all(coding.strip().lower() in ("", "identity") for coding in codings)
    return False


class EventSource(DecoderState):
    """Helper for reading an SSE response (httpx-sse's ``EventSource``).

    Args:
        response: a streaming ``httpx.Response`` (from ``client.stream(...)``).

    ``last_event_id`` and ``retry`` tell what the stream gave so far.
    """

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def response(self) -> httpx.Response:
        """The underlying ``httpx.Response`` (check its status before iterating, say)."""
        return self._response

    def _check(self) -> None:
        if not is_event_stream(self._response.headers.get_list("content-type")):
            raise _error(self._response, _read_preview(self._response))

    async def _acheck(self) -> None:
        if not is_event_stream(self._response.headers.get_list("content-type")):
            raise _error(self._response, await _aread_preview(self._response))

    def iter_sse(self, **decoder_options: Any) -> Iterator[ServerSentEvent]:
        """Yield the events of the response as they arrive, as :class:`ServerSentEvent`.

        ``decoder_options`` (``max_line_size``, ``max_event_size``) go to
        :class:`ssecodec.Decoder`. At the end of the body an unfinished event is discarded
        (spec). Network errors are httpx's (e.g. ``httpx.RemoteProtocolError`` when the server
        drops the connection mid-stream).

        Raises:
            SSEError: the ``Content-Type`` is not ``text/event-stream`` (raised on the first
                ``next()``, so the response can be inspected before iterating). The body is
                left unread: ``response.read()`` gets all of it.
            LimitExceeded: a line or event went over a decoder limit (its ``events`` are
                :class:`ssecodec.Event` objects; the ones before the limit are yielded first).
        """
        self._check()
        # The loop of ssecodec.iter_events, written out to wrap each event inline: a
        # generator around iter_events costs one more generator step per event (about 5% of
        # the events per second when each chunk holds one event).
        decoder = self._decoder = Decoder(**decoder_options)
        new, cls = _new, ServerSentEvent
        response = self._response
        # Over loopback, with one event per chunk, about 2% of the events per CPU-second.
        chunks = response.iter_raw() if _body_is_raw(response) else response.iter_bytes()
        for chunk in chunks:
            try:
                events = decoder.feed(chunk)
            except LimitExceeded as exc:
                yield from _converted(exc.events)
                raise
            for event in events:  # _converted, inlined: the hot loop
                sse = new(cls)
                sse._ev = event
                yield sse
        yield from _converted(decoder.close())

    async def aiter_sse(self, **decoder_options: Any) -> AsyncGenerator[ServerSentEvent, None]:
        """Async twin of :meth:`iter_sse`."""
        # As in iter_sse: an async generator around ssecodec.aiter_events would cost 10-20%
        # of the events per second (one more async iteration per event).
        await self._acheck()
        decoder = self._decoder = Decoder(**decoder_options)
        new, cls = _new, ServerSentEvent
        response = self._response
        chunks = response.aiter_raw() if _body_is_raw(response) else response.aiter_bytes()
        try:
            async for chunk in chunks:
                try:
                    events = decoder.feed(chunk)
                except LimitExceeded as exc:
                    for sse in _converted(exc.events):
                        yield sse
                    raise
                for event in events:  # _converted, inlined: the hot loop
                    sse = new(cls)
                    sse._ev = event
                    yield sse
            for sse in _converted(decoder.close()):
                yield sse
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
