"""The relay's pass-through framer (``ssecodec._framing``): whole events out, as bytes, with
line ends normalised, comments dropped or kept, a leading BOM removed and a size limit.

Pure Python, so these run wherever the codec tests do, without servers.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _helpers import split_at
from _strategies import framing_streams
from ssecodec import LimitExceeded
from ssecodec._framing import (
    BOM,
    CommentSplitter,
    Framer,
    FramingLimitExceeded,
    split_comments,
    strip_comments,
)


def test_pass_through_yields_whole_events_only() -> None:
    framer = Framer()
    assert framer.feed(b"data: a\n\ndata: b") == b"data: a\n\n"
    assert framer.feed(b"\n") == b""
    assert framer.pending == len(b"data: b\n")
    assert framer.feed(b"\ndata: c") == b"data: b\n\n"
    assert framer.close() == len(b"data: c")


def test_whole_events_are_forwarded_as_they_are() -> None:
    """The common case (each read holds whole LF events): the same bytes object, no copy."""
    framer = Framer()
    assert framer.feed(b"data: a\n\n") == b"data: a\n\n"
    for chunk in [b"data: b\n\n", b"id: 1\nevent: e\ndata: c\n\ndata: d\n\n", b"\n\n"]:
        assert framer.feed(chunk) is chunk
    # but not when a comment must go, a CR become LF, or an unfinished event is held
    assert framer.feed(b"data: e\n: ping\n\n") == b"data: e\n\n"
    assert framer.feed(b": ping\ndata: f\n\n") == b"data: f\n\n"
    assert framer.feed(b"data: g\r\n\r\n") == b"data: g\n\n"
    assert framer.feed(b"data: h") == b""
    assert framer.feed(b"\n\n") == b"data: h\n\n"
    kept = b": ping\ndata: i\n\n"
    assert Framer(keep_comments=True).feed(kept) == kept


def test_cr_at_chunk_end() -> None:
    framer = Framer()
    assert framer.feed(b"data: a\r") == b""
    assert framer.feed(b"\n") == b""  # the LF of a split CRLF, not a blank line
    assert framer.feed(b"\r") == b"data: a\n\n"
    assert framer.feed(b"") == b""
    assert framer.feed(b"\ndata: b\r\r") == b"data: b\n\n"  # the LF after CR is swallowed


def test_bom_split() -> None:
    framer = Framer()
    assert framer.feed(BOM[:1]) == b""
    assert framer.feed(BOM[1:2]) == b""
    assert framer.feed(BOM[2:] + b"data: a\n\n") == b"data: a\n\n"
    # an incomplete BOM is data
    assert Framer().feed(b"\xef\xbbdata: a\n\n") == b"\xef\xbbdata: a\n\n"


def test_strip_and_split_comments() -> None:
    block = b":a\ndata: x\n:b\n:c\ndata: y\n\n:d\n\n"
    assert strip_comments(block) == b"data: x\ndata: y\n\n"
    assert strip_comments(b":a\n\n:b\n\n") == b""
    assert strip_comments(b"data: x\n\n") == b"data: x\n\n"
    pieces = split_comments(block)
    assert b"".join(p for _, p in pieces) == block
    assert [p for c, p in pieces if c] == [b":a\n", b":b\n", b":c\n", b":d\n"]
    assert split_comments(b"data: x\n\n") == [(False, b"data: x\n\n")]


def test_framer_limit() -> None:
    framer = Framer(max_event_size=10)
    assert framer.feed(b"data: 1234") == b""  # 10 bytes: at the limit
    with pytest.raises(FramingLimitExceeded) as info:
        framer.feed(b"5")
    assert info.value.complete == b""
    assert info.value.size == 11
    framer = Framer(max_event_size=10)
    with pytest.raises(FramingLimitExceeded) as info:
        framer.feed(b"data: a\n\ndata: 123456789")
    assert info.value.complete == b"data: a\n\n"
    assert info.value.limit_name == "max_event_size"
    assert isinstance(info.value, LimitExceeded)


@settings(max_examples=300)
@given(stream=framing_streams, data=st.data(), split_size=st.sampled_from([0, 1, 7, 40]))
def test_feed_split(stream: bytes, data: st.DataObject, split_size: int) -> None:
    """feed_split's pieces, joined, are what feed returns; with hold=False the bytes of an
    unfinished event come early but nothing else changes."""
    chunks = split_at(stream, data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))

    def run(**options: Any) -> tuple[bytes, bool, int]:
        framer = Framer(**options)
        out = []
        for chunk in chunks:
            got = framer.feed_split(chunk)
            out.append(got if isinstance(got, bytes) else b"".join(got))
        return b"".join(out), framer.holds_event(), framer.pending

    for keep in (False, True):
        framer = Framer(keep_comments=keep)
        joined = b"".join([framer.feed(chunk) for chunk in chunks])
        assert run(keep_comments=keep, split_size=split_size)[0] == joined
    held = run(keep_comments=True)
    released = run(keep_comments=True, split_size=split_size, hold=False)
    assert released[0].startswith(held[0])
    assert released[1:] == held[1:]
    # holds_event: what a stream ending now would lose, a field line in the unfinished event
    lines = stream[3:] if stream.startswith(BOM) else stream
    lines = lines.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    unfinished = lines[lines.rfind(b"\n\n") + 2 :] if b"\n\n" in lines else lines
    field = any(line and not line.startswith(b":") for line in unfinished.split(b"\n"))
    assert held[1] == (field and stream not in (BOM[:1], BOM[:2]))  # (or a BOM, not yet)


def test_big_event_comes_in_the_reads_it_arrived_in() -> None:
    """An event held across reads and over split_size is not joined: the very read objects."""
    reads = [b"data: " + b"x" * 100, b"y" * 100, b"z" * 100 + b"\n\ndata: next"]
    framer = Framer(split_size=200)
    assert framer.feed_split(reads[0]) == b""
    assert framer.feed_split(reads[1]) == b""
    pieces = framer.feed_split(reads[2])
    assert isinstance(pieces, list)
    assert pieces[0] is reads[0] and pieces[1] is reads[1]
    assert b"".join(pieces) == b"".join(reads)[: -len(b"data: next")]
    assert framer.pending == len(b"data: next")
    # below split_size: joined, as before
    assert Framer().feed(reads[0]) == b""


def test_comment_splitter_across_calls() -> None:
    splitter = CommentSplitter()
    got = list(splitter.split([b"data: a\n: com", b"ment"]))
    assert got == [(False, b"data: a\n")] and not splitter.idle
    got = list(splitter.split([b" goes on\ndata: b\n\n"]))
    assert got == [(True, b": comment goes on\n"), (False, b"data: b\n\n")]
    assert splitter.idle


def test_framing_is_linear_in_the_event_size() -> None:
    """One 4 MiB event arriving in 1 KiB chunks: no rescanning of the buffered bytes."""

    def cost(size: int) -> float:
        chunks = [b"data: "] + [b"x" * 1023 + b"\r"] * (size // 1024) + [b"\n\n"]
        framer = Framer()
        began = time.perf_counter()
        for chunk in chunks:
            framer.feed(chunk)
        return time.perf_counter() - began

    small, big = min(cost(1 << 20) for _ in range(3)), min(cost(4 << 20) for _ in range(3))
    assert big < small * 4 * 3, (small, big)  # quadratic would be 16x
