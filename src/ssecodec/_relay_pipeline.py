"""The relay without any HTTP: upstream byte chunks in, ``text/event-stream`` bytes out.

Without a transform the chunks are framed, never decoded (:mod:`ssecodec._framing`); with one,
the framed events go through :class:`~ssecodec._relay_transform.Transformer`. Either way what
comes out is whole events, in items of at most :data:`PIECE` bytes.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterator
from typing import Final

import httpx

from ssecodec import DEFAULT_MAX_EVENT_SIZE, LimitExceeded

from ._framing import Framer, FramingLimitExceeded
from ._relay_transform import Transform, Transformer

__all__ = ["PIECE", "relay_chunks", "relay_events"]

PIECE: Final = 256 * 1024
"""The largest item the pipeline yields: a bigger run of events goes out in pieces, so that
neither the relay nor the server's write path ever copies a big event whole."""


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
        LimitExceeded: an upstream event is larger than ``max_event_size`` (without a
            transform, the :class:`~ssecodec.relay.FramingLimitExceeded` subclass); the
            events before it have been yielded.
        Exception: whatever ``chunks`` or ``transform`` raise.
    """
    return relay_chunks(chunks, transform, comments, max_event_size, end_marked=True)


def _pieces(out: bytes | list[bytes]) -> Iterator[bytes]:
    """``out`` in order, in items of at most ``PIECE`` bytes; a list is consumed (each piece
    released once handed on)."""
    if isinstance(out, bytes):
        out = [out]
    out.reverse()
    while out:
        piece = out.pop()
        if len(piece) <= PIECE:
            yield piece
        else:
            for start in range(0, len(piece), PIECE):
                yield piece[start : start + PIECE]


async def relay_chunks(
    chunks: AsyncIterable[bytes],
    transform: Transform | None,
    comments: bool,
    max_event_size: int | None,
    *,
    end_marked: bool,
) -> AsyncIterator[bytes]:
    """:func:`relay_events`; ``end_marked=False`` for a body that ends where its connection
    closes: then an unfinished event at its end means the upstream died (an error)."""
    most = PIECE
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
    relay = Transformer(transform, comments, max_event_size)
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
        raise httpx.RemoteProtocolError("upstream closed the connection in the middle of an event")
    framer.close()
