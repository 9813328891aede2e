"""The producers: what turns a stream's content into encoded chunks.

An async iterable runs in a task on the loop (a list or tuple too); any other sync iterable
runs in a daemon thread of its own (it may block, and a pooled thread held for a stream's
lifetime would starve the pool), putting into a :class:`~ssecodec._buffer.SharedChunkBuffer`.
A producer stops when its buffer is stopped: an async one is also cancelled (its
``finally`` runs at once), a thread's iterator is closed as soon as its current ``next()``
returns.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any

from ssecodec import Event

from ._buffer import SharedChunkBuffer
from ._items import to_bytes
from ._loop_call import resume
from ._writer import Writer

__all__ = ["Cleanup", "produce_async", "produce_sync", "runs_in_thread", "start_producer"]

Cleanup = Callable[[], Awaitable[object]]
"""An async iterator's ``aclose``, kept for the end of a push stream."""

Encode = Callable[[Any], bytes]
"""Turns one item of the content into the bytes to send (``EventStream(encode=...)``)."""


def runs_in_thread(content: object) -> bool:
    """Whether ``content`` (a :data:`~ssecodec._server.Content`) needs a producer thread."""
    return not isinstance(content, (AsyncIterable, list, tuple))


def start_producer(
    content: AsyncIterable[Any] | Iterable[Any],
    writer: Writer,
    *,
    push: bool = False,
    encode: Encode | None = None,
    pace: bool = False,
) -> asyncio.Task[Cleanup | None] | None:
    """Start producing ``content`` into ``writer.buffer``: the task of an async producer, or
    ``None`` for a producer thread (its buffer is then a ``SharedChunkBuffer``). ``encode``
    and ``pace``: see :func:`produce_async` (a thread producer uses ``encode`` only)."""
    loop = asyncio.get_running_loop()
    if isinstance(content, AsyncIterable):
        return loop.create_task(produce_async(content, writer, push=push, encode=encode, pace=pace))
    if isinstance(content, (list, tuple)):
        return loop.create_task(
            produce_async(_aiter_sequence(content), writer, push=push, encode=encode, pace=pace)
        )
    buffer = writer.buffer
    assert isinstance(buffer, SharedChunkBuffer)
    threading.Thread(
        target=produce_sync,
        args=(iter(content), buffer, encode or to_bytes),
        name="ssecodec-producer",
        daemon=True,
    ).start()
    return None


async def produce_async(
    source: AsyncIterable[Any],
    writer: Writer,
    *,
    push: bool = False,
    encode: Encode | None = None,
    pace: bool = False,
) -> Cleanup | None:
    """Run an async producer in this task, which also writes when that is cheapest.

    An item that came after the producer waited is written at once from here when nothing
    is buffered and no write is under way: one task wake-up per event, the producer parked
    at its ``yield`` meanwhile. Otherwise the item is buffered. The next item is then asked
    for without suspending this task: while items are ready at once they are buffered too
    (write coalescing); when the producer is about to wait, what is buffered is handed to
    the writer task. A full buffer is written from here, or waited on while another write
    is under way.

    At the end the buffer is ended (with the producer's error, if any) and the iterator
    closed; with ``push``, content that ran out leaves the stream open (for pushed chunks)
    and its ``aclose`` is returned, for the end of the stream.

    ``encode`` turns each item into its bytes instead of :func:`~ssecodec._items.to_bytes`.
    With ``pace``, the next item is not asked for while a write is under way, nor, once an
    item gave bytes, before a write has ended; a write that failed lets it go on no more
    (the producer is parked until the stream's end cancels it).
    """
    task = asyncio.current_task()
    buffer, send = writer.buffer, writer.send
    assert send is not None  # the stream has started
    chunks = buffer.chunks
    iterator = source.__aiter__()
    anext = iterator.__anext__
    to_data = to_bytes if encode is None else encode
    event_type = Event if encode is None else None  # a custom encode takes Events too
    data = b""
    error: BaseException | None = None
    ran_out = False
    try:
        while not buffer.stopped:
            if pace and (writer.sending or (data and not writer.sends)):
                if chunks:
                    writer.wake()
                await _wait_paced(writer, bool(data))
            step = anext().__await__()
            try:
                suspended = step.send(None)
            except StopIteration as ready:  # the next item, at once
                data = to_data(ready.value)
                if data:
                    chunks.append(data)
                    buffer.size += len(data)
                    if buffer.size >= buffer.high_water:
                        await _write_full(writer, task)
                continue
            except StopAsyncIteration:
                ran_out = True
                break
            if chunks:
                writer.wake()  # the writer writes them while the producer waits
            try:
                item = await resume(step, suspended)
            except StopAsyncIteration:
                ran_out = True
                break
            data = item.encode() if type(item) is event_type else to_data(item)
            if not data:
                continue
            if chunks or writer.sending or writer.close_requested:
                chunks.append(data)
                buffer.size += len(data)
                writer.wake()
                if buffer.size >= buffer.high_water:
                    await _write_full(writer, task)
            else:  # the path of every event that comes alone: written from here
                writer.begin(task)
                await send(data)  # how it fails is sorted out below
                writer.end()
    except BaseException as exc:
        error = _producer_error(writer, task, exc)
    finally:
        aclose = getattr(iterator, "aclose", None)
        keep_open = push and ran_out and error is None
        if keep_open:
            writer.wake()  # the stream stays open: the writer takes what is buffered
        else:
            if aclose is not None:
                writer.cleaning_up = True  # the stream's end must not cancel it now
                try:
                    await aclose()
                except Exception as exc:  # a failing cleanup is the producer's error
                    error = error or exc
            if buffer.end(error):
                writer.wake()
    return aclose if keep_open else None


def _producer_error(
    writer: Writer, task: asyncio.Task[Any] | None, exc: BaseException
) -> Exception | None:
    """What stopped an async producer: its error; ``None`` when its own write failed (that
    is the writer's to report: :meth:`Writer.failed` notes it); any other ``BaseException``
    (a cancellation) is raised again."""
    if writer.sending and writer.sender is task:  # the producer's own write
        writer.end()
        exc = writer.failed(exc, task)
    if exc is writer.send_error:
        return None
    if isinstance(exc, Exception):
        return exc
    raise exc


async def _wait_paced(writer: Writer, after_data: bool) -> None:
    """Until no write is under way and, when ``after_data``, one has ended; never after a
    failed write (the stream is ending: the producer waits to be cancelled)."""
    loop = asyncio.get_running_loop()
    while (
        writer.sending
        or (after_data and not writer.sends)
        or writer.send_error is not None
        or writer.client_gone
    ):
        waiter = writer.paced
        if waiter is None:
            waiter = writer.paced = loop.create_future()
        await waiter


async def _write_full(writer: Writer, task: asyncio.Task[Any] | None) -> None:
    """The buffer is full: write it from the producer task (parked at a ``yield``), or
    wait until the task writing has made room."""
    buffer = writer.buffer
    if writer.sending or writer.close_requested:
        await buffer.wait_room()
        return
    while not writer.close_requested:
        data = buffer.take()
        if data is None:
            break
        await writer.write(data, task)
    await asyncio.sleep(0)  # a producer that never waits must still let the loop run


def produce_sync(
    iterator: Iterator[Any], buffer: SharedChunkBuffer, encode: Encode = to_bytes
) -> None:
    """Run a sync producer (in its own thread) until it ends or the buffer is stopped;
    ``encode`` turns each item into its bytes."""
    error: BaseException | None = None
    try:
        for item in iterator:
            if not buffer.put_from_thread(encode(item)):
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
        buffer.end(error)


async def _aiter_sequence(items: Iterable[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item
