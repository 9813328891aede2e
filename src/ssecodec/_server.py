"""The engine behind the server integrations (Starlette/FastAPI and aiohttp.web): one event
stream's lifecycle (:class:`EventStream`) and the live streams of an integration
(:class:`StreamGroup`).

Framework-free asyncio: a framework adapter hands :class:`EventStream` a ``send(bytes)``
coroutine and a ``wait_disconnect()`` coroutine, and the stream does the rest with these
parts:

* a *producer* (:mod:`ssecodec._producers`) turns the user's iterable into encoded chunks:
  an async iterable runs in a task, a list or tuple is walked in that task too, and any other
  sync iterable runs in a dedicated daemon thread (it may block, and a pooled thread held for
  a stream's lifetime would starve the pool);
* the chunks wait in a bounded buffer (:mod:`ssecodec._buffer`): the producer runs at most
  ``buffer_size`` bytes (default 64 KiB) ahead of the socket (backpressure), which also caps
  the size of one coalesced write;
* the *writer* (:mod:`ssecodec._writer`), a task of its own, sends **everything already
  produced** in one write (write coalescing), sends a keep-alive after ``ping`` idle seconds,
  and ends the stream. One write is under way at a time. An async producer writes an item
  that comes alone itself, from its own task (one task wake-up per event, the common case of
  events trickling in), and hands the writer what it buffered while items were ready at
  once. One timer per stream keeps the keep-alives and bounds each write by ``send_timeout``;
* a *watcher* task notices the client leaving; the producer is then cancelled (an async
  generator's ``finally`` runs at once) or told to stop (a sync generator is closed as soon as
  its current ``next()`` returns);
* a *push* stream stays open once its content has run out, fed by :meth:`EventStream.offer`
  (on the loop): a chunk offered to an idle stream is written at once, by the caller.

Cancelled from outside, :meth:`EventStream.run` stops the producer before anything else and
waits for its cleanup whatever further cancellations come.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from typing import Any, Final

from ssecodec import Event, SendTimeout, SSEError

from ._buffer import ChunkBuffer, SharedChunkBuffer
from ._items import to_bytes
from ._loop_call import LoopThread
from ._producers import Cleanup, runs_in_thread, start_producer
from ._writer import PING_COMMENT, ClientGone, Send, Writer

__all__ = [
    "DEFAULT_BUFFER_SIZE",
    "DEFAULT_PING",
    "DEFAULT_SEND_TIMEOUT",
    "PING_COMMENT",
    "Content",
    "EventStream",
    "Item",
    "OnError",
    "PingMessage",
    "SendTimeout",
    "StreamGroup",
    "to_bytes",
]

Item = Event | Mapping[str, Any] | str | bytes
"""What a producer may yield: an :class:`~ssecodec.Event`; a mapping with the keys ``data``,
``event``, ``id``, ``retry``, ``comment`` (the arguments of :func:`ssecodec.encode`); a ``str``
(the data of a ``message`` event); or ``bytes``, sent verbatim (already-encoded SSE)."""

Content = AsyncIterable[Item] | Iterable[Item]
"""A stream body: a sync or async iterable of :data:`Item`."""

OnError = Callable[[Exception], Item | None]
"""Maps an exception raised by the producer to a last item to send (or ``None``)."""

PingMessage = Item | Callable[[], Item]
"""The keep-alive: an :data:`Item`, or a callable without arguments returning one, called
for each keep-alive."""

DEFAULT_PING: Final = 15.0
DEFAULT_SEND_TIMEOUT: Final = 30.0
DEFAULT_BUFFER_SIZE: Final = 64 * 1024
"""Bytes a producer may run ahead of the socket (``buffer_size``); caps one coalesced write."""
_CLEANUP_TIMEOUT: Final = 5.0  # how long to wait for a cancelled producer's cleanup


def _check_seconds(name: str, value: object, *, allow_none: bool) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if value < 0 or (allow_none and value == 0):
        raise ValueError(f"{name} must be {'> 0' if allow_none else '>= 0'}, not {value}")
    return float(value)


def _keepalive(message: PingMessage | None) -> bytes | Callable[[], object]:
    """The keep-alive's bytes (checked now), or the callable that makes each one."""
    if message is None:
        return PING_COMMENT
    if callable(message):
        return message
    return to_bytes(message)


class StreamGroup:
    """The live streams of one integration, so that a server shutdown can end them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: weakref.WeakSet[EventStream] = weakref.WeakSet()

    def add(self, stream: EventStream) -> None:
        with self._lock:
            self._streams.add(stream)

    def discard(self, stream: EventStream) -> None:
        with self._lock:
            self._streams.discard(stream)

    def snapshot(self, tag: object = None) -> list[EventStream]:
        with self._lock:
            streams = list(self._streams)
        return [s for s in streams if tag is None or s.tag is tag]

    def close_all(self, final: Item | None = None, *, tag: object = None) -> int:
        """Ask every live stream (with this ``tag``, if given) to end cleanly.

        Thread-safe and callable from a signal handler. Each stream sends what its producer
        already produced, then ``final`` if given, then ends the response normally; the
        producers are stopped and their cleanup runs. Returns the number of streams asked.
        """
        final_bytes = None if final is None else to_bytes(final)
        streams = self.snapshot(tag)
        for stream in streams:
            stream.request_close(final_bytes)
        return len(streams)

    async def wait_closed(self, timeout: float, *, tag: object = None) -> bool:
        """Wait until no stream (with this ``tag``) is live; False if ``timeout`` ran out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.snapshot(tag):
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True


class EventStream:
    """One server-sent event stream being written to one client (see the module docstring).

    Args:
        content: the events (:data:`Content`).
        ping: seconds without any write after which a keep-alive is sent; ``0`` disables
            keep-alives.
        ping_message: the keep-alive (:data:`PingMessage`): an item (``bytes`` are sent as
            they are), or a callable without arguments returning one, called for each
            keep-alive (an exception it raises ends the stream as a failed write does).
            Default: the ``: ping`` comment.
        send_timeout: seconds one write may take before the client is considered stalled
            (:class:`SendTimeout`); ``None`` waits forever.
        buffer_size: how many bytes the producer may run ahead of the socket: once that much
            is buffered, an async producer writes it (or, while another write is under way,
            waits until half has been sent, as a thread producer always does); the buffer
            holds at most this plus one item. Default 64 KiB.
        coalesce: send everything already produced in one write (default). ``False`` writes
            each item separately.
        on_error: when the producer raises, the exception is passed to it and what it returns
            is sent as the last item before the stream ends cleanly. Without it, the exception
            propagates (after what was already produced is sent) and the server drops the
            connection, so that the client can tell the stream broke.
        push: keep the stream open once ``content`` has run out, fed by :meth:`offer`,
            until it is closed (:meth:`request_close`, :meth:`StreamGroup.close_all`) or the
            client leaves; ``content``'s ``aclose`` then runs when the stream ends.
            ``content`` must then run on the loop (an async iterable, a list or a tuple; it
            may be empty).
        group: the :class:`StreamGroup` this stream registers with while it runs.
        tag: any object; :meth:`StreamGroup.close_all` can select streams by it.
        encode: a function turning one item of ``content`` into the bytes to send, used
            instead of the default encoding (:data:`Item`), for every item, events included;
            what it raises is the producer's error.
        pace: ask an async ``content`` for its next item only when no write is under way
            and, once an item gave bytes, a write has ended (its generator then waits at the
            ``yield`` of what is being sent, and stays there when that write fails); items
            ready at once are still sent together. A sync ``content`` is not paced.
    """

    __slots__ = (
        "__weakref__",
        "_content",
        "_encode",
        "_group",
        "_home",
        "_on_error",
        "_pace",
        "_push",
        "_used",
        "_writer",
        "tag",
    )

    def __init__(
        self,
        content: Content,
        *,
        ping: float = DEFAULT_PING,
        ping_message: PingMessage | None = None,
        send_timeout: float | None = DEFAULT_SEND_TIMEOUT,
        buffer_size: int = DEFAULT_BUFFER_SIZE,
        coalesce: bool = True,
        on_error: OnError | None = None,
        push: bool = False,
        group: StreamGroup | None = None,
        tag: object = None,
        encode: Callable[[Any], bytes] | None = None,
        pace: bool = False,
    ) -> None:
        if not isinstance(content, (AsyncIterable, Iterable)) or isinstance(
            content, (str, bytes, bytearray, memoryview, Mapping)
        ):
            raise TypeError(
                "content must be a sync or async iterable of events, not " + type(content).__name__
            )
        threaded = runs_in_thread(content)
        if push and threaded:
            raise TypeError("a push stream's content is an async iterable, a list or a tuple")
        if isinstance(buffer_size, bool) or not isinstance(buffer_size, int):
            raise TypeError(f"buffer_size must be an int, not {type(buffer_size).__name__}")
        if buffer_size < 1:
            raise ValueError(f"buffer_size must be >= 1, not {buffer_size}")
        buffer = (
            SharedChunkBuffer(buffer_size, coalesce=bool(coalesce), on_data=self._notify)
            if threaded
            else ChunkBuffer(buffer_size, coalesce=bool(coalesce))
        )
        self._writer = Writer(
            buffer,
            ping=_check_seconds("ping", ping, allow_none=False),  # type: ignore[arg-type]
            ping_message=_keepalive(ping_message),
            send_timeout=_check_seconds("send_timeout", send_timeout, allow_none=True),
        )
        self._content = content
        self._on_error = on_error
        self._push = bool(push)
        self._group = group
        self.tag = tag
        if encode is not None and not callable(encode):
            raise TypeError(f"encode must be callable, not {type(encode).__name__}")
        self._encode = encode
        self._pace = bool(pace)
        self._used = False
        self._home: LoopThread | None = None  # the loop running the stream, and its thread

    @property
    def sends(self) -> int:
        """How many writes this stream made (keep-alives included); for measurements."""
        return self._writer.sends

    @property
    def closed(self) -> bool:
        """True once the stream is ending (asked to close, the client gone, a write failed,
        the producer done without ``push``) or has ended: it takes no more offers."""
        return self._writer.closed

    def offer(self, data: bytes, limit: int | None = None) -> bool:
        """Send ``data``, encoded SSE (whole events), after everything sent before it. On the
        event loop's thread only.

        When no write is under way and nothing is buffered, the write starts at once, here:
        the framework's ``send`` runs (in the stream's context) until it is done or has to
        wait, and the writer task then finishes it; so the common case wakes no task up.
        Otherwise ``data`` is buffered for the next write. A write that fails ends the
        stream, as a failed write of the producer does. Before :meth:`run`, ``data`` waits
        in the buffer.

        Returns False, taking nothing, when the stream is :attr:`closed`, or when its buffer
        is not empty and would then hold more than ``limit`` bytes (default:
        ``buffer_size``): the caller should give up on this client (e.g.
        :meth:`request_close`, and let it reconnect).
        """
        writer = self._writer
        return writer.offer(data, writer.buffer.high_water if limit is None else limit)

    def request_close(self, final: bytes | None = None) -> None:
        """End this stream cleanly soon (thread-safe): flush, send ``final``, end."""
        home = self._home
        if home is not None:
            home.call(self._writer.close, final)

    def _notify(self) -> None:
        """Wake the writer from the producer thread (a chunk or the end arrived)."""
        home = self._home
        if home is not None:
            home.call(self._writer.wake)

    # -- the lifecycle --------------------------------------------------------------------------

    async def run(
        self, send: Send, wait_disconnect: Callable[[], Awaitable[object]] | None = None
    ) -> bool:
        """Stream the content through ``send`` until it ends or the client leaves.

        Returns True when the stream ended (the caller should complete the response), False
        when the client left (nothing more can be sent).

        Raises:
            SendTimeout: a write took longer than ``send_timeout``.
            Exception: whatever the producer raised, when there is no ``on_error``.
            SSEError: the stream was already run (a response can be sent once).
        """
        if self._used:
            raise SSEError("an event stream response can only be sent once")
        self._used = True
        home = self._home = LoopThread.current()
        loop, writer = home.loop, self._writer
        writer.start(send)
        if self._group is not None:
            self._group.add(self)
        producer = start_producer(
            self._content, writer, push=self._push, encode=self._encode, pace=self._pace
        )
        watcher = None
        if wait_disconnect is not None:
            watcher = loop.create_task(self._watch(wait_disconnect))
        # The writer is a task of its own: it wakes up once per write, and a task near the
        # bottom of the stack wakes up much more cheaply than the caller, which is often
        # awaited through a dozen layers of middleware. Cancelling the caller cancels it.
        task: asyncio.Task[bool] = loop.create_task(self._write())
        writer.task = task
        try:
            return await task
        finally:
            try:
                cancelled = await self._finish(producer, watcher, task)
            finally:
                if self._group is not None:
                    self._group.discard(self)
            if cancelled is not None:
                # Cancelled during the cleanup: the canceller gets its cancellation now
                # (it replaces a return value, or the cancellation already under way).
                raise cancelled

    async def _watch(self, wait_disconnect: Callable[[], Awaitable[object]]) -> None:
        await wait_disconnect()
        self._writer.leave()

    async def _write(self) -> bool:
        """The writer task: :meth:`run`'s result, or its exception."""
        writer = self._writer
        try:
            error = await writer.run()
            if error is None:
                return True
            if self._on_error is None or not isinstance(error, Exception):
                raise error
            last = self._on_error(error)
            if last is not None:
                await writer.write(to_bytes(last), writer.task)
            return True
        except ClientGone:
            return False

    async def _finish(
        self,
        producer: asyncio.Task[Cleanup | None] | None,
        watcher: asyncio.Task[None] | None,
        writer: asyncio.Task[bool],
    ) -> asyncio.CancelledError | None:
        """Stop the producer, the watcher and the writer, then wait for their cleanup to end
        (and a push stream's content's ``aclose``).

        Everything that stops them happens before the first ``await``, so no cancellation
        can skip it. The wait (at most ``_CLEANUP_TIMEOUT``) is shielded by hand: a cancel
        scope (anyio; Starlette's middlewares, task groups) cancels the task again at every
        loop iteration until it leaves the scope, so each cancellation landing here is
        caught and the wait goes on. The first one caught is returned for the caller to
        re-raise: the same object, so that the scope which sent it recognises it.
        """
        self._writer.stop()
        self._writer.buffer.stop()
        pending: set[asyncio.Task[Any]] = set()
        # A producer already in its content's cleanup (its own write failed, say) is left to
        # finish it: a cancellation would cut the ``aclose`` short.
        cleaning_up = self._writer.cleaning_up
        for task in (producer, watcher, writer):
            if task is not None and not task.done():
                if not (task is producer and cleaning_up):
                    task.cancel()
                pending.add(task)
        loop = asyncio.get_running_loop()
        kept = _kept_cleanup(producer)
        cleanup = None if kept is None else loop.create_task(_call(kept))
        if cleanup is not None:  # not cancelled: it is the end of the stream's content
            pending.add(cleanup)
        tasks = (producer, watcher, writer, cleanup)
        cancelled: asyncio.CancelledError | None = None
        deadline = loop.time() + _CLEANUP_TIMEOUT
        while pending:
            left = deadline - loop.time()
            if left <= 0:
                break
            try:
                await asyncio.wait(pending, timeout=left)
            except asyncio.CancelledError as exc:
                if cancelled is None:
                    cancelled = exc
            pending = {task for task in pending if not task.done()}
        for task in tasks:
            if task is not None and task.done() and not task.cancelled():
                task.exception()  # retrieved, so asyncio does not log it a second time
        return cancelled


def _kept_cleanup(producer: asyncio.Task[Cleanup | None] | None) -> Cleanup | None:
    """The ``aclose`` a push stream's producer kept for the end of the stream, if any."""
    if producer is None or not producer.done() or producer.cancelled():
        return None
    if producer.exception() is not None:
        return None
    return producer.result()


async def _call(cleanup: Cleanup) -> None:
    await cleanup()
