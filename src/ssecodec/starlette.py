"""Server-sent events for Starlette and FastAPI: :class:`EventSourceResponse`.

Install with ``pip install 'ssecodec[starlette]'`` (or ``[fastapi]``)::

    from ssecodec import Event
    from ssecodec.starlette import EventSourceResponse

    async def numbers(request):
        async def events():
            for i in range(10):
                yield Event(str(i), id=str(i))
                await asyncio.sleep(1)
        return EventSourceResponse(events())

The response runs on asyncio (uvicorn, hypercorn with asyncio workers, the test client).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping

from ._deps import require
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

require("starlette", "starlette")

from starlette.background import BackgroundTask  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.types import Receive, Scope, Send  # noqa: E402

__all__ = [
    "Content",
    "EventSourceResponse",
    "Item",
    "OnError",
    "SendTimeout",
    "close_all_streams",
    "wait_streams_closed",
]

_STREAMS = StreamGroup()


class EventSourceResponse(Response):
    """A ``text/event-stream`` response fed by a sync or async iterable.

    Args:
        content: what to send; each item is an :class:`~ssecodec.Event`, a dict of
            :func:`~ssecodec.encode` arguments (``data``, ``event``, ``id``, ``retry``,
            ``comment``; a non-str ``data`` is JSON-encoded), a ``str`` (the data of a
            ``message`` event) or ``bytes`` (already-encoded SSE, sent verbatim). Async
            iterables run on the event loop; lists and tuples too; other sync iterables run in
            a dedicated thread, so they may block.
        status_code, headers, media_type, background: as for Starlette's ``Response``.
        ping: send a ``: ping`` comment after this many seconds without a write, so that
            proxies and clients keep the connection; ``0`` disables it. Default 15.
        ping_message: what to send as that keep-alive instead: an item, as above, or a
            callable without arguments returning one, called for each keep-alive (e.g. an
            event carrying the server's time). An exception it raises drops the connection.
        send_timeout: seconds one write may take; a client that stops reading for longer is
            dropped (:class:`SendTimeout` is raised after the producer's cleanup has run).
            ``None`` waits forever. Default 30.
        on_error: called with an exception the producer raises; what it returns (an item, as
            above) is sent last and the stream then ends normally. This is the way to send a
            structured ``event: error`` and close. Without it the exception propagates and the
            connection is dropped, so the client sees a broken stream.
        coalesce: send all the events already produced in one write (the default), instead of
            one write per event.
        buffer_size: how many bytes the producer may run ahead of the client (backpressure:
            it then waits until half of that was sent). Default 64 KiB.

    Headers ``Cache-Control: no-cache`` and ``X-Accel-Buffering: no`` (nginx) are set unless
    given. When the client disconnects, an async producer is cancelled at once (its ``finally``
    runs); a sync one is closed when its current ``next()`` returns. Cancelled from outside
    (a cancel scope, a task group, ``task.cancel()``), the response stops its producer and
    waits for its cleanup before the cancellation goes on. The response can be sent once.

    A WebSocket handshake routed to it is refused, as Starlette's ``Response`` refuses one:
    with this status and these headers, no body, where the server supports WebSocket denial
    responses, and with a ``websocket.close`` (HTTP 403) where it does not.
    """

    media_type = "text/event-stream"
    _push = False  # subclasses: a push stream (EventStream(push=True)) fed with offer()

    def __init__(
        self,
        content: Content,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
        *,
        ping: float = DEFAULT_PING,
        ping_message: PingMessage | None = None,
        send_timeout: float | None = DEFAULT_SEND_TIMEOUT,
        on_error: OnError | None = None,
        coalesce: bool = True,
        buffer_size: int = DEFAULT_BUFFER_SIZE,
    ) -> None:
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
        self.status_code = status_code
        self.media_type = self.media_type if media_type is None else media_type
        self.background = background
        self.init_headers(headers)
        self.headers.setdefault("cache-control", "no-cache")
        self.headers.setdefault("x-accel-buffering", "no")

    @property
    def sends(self) -> int:
        """How many body writes the response made so far (keep-alives included)."""
        return self._stream.sends

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._deny_websocket(scope, send)
            return
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )

        def send_body(data: bytes) -> Awaitable[None]:  # not a coroutine: one frame less
            return send({"type": "http.response.body", "body": data, "more_body": True})

        async def wait_disconnect() -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return

        if await self._stream.run(send_body, wait_disconnect):
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        if self.background is not None:
            await self.background()

    async def _deny_websocket(self, scope: Scope, send: Send) -> None:
        """Refuse a WebSocket handshake routed here, as Starlette's ``Response`` does: a denial
        response with this status and these headers (and no body: the producer never runs)
        where the server has the ``websocket.http.response`` extension; otherwise a
        ``websocket.close``, which the server answers with 403."""
        if "websocket.http.response" in (scope.get("extensions") or {}):
            await send(
                {
                    "type": "websocket.http.response.start",
                    "status": self.status_code,
                    "headers": self.raw_headers,
                }
            )
            await send({"type": "websocket.http.response.body", "body": b"", "more_body": False})
        else:
            await send({"type": "websocket.close", "code": 1000})
        if self.background is not None:
            await self.background()


def close_all_streams(final: Item | None = None) -> int:
    """End every live :class:`EventSourceResponse` of this process cleanly.

    Each stream sends what its producer already produced, then ``final`` (an item, e.g.
    ``Event("bye", event="close")``) if given, and completes its response; the producers are
    stopped and their cleanup runs. Thread-safe and safe to call from a signal handler. Use it
    when the server starts shutting down (uvicorn otherwise waits for open streams to end)::

        class Server(uvicorn.Server):
            def handle_exit(self, sig, frame):
                close_all_streams()
                super().handle_exit(sig, frame)

    Returns how many streams were asked to close.
    """
    return _STREAMS.close_all(final)


async def wait_streams_closed(timeout: float = 5.0) -> bool:
    """Wait until no :class:`EventSourceResponse` is live; False if ``timeout`` ran out."""
    return await _STREAMS.wait_closed(timeout)
