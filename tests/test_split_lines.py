"""Lines split by chunk ends, on both twins: every two- and three-chunk split of streams whose
data lines straddle the cut (ASCII and multi-byte characters, ``data:`` with and without its
space, limits), and what a decoder keeps of a chunk once ``feed`` returns.

Neither twin keeps a reference to a caller's chunk once ``feed`` returns: an unfinished line
is copied out, whatever its length or the chunk's type.
"""

from __future__ import annotations

import itertools
import sys
from types import ModuleType
from typing import Any

import pytest

from _helpers import as_tuples, decode

STREAMS = [
    b"data: hello world\n\n",
    b"data:hello\r\n\r\n",
    b"data:\n\n",
    b"data: \n\n",
    b"data:  two spaces\n\n",
    b"data: caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 end\n\n",
    b"data: bad \xff\xc3 utf-8\n\n",
    b"data: one\ndata: two\n\nid: 7\nevent: e\ndata: three\r\r",
    b"event: delta\nid: 1\nretry: 50\ndata: x\n\n",
    b"dat\ndata\ndata: y\n: comment\n\n",
    b": c\ndata: a\n\ndata: b\n\n",
]

# Lines longer than a typical read, so that most cuts fall inside them; split at sampled
# positions only.
LONG_STREAMS = [
    b"data: " + b"0123456789" * 150 + b"\n\n",
    b"data:" + "é✓😀".encode() * 200 + b"\r\n\r\n",
    b"data: " + b"a\xff\xc3" * 400 + b"\n\ndata: next\n\n",
    b"data: " + b"x" * 1500 + b"\ndata: second\n\n",
    b"event: " + b"e" * 1500 + b"\ndata: " + b"y" * 1500 + b"\r\r",
    b": " + b"c" * 1500 + b"\ndata: z\n\n",
]

_LONG = 600


def _fresh(data: bytes) -> bytes:
    """A bytes object of its own (not a constant shared with the code object), for refcounts."""
    return bytes(bytearray(data))


LIMITED_STREAMS = [
    (b"data: 0123456789\n\ndata: ok\n\n", {"max_line_size": 12}),
    (b"data: 0123456789\n\ndata: ok\n\n", {"max_event_size": 8}),
    (b"data: 0123\ndata: 4567\n\ndata: ok\n\n", {"max_event_size": 8}),
]


def _outcome(impl: ModuleType, chunks: list[bytes], options: dict[str, Any]) -> Any:
    try:
        events, last_id, retry = decode(impl, chunks, **options)
    except impl.LimitExceeded as exc:
        return ("LimitExceeded", str(exc), as_tuples(exc.events))
    return as_tuples(events), last_id, retry


def _splits(stream: bytes) -> list[list[bytes]]:
    """Every split in two, and every split in three with the middle piece 1 to 3 bytes long."""
    out = [[stream[:i], stream[i:]] for i in range(1, len(stream))]
    for i, width in itertools.product(range(1, len(stream)), (1, 2, 3)):
        if i + width < len(stream):
            out.append([stream[:i], stream[i : i + width], stream[i + width :]])
    return out


@pytest.mark.parametrize("stream", STREAMS)
def test_every_split_decodes_like_the_whole_stream(impl: ModuleType, stream: bytes) -> None:
    whole = _outcome(impl, [stream], {})
    assert whole[0], "the stream should hold events"
    for chunks in _splits(stream):
        assert _outcome(impl, chunks, {}) == whole, chunks


@pytest.mark.parametrize("stream", LONG_STREAMS)
def test_long_lines_split_anywhere_decode_like_the_whole_stream(
    impl: ModuleType, stream: bytes
) -> None:
    whole = _outcome(impl, [stream], {})
    assert whole[0], "the stream should hold events"
    cuts = sorted({*range(1, len(stream), 37), *range(len(stream) - 8, len(stream))})
    for cut in cuts:
        for chunks in ([stream[:cut], stream[cut:]], [stream[:cut], stream[cut:], b"\n\n"]):
            expected = whole if len(chunks) == 2 else _outcome(impl, [b"".join(chunks)], {})
            assert _outcome(impl, chunks, {}) == expected, cut


def test_long_line_held_then_over_the_limits(impl: ModuleType) -> None:
    """The limits count the bytes of a line begun in the previous chunk."""
    head = b"data: " + b"x" * 1000
    for options in ({"max_line_size": 1008}, {"max_event_size": 1003}):
        decoder = impl.Decoder(**options)
        assert decoder.feed(head) == []
        with pytest.raises(impl.LimitExceeded) as caught:
            decoder.feed(b"abcd\n\ndata: ok\n\n")
        assert caught.value.limit_name == next(iter(options))
        assert [e.data for e in caught.value.events] == ["ok"]


@pytest.mark.parametrize(("stream", "options"), LIMITED_STREAMS)
def test_every_split_crosses_limits_like_the_whole_stream(
    impl: ModuleType, stream: bytes, options: dict[str, Any]
) -> None:
    """A limit crossed by a line split across chunks: wherever the cut falls, the same limit
    is reported and the same events survive."""
    whole = _outcome(impl, [stream], options)
    assert whole[0] == "LimitExceeded"
    for chunks in _splits(stream):
        decoder = impl.Decoder(**options)
        events: list[Any] = []
        limits: list[str] = []
        for chunk in chunks:
            try:
                events += decoder.feed(chunk)
            except impl.LimitExceeded as exc:
                events += exc.events
                limits.append(exc.limit_name)
        assert as_tuples(events) == [("message", "ok", "", None)], chunks
        assert limits and set(limits) == {next(iter(options))}, chunks


def test_line_over_three_chunks_and_mixed_buffer_types(impl: ModuleType) -> None:
    chunks: list[Any] = [b"data: ab", bytearray(b"cd"), b"ef", memoryview(b"gh\n"), b"\n"]
    events, _, _ = decode(impl, chunks)
    assert as_tuples(events) == [("message", "abcdefgh", "", None)]


def test_a_mutable_chunk_is_copied_not_held(impl: ModuleType) -> None:
    """A bytearray may change after feed() returns: the unfinished line was copied out."""
    chunk = bytearray(b"data: abc")
    decoder = impl.Decoder()
    assert decoder.feed(chunk) == []
    chunk[:] = b"XXXXXXXXX"
    assert [e.data for e in decoder.feed(b"def\n\n")] == ["abcdef"]


def test_event_split_then_finished_in_a_third_chunk(impl: ModuleType) -> None:
    """The data line ends in the second chunk, its blank line comes in the third; no feed keeps
    the first chunk alive."""
    first = _fresh(b"x" * 100 + b"\n\ndata: " + b"y" * _LONG + b"caf\xc3")
    decoder = impl.Decoder()
    refs = sys.getrefcount(first)
    assert decoder.feed(first) == []
    assert sys.getrefcount(first) == refs, "the first chunk is not kept"
    assert decoder.feed(b"\xa9 ok\n") == []
    assert sys.getrefcount(first) == refs
    assert [e.data for e in decoder.feed(b"\n")] == ["y" * _LONG + "café ok"]


def test_a_large_chunk_is_not_kept_alive_by_a_short_unfinished_line(impl: ModuleType) -> None:
    """What an idle decoder keeps of the last chunk stays near the unfinished line's size."""
    big = b"data: x\n\n" * 100_000 + b"data: tail"
    decoder = impl.Decoder()
    refs = sys.getrefcount(big)
    assert len(decoder.feed(big)) == 100_000
    assert sys.getrefcount(big) == refs
    assert [e.data for e in decoder.feed(b" end\n\n")] == ["tail end"]


def test_a_long_unfinished_line_does_not_keep_its_chunk_alive(impl: ModuleType) -> None:
    chunk = _fresh(b"data: " + b"u" * _LONG)
    decoder = impl.Decoder()
    refs = sys.getrefcount(chunk)
    assert decoder.feed(chunk) == []
    assert sys.getrefcount(chunk) == refs, "the chunk is not kept"
    assert [e.data for e in decoder.feed(b"\n\n")] == ["u" * _LONG]
    assert decoder.close() == []
