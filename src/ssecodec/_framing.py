"""Event framing without decoding: the relay's pass-through path.

:class:`Framer` cuts an SSE byte stream at event boundaries (blank lines) and hands back only
runs of *whole* events, as bytes, without decoding any value. What it does to the bytes keeps
the meaning of the stream for any spec-conforming reader:

* a leading UTF-8 BOM is removed (also when split across chunks); a later one is data (and
  is not left at the start of the output, where a reader would strip it);
* line ends are normalised to LF: CRLF and a lone CR become LF, a CRLF split across two
  chunks included (in SSE a CR is always a line end, so nothing else changes);
* comment lines (``:`` first) are removed unless ``keep_comments``;
* an unfinished event is held back, so a stream cut in the middle never forwards half an
  event; at the end of the stream it is discarded, as the spec's reader would;
* ``id``, ``event``, ``retry`` and ``data`` lines are forwarded byte for byte.

Every byte is scanned a bounded number of times whatever the chunking: a chunk is searched
for CR once (``memchr``), the boundary search covers only the new bytes (searching backwards
from the end, so it usually stops within the last event), and a run of events is scanned once
for comment lines. Memory is bounded by ``max_event_size`` (the unfinished event): an event held
across reads is joined into one ``bytes`` only while it is small (``split_size``); a bigger one
comes back from :meth:`Framer.feed_split` as the reads it arrived in, so that it is never held
twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final, cast

from ._errors import LimitExceeded

__all__ = [
    "BOM",
    "SPLIT_SIZE",
    "CommentSplitter",
    "Framer",
    "FramingLimitExceeded",
    "split_comments",
    "strip_comments",
]

BOM: Final = b"\xef\xbb\xbf"
SPLIT_SIZE = 256 * 1024
"""The default ``split_size`` of a :class:`Framer` (read when one is made)."""
_LF: Final = 10
_COLON: Final = 58
_COPY_SMALL: Final = 4096  # below this, slicing a chunk costs less than a memoryview
_CR: Final = 13  # `13 in chunk` is a memchr; `b"\r" in chunk` takes a slower general search


class FramingLimitExceeded(LimitExceeded):
    """An unfinished event grew past ``max_event_size`` bytes.

    ``complete`` holds the whole events the failing :meth:`Framer.feed` call finished before
    that (forward them, then give up on the stream); from :meth:`Framer.feed_split` it may be a
    list of pieces, as that returns them.

    Users meet it where the relay raises it (its pass-through path), so ``ssecodec.relay``,
    which exports it, is its public name.
    """

    __module__ = "ssecodec.relay"

    complete: bytes | list[bytes] = b""


def strip_comments(block: bytes) -> bytes:
    """Remove the comment lines from whole events with LF line ends.

    ``block`` starts and ends at an event boundary. Blank lines at a boundary do nothing, so
    those left at either end are dropped too; a run of comments alone becomes ``b""``.
    """
    if block[:1] != b":":
        start = block.find(b"\n:")
        if start < 0:
            return block
        start += 1
    else:
        start = 0
    pieces = []
    kept = 0
    while start >= 0:
        pieces.append(block[kept:start])
        end = block.find(b"\n", start)  # the comment line's end; present: block ends with LF
        kept = end + 1
        start = block.find(b"\n:", end)
        if start >= 0:
            start += 1
    pieces.append(block[kept:])
    kept_lines = b"".join(pieces).strip(b"\n")
    return kept_lines + b"\n\n" if kept_lines else b""


def split_comments(block: bytes) -> list[tuple[bool, bytes]]:
    """Split LF-terminated whole events into ``(is_comment, bytes)`` pieces, in order.

    Comment pieces are single comment lines with their LF; the other pieces are the field
    lines between them. Concatenated, the pieces give back ``block``.
    """
    out: list[tuple[bool, bytes]] = []
    kept = 0
    if block[:1] == b":":
        start = 0
    else:
        start = block.find(b"\n:")
        if start >= 0:
            start += 1
    while start >= 0:
        if start > kept:
            out.append((False, block[kept:start]))
        end = block.find(b"\n", start)
        out.append((True, block[start : end + 1]))
        kept = end + 1
        start = block.find(b"\n:", end)
        if start >= 0:
            start += 1
    if kept < len(block):
        out.append((False, block[kept:]))
    return out


class CommentSplitter:
    """:func:`split_comments` over LF-normalised bytes that come in pieces cut anywhere.

    Its state (whether the next byte starts a line; a comment line begun in an earlier
    piece) is kept across calls of :meth:`split`, so that the pieces of one call may end
    inside a line and the next call go on from there.
    """

    __slots__ = ("_at_start", "_comment")

    def __init__(self) -> None:
        self._at_start = True  # the next byte starts a line
        self._comment: list[bytes] | None = None  # a comment line begun, not yet ended

    @property
    def idle(self) -> bool:
        """At a line start, with no comment line begun: where :func:`split_comments` starts."""
        return self._at_start and self._comment is None

    def split(self, pieces: list[bytes]) -> Iterator[tuple[bool, bytes]]:
        """Yield ``(is_comment, bytes)`` in order: comment lines whole with their LF (joined
        when one straddles pieces or calls), the bytes between them as they are or as slices
        of one piece. A comment line still unfinished at the end is kept for the next call.

        ``pieces`` is consumed (emptied) as it is split, so that each piece can be released
        once done with.
        """
        pieces.reverse()
        at_start = self._at_start
        comment = self._comment
        try:
            while pieces:
                piece = pieces.pop()
                size = len(piece)
                if not size:
                    continue
                pos = 0
                if comment is not None:
                    end = piece.find(b"\n")
                    if end < 0:
                        comment.append(piece)
                        continue
                    comment.append(piece[: end + 1])
                    line = b"".join(comment)
                    comment = None
                    yield True, line
                    pos = end + 1
                    at_start = True
                kept = pos
                while True:
                    if at_start and pos < size and piece[pos] == _COLON:
                        start = pos
                    else:
                        start = piece.find(b"\n:", pos)
                        if start < 0:
                            break
                        start += 1
                    if start > kept:
                        yield False, piece[kept:start]
                    end = piece.find(b"\n", start)
                    if end < 0:
                        comment = [piece[start:]]
                        kept = size
                        break
                    yield True, piece[start : end + 1]
                    pos = kept = end + 1
                    at_start = True
                if kept < size:
                    yield False, piece if kept == 0 else piece[kept:]
                at_start = piece[-1] == _LF
        finally:
            self._at_start = at_start
            self._comment = comment


def _has_field(parts: list[bytes], at_start: bool) -> tuple[bool, bool]:
    """Whether ``parts`` (LF line ends, starting at a line start if ``at_start``, else inside
    a comment line) hold a field line; and whether their end is at a line start."""
    for part in parts:
        pos = 0
        size = len(part)
        while pos < size:
            if at_start:
                if part[pos] == _LF:
                    pos += 1
                    continue
                if part[pos] != _COLON:
                    return True, False
            end = part.find(b"\n", pos)  # the end of a comment line
            if end < 0:
                at_start = False
                break
            pos = end + 1
            at_start = True
    return False, at_start


def _strip_comment_pieces(pieces: list[bytes]) -> list[bytes]:
    """:func:`strip_comments` over pieces (consumed), without joining them."""
    kept = []
    found = False
    for is_comment, piece in CommentSplitter().split(pieces):
        if is_comment:
            found = True
        else:
            kept.append(piece)
    if not found:
        return kept
    # Blank lines left at either end go too, as strip_comments drops them.
    while kept:
        first = kept[0].lstrip(b"\n")
        if first:
            kept[0] = first
            break
        del kept[0]
    while kept:
        last = kept[-1].rstrip(b"\n")
        if last:
            kept[-1] = last
            kept.append(b"\n\n")
            break
        kept.pop()
    return kept


class Framer:
    """Incremental event framer (see the module docstring). One per stream; not thread-safe.

    Args:
        keep_comments: forward comment lines (``: ...``) instead of removing them.
        max_event_size: the largest unfinished event held, in bytes (LF line ends, comments
            included); ``None`` for no limit.
        split_size: :meth:`feed_split` returns the events completing a held event of more
            than this many bytes in pieces (default :data:`SPLIT_SIZE`, 256 KiB).
        hold: hold an unfinished event back until it is complete (the default). With
            ``False`` (and ``keep_comments``), once an unfinished event is larger than
            ``split_size`` :meth:`feed_split` returns its bytes as they come, for a caller
            that decodes them (and so holds the event itself, once).
    """

    __slots__ = (
        "_bom",
        "_cr",
        "_first",
        "_hold",
        "_keep_comments",
        "_lf",
        "_max_event_size",
        "_parts",
        "_released",
        "_released_field",
        "_scan_start",
        "_size",
        "_split_size",
    )

    def __init__(
        self,
        *,
        keep_comments: bool = False,
        max_event_size: int | None = None,
        split_size: int | None = None,
        hold: bool = True,
    ) -> None:
        if not hold and not keep_comments:
            raise ValueError("Framer(hold=False) needs keep_comments=True")
        self._keep_comments = keep_comments
        self._max_event_size = max_event_size
        self._split_size = SPLIT_SIZE if split_size is None else split_size
        self._hold = hold
        # hold=False: the unfinished event has been returned so far (_released); whether
        # that had a field line, and whether it ended at a line start (for the rest).
        self._released = False
        self._released_field = False
        self._scan_start = True
        # The unfinished event, LF-normalised, in pieces (appending stays linear); it always
        # starts at a line start. _lf: it ends with LF (a boundary may straddle two chunks).
        self._parts: list[bytes | memoryview] = []
        self._size = 0
        self._lf = False
        # The previous chunk ended with CR: a LF starting the next chunk completes a CRLF.
        self._cr = False
        # The first bytes of the stream while they may still be a BOM; None once decided.
        self._bom: bytes | None = b""
        self._first = True  # nothing returned yet

    @property
    def pending(self) -> int:
        """Bytes of the unfinished event (held back; with ``hold=False`` also those already
        returned)."""
        return self._size

    def holds_event(self) -> bool:
        """Whether the unfinished event has a field line (not only comments or blank lines):
        what a stream ending now would lose."""
        if self._released:
            return self._released_field
        return _has_field(cast("list[bytes]", self._parts), True)[0]

    def feed(self, data: bytes | bytearray | memoryview) -> bytes:
        """Add bytes; return the whole events they completed (``b""`` if none).

        The result ends at an event boundary (``b"\\n\\n"``), uses LF line ends, and has no
        comment lines unless ``keep_comments``.

        Raises:
            FramingLimitExceeded: the unfinished event is larger than ``max_event_size``;
                ``complete`` holds what this call completed before it. The framer must not be
                fed again.
        """
        try:
            out = self.feed_split(data)
        except FramingLimitExceeded as exc:
            if isinstance(exc.complete, list):
                exc.complete = b"".join(exc.complete)
            raise
        return out if isinstance(out, bytes) else b"".join(out)

    def feed_split(self, data: bytes | bytearray | memoryview) -> bytes | list[bytes]:
        """:meth:`feed`, except that a run completing a held event of more than ``split_size``
        bytes is returned as a list of pieces (the reads the event arrived in, unjoined), to
        be sent in order; joined, they are what :meth:`feed` returns. Forwarding the pieces
        one by one never holds a big event twice.
        """
        chunk = data if isinstance(data, bytes) else bytes(data)
        if (
            # The common case, one or more whole events with LF line ends and nothing held:
            # forwarded as they are (the general path below would give the same bytes).
            chunk[-2:] == b"\n\n"
            and self._bom is None
            and not self._first
            and not self._parts
            and not self._cr
            and _CR not in chunk
            and (self._keep_comments or (chunk[:1] != b":" and chunk.find(b"\n:") < 0))
            and not self._released
        ):
            return chunk
        if not chunk:
            return b""
        if self._bom is not None:
            seen = self._bom + chunk
            if len(seen) < 3 and BOM.startswith(seen):
                self._bom = seen
                return b""
            self._bom = None
            chunk = seen[3:] if seen[:3] == BOM else seen
        if self._cr:
            self._cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
                if not chunk:
                    return b""
        if _CR in chunk:
            self._cr = chunk[-1:] == b"\r"
            pieces = chunk.split(b"\r")
            if all(piece[:1] == b"\n" for piece in pieces[1:]):  # CRLF only: drop the CRs
                chunk = b"".join(pieces)
            else:
                chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        parts = self._parts
        cut = chunk.rfind(b"\n\n") + 2  # just after the last boundary in the new bytes
        # None in the new bytes (cut == 1)? One may still straddle the old and the new ones.
        if cut == 1 and not (self._lf and chunk[:1] == b"\n"):
            parts.append(chunk)
            self._size += len(chunk)
            self._lf = chunk[-1:] == b"\n"
            if self._max_event_size is not None:
                self._check(b"")
            if self._hold or self._size <= self._split_size or (self._first and self._size < 3):
                return b""  # (the stream's first bytes go out once a second BOM is ruled out)
            # hold=False and a big unfinished event: hand its bytes on as they come.
            if not self._released_field:
                self._released_field, self._scan_start = _has_field(
                    cast("list[bytes]", parts), self._scan_start
                )
            self._released = True
            self._parts = []
            return self._split(cast("list[bytes]", parts))
        held: list[bytes | memoryview] | None = None
        if not parts:
            block = chunk if cut == len(chunk) else chunk[:cut]
        elif self._size + cut <= self._split_size:
            # (a big chunk is not copied twice: join reads the memoryview)
            parts.append(chunk[:cut] if len(chunk) < _COPY_SMALL else memoryview(chunk)[:cut])
            block = b"".join(parts)
            parts.clear()
        else:
            # A big event held across reads: joining the reads would hold it twice.
            held = parts
            held.append(chunk if cut == len(chunk) else chunk[:cut])
            self._parts = parts = []
            block = b""
        if self._released:
            self._released = self._released_field = False
            self._scan_start = True
        if cut < len(chunk):
            rest = chunk[cut:]
            parts.append(rest)
            self._size = len(rest)
            self._lf = rest[-1:] == b"\n"
        else:
            self._size = 0
            self._lf = False
        if held is not None:
            # (held parts are bytes: a memoryview is only appended right before a join)
            return self._split(cast("list[bytes]", held))
        if not self._keep_comments:
            block = strip_comments(block)
        if self._first and block:
            self._first = False
            if block[:3] == BOM:
                # The stream's first line starts with a second BOM: a field name for the spec,
                # but a reader would strip it as the leading BOM of the output.
                block = b"\n" + block
        if parts and self._max_event_size is not None:
            self._check(block)
        return block

    def _split(self, pieces: list[bytes]) -> list[bytes]:
        """The end of :meth:`feed_split` for a run returned in pieces (what is done to a
        joined block, done piecewise)."""
        if not self._keep_comments:
            pieces = _strip_comment_pieces(pieces)
        if self._first and pieces:
            self._first = False
            head = b""
            for piece in pieces:
                head += piece[: 3 - len(head)]
                if len(head) == 3:
                    break
            if head == BOM:  # a second BOM (see feed_split)
                pieces.insert(0, b"\n")
        if self._parts and self._max_event_size is not None:
            self._check(pieces)
        return pieces

    def _check(self, complete: bytes | list[bytes]) -> None:
        limit = self._max_event_size
        if limit is not None and self._size > limit:
            size = self._size
            self._parts.clear()
            self._size = 0
            exc = FramingLimitExceeded(
                f"SSE event exceeds max_event_size: {size} > {limit} bytes",
                limit_name="max_event_size",
                limit=limit,
                size=size,
            )
            exc.complete = complete
            raise exc

    def close(self) -> int:
        """End of stream: discard the unfinished event (the spec's rule); return its size."""
        size = self._size + (len(self._bom) if self._bom else 0)
        self._parts.clear()
        self._size = 0
        self._lf = False
        self._bom = None
        self._cr = False
        self._released = self._released_field = False
        self._scan_start = True
        return size
