"""Robustness (issue 7), CI-sized: bounded memory, no injection, concurrent use, regressions.

The full-size figures (1 GiB streams, peak RSS, cost per byte, 1M-cycle leak checks) come from
``tools/robustness/rss_limits.py``, ``linear_time.py`` and ``leaks.py``; see
``docs/robustness.md``. Here the same properties are checked at a size that runs in seconds.
Memory is measured with tracemalloc, which sees both twins' buffers (the Cython twin allocates
with ``PyMem_*``, which tracemalloc traces).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import tracemalloc
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _helpers import feed_all
from ssecodec._errors import LimitExceeded, SSEError

KiB = 1024
MiB = 1024 * KiB


def _chunks(pattern: bytes, total: int, size: int) -> Iterator[bytes]:
    """``total`` bytes of ``pattern`` repeated, as fresh ``size``-byte chunks (built lazily)."""
    block = pattern * (size // len(pattern) + 2)
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        offset = sent % len(pattern)
        yield bytes(block[offset : offset + n])
        sent += n


@pytest.fixture
def traced() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


# --- Bounded memory ---------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [64 * KiB, 1000])
def test_endless_line_is_refused_at_the_limit(
    impl: ModuleType, traced: None, chunk_size: int
) -> None:
    """8 MiB without a line end, limit 512 KiB: one LimitExceeded when the line crosses the
    limit, nothing kept after that, and the decoder is in step again after the next blank line."""
    limit = 512 * KiB
    decoder = impl.Decoder(max_line_size=limit, max_event_size=limit)
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    events, errors = feed_all(decoder, _chunks(b"data: xyz", 8 * MiB, chunk_size), close=False)
    peak = tracemalloc.get_traced_memory()[1] - base
    assert events == []
    assert len(errors) == 1
    assert errors[0].limit_name == "max_line_size"
    assert errors[0].limit == limit
    assert limit < errors[0].size <= limit + chunk_size
    assert peak < limit * 1.3 + 4 * chunk_size, f"peak {peak} bytes"
    # the line ends, the next blank line resynchronises, and decoding goes on normally
    assert decoder.feed(b"\n\n") == []
    assert [e.data for e in decoder.feed(b"data: ok\n\n")] == ["ok"]


@pytest.mark.parametrize(
    ("line", "counted"),  # counted: what one line adds to the event size (value + LF)
    [(b"data:xy\n", 3), (b"data\n", 1), (b"data: " + b"z" * 200 + b"\n", 201)],
    ids=["short", "empty", "long"],
)
def test_endless_event_is_refused_at_the_limit(
    impl: ModuleType, traced: None, line: bytes, counted: int
) -> None:
    """Data lines and no blank line, to 1.5x max_event_size (96 KiB): refused once, memory held
    stays near the limit whatever the line length (short lines once cost 14x the limit in the
    pure twin), and it is given back as soon as the event is dropped."""
    limit = 96 * KiB  # above the 64 KiB that the Cython twin keeps for reuse
    chunk_size = 16 * KiB
    total = len(line) * (3 * limit // 2 // counted)  # whole lines
    decoder = impl.Decoder(max_line_size=limit, max_event_size=limit)
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    events, errors = feed_all(decoder, _chunks(line, total, chunk_size), close=False)
    current, peak = tracemalloc.get_traced_memory()
    assert events == []
    assert len(errors) == 1
    assert errors[0].limit_name == "max_event_size"
    assert limit < errors[0].size <= limit + len(line)
    assert peak - base < limit * 1.3 + 4 * chunk_size, f"peak {peak - base} bytes"
    assert current - base < limit // 2, f"{current - base} bytes still held while discarding"
    assert decoder.feed(b"\n") == []
    assert [e.data for e in decoder.feed(b"data: ok\n\n")] == ["ok"]


def test_tiny_chunks_do_not_amplify_memory(impl: ModuleType, traced: None) -> None:
    """A line arriving 2 bytes at a time is kept in about its own size (a list of 2-byte
    slices once cost ~21 bytes per byte in the pure twin)."""
    decoder = impl.Decoder()
    stream = memoryview(b"data: " + b"ab" * (32 * KiB))
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    for i in range(0, len(stream), 2):
        assert decoder.feed(stream[i : i + 2]) == []
    peak = tracemalloc.get_traced_memory()[1] - base
    assert peak < 2 * len(stream) + 64 * KiB, f"peak {peak} bytes for a {len(stream)}-byte line"
    assert [len(e.data) for e in decoder.feed(b"\n\n")] == [64 * KiB]


# --- Regressions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "then", "expected"),
    [
        ([b"data: abc\n"], [b"da", b"ta: x\n\n"], ["x"]),  # stale data in the event buffer
        ([b"data: ab"], [b"c\n\ndata: y\n\n"], ["y"]),  # stale partial line
        ([b"data: a\r"], [b"\ndata: b\n\n"], ["b"]),  # stale pending CR
    ],
)
def test_reinit_starts_a_clean_stream(
    impl: ModuleType, first: list[bytes], then: list[bytes], expected: list[str]
) -> None:
    """Calling __init__ again on a used decoder resets it fully (the Cython twin used to keep
    its buffered bytes and decode them into the next event)."""
    decoder = impl.Decoder()
    for chunk in first:
        decoder.feed(chunk)
    decoder.__init__()
    events = [e for chunk in then for e in decoder.feed(chunk)]
    assert [e.data for e in events] == expected
    assert decoder.last_event_id == ""
    assert decoder.retry is None


@pytest.mark.parametrize(
    "chunks",
    [
        [b"data\n", b"\n"],  # the event's data buffer is still empty (never allocated)
        [b"data:", b"\n\n"],
        [b"data: ", b"\r", b"\n\r"],
        [b"da", b"ta\n\n"],
    ],
)
def test_empty_data_across_chunks(impl: ModuleType, chunks: list[bytes]) -> None:
    """An event whose only data line is empty, dispatched in a later chunk: data "". (The
    Cython twin computed NULL + 0 here, undefined behaviour that UBSan reports: make asan.)"""
    decoder = impl.Decoder()
    events = [e for chunk in chunks for e in decoder.feed(chunk)]
    assert [(e.data, e.event) for e in events] == [("", "message")]


# --- No injection --------------------------------------------------------------------------------

# Fragments that try to end a line or a block early, or smuggle a field in.
ATTACKS = [
    "\n",
    "\r",
    "\r\n",
    "\n\n",
    "\r\r",
    "\n\ndata: evil\n\n",
    "\rid: evil\r\r",
    "\u2028",
    "\u0085",
    "\x00",
    "\ufeff",
    ":",
    " ",
    "data:",
    "event: x",
    "\udc80",  # lone surrogate: not encodable
]
fragment = st.one_of(st.sampled_from(ATTACKS), st.text(max_size=4))
attack_text = st.lists(fragment, max_size=6).map("".join)
field = st.one_of(st.none(), attack_text)


def _decode_stream(impl: ModuleType, stream: bytes) -> tuple[list[tuple[Any, ...]], str, Any]:
    decoder = impl.Decoder(max_line_size=None, max_event_size=None)
    events = [*decoder.feed(stream), *decoder.close()]
    return [(e.data, e.event, e.id, e.retry) for e in events], decoder.last_event_id, decoder.retry


@settings(max_examples=300)
@given(
    data=st.one_of(attack_text, attack_text.map(lambda s: s.encode("utf-8", "replace")), st.none()),
    event=field,
    id=field,
    retry=st.one_of(st.none(), st.integers(min_value=-2, max_value=10**30)),
    comment=field,
)
def test_encode_cannot_inject(
    impl: ModuleType, data: Any, event: Any, id: Any, retry: Any, comment: Any
) -> None:
    """Whatever the arguments, encode raises ValueError/TypeError or writes one self-contained
    block: between a block before it and a sentinel after it, exactly the event given decodes
    (nothing more, nothing less), and no state leaks into the sentinel."""
    try:
        block = impl.encode(data, event=event, id=id, retry=retry, comment=comment)
    except (ValueError, TypeError) as exc:
        assert str(exc)
        return
    stream = impl.encode("before", event="b") + block + impl.encode("after")
    events, last_id, last_retry = _decode_stream(impl, stream)
    expected_id = "" if id is None else id
    expected = [("before", "b", "", None)]
    if data is not None:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        expected.append((text, event or "message", expected_id, retry))
    expected.append(("after", "message", expected_id, None))
    assert events == expected
    assert last_id == expected_id
    assert last_retry == retry


@settings(max_examples=100)
@given(
    st.lists(
        st.tuples(attack_text, field, field, st.one_of(st.none(), st.integers(0, 10**6))),
        max_size=5,
    )
)
def test_encode_many_cannot_inject(impl: ModuleType, items: list[tuple[Any, ...]]) -> None:
    """encode_many of valid events decodes back to exactly those events, in order."""
    events = []
    for data, event, id, retry in items:
        try:
            events.append(impl.Event(data, event=event or "message", id=id, retry=retry))
            impl.encode(data, event=event, id=id, retry=retry)
        except (ValueError, TypeError):
            return  # an invalid one: test_encode_cannot_inject covers the error
    decoded, _, _ = _decode_stream(impl, impl.encode_many(events))
    last_id = ""
    expected = []
    for e in events:
        last_id = last_id if e.id is None else e.id
        text = e.data.replace("\r\n", "\n").replace("\r", "\n")
        expected.append((text, e.event, last_id, e.retry))
    assert decoded == expected


# --- Concurrency -------------------------------------------------------------------------------

TOKENS = [b"alpha", b"beta", b"gamma", b"\xe2\x82\xac", b"\xff", b""]
LONG_RETRY = b"1" * 25  # past the C fast path: parse_retry runs Python code, threads can switch
LINE_CHUNKS = [
    b"data: alpha\ndata: beta\n\n",
    b"data: gamma\n\n",
    b"event: e1\ndata: \xe2\x82\xac\n\n",
    b"id: 1\ndata: \xff\n\n",
    b"retry: " + LONG_RETRY + b"\ndata: alpha\n\n",
    b"data: beta\nretry: " + LONG_RETRY + b"\ndata: gamma\n\n",
    b"data: " + b"x" * 5000 + b"\n\n",  # over max_line_size
    b"data:\n",
    b": comment\n",
    b"\n",
]
SPLIT_CHUNKS = [*LINE_CHUNKS, b"data: al", b"pha\n", b"\r", b"\n", b"retry: 12", b"3\r\n\r\n"]


def _hammer(decoder: Any, chunks: list[bytes], threads: int, rounds: int) -> list[Any]:
    """Feed ``chunks`` (rotated per thread, as bytes, bytearray and memoryview) from several
    threads at once into one decoder; return every event; re-raise anything unexpected."""
    events: list[Any] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def worker(k: int) -> None:
        mine: list[Any] = []
        try:
            barrier.wait()
            for r in range(rounds):
                chunk = chunks[(k + r) % len(chunks)]
                arg: Any = (chunk, bytearray(chunk), memoryview(chunk))[r % 3]
                try:
                    mine.extend(decoder.feed(arg))
                except LimitExceeded as exc:
                    mine.extend(exc.events)
                if r % 7 == 0:
                    assert isinstance(decoder.last_event_id, str)
                    assert decoder.retry is None or type(decoder.retry) is int
        except BaseException as exc:
            failures.append(exc)
        events.extend(mine)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    finally:
        sys.setswitchinterval(old)
    if failures:
        raise failures[0]
    return events


def test_threads_hammering_one_decoder(c_impl: ModuleType) -> None:
    """Whole lines fed from 4 threads into one Cython decoder: events may interleave, but every
    data line is one that was sent, no field is torn, and the decoder works normally afterwards.
    A line is processed whole (threads switch only between lines, in the Python code a long
    retry runs; on free-threaded builds the critical sections give the same). The pure twin
    makes no such promise (a switch may fall between two steps of one line), so it only gets
    the tests below."""
    decoder = c_impl.Decoder(max_line_size=4096, max_event_size=8192)
    events = _hammer(decoder, LINE_CHUNKS, threads=4, rounds=3000)
    assert events
    tokens = {t.decode("utf-8", "replace") for t in TOKENS}
    for e in events:
        assert set(e.data.split("\n")) <= tokens, e
        assert e.event in ("message", "e1")
        assert e.id in ("", "1")
        assert e.retry in (None, int(LONG_RETRY))
    decoder.feed(b"\n\n\n")
    assert [(e.data, e.id) for e in decoder.feed(b"id: z\ndata: final\n\n")] == [("final", "z")]


def test_threads_hammering_split_lines(impl: ModuleType) -> None:
    """Chunks that split lines, CRLFs and events, from 4 threads: results may be any mix, but
    nothing raises other than LimitExceeded and the decoder is usable afterwards."""
    decoder = impl.Decoder(max_line_size=4096, max_event_size=8192)
    events = _hammer(decoder, SPLIT_CHUNKS, threads=4, rounds=3000)
    assert all(isinstance(e.data, str) for e in events)
    decoder.feed(b"\n\n\n")
    assert [e.data for e in decoder.feed(b"data: final\n\n")] == ["final"]


def test_close_while_other_threads_feed(impl: ModuleType) -> None:
    """close() racing feed(): feeds after it raise SSEError, nothing else goes wrong."""
    for _ in range(20):
        decoder = impl.Decoder(max_line_size=4096)
        started = threading.Event()
        failures: list[BaseException] = []

        def worker(
            decoder: Any = decoder,
            started: threading.Event = started,
            failures: list[BaseException] = failures,
        ) -> None:
            try:
                for r in range(2000):
                    if r == 50:
                        started.set()
                    with contextlib.suppress(LimitExceeded):
                        decoder.feed(SPLIT_CHUNKS[r % len(SPLIT_CHUNKS)])
            except SSEError:
                return
            except BaseException as exc:
                failures.append(exc)

        pool = [threading.Thread(target=worker) for _ in range(3)]
        for t in pool:
            t.start()
        started.wait(10)
        assert decoder.close() == []
        for t in pool:
            t.join()
        assert not failures, failures
        with pytest.raises(SSEError):
            decoder.feed(b"data: x\n\n")


def test_threads_sharing_the_encoder(impl: ModuleType) -> None:
    """The encoder is stateless: threads encoding shared objects all get the same bytes."""
    events = [
        impl.Event("a\nb" * 50, event="e", id="7", retry=10**40),
        impl.Event("€" * 300),
        impl.Event("", id=""),
    ]
    expected_many = impl.encode_many(events)
    expected_one = impl.encode("x\r\ny" * 100, event="t", comment="c\nd")
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(500):
                assert impl.encode_many(events) == expected_many
                assert impl.encode("x\r\ny" * 100, event="t", comment="c\nd") == expected_one
                assert events[0].encode() + events[1].encode() + events[2].encode() == expected_many
        except BaseException as exc:
            failures.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(4)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not failures, failures
