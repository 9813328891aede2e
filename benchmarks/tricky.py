"""Small inputs on which SSE decoders commonly go wrong, for the correctness section.

Each case is the chunks it is fed in (the split matters for some) and the rule of docs/spec.md it
exercises. The expected events are those of ssecodec's pure-Python twin, the oracle.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    name: str
    rule: str
    why: str
    chunks: tuple[bytes, ...]

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


def _split_at(data: bytes, *cuts: int) -> tuple[bytes, ...]:
    bounds = (0, *cuts, len(data))
    return tuple(data[a:b] for a, b in itertools.pairwise(bounds))


_LONG = b"data: " + b"a" * 505  # 511 bytes: its CR is byte 511, its LF byte 512
_UTF8 = "data: 日本語 🎉\n\n".encode()

CASES: tuple[Case, ...] = (
    Case("cr-only", "R5", "bare CR is a line terminator", (b"data: a\rdata: b\r\rdata: c\r\r",)),
    Case(
        "crlf-split",
        "R7",
        "CRLF split across chunks is one terminator, not a line end plus a blank line",
        (b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"),
    ),
    Case(
        "crlf-at-512",
        "R7",
        "CRLF straddling byte 512 (where a 512-byte reader cuts), inside one event",
        _split_at(_LONG + b"\r\ndata: b\r\n\r\n", 512),
    ),
    Case(
        "lf-then-crlf",
        "R5",
        "LF followed by CRLF is a line end then a blank line (dispatch)",
        (b"data: a\n\r\ndata: b\r\n\r\n",),
    ),
    Case("bom", "R2", "a leading UTF-8 BOM is stripped", (b"\xef\xbb\xbfdata: a\n\n",)),
    Case(
        "bom-split",
        "R2",
        "a leading BOM split across chunks is still stripped",
        (b"\xef", b"\xbb\xbfdata: a\n\n"),
    ),
    Case(
        "data-no-colon",
        "R12",
        "`data` without a colon appends an empty line",
        (b"data\ndata\ndata: x\n\n",),
    ),
    Case(
        "data-empty",
        "R14, R19",
        "one empty `data:` line dispatches an event with empty data",
        (b"data:\n\n",),
    ),
    Case(
        "two-spaces", "R11", "only one leading space is removed from a value", (b"data:  two\n\n",)
    ),
    Case(
        "trailing-empty-data",
        "R20",
        "exactly one trailing LF is removed from the data buffer",
        (b"data: a\ndata:\n\n",),
    ),
    Case(
        "event-only-block",
        "R19",
        "a block without data dispatches nothing (and its type is forgotten)",
        (b"event: ping\n\ndata: x\n\n",),
    ),
    Case(
        "blank-lines-after-id",
        "R18, R19",
        "extra blank lines and keep-alive comments after an id dispatch nothing",
        (b"id: 7\ndata: a\n\n\n\n: keep-alive\n\ndata: b\n\n",),
    ),
    Case(
        "id-persists",
        "R18",
        "the last event ID carries over to later events",
        (b"id: 1\ndata: a\n\ndata: b\n\n",),
    ),
    Case(
        "id-reset",
        "R12, R15",
        "`id` without a value resets the last event ID",
        (b"id: 1\ndata: a\n\nid\ndata: b\n\n",),
    ),
    Case(
        "id-with-nul",
        "R15",
        "an id containing NUL is ignored (the previous id stays)",
        (b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n",),
    ),
    Case(
        "retry-oddities",
        "R16",
        "retry must be ASCII digits only: `1_000`, `-5`, ` 100` (two "
        "spaces), a full-width digit and `1e3` are ignored; `007` is 7",
        (
            b"retry: 1_000\ndata: a\n\nretry: -5\ndata: b\n\nretry:  100\ndata: c\n\n"
            b"retry: \xef\xbc\x95\ndata: d\n\nretry: 1e3\ndata: e\n\nretry: 007\ndata: f\n\n",
        ),
    ),
    Case(
        "retry-only-block",
        "R16, R19",
        "a block with only `retry` sets the reconnection time but dispatches no event",
        (b"retry: 3000\n\ndata: a\n\n",),
    ),
    Case(
        "utf8-split",
        "R3",
        "multi-byte UTF-8 characters split across chunks decode as one character",
        _split_at(_UTF8, 7, 11, 18),
    ),
    Case(
        "invalid-utf8", "R3", "invalid UTF-8 becomes U+FFFD, never an error", (b"data: a\xffb\n\n",)
    ),
    Case(
        "unicode-line-breaks",
        "R6",
        "U+2028, NEL, VT, FF and FS are not line terminators",
        ("data: a\u2028b\x85c\x0bd\x0ce\x1cf\n\n".encode(),),
    ),
    Case(
        "unterminated-event",
        "R23",
        "an event not closed by a blank line at the end of the stream is discarded",
        (b"data: a\n\ndata: b\n",),
    ),
    Case(
        "field-name-case",
        "R17",
        "field names are case-sensitive: `Data` is ignored",
        (b"Data: x\n\ndata: y\n\n",),
    ),
    Case(
        "space-before-colon",
        "R17",
        "`data :` names a field `data ` (ignored)",
        (b"data : x\ndata: y\n\n",),
    ),
    Case(
        "final-cr",
        "R7",
        "a CR that is the last byte of the stream completes the blank line",
        (b"data: a\r\r",),
    ),
)
