"""A drop-in for sse-starlette: change the import, keep the code.

Install with ``pip install 'ssecodec[starlette]'``; then::

    from ssecodec.sse_starlette import EventSourceResponse, ServerSentEvent
    # was: from sse_starlette import EventSourceResponse, ServerSentEvent
    #  or: from sse_starlette.sse import EventSourceResponse, ServerSentEvent

:class:`EventSourceResponse`, :class:`ServerSentEvent`, :class:`JSONServerSentEvent`,
:class:`SendTimeoutError`, :class:`AppStatus` and :func:`ensure_bytes` are sse-starlette's
(version 3.7.0): the same arguments, bytes on the wire, headers, keep-alive message,
disconnect and shutdown behaviour and exceptions, with ssecodec's server engine (keep-alives,
send timeout, one write at a time, write coalescing, producer cleanup) and encoder
underneath. Where sse-starlette writes what it is given and ssecodec refuses it (an ``id``
containing NUL, a negative ``retry``, an unknown separator), ssecodec's check stays;
``docs/integrations.md`` lists every difference.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import (
    AsyncIterable,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
)
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from ._deps import require
from ._errors import SendTimeout
from ._server import DEFAULT_BUFFER_SIZE, EventStream
from ._sse_starlette_events import (
    JSONServerSentEvent,
    ServerSentEvent,
    ensure_bytes,
    item_encoder,
)

require("starlette", "starlette")

import anyio  # noqa: E402
from starlette.background import BackgroundTask  # noqa: E402
from starlette.datastructures import MutableHeaders  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.types import Message, Receive, Scope, Send  # noqa: E402

from ._sse_starlette_content import ClosedWithin, Writes, aiter_sequence, encode_sync  # noqa: E402
from ._sse_starlette_shutdown import (  # noqa: E402
    AppStatus,
    _ensure_watcher_started_on_this_loop,
    _get_shutdown_state,
    _get_uvicorn_server,
    _shutdown_watcher,
    _thread_state,
    listen_for_exit_signal,
)

if sys.version_info < (3, 11):  # pragma: no cover - anyio brings the backport there
    from exceptiongroup import BaseExceptionGroup  # type: ignore[import-not-found]

__all__ = [
    "AppStatus",
    "EventSourceResponse",
    "JSONServerSentEvent",
    "SendTimeoutError",
    "ServerSentEvent",
    "ensure_bytes",
]

# sse-starlette's names for its shutdown internals, which its own tests import.
_SHUTDOWN_INTERNALS = (
    _ensure_watcher_started_on_this_loop,
    _get_shutdown_state,
    _get_uvicorn_server,
    _shutdown_watcher,
    _thread_state,
)

logger = logging.getLogger(__name__)

Content = Any
"""An item of a stream: ``bytes`` (sent as they are), a :class:`ServerSentEvent`, a dict of
its arguments, an :class:`ssecodec.Event`, or anything else, sent as ``data: str(item)``."""


class SendTimeoutError(SendTimeout):
    """A write to the client took longer than ``send_timeout`` seconds (sse-starlette's
    ``SendTimeoutError``; a ``TimeoutError``, and ssecodec's :class:`~ssecodec.SendTimeout`)."""

    __module__ = "ssecodec.sse_starlette"


@contextmanager
def _collapse_excgroups() -> Iterator[None]:
    """Raise the one exception of a task group's exception group bare, as Starlette does."""
    try:
        yield
    except BaseException as exc:
        while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
            exc = exc.exceptions[0]
        raise exc


def _wrap_websocket_denial_send(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] in {"http.response.start", "http.response.body"}:
            message = {**message, "type": "websocket." + message["type"]}
        await send(message)

    return wrapped


class EventSourceResponse(Response):
    """sse-starlette's ``EventSourceResponse`` on ssecodec's server engine.

    Args:
        content: an async iterable, or a sync iterable (run in a thread of its own), of items:
            ``bytes`` sent as they are, a :class:`ServerSentEvent`, a dict of its arguments
            (``data``, ``event``, ``id``, ``retry``, ``comment``), an :class:`ssecodec.Event`,
            or anything else, sent as ``data: str(item)``.
        status_code, headers, background: as for Starlette's ``Response``.
        media_type: default ``text/event-stream``.
        ping: send a keep-alive after this many seconds without a write (default 15; ``0``
            disables them).
        sep: the line separator, ``"\\r\\n"`` (the default), ``"\\n"`` or ``"\\r"``.
        ping_message_factory: returns the keep-alive (a :class:`ServerSentEvent`); by default
            a comment ``: ping - <UTC time>``.
        data_sender_callable: an async callable run alongside the stream (for instance the
            writer of a memory channel given as ``content``); cancelled when the stream ends.
        send_timeout: seconds one write may take before :class:`SendTimeoutError` (``None``,
            the default: no limit).
        client_close_handler_callable: awaited with the ``http.disconnect`` message when the
            client leaves.
        shutdown_event: an ``anyio.Event`` set when the server shuts down, so that the
            generator can send last events and end.
        shutdown_grace_period: seconds the generator then has to end before it is cancelled
            (default 0: at once).
        cleanup_timeout: seconds the generator's cleanup may take after a failed encoding or
            an interrupted write before it is cancelled (default 30; ``None``: no limit).
        buffer_size: (not sse-starlette's) the most bytes sent in one write: events an
            async generator yields back to back, once its first write is done, are written
            together up to this size (it is not resumed while a write is under way); a sync
            iterable runs this far ahead of the client at most. ``1`` writes each event on
            its own. Default 64 KiB, as for :mod:`ssecodec.starlette`.

    Raises:
        ValueError: ``sep`` is another string, or ``shutdown_grace_period`` or
            ``cleanup_timeout`` is negative.
    """

    DEFAULT_PING_INTERVAL = 15
    DEFAULT_SEPARATOR = "\r\n"
    DEFAULT_CLEANUP_TIMEOUT = 30.0

    def __init__(
        self,
        content: AsyncIterable[Content] | Iterable[Content],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = "text/event-stream",
        background: BackgroundTask | None = None,
        ping: float | None = None,
        sep: str | None = None,
        ping_message_factory: Callable[[], ServerSentEvent] | None = None,
        data_sender_callable: Callable[[], Coroutine[None, None, None]] | None = None,
        send_timeout: float | None = None,
        client_close_handler_callable: Callable[[Message], Awaitable[None]] | None = None,
        shutdown_event: anyio.Event | None = None,
        shutdown_grace_period: float = 0,
        cleanup_timeout: float | None = DEFAULT_CLEANUP_TIMEOUT,
        *,
        buffer_size: int = DEFAULT_BUFFER_SIZE,
    ) -> None:
        if sep not in (None, "\r\n", "\r", "\n"):
            raise ValueError(f"sep must be one of: \\r\\n, \\r, \\n, got: {sep}")
        self.sep = sep or self.DEFAULT_SEPARATOR
        self.body_iterator = content
        self.status_code = status_code
        self.media_type = self.media_type if media_type is None else media_type
        self.background = background
        self.data_sender_callable = data_sender_callable
        self.send_timeout = send_timeout
        all_headers = MutableHeaders()
        if headers is not None:
            all_headers.update(headers)
        all_headers.setdefault("Cache-Control", "no-store")
        all_headers["Connection"] = "keep-alive"
        all_headers["X-Accel-Buffering"] = "no"
        self.init_headers(all_headers)
        self.ping_interval = self.DEFAULT_PING_INTERVAL if ping is None else ping
        self.ping_message_factory = ping_message_factory
        self.client_close_handler_callable = client_close_handler_callable
        if shutdown_grace_period < 0:
            raise ValueError("shutdown_grace_period must be >= 0")
        self._shutdown_event = shutdown_event
        self._shutdown_grace_period = shutdown_grace_period
        if cleanup_timeout is not None and cleanup_timeout < 0:
            raise ValueError("cleanup_timeout must be >= 0")
        self._cleanup_timeout = cleanup_timeout
        self._buffer_size = buffer_size
        self.active = True

    @property
    def ping_interval(self) -> float:
        """Seconds without a write after which a keep-alive is sent (0: none)."""
        return self._ping_interval

    @ping_interval.setter
    def ping_interval(self, value: float) -> None:
        if not isinstance(value, (int, float)):
            raise TypeError("ping interval must be int or float")
        if value < 0:
            raise ValueError("ping interval must be >= 0 (0 disables ping)")
        self._ping_interval = value

    def enable_compression(self, force: bool = False) -> None:
        """Refused, as by sse-starlette: a compressed event stream would be buffered."""
        raise NotImplementedError("Compression is not supported for SSE streams.")

    async def _send_with_timeout(self, send: Send, message: Message) -> None:
        with anyio.move_on_after(self.send_timeout) as cancel_scope:
            await send(message)
        if cancel_scope.cancel_called:
            raise SendTimeoutError

    def _ping_message(self) -> bytes:
        factory = self.ping_message_factory
        if factory is not None:
            return ensure_bytes(factory(), self.sep)
        now = datetime.now(timezone.utc)
        return ensure_bytes(ServerSentEvent(comment=f"ping - {now}", sep=self.sep), self.sep)

    def _event_stream(self) -> EventStream:
        """The engine's stream: an async content paced as sse-starlette paces it (not resumed
        while a write is under way, nor before its first item was written) and its items
        encoded by the engine's producer; a sync one encoded in its thread, in the request's
        context."""
        content = self.body_iterator
        encode_item = item_encoder(self.sep)
        options: dict[str, Any] = {
            "ping": float(self._ping_interval),
            "ping_message": self._ping_message,
            "send_timeout": self.send_timeout,
            "buffer_size": self._buffer_size,
        }
        if isinstance(content, (list, tuple)):
            content = aiter_sequence(content)
        if isinstance(content, AsyncIterable):
            paced = ClosedWithin(content, self._cleanup_timeout)
            return EventStream(paced, encode=encode_item, pace=True, **options)
        return EventStream(encode_sync(content, encode_item, contextvars.copy_context()), **options)

    async def _stream_response(self, send: Send) -> None:
        """Send the events through the engine until they end, then end the response."""
        writes = Writes()
        stream = self._event_stream()
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        try:
            completed = await stream.run(writes.sender(send))
        except SendTimeout as exc:
            raise SendTimeoutError(*exc.args) from None
        if not completed:  # a write failed with OSError: the transport is gone
            if writes.error is not None:
                raise writes.error
            return
        self.active = False
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _listen_for_disconnect(self, receive: Receive) -> None:
        while self.active:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.active = False
                logger.debug("Got event: http.disconnect. Stop streaming.")
                if self.client_close_handler_callable:
                    await self.client_close_handler_callable(message)
                break

    @staticmethod
    async def _listen_for_exit_signal() -> None:
        await listen_for_exit_signal()

    async def _listen_for_exit_signal_with_grace(self) -> None:
        await self._listen_for_exit_signal()
        if self._shutdown_event:
            self._shutdown_event.set()
        if self._shutdown_grace_period > 0:
            with anyio.move_on_after(self._shutdown_grace_period):
                while self.active:
                    await anyio.sleep(0.1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            send = _wrap_websocket_denial_send(send)
        if scope["type"] == "http" and scope["method"].upper() == "HEAD":
            # Headers and an empty body: a stream opened for HEAD would never end.
            start = {"type": "http.response.start", "status": self.status_code}
            await self._send_with_timeout(send, {**start, "headers": self.raw_headers})
            await self._send_with_timeout(
                send, {"type": "http.response.body", "body": b"", "more_body": False}
            )
            if self.background is not None:
                await self.background()
            return
        with _collapse_excgroups():
            async with anyio.create_task_group() as task_group:

                async def cancel_on_finish(coro: Callable[[], Awaitable[None]]) -> None:
                    await coro()
                    task_group.cancel_scope.cancel()

                task_group.start_soon(cancel_on_finish, self._listen_for_exit_signal_with_grace)
                if self.data_sender_callable:
                    task_group.start_soon(self.data_sender_callable)
                task_group.start_soon(
                    cancel_on_finish, lambda: self._listen_for_disconnect(receive)
                )
                await self._stream_response(send)
                task_group.cancel_scope.cancel()
        if self.background is not None:
            await self.background()
