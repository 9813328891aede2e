"""The relay's decoding path: decode each upstream event, transform it, encode it again.

The pass-through path (no transform) never decodes: see :mod:`ssecodec._framing`. This one
keeps, for the client, what a reader of the upstream would see (ids and retry included), up to
what the transform changes; :func:`ssecodec.relay.relay_events` states the rules.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from ssecodec import Decoder, Event, LimitExceeded, encode

from ._framing import CommentSplitter, split_comments

__all__ = ["Transform", "Transformer"]

Transform = Callable[[Event], Event | Awaitable[Event | None] | None]
"""A per-event transform: takes the decoded upstream event, returns the event to send (the
same one, a new one) or ``None`` to drop it; it may be a coroutine function."""


def _retry_line(retry: int) -> bytes:
    # Not b"%d" % retry: a retry of more than 4,300 digits is valid SSE, but Python refuses
    # to format an int that long (sys.int_max_str_digits); the encoder does not.
    return encode(None, retry=retry)


async def _resolve(result: object) -> Event | None:
    """A transform's result that is not an Event: await it, and check what it gives."""
    if inspect.isawaitable(result):
        result = await result
    if result is None or isinstance(result, Event):
        return result
    raise TypeError(
        "a relay transform returns an ssecodec.Event or None, not " + type(result).__name__
    )


class Transformer:
    """Decode, transform, encode, keeping ids and retry as the client saw them.

    One per stream. It is fed whole events (LF line ends, comments in place) as the framer
    returns them, or, once an unfinished event grows big, that event's bytes as they come.
    """

    def __init__(
        self,
        transform: Transform,
        comments: bool,
        max_event_size: int | None,
    ) -> None:
        self.transform = transform
        self.comments = comments
        self.decoder = Decoder(max_line_size=max_event_size, max_event_size=max_event_size)
        # The framer removed the upstream's BOM: one at the start of what the decoder is fed
        # (after comments split off) is data, not a BOM to strip. A blank line first does
        # nothing else.
        self.decoder.feed(b"\n")
        # The client parses a new stream from scratch, as the relay does the upstream's (so
        # both start with an empty last event ID, whatever Last-Event-ID the client sent).
        self.sent_id = ""  # the client's last event ID, given what was sent to it
        self.upstream_id = ""  # the upstream's, as of its last event
        self.upstream_retry: int | None = None
        # For pieces that may end inside a line (see the framer's hold=False), with comments.
        self.splitter = CommentSplitter()

    async def region(self, block: bytes | list[bytes]) -> tuple[list[bytes], LimitExceeded | None]:
        """Relay whole events (LF line ends, comments in place), given whole or in pieces (a
        list, consumed: each piece is released once decoded).

        Returns what to send, in order, and the decoder's error if an event was over the
        limit (what to send then holds every event before it).
        """
        out: list[bytes] = []
        # Decoder.feed here, not ssecodec.aiter_events over the stream: that would close the
        # decoder at the end of each call's chunks, and hide the end of each upstream read,
        # where the relay sends what the read completed (comments and id-only blocks too).
        try:
            if not isinstance(block, bytes) or (self.comments and not self.splitter.idle):
                # (bytes here go on from a line that earlier pieces began)
                await self._pieces(block if isinstance(block, list) else [block], out)
            elif self.comments and (block[:1] == b":" or block.find(b"\n:") >= 0):
                for is_comment, piece in split_comments(block):
                    if is_comment:
                        # The events are re-encoded whole, so the output is always at an
                        # event boundary here: end the comment with a blank line too.
                        out.append(piece + b"\n")
                    else:
                        await self._events(self.decoder.feed(piece), out)
            else:
                await self._events(self.decoder.feed(block), out)
        except LimitExceeded as exc:
            # The decoder consumed the whole chunk; relay the events it completed, then stop.
            await self._events(exc.events, out)
            return out, exc
        decoder = self.decoder
        # A block without data changes the id or retry without dispatching an event.
        if decoder.last_event_id != self.upstream_id:
            self.upstream_id = decoder.last_event_id
            if self.upstream_id != self.sent_id:
                self.sent_id = self.upstream_id
                out.append(encode(None, id=self.sent_id))
        if decoder.retry != self.upstream_retry and decoder.retry is not None:
            self.upstream_retry = decoder.retry
            out.append(_retry_line(decoder.retry))
        return out, None

    async def _pieces(self, pieces: list[bytes], out: list[bytes]) -> None:
        """:meth:`region` for pieces that may end inside a line, each released once decoded."""
        if self.comments:
            for is_comment, piece in self.splitter.split(pieces):
                if is_comment:
                    out.append(piece + b"\n")  # (see region)
                else:
                    await self._events(self.decoder.feed(piece), out)
        else:
            pieces.reverse()
            while pieces:
                await self._events(self.decoder.feed(pieces.pop()), out)

    async def _events(self, events: list[Event], out: list[bytes]) -> None:
        transform = self.transform
        for event in events:
            upstream_id = self.upstream_id = event.id or ""
            retry = event.retry
            if retry is not None:
                self.upstream_retry = retry
            result = transform(event)
            if result is not None and type(result) is not Event:
                result = await _resolve(result)
            if result is None:
                if retry is not None:  # the client still gets the upstream's retry
                    out.append(_retry_line(retry))
                continue
            # An event the transform built without id or retry keeps the upstream's.
            rid = result.id
            if rid is None:
                rid = upstream_id
            if result.retry is not None:
                retry = result.retry
            name = result.event
            if rid == self.sent_id:
                out.append(
                    encode(result.data, event=None if name == "message" else name, retry=retry)
                )
            else:
                self.sent_id = rid
                out.append(
                    encode(
                        result.data,
                        event=None if name == "message" else name,
                        id=rid,
                        retry=retry,
                    )
                )
