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

__all__ = ["ClosedWithin", "Writes", "aiter_sequence", "encode_sync"]

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
    """What the response knows of its writes: how the last one failed, when the transport
    went away."""

    __slots__ = ("error",)

    def __init__(self) -> None:
        self.error: OSError | None = None

    def sender(self, send: Send) -> Callable[[bytes], Awaitable[None]]:
        """The engine's ``send``: one body chunk, its ``OSError`` noted here."""

        async def send_body(data: bytes) -> None:
            try:
                await send({"type": "http.response.body", "body": data, "more_body": True})
            except OSError as exc:  # sse-starlette lets it through; the engine ends quietly
                self.error = exc
                raise

        return send_body


class ClosedWithin:
    """The content as the engine walks it, closed as sse-starlette closes it: within
    ``cleanup_timeout`` seconds, when its encoding failed or a write was interrupted (the
    engine, paced, leaves it parked at the ``yield`` of what was being sent). The engine
    asks the content itself for its items: no generator in between."""

    __slots__ = ("__anext__", "_content", "_timeout")

    def __init__(self, content: AsyncIterable[Any], cleanup_timeout: float | None) -> None:
        self._content = content
        self._timeout = cleanup_timeout
        self.__anext__ = content.__aiter__().__anext__

    def __aiter__(self) -> ClosedWithin:
        return self

    async def aclose(self) -> None:
        """Close the content within the cleanup timeout (nothing when it has ended)."""
        await _close(self._content, self._timeout)


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
