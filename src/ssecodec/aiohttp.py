"""Server-sent events for aiohttp: a server response and a client helper.

Install with ``pip install 'ssecodec[aiohttp]'``.

Server (``aiohttp.web``)::

    from ssecodec.aiohttp import EventSourceResponse, on_shutdown

    async def handler(request):
        async def events():
            yield Event("hello")
        return EventSourceResponse(events())

    app = web.Application()
    app.router.add_get("/sse", handler)
    app.on_shutdown.append(on_shutdown)  # end open streams when the server stops

Client::

    from ssecodec.aiohttp import aconnect_sse

    async with aiohttp.ClientSession() as session:
        async with aconnect_sse(session, "GET", url) as source:
            async for event in source.aiter_sse():
                print(event.event, event.data)
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from ._deps import require
from ._http import BODY_PREVIEW, DecoderState, NotEventStreamError, is_event_stream
from ._server import (
    DEFAULT_BUFFER_SIZE,
    DEFAULT_PING,
    DEFAULT_SEND_TIMEOUT,
    Content,
    EventStream,
    Item,
    OnError,
    PingMessage,
    SendTimeout,
    StreamGroup,
)

require("aiohttp", "aiohttp")

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from aiohttp.abc import AbstractStreamWriter  # noqa: E402
from multidict import CIMultiDict  # noqa: E402

from ssecodec import Decoder, Event  # noqa: E402
from ssecodec import aiter_events as _aiter_events  # noqa: E402

__all__ = [
    "Content",
    "EventSource",
    "EventSourceResponse",
    "Item",
    "OnError",
    "SSEError",
    "SendTimeout",
    "aconnect_sse",
    "aiter_events",
    "close_all_streams",
    "on_shutdown",
]

_STREAMS = StreamGroup()
_DISCONNECT_POLL = 0.2  # seconds between checks of the transports while the streams are idle


class _DisconnectPoller:
    """Notices the clients that left, for all the streams of one event loop.

    aiohttp tells a handler nothing when its client goes (``handler_cancellation`` is off
    by default), and a write only fails once there is something to write; so the
    transports are looked at every ``_DISCONNECT_POLL`` seconds. One timer for all the
    streams of a loop: a thousand idle streams cost one wake-up per period, not a thousand.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._watched: dict[asyncio.Future[None], web.BaseRequest] = {}
        self._handle: asyncio.TimerHandle | None = None

    async def wait(self, request: web.BaseRequest) -> None:
        """Return once the client of ``request`` has gone."""
        if _gone(request):
            return
        future = self._loop.create_future()
        self._watched[future] = request
        if self._handle is None:
            self._handle = self._loop.call_later(_DISCONNECT_POLL, self._poll)
        try:
            await future
        finally:
            self._watched.pop(future, None)

    def _poll(self) -> None:
        self._handle = None
        for future, request in list(self._watched.items()):
            if _gone(request):
                del self._watched[future]
                if not future.done():
                    future.set_result(None)
        if self._watched:
            self._handle = self._loop.call_later(_DISCONNECT_POLL, self._poll)


def _gone(request: web.BaseRequest) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


_POLLERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _DisconnectPoller] = (
    weakref.WeakKeyDictionary()
)
_POLLERS_LOCK = threading.Lock()  # servers may run loops in several threads


def _poller() -> _DisconnectPoller:
    loop = asyncio.get_running_loop()
    with _POLLERS_LOCK:
        poller = _POLLERS.get(loop)
        if poller is None:
            poller = _POLLERS[loop] = _DisconnectPoller(loop)
    return poller


class EventSourceResponse(web.StreamResponse):
    """A ``text/event-stream`` response for ``aiohttp.web``; return it from a handler.

    The arguments mean what they mean for :class:`ssecodec.starlette.EventSourceResponse`:
    ``content`` is a sync or async iterable of ``Event``, dict, str or bytes; ``ping`` (default
    15 s, ``0`` disables), ``ping_message`` (the keep-alive: an item or a callable returning
    one; default the ``: ping`` comment), ``send_timeout`` (default 30 s), ``on_error``,
    ``coalesce`` and ``buffer_size`` (default 64 KiB) behave the same. ``status``,
    ``reason`` and ``headers`` are ``StreamResponse``'s.

    The stream is written when aiohttp prepares the response (after the handler returned it and
    the middlewares ran), so a handler just does ``return EventSourceResponse(events())``.
    A client disconnect is noticed within ``0.2`` s even while the producer is idle. Cancelled
    from outside (a cancel scope, ``task.cancel()``), the response stops its producer and waits
    for its cleanup before the cancellation goes on.
    """

    _push = False  # subclasses: a push stream (EventStream(push=True)) fed with offer()

    def __init__(
        self,
        content: Content,
        *,
        status: int = 200,
        reason: str | None = None,
        headers: Mapping[str, str] | None = None,
        ping: float = DEFAULT_PING,
        ping_message: PingMessage | None = None,
        send_timeout: float | None = DEFAULT_SEND_TIMEOUT,
        on_error: OnError | None = None,
        coalesce: bool = True,
        buffer_size: int = DEFAULT_BUFFER_SIZE,
    ) -> None:
        super().__init__(status=status, reason=reason, headers=headers)
        self._stream = EventStream(
            content,
            ping=ping,
            ping_message=ping_message,
            send_timeout=send_timeout,
            on_error=on_error,
            coalesce=coalesce,
            buffer_size=buffer_size,
            push=self._push,
            group=_STREAMS,
        )
        if "Content-Type" not in self.headers:
            self.content_type = "text/event-stream"
            self.charset = "utf-8"
        self.headers.setdefault("Cache-Control", "no-cache")
        self.headers.setdefault("X-Accel-Buffering", "no")

    @property
    def sends(self) -> int:
        """How many body writes the response made so far (keep-alives included)."""
        return self._stream.sends

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        """Send the headers, then stream the events until the end or a disconnect."""
        if self.prepared:
            return await super().prepare(request)
        writer = await super().prepare(request)
        self._stream.tag = request.app if isinstance(request, web.Request) else None
        poller = _poller()

        async def wait_disconnect() -> None:
            await poller.wait(request)

        await self._stream.run(self.write, wait_disconnect)
        return writer


def close_all_streams(final: Item | None = None, *, app: web.Application | None = None) -> int:
    """End live :class:`EventSourceResponse` streams cleanly (those of ``app``, if given).

    Each sends what was already produced, then ``final`` if given, and ends normally; the
    producers are stopped. Thread-safe. Returns how many streams were asked to close.
    """
    return _STREAMS.close_all(final, tag=app)


async def on_shutdown(app: web.Application) -> None:
    """An ``app.on_shutdown`` handler: end the app's open streams so the server can stop.

    aiohttp runs ``on_shutdown`` before it waits for the running handlers; without this an
    open event stream would hold the shutdown for ``shutdown_timeout`` (60 s by default).
    """
    _STREAMS.close_all(tag=app)
    await _STREAMS.wait_closed(5.0, tag=app)


# -- client ------------------------------------------------------------------------------------


class SSEError(NotEventStreamError, aiohttp.ClientError):
    """The response is not an event stream (wrong ``Content-Type``).

    Attributes:
        status: the HTTP status code (also ``status_code``).
        content_type: the response's ``Content-Type`` header, or ``None``.
        body: the first bytes of the response body (up to 512).
    """

    @property
    def status(self) -> int:
        """The HTTP status code (aiohttp's name for :attr:`status_code`)."""
        return self.status_code

    @status.setter
    def status(self, value: int) -> None:
        self.status_code = value


async def _read_preview(response: aiohttp.ClientResponse) -> bytes:
    buf = bytearray()
    try:
        while len(buf) < BODY_PREVIEW:
            chunk = await response.content.read(BODY_PREVIEW - len(buf))
            if not chunk:
                break
            buf += chunk
    except (aiohttp.ClientError, asyncio.TimeoutError):
        pass
    return bytes(buf)


async def _refused(
    response: aiohttp.ClientResponse, content_types: list[str]
) -> AsyncIterator[Event]:
    """Raise :class:`SSEError` at the first ``anext()``, where the events would have come."""
    content_type = ", ".join(content_types) or None
    body = await _read_preview(response)
    raise SSEError.for_response(response.status, response.reason, content_type, body)
    yield  # an async generator, like the core's aiter_events


class EventSource(DecoderState):
    """An event stream read from an ``aiohttp.ClientResponse``.

    Like ``httpx_sse.EventSource``, for aiohttp: :meth:`aiter_sse` checks the content type
    (raising :class:`SSEError` that shows the status and the start of the body) and yields
    :class:`~ssecodec.Event` objects; ``last_event_id`` and ``retry`` tell what the stream
    gave so far. The ``response`` is left for the caller to close.
    """

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    @property
    def response(self) -> aiohttp.ClientResponse:
        """The underlying response."""
        return self._response

    def aiter_sse(self, **decoder_options: Any) -> AsyncIterator[Event]:
        """Yield the stream's events as they arrive; ``decoder_options`` go to ``Decoder``.

        At the end of the body the unfinished event, if any, is discarded (as the spec says).

        Raises (when iterating):
            SSEError: the response's ``Content-Type`` is not ``text/event-stream``.
            LimitExceeded: a line or event went over a decoder limit (after the events that
                came before it were yielded).
        """
        content_types = self._response.headers.getall("Content-Type", [])
        if not is_event_stream(content_types):  # every value: a header sent twice is a list
            return _refused(self._response, content_types)
        # The core's iterator itself, not an async generator around it: a layer of those
        # costs 10-25% of the events per second.
        decoder = self._decoder = Decoder(**decoder_options)
        return _aiter_events(self._response.content.iter_any(), decoder=decoder)


def aiter_events(response: aiohttp.ClientResponse, **decoder_options: Any) -> AsyncIterator[Event]:
    """Yield the events of ``response`` (``EventSource(response).aiter_sse()``)."""
    return EventSource(response).aiter_sse(**decoder_options)


@asynccontextmanager
async def aconnect_sse(
    session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> AsyncIterator[EventSource]:
    """Open an event stream with ``session.request`` and yield an :class:`EventSource`.

    Sets ``Accept: text/event-stream`` and ``Cache-Control: no-store``; other keyword
    arguments go to ``session.request``. The response is closed on exit.
    """
    headers: CIMultiDict[str] = CIMultiDict(kwargs.pop("headers", None) or {})
    headers["Accept"] = "text/event-stream"
    headers["Cache-Control"] = "no-store"
    async with session.request(method, url, headers=headers, **kwargs) as response:
        yield EventSource(response)
