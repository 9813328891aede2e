"""The engine behind the server integrations (Starlette/FastAPI and aiohttp.web).

Framework-free asyncio: a framework adapter hands :class:`EventStream` a ``send(bytes)``
coroutine and a ``wait_disconnect()`` coroutine, and the stream does the rest:

* a *producer* turns the user's iterable into encoded chunks: an async iterable runs in a task,
  a list or tuple is walked in that task too, and any other sync iterable runs in a dedicated
  daemon thread (it may block, and a pooled thread held for a stream's lifetime would starve
  the pool);
* the *writer* task sends **everything already produced** in one write (write coalescing),
  sends a keep-alive comment after ``ping`` idle seconds, and ends the stream. An async
  producer writes an item that comes alone itself, from its own task (one task wake-up per
  event, the common case of events trickling in), and hands the writer what it buffered
  while items were ready at once;
* one timer per stream keeps the keep-alives and bounds each write by ``send_timeout``;
* a *watcher* task notices the client leaving; the producer is then cancelled (an async
  generator's ``finally`` runs at once) or told to stop (a sync generator is closed as soon as
  its current ``next()`` returns).

One write is under way at a time. The producer runs at most ``buffer_size`` bytes (default
64 KiB) ahead of the socket (backpressure), which also caps the size of one coalesced write.
Cancelled from outside, :meth:`EventStream.run` stops the producer before anything else and
waits for its cleanup whatever further cancellations come.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import types
import weakref
from collections import deque
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Mapping,
)
from typing import Any, Final

from ssecodec import Event, SendTimeout, SSEError, encode_comment

from ._items import to_bytes

__all__ = [
    "DEFAULT_BUFFER_SIZE",
    "DEFAULT_PING",
    "DEFAULT_SEND_TIMEOUT",
    "Content",
    "EventStream",
    "Item",
    "OnError",
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

DEFAULT_PING: Final = 15.0
DEFAULT_SEND_TIMEOUT: Final = 30.0
PING_COMMENT: Final = encode_comment("ping")
DEFAULT_BUFFER_SIZE: Final = 64 * 1024
"""Bytes a producer may run ahead of the socket (``buffer_size``); caps one coalesced write."""
_CLEANUP_TIMEOUT: Final = 5.0  # how long to wait for a cancelled producer's cleanup
_TIMER_SLACK: Final = 0.001  # a timer firing this early counts as on time


def _check_seconds(name: str, value: object, *, allow_none: bool) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if value < 0 or (allow_none and value == 0):
        raise ValueError(f"{name} must be {'> 0' if allow_none else '>= 0'}, not {value}")
    return float(value)


class _ClientGone(Exception):
    """Internal: the client disconnected (or the send failed with OSError)."""


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
        ping: seconds without any write after which a ``: ping`` comment is sent; ``0``
            disables keep-alives.
        send_timeout: seconds one write may take before the client is considered stalled
            (:class:`SendTimeout`); ``None`` waits forever.
        on_error: when the producer raises, the exception is passed to it and what it returns
            is sent as the last item before the stream ends cleanly. Without it, the exception
            propagates (after what was already produced is sent) and the server drops the
            connection, so that the client can tell the stream broke.
        coalesce: send everything already produced in one write (default). ``False`` writes
            each item separately.
        buffer_size: how many bytes the producer may run ahead of the socket: once that much
            is buffered, an async producer writes it (or, while another write is under way,
            waits until half has been sent, as a thread producer always does); the buffer
            holds at most this plus one item. Default 64 KiB.
        group: the :class:`StreamGroup` this stream registers with while it runs.
        tag: any object; :meth:`StreamGroup.close_all` can select streams by it.
    """

    def __init__(
        self,
        content: Content,
        *,
        ping: float = DEFAULT_PING,
        send_timeout: float | None = DEFAULT_SEND_TIMEOUT,
        on_error: OnError | None = None,
        coalesce: bool = True,
        buffer_size: int = DEFAULT_BUFFER_SIZE,
        group: StreamGroup | None = None,
        tag: object = None,
    ) -> None:
        if not isinstance(content, (AsyncIterable, Iterable)) or isinstance(
            content, (str, bytes, bytearray, memoryview, Mapping)
        ):
            raise TypeError(
                "content must be a sync or async iterable of events, not "
                + type(content).__name__
            )
        self._content = content
        self._ping = _check_seconds("ping", ping, allow_none=False)
        self._send_timeout = _check_seconds("send_timeout", send_timeout, allow_none=True)
        self._on_error = on_error
        self._coalesce = bool(coalesce)
        if isinstance(buffer_size, bool) or not isinstance(buffer_size, int):
            raise TypeError(f"buffer_size must be an int, not {type(buffer_size).__name__}")
        if buffer_size < 1:
            raise ValueError(f"buffer_size must be >= 1, not {buffer_size}")
        self._high_water = buffer_size
        self._low_water = max(1, buffer_size // 2)  # a waiting producer resumes below this
        self._group = group
        self.tag = tag
        self._used = False
        # Shared with the producer thread; guarded by _lock.
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._finished = False
        self._error: BaseException | None = None
        self._stop = False
        self._thread_waiting = False  # the producer thread waits for room
        # Loop-side state.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._waiter: asyncio.Future[None] | None = None  # the writer's, while it waits
        self._room_async: asyncio.Future[None] | None = None  # an async producer's, while full
        self._client_gone = False
        self._close_requested = False
        self._final: bytes | None = None
        self._writer: asyncio.Task[Any] | None = None
        self._sending = False  # a write is under way (from the writer or the producer task)
        self._sender: asyncio.Task[Any] | None = None  # the task writing
        self._send_error: BaseException | None = None  # how a write failed
        self._writer_blocked = False  # the writer waits for the producer's write to end
        self._send_started: float | None = None
        self._last_write = 0.0  # loop time the last write started (or the stream did)
        self._ping_due = False
        self._timed_out = False
        self._timer_handle: asyncio.Handle | None = None
        self.sends = 0
        """How many writes this stream made (keep-alives included); for measurements."""

    # -- producer side ----------------------------------------------------------------------

    def _notify(self) -> None:
        """Wake the writer; safe from the producer thread and from the loop."""
        if threading.get_ident() == self._loop_thread:
            self._wake()
        elif self._loop is not None:
            # RuntimeError: the loop is closed, nobody is listening any more.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        """Wake the writer if it waits (on the loop). It looks at everything when it wakes,
        so one wake-up serves any number of reasons."""
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _put(self, data: bytes) -> bool:
        """Buffer one encoded item; True if the producer should now wait for room."""
        if not data:
            return False
        with self._lock:
            was_empty = not self._chunks
            self._chunks.append(data)
            self._size += len(data)
            full = self._size >= self._high_water
        if was_empty:
            self._notify()
        return full

    def _end(self, error: BaseException | None) -> None:
        with self._lock:
            if self._finished:
                return
            self._finished = True
            self._error = error
        self._notify()

    async def _produce_async(
        self, source: AsyncIterable[Item], send: Callable[[bytes], Awaitable[object]]
    ) -> None:
        """Run an async producer in this task, which also writes when that is cheapest.

        An item that came after the producer waited is written at once from here when
        nothing is buffered and no write is under way: one task wake-up per event, the
        producer parked at its ``yield`` meanwhile. Otherwise the item is buffered. The next
        item is then asked for without suspending this task: while items are ready at once
        they are buffered too (write coalescing); when the producer is about to wait, what
        is buffered is handed to the writer task. A full buffer is written from here, or
        waited on while the writer is busy.
        """
        task = asyncio.current_task()
        iterator = source.__aiter__()
        anext = iterator.__anext__
        chunks = self._chunks
        clock = asyncio.get_running_loop().time
        error: BaseException | None = None
        try:
            while not self._stop:
                step = anext().__await__()
                try:
                    suspended = step.send(None)
                except StopIteration as ready:  # the next item, at once
                    data = to_bytes(ready.value)
                    if data:
                        chunks.append(data)
                        self._size += len(data)
                        if self._size >= self._high_water:
                            await self._write_full(send, task)
                    continue
                except StopAsyncIteration:
                    break
                if chunks:
                    self._wake()  # the writer writes them while the producer waits
                try:
                    item = await _resume(step, suspended)
                except StopAsyncIteration:
                    break
                data = item.encode() if type(item) is Event else to_bytes(item)
                if not data:
                    continue
                if chunks or self._sending or self._close_requested:
                    chunks.append(data)
                    self._size += len(data)
                    self._wake()
                    if self._size >= self._high_water:
                        await self._write_full(send, task)
                else:  # _send written out: the path of every event that comes alone
                    self.sends += 1
                    self._sending = True
                    self._sender = task
                    self._ping_due = False
                    self._send_started = self._last_write = clock()
                    try:
                        await send(data)
                    except BaseException as exc:
                        raise self._send_failed(exc, task)  # noqa: B904 (cause set there)
                    finally:
                        self._sending = False
                        self._sender = None
                        self._send_started = None
                        if self._writer_blocked:
                            self._writer_blocked = False
                            self._wake()
        except Exception as exc:
            if exc is not self._send_error:  # a failed write is the writer's to report
                error = exc
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                try:
                    await aclose()
                except Exception as exc:  # a failing cleanup is the producer's error
                    error = error or exc
            self._end(error)

    async def _write_full(
        self, send: Callable[[bytes], Awaitable[object]], task: asyncio.Task[Any] | None
    ) -> None:
        """The buffer is full: write it from the producer task (parked at a ``yield``), or
        wait until the writer task, busy writing, has made room."""
        if self._sending or self._close_requested:
            room = self._room_async = asyncio.get_running_loop().create_future()
            await room
            return
        while not self._close_requested:
            data, _, _ = self._take()
            if data is None:
                break
            await self._send(send, data, task)
        await asyncio.sleep(0)  # a producer that never waits must still let the loop run

    def _produce_sync(self, iterator: Iterable[Item]) -> None:
        error: BaseException | None = None
        try:
            for item in iterator:
                if self._put(to_bytes(item)):
                    with self._lock:
                        while self._size >= self._low_water and not self._stop:
                            self._thread_waiting = True
                            self._room.wait()
                        self._thread_waiting = False
                if self._stop:
                    break
        except BaseException as exc:
            error = exc
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                try:
                    close()
                except Exception as exc:
                    error = error or exc
            self._end(error)

    def _start_producer(
        self, loop: asyncio.AbstractEventLoop, send: Callable[[bytes], Awaitable[object]]
    ) -> asyncio.Task[None] | None:
        content = self._content
        if isinstance(content, AsyncIterable):
            return loop.create_task(self._produce_async(content, send))
        if isinstance(content, (list, tuple)):
            return loop.create_task(self._produce_async(_aiter_sequence(content), send))
        iterator = iter(content)
        threading.Thread(
            target=self._produce_sync, args=(iterator,), name="ssecodec-producer", daemon=True
        ).start()
        return None

    # -- writer side ------------------------------------------------------------------------

    def _wake_producer(self) -> None:
        room = self._room_async
        if room is not None:
            self._room_async = None
            if not room.done():
                room.set_result(None)

    def _take(self) -> tuple[bytes | None, bool, BaseException | None]:
        """What to write next (everything buffered, or one item if not coalescing), whether
        the producer is done with nothing left, and its error."""
        with self._lock:
            chunks = self._chunks
            if not chunks:
                data = None
            elif len(chunks) == 1:
                data = chunks.popleft()
                self._size = 0
            elif self._coalesce:
                data = b"".join(chunks)
                chunks.clear()
                self._size = 0
            else:
                data = chunks.popleft()
                self._size -= len(data)
            finished = self._finished and not chunks
            error = self._error if finished else None
            room = self._size < self._low_water
            if room and self._thread_waiting:
                self._room.notify_all()
        if room and self._room_async is not None:
            self._wake_producer()
        return data, finished, error

    def _begin_send(self, task: asyncio.Task[Any] | None) -> None:
        # The send timeout is kept by the stream's timer (_timer), not by a timeout context
        # per write: that would cost more than the write itself when writes are small.
        self.sends += 1
        self._sending = True
        self._sender = task
        self._ping_due = False
        self._send_started = self._last_write = self._loop.time()  # type: ignore[union-attr]

    def _send_failed(self, exc: BaseException, task: asyncio.Task[Any] | None) -> BaseException:
        """What a failed write raises (noted for the writer, whichever task wrote):
        :class:`SendTimeout` when the stream's timer cancelled it, ``_ClientGone`` for an
        ``OSError``, else the exception itself."""
        if isinstance(exc, asyncio.CancelledError):
            if not self._timed_out:
                return exc
            uncancel = getattr(task, "uncancel", None)  # Python >= 3.11
            if uncancel is not None:
                uncancel()
            error: BaseException = SendTimeout(
                f"sending to the client took over {self._send_timeout:g} s"
            )
            error.__suppress_context__ = True
        elif isinstance(exc, OSError):  # the transport is gone (aiohttp, ASGI spec >= 2.4)
            error = _ClientGone()
            error.__cause__ = exc
        elif isinstance(exc, Exception):
            error = exc
        else:
            return exc
        self._send_error = error
        return error

    def _end_send(self) -> None:
        self._sending = False
        self._sender = None
        self._send_started = None
        if self._writer_blocked:
            self._writer_blocked = False
            self._wake()

    async def _send(
        self,
        send: Callable[[bytes], Awaitable[object]],
        data: bytes,
        task: asyncio.Task[Any] | None,
    ) -> None:
        """One write, from ``task`` (the writer's or the producer's); one at a time."""
        self._begin_send(task)
        try:
            await send(data)
        except BaseException as exc:
            raise self._send_failed(exc, task)  # noqa: B904 (the cause is set as it should be)
        finally:
            self._end_send()

    def _timer(self) -> None:
        """The stream's one timer: the keep-alives and the send timeout.

        A write only notes its time; the timer, moved on lazily, then sees whether
        ``ping`` seconds passed since the last write (it asks the writer for a keep-alive)
        and whether the write under way started ``send_timeout`` seconds ago (it cancels
        the task writing). Then it sets itself for the earlier of the two next deadlines.
        """
        loop, writer = self._loop, self._writer
        if loop is None or writer is None or writer.done() or self._stop:
            return
        now = loop.time()
        due = math.inf
        ping, timeout = self._ping, self._send_timeout
        if ping:
            ping_at = self._last_write + ping
            if now >= ping_at - _TIMER_SLACK:
                self._ping_due = True
                self._wake()
                ping_at = now + ping
            due = ping_at
        if timeout is not None:
            started, sender = self._send_started, self._sender
            if started is None or sender is None:
                due = min(due, now + timeout)  # a write starting later is seen in time
            elif now - started >= timeout - _TIMER_SLACK:
                self._timed_out = True
                sender.cancel()
                return
            else:
                due = min(due, started + timeout)
        if due < math.inf:
            self._timer_handle = loop.call_at(due, self._timer)

    async def _write_loop(self, send: Callable[[bytes], Awaitable[object]]) -> BaseException | None:
        """Write until the producer is done (returns its error) or the client leaves.

        The writer sleeps on a bare future that whoever has news for it resolves (a producer
        handing over buffered items, the end of the producer or of its write, the watcher,
        the keep-alive timer, a close request). It writes what a producer thread produced,
        what an async producer buffered while it was busy, keep-alives and the last words;
        an async producer writes a lone item itself.
        """
        loop = asyncio.get_running_loop()
        task = self._writer
        while True:
            if self._client_gone:
                raise _ClientGone
            if self._send_error is not None:
                raise self._send_error  # a write from the producer task failed
            if self._sending:  # the producer task is writing: one write at a time
                self._writer_blocked = True
                waiter = self._waiter = loop.create_future()
                await waiter
                continue
            if self._close_requested:
                while True:
                    data, _, _ = self._take()
                    if data is None:
                        break
                    await self._send(send, data, task)
                if self._final:
                    await self._send(send, self._final, task)
                return None
            data, finished, error = self._take()
            if data is not None:
                await self._send(send, data, task)
                if finished:
                    return error
                # News that came during the write found no waiter: look again before sleeping.
                if (
                    self._chunks
                    or self._finished
                    or self._client_gone
                    or self._close_requested
                    or self._send_error is not None
                ):
                    continue
            elif finished:
                return error
            elif self._ping_due:
                await self._send(send, PING_COMMENT, task)
                continue
            waiter = self._waiter = loop.create_future()
            await waiter

    async def _watch(self, wait_disconnect: Callable[[], Awaitable[object]]) -> None:
        await wait_disconnect()
        self._client_gone = True
        self._wake()

    def request_close(self, final: bytes | None = None) -> None:
        """End this stream cleanly soon (thread-safe): flush, send ``final``, end."""
        loop = self._loop

        def close() -> None:
            self._close_requested = True
            self._final = final
            self._wake()

        if loop is None:
            return
        if threading.get_ident() == self._loop_thread:
            close()
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(close)

    async def _write(self, send: Callable[[bytes], Awaitable[object]]) -> bool:
        """The writer task: :meth:`run`'s result, or its exception."""
        try:
            error = await self._write_loop(send)
            if error is None:
                return True
            if self._on_error is None or not isinstance(error, Exception):
                raise error
            last = self._on_error(error)
            if last is not None:
                await self._send(send, to_bytes(last), self._writer)
            return True
        except _ClientGone:
            return False

    async def _finish(
        self,
        producer: asyncio.Task[None] | None,
        watcher: asyncio.Task[None] | None,
        writer: asyncio.Task[bool],
    ) -> asyncio.CancelledError | None:
        """Stop the producer, the watcher and the writer, then wait for their cleanup to end.

        Everything that stops them happens before the first ``await``, so no cancellation
        can skip it. The wait (at most ``_CLEANUP_TIMEOUT``) is shielded by hand: a cancel
        scope (anyio; Starlette's middlewares, task groups) cancels the task again at every
        loop iteration until it leaves the scope, so each cancellation landing here is
        caught and the wait goes on. The first one caught is returned for the caller to
        re-raise: the same object, so that the scope which sent it recognises it.
        """
        if self._timer_handle is not None:
            self._timer_handle.cancel()
        with self._lock:
            self._stop = True
            self._room.notify_all()
        self._wake_producer()
        tasks = (producer, watcher, writer)
        pending: set[asyncio.Task[Any]] = set()
        for task in tasks:
            if task is not None and not task.done():
                task.cancel()
                pending.add(task)
        cancelled: asyncio.CancelledError | None = None
        loop = asyncio.get_running_loop()
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

    async def run(
        self,
        send: Callable[[bytes], Awaitable[object]],
        wait_disconnect: Callable[[], Awaitable[object]] | None = None,
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
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._last_write = loop.time()
        self._timer_handle = loop.call_soon(self._timer)
        if self._group is not None:
            self._group.add(self)
        producer = self._start_producer(loop, send)
        watcher = None
        if wait_disconnect is not None:
            watcher = loop.create_task(self._watch(wait_disconnect))
        # The writer is a task of its own: it wakes up once per write, and a task near the
        # bottom of the stack wakes up much more cheaply than the caller, which is often
        # awaited through a dozen layers of middleware. Cancelling the caller cancels it.
        writer = loop.create_task(self._write(send))
        self._writer = writer
        try:
            return await writer
        finally:
            try:
                cancelled = await self._finish(producer, watcher, writer)
            finally:
                if self._group is not None:
                    self._group.discard(self)
            if cancelled is not None:
                # Cancelled during the cleanup: the canceller gets its cancellation now
                # (it replaces a return value, or the cancellation already under way).
                raise cancelled


@types.coroutine
def _resume(step: Generator[Any, None, Any], suspended: Any) -> Generator[Any, Any, Any]:
    """Await the rest of an awaitable whose iterator ``step`` was driven by hand up to its
    first suspension, which yielded ``suspended``: what ``await`` would have done had it
    been used from the start (cancellation goes through to it as well)."""
    try:
        yield suspended  # asyncio resumes a task's coroutine with None
    except GeneratorExit:
        step.close()
        raise
    except BaseException as exc:  # thrown in by the task: cancellation
        try:
            suspended = step.throw(exc)
        except StopIteration as done:
            return done.value
        return (yield from _resume(step, suspended))
    return (yield from step)  # the rest is delegated in C


async def _aiter_sequence(items: Iterable[Item]) -> AsyncIterator[Item]:
    for item in items:
        yield item
