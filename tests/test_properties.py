"""Property tests (hypothesis), on both twins: DESIGN.md section 3, properties 2 and 4, and the
encoder's contract for arbitrary arguments."""

from __future__ import annotations

import itertools
from types import ModuleType
from typing import Any, Literal

from hypothesis import given, settings
from hypothesis import strategies as st

from _helpers import as_tuples, feed_all
from _strategies import value
from ssecodec._numbers import MAX_RETRY_DIGITS

# --- SSE-shaped streams -----------------------------------------------------------------------

NAMES = [
    b"data",
    b"data",
    b"data",
    b"event",
    b"id",
    b"retry",
    b"Data",
    b" data",
    b"data ",
    b"foo",
    b"i\x00d",
    b"\xef\xbb\xbfdata",
    b"dat\xffa",
]
SEPARATORS = [b":", b": ", b": ", b":  ", b""]  # b"": no colon (R12)


@st.composite
def field_line(draw: st.DrawFn) -> bytes:
    name = draw(st.sampled_from(NAMES))
    sep = draw(st.sampled_from(SEPARATORS))
    return name + sep + draw(value) if sep else name


long_retry = st.sampled_from([19, 20, 21, 310, 4301]).map(lambda n: b"retry: " + b"9" * n)
data_line = st.tuples(st.sampled_from([b"data:", b"data: ", b"data"]), value).map(
    lambda t: t[0] + t[1] if t[0] != b"data" else t[0]
)
line = st.one_of(
    data_line,
    data_line,
    field_line(),
    field_line(),
    value.map(lambda v: b":" + v),  # comment
    st.just(b""),  # blank: dispatch
    st.just(b""),
    st.one_of(long_retry, *[st.just(b"")] * 4),  # rare long retry, else blank
)
terminator = st.sampled_from([b"\n", b"\r", b"\r\n"])
prefix = st.sampled_from(
    [b"", b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\xef\xbb", b"\xef"]
)
tail = st.sampled_from([b"", b"", b"data: tail", b"\r", b"\n", b"\xe2\x82", b"retry: 1"])


@st.composite
def sse_streams(draw: st.DrawFn) -> bytes:
    """Blocks of random lines, most ending in a blank line, with random line terminators."""
    out = [draw(prefix)]
    for _ in range(draw(st.integers(0, 6))):
        lines = draw(st.lists(line, max_size=5))
        if draw(st.integers(0, 3)):
            lines.append(b"")
        out.extend(x + draw(terminator) for x in lines)
    out.append(draw(tail))
    return b"".join(out)


@st.composite
def chunkings(draw: st.DrawFn, stream: bytes) -> list[bytes]:
    """Random chunks: byte by byte (for short streams), or random cut points (duplicates
    give empty chunks)."""
    if len(stream) <= 2000 and draw(st.integers(0, 4)) == 0:
        return [stream[i : i + 1] for i in range(len(stream))]
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    bounds = [0, *cuts, len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(bounds)]


limits: st.SearchStrategy[dict[str, int]] = st.one_of(
    st.just({}),
    st.builds(dict, max_line_size=st.integers(1, 40)),
    st.builds(dict, max_event_size=st.integers(1, 40)),
    st.builds(dict, max_line_size=st.integers(1, 40), max_event_size=st.integers(1, 40)),
)


def feed_collecting(
    impl: ModuleType, chunks: list[bytes], options: dict[str, Any]
) -> tuple[list[tuple[str, str, str | None, int | None]], str, int | None, list[str]]:
    """Events (as tuples), last_event_id, retry and the limits exceeded, in order."""
    decoder = impl.Decoder(**options)
    events, errors = feed_all(decoder, chunks)
    return as_tuples(events), decoder.last_event_id, decoder.retry, [e.limit_name for e in errors]


@settings(max_examples=300)
@given(stream=sse_streams(), options=limits, data=st.data())
def test_chunking_invariance(
    impl: ModuleType, stream: bytes, options: dict[str, Any], data: st.DataObject
) -> None:
    """Property 2: any chunking gives the events and final state of feeding the stream whole.
    With limits, the same events survive and the first violation is the same."""
    chunks = data.draw(chunkings(stream))
    assert b"".join(chunks) == stream
    whole = feed_collecting(impl, [stream], options)
    split = feed_collecting(impl, chunks, options)
    assert split[:3] == whole[:3]
    assert len(whole[3]) <= 1
    assert split[3][:1] == whole[3]


@settings(max_examples=100)
@given(stream=st.binary(max_size=200), data=st.data())
def test_chunking_invariance_random_bytes(
    impl: ModuleType, stream: bytes, data: st.DataObject
) -> None:
    chunks = data.draw(chunkings(stream))
    assert feed_collecting(impl, chunks, {}) == feed_collecting(impl, [stream], {})


# --- round trip -------------------------------------------------------------------------------


SURROGATES: tuple[Literal["Cs"]] = ("Cs",)


def chars(exclude: str) -> st.SearchStrategy[str]:
    return st.characters(exclude_categories=SURROGATES, exclude_characters=exclude)


SPECIAL_TEXT = ["", " ", ":", "\x00", "\ufeff", "\u2028", "\x85", "é", "😀", "data: x", "\n"]


def texts(exclude: str, min_size: int = 0) -> st.SearchStrategy[str]:
    special = [s for s in SPECIAL_TEXT if not set(s) & set(exclude)]
    pieces = st.one_of(st.text(chars(exclude), max_size=6), st.sampled_from(special))
    return st.lists(pieces, max_size=5).map("".join).filter(lambda s: len(s) >= min_size)


retries = st.one_of(
    st.none(),
    st.integers(0, 2**70),
    st.sampled_from([0, 2**64, 10**5000 + 1]),
)


@st.composite
def valid_events(draw: st.DrawFn, impl: ModuleType) -> Any:
    return impl.Event(
        draw(texts("\r")),
        event=draw(texts("\r\n", min_size=1)),
        id=draw(st.none() | texts("\r\n\x00")),
        retry=draw(retries),
    )


@settings(max_examples=150)
@given(data=st.data())
def test_round_trip(impl: ModuleType, data: st.DataObject) -> None:
    """Property 4: decoding encode_many(events) gives the events back, the id being the
    running last event ID."""
    events = data.draw(st.lists(valid_events(impl), max_size=6))
    stream = impl.encode_many(events)
    assert stream == b"".join(e.encode() for e in events)
    expected = []
    last_event_id = ""
    last_retry = None
    for e in events:
        if e.id is not None:
            last_event_id = e.id
        if e.retry is not None:
            last_retry = e.retry
        expected.append(impl.Event(e.data, event=e.event, id=last_event_id, retry=e.retry))
    decoder = impl.Decoder(max_line_size=None, max_event_size=None)
    decoded = decoder.feed(stream) + decoder.close()
    assert decoded == expected
    assert (decoder.last_event_id, decoder.retry) == (last_event_id, last_retry)
    # And in random chunks.
    chunks = data.draw(chunkings(stream))
    assert feed_collecting(impl, chunks, {})[:3] == (as_tuples(expected), last_event_id, last_retry)


# --- encode with arbitrary arguments ----------------------------------------------------------

ANY_TEXT_PIECES = [*SPECIAL_TEXT, "\r", "\r\n", "\ud800", "\udfff", "\ud83d\ude00"]
any_text = st.lists(
    st.one_of(st.text(max_size=4), st.sampled_from(ANY_TEXT_PIECES)), max_size=4
).map("".join)
any_bytes = st.one_of(
    st.binary(max_size=10),
    any_text.map(lambda s: s.encode("utf-8", "replace")),
    any_text.map(lambda s: s.encode("utf-8", "replace")),
)
other = st.sampled_from([0, 1.5, [], object(), True])
any_retry = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([-1, 0, 10**5000, True, False, 1.0, "5"]),
    # At and over the cap: rare, since converting 100,000 digits is slow.
    st.one_of(st.sampled_from([10**MAX_RETRY_DIGITS - 1, 10**MAX_RETRY_DIGITS]), *[st.none()] * 9),
)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def expected_error(field: str, value: object) -> type[Exception] | None:
    """The error ``encode`` must raise for this one argument, or None when it is fine."""
    if value is None:
        return None
    if field == "retry":
        if isinstance(value, bool) or not isinstance(value, int):
            return TypeError
        return ValueError if value < 0 or value >= 10**MAX_RETRY_DIGITS else None
    if field == "data" and isinstance(value, bytes):
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            return ValueError
        return None
    if not isinstance(value, str):
        return TypeError
    if not _encodable(value):
        return ValueError
    if field in ("event", "id") and ("\r" in value or "\n" in value):
        return ValueError
    if field == "id" and "\x00" in value:
        return ValueError
    return None


@settings(max_examples=400)
@given(
    data=st.one_of(st.none(), any_text, any_text, any_bytes, any_bytes, other),
    event=st.one_of(st.none(), any_text, any_bytes, other),
    id=st.one_of(st.none(), any_text, any_bytes, other),
    retry=any_retry,
    comment=st.one_of(st.none(), any_text, any_bytes, other),
    split=st.data(),
)
def test_encode_any_arguments(
    impl: ModuleType, data: Any, event: Any, id: Any, retry: Any, comment: Any, split: st.DataObject
) -> None:
    """encode raises ValueError/TypeError exactly when an argument is invalid (the one the
    message names, when only one is); otherwise its bytes decode to the one event described
    (none when data is None), with last_event_id and retry as given."""
    args = {"data": data, "event": event, "id": id, "retry": retry, "comment": comment}
    errors = {name: err for name, value in args.items() if (err := expected_error(name, value))}
    try:
        out = impl.encode(data, event=event, id=id, retry=retry, comment=comment)
    except (ValueError, TypeError) as exc:
        assert errors, f"unexpected {exc!r}"
        if len(errors) == 1:
            ((name, err),) = errors.items()
            assert type(exc) is err
            assert name in str(exc)
        return
    assert not errors, f"expected {errors}"
    assert type(out) is bytes
    if data is None:
        expected = []
    else:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        expected = [(event or "message", text, id or "", retry)]
    chunks = split.draw(chunkings(out))
    for parts in ([out], chunks):
        assert feed_collecting(impl, parts, {}) == (expected, id or "", retry, [])
