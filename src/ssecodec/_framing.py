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
for comment lines. Memory is bounded by ``max_event_size`` (the unfinished event).
"""

from __future__ import annotations

from typing import Final

from ._errors import LimitExceeded

__all__ = ["BOM", "Framer", "FramingLimitExceeded", "split_comments", "strip_comments"]

BOM: Final = b"\xef\xbb\xbf"
_COPY_SMALL: Final = 4096  # below this, slicing a chunk costs less than a memoryview
_CR: Final = 13  # `13 in chunk` is a memchr; `b"\r" in chunk` takes a slower general search


class FramingLimitExceeded(LimitExceeded):
    """An unfinished event grew past ``max_event_size`` bytes.

    ``complete`` holds the whole events the failing :meth:`Framer.feed` call finished before
    that (forward them, then give up on the stream).
    """

    complete: bytes = b""


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


class Framer:
    """Incremental event framer (see the module docstring). One per stream; not thread-safe.

    Args:
        keep_comments: forward comment lines (``: ...``) instead of removing them.
        max_event_size: the largest unfinished event held, in bytes (LF line ends, comments
            included); ``None`` for no limit.
    """

    __slots__ = (
        "_bom", "_cr", "_first", "_keep_comments", "_lf", "_max_event_size", "_parts", "_size",
    )

    def __init__(self, *, keep_comments: bool = False, max_event_size: int | None = None) -> None:
        self._keep_comments = keep_comments
        self._max_event_size = max_event_size
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
        """Bytes of the unfinished event held back."""
        return self._size

    def feed(self, data: bytes | bytearray | memoryview) -> bytes:
        """Add bytes; return the whole events they completed (``b""`` if none).

        The result ends at an event boundary (``b"\\n\\n"``), uses LF line ends, and has no
        comment lines unless ``keep_comments``.

        Raises:
            FramingLimitExceeded: the unfinished event is larger than ``max_event_size``;
                ``complete`` holds what this call completed before it. The framer must not be
                fed again.
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
        parts: list[bytes | memoryview] = self._parts
        cut = chunk.rfind(b"\n\n") + 2  # just after the last boundary in the new bytes
        # None in the new bytes (cut == 1)? One may still straddle the old and the new ones.
        if cut == 1 and not (self._lf and chunk[:1] == b"\n"):
            parts.append(chunk)
            self._size += len(chunk)
            self._lf = chunk[-1:] == b"\n"
            if self._max_event_size is not None:
                self._check(b"")
            return b""
        if parts:
            # (a big chunk is not copied twice: join reads the memoryview)
            parts.append(chunk[:cut] if len(chunk) < _COPY_SMALL else memoryview(chunk)[:cut])
            block = b"".join(parts)
            parts.clear()
        elif cut == len(chunk):
            block = chunk
        else:
            block = chunk[:cut]
        if cut < len(chunk):
            rest = chunk[cut:]
            parts.append(rest)
            self._size = len(rest)
            self._lf = rest[-1:] == b"\n"
        else:
            self._size = 0
            self._lf = False
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

    def _check(self, complete: bytes) -> None:
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
        return size
