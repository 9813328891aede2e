"""The Decoder API (limits, close, input types), iter_events/aiter_events and Event values."""

from __future__ import annotations

import asyncio
import copy
import inspect
import pickle
from collections.abc import AsyncIterator, Iterable
from types import ModuleType
from typing import Any

import pytest

from _helpers import as_tuples, chunkings, feed_all
from ssecodec._errors import LimitExceeded, SSEError
from ssecodec._limits import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE


def E(data: str, event: str = "message", id: str = "", retry: int | None = None) -> tuple[Any, ...]:
    return (event, data, id, retry)


# --- construction -----------------------------------------------------------------------------


def test_defaults(impl: ModuleType) -> None:
    assert DEFAULT_MAX_LINE_SIZE == 32 * 1024 * 1024
    assert DEFAULT_MAX_EVENT_SIZE == 64 * 1024 * 1024
    d = impl.Decoder()
    assert d.last_event_id == ""
    assert d.retry is None
    assert d.feed(b"") == []


@pytest.mark.parametrize("name", ["max_line_size", "max_event_size"])
@pytest.mark.parametrize("value", ["1", 1.0, 2.5, True, False, b"1", [1]])
def test_bad_limit_type(impl: ModuleType, name: str, value: object) -> None:
    with pytest.raises(TypeError, match=name):
        impl.Decoder(**{name: value})


@pytest.mark.parametrize("name", ["max_line_size", "max_event_size"])
@pytest.mark.parametrize("value", [0, -1, -(2**70)])
def test_bad_limit_value(impl: ModuleType, name: str, value: int) -> None:
    with pytest.raises(ValueError, match=name):
        impl.Decoder(**{name: value})


def test_options_are_keyword_only(impl: ModuleType) -> None:
    with pytest.raises(TypeError):
        impl.Decoder(10)
    with pytest.raises(TypeError):
        impl.Decoder(max_size=10)


def test_state_is_read_only(impl: ModuleType) -> None:
    d = impl.Decoder()
    with pytest.raises(AttributeError):
        d.last_event_id = "x"
    with pytest.raises(AttributeError):
        d.retry = 5


# --- input types ------------------------------------------------------------------------------

STREAM = b"id: 1\ndata: \xc3\xa9\n\ndata: b\r\n\r\n"
EXPECTED = [E("é", id="1"), E("b", id="1")]


@pytest.mark.parametrize(
    "convert",
    [bytes, bytearray, memoryview, lambda b: memoryview(bytearray(b))],
    ids=["bytes", "bytearray", "memoryview", "memoryview-of-bytearray"],
)
def test_bytes_like_input(impl: ModuleType, convert: Any) -> None:
    for _, chunks in chunkings(STREAM):
        d = impl.Decoder()
        events, errors = feed_all(d, [convert(c) for c in chunks])
        assert (as_tuples(events), errors) == (EXPECTED, [])


def test_non_contiguous_memoryview(impl: ModuleType) -> None:
    padded = bytes(x for byte in STREAM for x in (byte, ord("?")))
    view = memoryview(padded)[::2]
    assert not view.contiguous
    assert as_tuples(impl.Decoder().feed(view)) == EXPECTED
    d = impl.Decoder()
    events, _ = feed_all(d, [view[:7], view[7:16], view[16:]])
    assert as_tuples(events) == EXPECTED


def test_memoryview_slices(impl: ModuleType) -> None:
    view = memoryview(b"xx" + STREAM + b"yy")[2:-2]
    assert as_tuples(impl.Decoder().feed(view)) == EXPECTED


def test_partial_line_is_copied(impl: ModuleType) -> None:
    """The decoder keeps its own copy of an unfinished line: mutating the buffer later is safe."""
    buf = bytearray(b"data: ab")
    d = impl.Decoder()
    assert d.feed(buf) == []
    buf[:] = b"XXXXXXXX"
    assert d.feed(memoryview(buf)[:0]) == []
    assert as_tuples(d.feed(b"c\n\n")) == [E("abc")]


@pytest.mark.parametrize("bad", ["data: x\n\n", "", None, 1, ["data"], object()])
def test_non_bytes_input_rejected(impl: ModuleType, bad: object) -> None:
    d = impl.Decoder()
    with pytest.raises(TypeError):
        d.feed(bad)
    # The decoder is unharmed.
    assert as_tuples(d.feed(b"data: x\n\n")) == [E("x")]


def test_feed_signature_is_introspectable(impl: ModuleType) -> None:
    """``inspect.signature`` reads ``(data, /)`` on both twins, bound or not."""
    params = list(inspect.signature(impl.Decoder().feed).parameters.values())
    assert [(p.name, p.kind) for p in params] == [("data", inspect.Parameter.POSITIONAL_ONLY)]
    params = list(inspect.signature(impl.Decoder.feed).parameters.values())
    assert [p.kind for p in params] == [inspect.Parameter.POSITIONAL_ONLY] * 2


def test_feed_takes_data_positionally_only(impl: ModuleType) -> None:
    """``feed(data, /)``: the compiled twin is called as METH_O, the cheapest call there is."""
    d = impl.Decoder()
    with pytest.raises(TypeError):
        d.feed(data=b"data: x\n\n")
    with pytest.raises(TypeError):
        d.feed()
    with pytest.raises(TypeError):
        d.feed(b"data: x\n\n", b"")
    assert as_tuples(d.feed(b"data: x\n\n")) == [E("x")]


def test_str_rejected_even_midway(impl: ModuleType) -> None:
    d = impl.Decoder()
    assert d.feed(b"data: a") == []
    with pytest.raises(TypeError):
        d.feed("\n\n")
    assert as_tuples(d.feed(b"\n\n")) == [E("a")]


def test_feed_returns_a_new_list(impl: ModuleType) -> None:
    d = impl.Decoder()
    first = d.feed(b"data: a\n\n")
    second = d.feed(b"data: b\n\n")
    assert type(first) is list and type(second) is list
    assert first is not second
    assert as_tuples(first) == [E("a")]


# --- close ------------------------------------------------------------------------------------


def test_close_returns_empty_list_and_is_idempotent(impl: ModuleType) -> None:
    d = impl.Decoder()
    assert d.feed(b"data: a\n\ndata: b\n") == [impl.Event("a", id="")]
    assert d.close() == []
    assert d.close() == []
    assert type(d.close()) is list


@pytest.mark.parametrize(
    "tail", [b"", b"data: x", b"data: x\n", b"data: x\r", b"\xef\xbb", b"\xe2"]
)
def test_close_always_empty(impl: ModuleType, tail: bytes) -> None:
    d = impl.Decoder()
    d.feed(tail)
    assert d.close() == []


def test_feed_after_close(impl: ModuleType) -> None:
    d = impl.Decoder()
    d.feed(b"id: 3\n\nretry: 9\n")
    d.close()
    for chunk in [b"data: x\n\n", b""]:
        with pytest.raises(SSEError) as info:
            d.feed(chunk)
        assert not isinstance(info.value, LimitExceeded)
    assert (d.last_event_id, d.retry) == ("3", 9)
    assert d.close() == []


# --- limits -----------------------------------------------------------------------------------


def check_limit_error(exc: LimitExceeded, name: str, limit: int, size: int) -> None:
    assert type(exc) is LimitExceeded
    assert isinstance(exc, SSEError) and isinstance(exc, ValueError)
    assert (exc.limit_name, exc.limit, exc.size) == (name, limit, size)
    assert name in str(exc)
    assert str(limit) in str(exc) and str(size) in str(exc)


def test_line_limit_boundary(impl: ModuleType) -> None:
    """A line of exactly max_line_size bytes (terminator excluded) is accepted."""
    d = impl.Decoder(max_line_size=10)
    assert as_tuples(d.feed(b"data: 1234\r\n\r\n")) == [E("1234")]
    with pytest.raises(LimitExceeded) as info:
        d.feed(b"data: 12345\r\n\r\n")
    check_limit_error(info.value, "max_line_size", 10, 11)
    assert info.value.events == []


def test_line_limit_counts_after_bom_removal(impl: ModuleType) -> None:
    d = impl.Decoder(max_line_size=7)
    assert as_tuples(d.feed(b"\xef\xbb\xbfdata: x\n\n")) == [E("x")]


def test_line_limit_resync_and_events_around(impl: ModuleType) -> None:
    """The oversized event is dropped, lines up to the next blank line are skipped, the rest
    of the chunk is decoded, then LimitExceeded carries every event of the chunk."""
    d = impl.Decoder(max_line_size=10)
    stream = (
        b"data: a\n\n"
        b"id: 7\nretry: 5\ndata: b\ndata: 0123456789\nid: 8\nretry: 6\ndata: c\nevent: e\n\n"
        b"data: d\n\n"
    )
    with pytest.raises(LimitExceeded) as info:
        d.feed(stream)
    check_limit_error(info.value, "max_line_size", 10, 16)
    assert all(type(e) is impl.Event for e in info.value.events)
    # id 7 and retry 5 were processed before the oversized line (R8); id 8, retry 6 skipped.
    assert as_tuples(info.value.events) == [E("a"), E("d", id="7")]
    assert (d.last_event_id, d.retry) == ("7", 5)
    assert as_tuples(d.feed(b"data: e\n\n")) == [E("e", id="7")]


def test_only_first_violation_of_a_chunk_is_reported(impl: ModuleType) -> None:
    d = impl.Decoder(max_line_size=10)
    stream = b"data: 0123456789A\n\ndata: ok\n\ndata: 0123456789BCD\n\ndata: ok2\n\n"
    with pytest.raises(LimitExceeded) as info:
        d.feed(stream)
    check_limit_error(info.value, "max_line_size", 10, 17)
    assert as_tuples(info.value.events) == [E("ok"), E("ok2")]


def test_violation_in_each_chunk_is_reported(impl: ModuleType) -> None:
    d = impl.Decoder(max_line_size=10)
    with pytest.raises(LimitExceeded):
        d.feed(b"data: 0123456789A\n\n")
    with pytest.raises(LimitExceeded):
        d.feed(b"data: 0123456789A\n\n")
    assert as_tuples(d.feed(b"data: ok\n\n")) == [E("ok")]


def test_oversized_comment_and_unknown_lines_count(impl: ModuleType) -> None:
    """The line limit applies to every line, comments included."""
    for line in [b": 0123456789", b"foo: 012345"]:
        d = impl.Decoder(max_line_size=10)
        with pytest.raises(LimitExceeded) as info:
            d.feed(b"data: a\n" + line + b"\ndata: b\n\ndata: c\n\n")
        check_limit_error(info.value, "max_line_size", 10, len(line))
        assert as_tuples(info.value.events) == [E("c")]


def test_line_still_arriving_raises_early(impl: ModuleType) -> None:
    """A line raises in the feed call where its bytes so far exceed the limit; its remaining
    bytes are skipped without a second error."""
    d = impl.Decoder(max_line_size=10)
    assert as_tuples(d.feed(b"data: x\n\ndata: 0123")) == [E("x")]
    with pytest.raises(LimitExceeded) as info:
        d.feed(b"45")
    check_limit_error(info.value, "max_line_size", 10, 12)
    assert info.value.events == []
    assert d.feed(b"6789" * 100) == []
    assert d.feed(b"\ndata: s\n") == []
    assert d.feed(b"\n") == []
    assert as_tuples(d.feed(b"data: ok\n\n")) == [E("ok")]


def test_line_still_arriving_with_events_before(impl: ModuleType) -> None:
    d = impl.Decoder(max_line_size=10)
    with pytest.raises(LimitExceeded) as info:
        d.feed(b"data: a\n\ndata: b\n\ndata: 0123456")
    check_limit_error(info.value, "max_line_size", 10, 13)
    assert as_tuples(info.value.events) == [E("a"), E("b")]
    assert d.feed(b"789\n\n") == []
    assert as_tuples(d.feed(b"data: c\n\n")) == [E("c")]


def test_event_limit_boundary(impl: ModuleType) -> None:
    """Event size is the sum of len(value) + 1 over data lines."""
    d = impl.Decoder(max_event_size=10)
    assert as_tuples(d.feed(b"data: 123456789\n\n")) == [E("123456789")]
    assert as_tuples(d.feed(b"data: 1234\ndata: 1234\n\n")) == [E("1234\n1234")]
    assert as_tuples(d.feed(b"data\n" * 10 + b"\n")) == [E("\n" * 9)]
    with pytest.raises(LimitExceeded) as info:
        d.feed(b"data: 1234\ndata: 12345\n\n")
    check_limit_error(info.value, "max_event_size", 10, 11)
    with pytest.raises(LimitExceeded) as info:
        d.feed(b"data\n" * 11 + b"\n")
    check_limit_error(info.value, "max_event_size", 10, 11)


def test_event_limit_counts_values_not_lines(impl: ModuleType) -> None:
    """Field names, the space after the colon and other fields do not count."""
    d = impl.Decoder(max_event_size=4)
    stream = b"event: a-long-type\nid: a-long-id\ndata:  ab\n: comment\n\n"
    assert as_tuples(d.feed(stream)) == [E(" ab", event="a-long-type", id="a-long-id")]


def test_event_limit_resync_and_events_around(impl: ModuleType) -> None:
    d = impl.Decoder(max_event_size=4)
    stream = b"data: 1\n\ndata: abc\ndata: d\nid: 9\nevent: x\ndata: e\n\ndata: f\n\n"
    with pytest.raises(LimitExceeded) as info:
        d.feed(stream)
    check_limit_error(info.value, "max_event_size", 4, 6)
    assert as_tuples(info.value.events) == [E("1"), E("f")]
    assert d.last_event_id == ""
    assert as_tuples(d.feed(b"data: abc\n\n")) == [E("abc")]


def test_both_limits_first_reported(impl: ModuleType) -> None:
    d = impl.Decoder(max_line_size=10, max_event_size=5)
    with pytest.raises(LimitExceeded) as info:
        d.feed(b"data: 12\ndata: 34\n\ndata: 0123456789\n\ndata: x\n\n")
    check_limit_error(info.value, "max_event_size", 5, 6)
    assert as_tuples(info.value.events) == [E("x")]


STREAM_WITH_VIOLATIONS = (
    b"id: 1\ndata: a\n\n"
    b"data: b\ndata: 0123456789xyz\ndata: c\n\n"
    b"data: d\r\n\r\n"
    b"data: 1234567\n\n"
    b"data: e\r\r"
)


@pytest.mark.parametrize("limits", [{"max_line_size": 10}, {"max_event_size": 10}])
def test_limits_with_chunked_input(impl: ModuleType, limits: dict[str, int]) -> None:
    """Whatever the chunking, the same events come out (from feed or from exc.events)."""
    expected = [E("a", id="1"), E("d", id="1"), E("e", id="1")]
    if "max_event_size" in limits:
        expected.insert(2, E("1234567", id="1"))
    for label, chunks in chunkings(STREAM_WITH_VIOLATIONS):
        d = impl.Decoder(**limits)
        events, errors = feed_all(d, chunks)
        assert as_tuples(events) == expected, label
        assert 1 <= len(errors) <= 2, label
        for exc in errors:
            assert exc.limit_name == next(iter(limits)) and exc.limit == 10
            assert exc.size > 10
        assert (d.last_event_id, d.retry) == ("1", None)


def test_line_limit_bytewise_sizes(impl: ModuleType) -> None:
    """Fed byte by byte, an oversized line is reported once, at limit + 1 bytes."""
    d = impl.Decoder(max_line_size=10)
    events, errors = feed_all(
        d, [bytes([b]) for b in b"data: a\n\ndata: 0123456789xyz\n\ndata: b\n\n"]
    )
    assert as_tuples(events) == [E("a"), E("b")]
    assert [(e.limit_name, e.limit, e.size, e.events) for e in errors] == [
        ("max_line_size", 10, 11, [])
    ]


def test_none_disables_limits(impl: ModuleType) -> None:
    big = b"data: " + b"x" * (DEFAULT_MAX_LINE_SIZE + 1) + b"\n\n"
    with pytest.raises(LimitExceeded) as info:
        impl.Decoder().feed(big)
    check_limit_error(info.value, "max_line_size", DEFAULT_MAX_LINE_SIZE, len(big) - 2)
    events = impl.Decoder(max_line_size=None).feed(big)
    assert len(events) == 1 and len(events[0].data) == DEFAULT_MAX_LINE_SIZE + 1
    del events, big
    huge = b"data: " + b"x" * DEFAULT_MAX_EVENT_SIZE + b"\n\n"
    with pytest.raises(LimitExceeded) as info:
        impl.Decoder(max_line_size=None).feed(huge)
    check_limit_error(
        info.value, "max_event_size", DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_EVENT_SIZE + 1
    )
    events = impl.Decoder(max_line_size=None, max_event_size=None).feed(huge)
    assert len(events) == 1 and len(events[0].data) == DEFAULT_MAX_EVENT_SIZE


def test_limit_exceeded_pickles(impl: ModuleType) -> None:
    with pytest.raises(LimitExceeded) as info:
        impl.Decoder(max_line_size=4).feed(b"data: a\n\ndata\n\n")
    exc = pickle.loads(pickle.dumps(info.value))
    assert type(exc) is LimitExceeded
    assert (str(exc), exc.limit_name, exc.limit, exc.size) == (
        str(info.value),
        "max_line_size",
        4,
        7,
    )
    assert exc.events == [impl.Event("", id="")]


# --- iter_events / aiter_events ---------------------------------------------------------------


def test_iter_events(impl: ModuleType) -> None:
    chunks = [b"\xef\xbb", b"\xbfdata: a\r", b"\n\r\nid: 1\ndata: \xc3", b"\xa9\n\ndata: tail\n"]
    events = list(impl.iter_events(iter(chunks)))
    assert all(type(e) is impl.Event for e in events)
    assert as_tuples(events) == [E("a"), E("é", id="1")]
    assert list(impl.iter_events([])) == []
    assert as_tuples(impl.iter_events([bytearray(b"data: x\n"), memoryview(b"\n")])) == [E("x")]


def test_iter_events_is_lazy(impl: ModuleType) -> None:
    seen = []

    def chunks() -> Any:
        for c in [b"data: a\n\n", b"data: b\n\n"]:
            seen.append(c)
            yield c

    it = impl.iter_events(chunks())
    assert as_tuples([next(it)]) == [E("a")]
    assert len(seen) == 1


LIMIT_CHUNKS = [b"data: a\n\n", b"data: b\n\ndata: 0123456789\n\ndata: c\n\n", b"data: d\n\n"]


def test_iter_events_limit(impl: ModuleType) -> None:
    """The failing chunk's events are yielded, then LimitExceeded is raised."""
    out = []
    with pytest.raises(LimitExceeded) as info:
        for event in impl.iter_events(LIMIT_CHUNKS, max_line_size=8):
            out.append(event)
    assert as_tuples(out) == [E("a"), E("b"), E("c")]
    check_limit_error(info.value, "max_line_size", 8, 16)


def test_iter_events_options(impl: ModuleType) -> None:
    with pytest.raises(TypeError):
        list(impl.iter_events([b""], max_line_size="big"))
    with pytest.raises(TypeError):
        list(impl.iter_events([b""], bogus=1))
    assert as_tuples(impl.iter_events([b"data: " + b"x" * 20 + b"\n\n"], max_line_size=None)) == [
        E("x" * 20)
    ]


async def agen(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        await asyncio.sleep(0)
        yield chunk


def test_aiter_events(impl: ModuleType) -> None:
    async def main() -> list[Any]:
        chunks = [b"\xef", b"\xbb\xbfdata: a\r", b"\n\r\nid: 1\ndata: \xc3", b"\xa9\n\ndata: z\n"]
        return [e async for e in impl.aiter_events(agen(chunks))]

    events = asyncio.run(main())
    assert all(type(e) is impl.Event for e in events)
    assert as_tuples(events) == [E("a"), E("é", id="1")]


def test_aiter_events_limit(impl: ModuleType) -> None:
    async def main() -> tuple[list[Any], BaseException | None]:
        out = []
        try:
            async for event in impl.aiter_events(agen(LIMIT_CHUNKS), max_line_size=8):
                out.append(event)
        except LimitExceeded as exc:
            return out, exc
        return out, None

    out, exc = asyncio.run(main())
    assert as_tuples(out) == [E("a"), E("b"), E("c")]
    assert isinstance(exc, LimitExceeded)
    check_limit_error(exc, "max_line_size", 8, 16)


# --- Event values -----------------------------------------------------------------------------


def test_event_defaults_and_fields(impl: ModuleType) -> None:
    e = impl.Event()
    assert (e.data, e.event, e.id, e.retry) == ("", "message", None, None)
    e = impl.Event("d", event="t", id="i", retry=5)
    assert (e.data, e.event, e.id, e.retry) == ("d", "t", "i", 5)
    e = impl.Event(data="d", retry=2**100)
    assert e.retry == 2**100


def test_event_keyword_only(impl: ModuleType) -> None:
    with pytest.raises(TypeError):
        impl.Event("d", "t")
    with pytest.raises(TypeError):
        impl.Event(bogus=1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": b"x"},
        {"data": None},
        {"data": 1},
        {"event": None},
        {"event": b"e"},
        {"id": 1},
        {"id": b"i"},
        {"retry": "5"},
        {"retry": 5.0},
        {"retry": True},
        {"retry": False},
    ],
)
def test_event_type_checks(impl: ModuleType, kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        impl.Event(**kwargs)


def test_event_is_immutable(impl: ModuleType) -> None:
    e = impl.Event("d", event="t", id="i", retry=1)
    for name in ["data", "event", "id", "retry", "other"]:
        with pytest.raises(AttributeError):
            setattr(e, name, "x")
    with pytest.raises(AttributeError):
        del e.data
    assert (e.data, e.event, e.id, e.retry) == ("d", "t", "i", 1)


def test_event_cannot_be_subclassed(impl: ModuleType) -> None:
    with pytest.raises(TypeError):

        class Sub(impl.Event):  # type: ignore[misc, name-defined]
            pass


def test_event_equality_and_hash(impl: ModuleType) -> None:
    a = impl.Event("d", event="t", id="i", retry=1)
    b = impl.Event("d", event="t", id="i", retry=1)
    assert (a == b) is True and (a != b) is False
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    for other in [
        impl.Event("D", event="t", id="i", retry=1),
        impl.Event("d", event="T", id="i", retry=1),
        impl.Event("d", event="t", id="I", retry=1),
        impl.Event("d", event="t", id=None, retry=1),
        impl.Event("d", event="t", id="i", retry=2),
        impl.Event("d", event="t", id="i"),
    ]:
        assert (a != other) is True and (a == other) is False
    assert a != ("t", "d", "i", 1)
    assert a != "d"
    assert impl.Event() != None  # noqa: E711
    assert impl.Event(id="") != impl.Event()


def test_decoded_event_equals_constructed(impl: ModuleType) -> None:
    (e,) = impl.Decoder().feed(b"event: t\nid: i\nretry: 1\ndata: d\n\n")
    assert e == impl.Event("d", event="t", id="i", retry=1)
    assert hash(e) == hash(impl.Event("d", event="t", id="i", retry=1))


def test_event_repr(impl: ModuleType) -> None:
    e = impl.Event("a'\n\x00", event="t", id="", retry=3)
    text = repr(e)
    assert text.startswith("Event(")
    for value in ["a'\n\x00", "t", "", 3]:
        assert repr(value) in text
    assert eval(text, {"Event": impl.Event}) == e
    assert eval(repr(impl.Event()), {"Event": impl.Event}) == impl.Event()


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_event_pickle(impl: ModuleType, protocol: int) -> None:
    decoded = impl.Decoder().feed(
        b"event: t\nid: \xc3\xa9\nretry: 99999999999999999999\ndata: d\n\n"
    )
    for e in [impl.Event(), impl.Event("d\n\x00", event="t", id="", retry=0), *decoded]:
        clone = pickle.loads(pickle.dumps(e, protocol=protocol))
        assert type(clone) is impl.Event
        assert clone == e
        assert (clone.data, clone.event, clone.id, clone.retry) == (e.data, e.event, e.id, e.retry)


def test_event_copy(impl: ModuleType) -> None:
    e = impl.Event("d", event="t", id="i", retry=1)
    assert copy.copy(e) == e
    assert copy.deepcopy(e) == e


def test_event_json(impl: ModuleType) -> None:
    assert impl.Event('{"a": [1, 2.5, null, "\\u00e9"]}').json() == {"a": [1, 2.5, None, "é"]}
    assert impl.Event("3").json() == 3
    with pytest.raises(ValueError):
        impl.Event("not json").json()
    with pytest.raises(ValueError):
        impl.Event("").json()


def test_event_encode(impl: ModuleType) -> None:
    assert impl.Event("x").encode() == b"data: x\n\n"
    assert impl.Event("x", event="message").encode() == b"data: x\n\n"
    assert impl.Event("x", event="").encode() == b"data: x\n\n"
    assert (
        impl.Event("a\nb", event="t", id="1", retry=5).encode()
        == b"event: t\nid: 1\nretry: 5\ndata: a\ndata: b\n\n"
    )
    assert impl.Event(id="").encode() == b"id: \ndata: \n\n"
    with pytest.raises(ValueError, match="id"):
        impl.Event("x", id="a\nb").encode()


def test_event_and_state_types_are_exact(impl: ModuleType) -> None:
    d = impl.Decoder()
    (e,) = d.feed(b"retry: 12\nid: 3\ndata: x\n\n")
    assert type(e.data) is str and type(e.event) is str and type(e.id) is str
    assert type(e.retry) is int and type(d.retry) is int and type(d.last_event_id) is str
