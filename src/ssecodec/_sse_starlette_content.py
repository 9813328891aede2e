"""What :class:`ssecodec.sse_starlette.EventSourceResponse` hands the server engine: the
content's items encoded, paced as sse-starlette paces its generator, and closed as it closes
it when a write is interrupted."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any

import anyio
from starlette.types import Send

__all__ = ["Writes", "aiter_sequence", "encode_async", "encode_sync"]

logger = logging.getLogger("ssecodec.sse_starlette")


async def _close_within(aclose: Callable[[], Awaitable[object]], timeout: float | None) -> None:
    with anyio.move_on_after(timeout) as scope:
        try:
            await aclose()
        except Exception:
            logger.exception("Error closing body iterator after encoding or send failure")
    if scope.cancel_called:
        logger.warning("Body iterator cleanup cancelled after %s seconds", timeout)


async def _close(content: object, timeout: float | None) -> None:
    """Close the content (suspended at a ``yield``) within ``timeout`` seconds, as
    sse-starlette does after a failed encoding or an interrupted send.

    The cleanup runs in a task of its own, waited for through cancellations: once a write
    failed, the engine cancels the producer (running this) while it waits here, and the
    cleanup must still get its ``timeout``. A cancellation caught is raised afterwards.
    """
    aclose = getattr(content, "aclose", None)
    if aclose is None:
        return
    closing = asyncio.get_running_loop().create_task(_close_within(aclose, timeout))
    cancelled: asyncio.CancelledError | None = None
    while not closing.done():
        try:
            await asyncio.wait((closing,))
        except asyncio.CancelledError as exc:
            cancelled = cancelled or exc
    if cancelled is not None:
        raise cancelled


class Writes:
    """What the response knows of its writes: whether one is under way, whether one has
    ended, and a waiter for the end of the next one (see :func:`encode_async`)."""

    __slots__ = ("ended", "error", "sending", "waiter")

    def __init__(self) -> None:
        self.sending = False
        self.ended = False
        self.waiter: asyncio.Future[None] | None = None
        self.error: OSError | None = None  # how a write failed, when the transport went away

    def sender(self, send: Send) -> Callable[[bytes], Awaitable[None]]:
        """The engine's ``send``: one body chunk, noted here."""

        async def send_body(data: bytes) -> None:
            self.sending = True
            try:
                await send({"type": "http.response.body", "body": data, "more_body": True})
            except OSError as exc:  # sse-starlette lets it through; the engine ends quietly
                self.error = exc
                raise
            # Only a write that succeeded lets the generator go on: after a failed or
            # cancelled one the stream ends, and the generator is closed where it waits.
            self.sending = False
            self.ended = True
            waiter = self.waiter
            if waiter is not None:
                self.waiter = None
                waiter.set_result(None)

        return send_body

    async def wait(self) -> None:
        """Until no write is under way and one has ended."""
        while self.sending or not self.ended:  # (a write comes: something was yielded)
            waiter = self.waiter
            if waiter is None:
                waiter = self.waiter = asyncio.get_running_loop().create_future()
            await waiter


async def encode_async(
    content: AsyncIterable[Any],
    encode_item: Callable[[Any], bytes],
    cleanup_timeout: float | None,
    writes: Writes,
) -> AsyncIterator[bytes]:
    """The content's items encoded, as sse-starlette paces them: the generator is not
    resumed while a write is under way, nor before its first item was written, so a write
    interrupted (the client gone or stalled, a shutdown) finds it parked at the ``yield`` of
    what was being sent; it is then closed within ``cleanup_timeout``. Items it yields back
    to back while the writes keep up are sent together (the engine's write coalescing)."""
    anext = content.__aiter__().__anext__
    while True:
        try:
            item = await anext()
        except StopAsyncIteration:
            return
        try:
            data = encode_item(item)
            yield data
            if writes.sending or (data and not writes.ended):
                await writes.wait()
        except BaseException:  # encoding failed, or the write was interrupted
            await _close(content, cleanup_timeout)
            raise


async def aiter_sequence(items: Iterable[Any]) -> AsyncIterator[Any]:
    """A list or tuple as an async iterable (walked on the loop, no thread needed)."""
    for item in items:
        yield item


def encode_sync(
    content: Iterable[Any], encode_item: Callable[[Any], bytes], context: contextvars.Context
) -> Iterator[bytes]:
    """The items of a sync iterable encoded, in the engine's producer thread; the iterable
    runs in ``context`` (the request's context variables, as in sse-starlette's thread
    pool), and is closed when the stream ends."""
    iterator = context.run(iter, content)
    try:
        while True:
            try:
                item = context.run(next, iterator)
            except StopIteration:
                return
            yield encode_item(item)
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            context.run(close)
