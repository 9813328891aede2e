"""Twin equality (DESIGN.md section 3, property 3): the Cython and the pure-Python twins give
identical events, state and errors for every input, and identical encoder output.

Needs the compiled twin (the ``c_impl`` fixture). The number of examples per test comes from
``SSECODEC_DIFF_EXAMPLES`` (default 300; ``make fuzz-diff`` runs far more).
"""

from __future__ import annotations

import enum
import itertools
import os
from collections.abc import Callable
from types import ModuleType
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from _helpers import Flags, ImpostorInt, ImpostorStr, LyingInt, LyingStr, as_tuples
from _strategies import value
from ssecodec._errors import LimitExceeded
from ssecodec._numbers import MAX_RETRY_DIGITS

EXAMPLES = settings(max_examples=int(os.environ.get("SSECODEC_DIFF_EXAMPLES", "300")))


# --- what a run looks like, in twin-independent terms -----------------------------------------


def describe_events(events: Any) -> list[tuple[Any, ...]]:
    """Events as values plus their exact types and repr, comparable across twins."""
    assert type(events) is list
    pairs = zip(as_tuples(events), events, strict=True)
    return [(t, tuple(type(v) for v in t), repr(e)) for t, e in pairs]


def describe_error(exc: BaseException) -> tuple[Any, ...]:
    out: tuple[Any, ...] = (type(exc), str(exc))
    if isinstance(exc, LimitExceeded):
        out += (exc.limit_name, exc.limit, exc.size, describe_events(exc.events))
    return out


def call(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
    try:
        return ("ok", fn(*args, **kwargs))
    except Exception as exc:  # every exception must match between twins
        return ("raised", *describe_error(exc))


def run_decoder(impl: ModuleType, chunks: list[Any], options: dict[str, Any]) -> list[Any]:
    """Every observable step of decoding ``chunks``: each feed's events or error, the state
    after it, close(), and a feed after close()."""
    made = call(impl.Decoder, **options)
    if made[0] != "ok":
        return [made]
    decoder = made[1]
    trace: list[Any] = []
    for chunk in chunks:
        trace.append(call(lambda c: describe_events(decoder.feed(c)), chunk))
        trace.append((decoder.last_event_id, type(decoder.last_event_id), decoder.retry))
    trace.append(call(lambda: describe_events(decoder.close())))
    trace.append((decoder.last_event_id, decoder.retry))
    trace.append(call(lambda: describe_events(decoder.feed(b"data: x\n\n"))))
    trace.append(call(lambda: describe_events(decoder.close())))
    return trace


# --- inputs -----------------------------------------------------------------------------------

NAMES = [b"data", b"data", b"event", b"id", b"retry", b"Data", b" data", b"data ", b"x", b"\x00"]
long_retry = st.sampled_from(
    [
        b"retry: " + b"9" * 20,
        b"retry: " + b"1" + b"0" * 4300,
        b"retry: " + b"7" * 10_000,
        b"retry: " + b"0" * 5000 + b"12",
    ]
)
# At and over the cap: rare, since converting 100,000 digits is slow.
cap_retry = st.sampled_from(
    [b"retry: " + b"8" * MAX_RETRY_DIGITS, b"retry: " + b"1" + b"0" * MAX_RETRY_DIGITS]
)
huge_retry = st.one_of(
    long_retry, long_retry, cap_retry, *[st.just(b"retry: 12345678901234567890")] * 17
)


@st.composite
def field_line(draw: st.DrawFn) -> bytes:
    name = draw(st.sampled_from(NAMES))
    sep = draw(st.sampled_from([b":", b": ", b": ", b":  ", b""]))
    return name + sep + draw(value) if sep else name


line = st.one_of(
    field_line(),
    field_line(),
    field_line(),
    value.map(lambda v: b":" + v),
    st.just(b""),
    st.just(b""),
    st.one_of(huge_retry, *[st.just(b"")] * 9),
)


@st.composite
def sse_streams(draw: st.DrawFn) -> bytes:
    out = [
        draw(st.sampled_from([b"", b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\xef\xbb"]))
    ]
    for _ in range(draw(st.integers(0, 6))):
        lines = draw(st.lists(line, max_size=5))
        if draw(st.integers(0, 3)):
            lines.append(b"")
        out.extend(x + draw(st.sampled_from([b"\n", b"\r", b"\r\n"])) for x in lines)
    out.append(draw(st.sampled_from([b"", b"", b"data: tail", b"\r", b"\xe2\x82", b"retry: 5"])))
    return b"".join(out)


streams = st.one_of(st.binary(max_size=300), sse_streams(), sse_streams())

decoder_options: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.just({}),
    st.fixed_dictionaries(
        {},
        optional={
            "max_line_size": st.one_of(st.none(), st.integers(1, 64)),
            "max_event_size": st.one_of(st.none(), st.integers(1, 64)),
        },
    ),
    st.fixed_dictionaries(
        {},
        optional={
            "max_line_size": st.sampled_from([0, -1, True, 1.5, "8", 2**64]),
            "max_event_size": st.sampled_from([0, None, False, 8]),
        },
    ),
)


def non_contiguous(chunk: bytes) -> memoryview:
    return memoryview(bytes(x for b in chunk for x in (b, 0x3F)))[::2]


CONVERSIONS: list[Callable[[bytes], Any]] = [
    bytes,
    bytes,
    bytes,
    bytearray,
    memoryview,
    non_contiguous,
]


@st.composite
def chunkings(draw: st.DrawFn, stream: bytes) -> list[Any]:
    if len(stream) <= 2000 and draw(st.integers(0, 4)) == 0:
        chunks = [stream[i : i + 1] for i in range(len(stream))]
    else:
        cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=12)))
        bounds = [0, *cuts, len(stream)]
        chunks = [stream[a:b] for a, b in itertools.pairwise(bounds)]
    out: list[Any] = [draw(st.sampled_from(CONVERSIONS))(c) for c in chunks]
    if draw(st.integers(0, 19)) == 0:  # an invalid chunk somewhere
        bad = draw(st.sampled_from(["data: x\n\n", None, 7, [b"x"]]))
        out.insert(draw(st.integers(0, len(out))), bad)
    return out


# --- the decoder ------------------------------------------------------------------------------


@EXAMPLES
@given(stream=streams, options=decoder_options, data=st.data())
def test_decoder_twins_agree(
    c_impl: ModuleType,
    py_impl: ModuleType,
    stream: bytes,
    options: dict[str, Any],
    data: st.DataObject,
) -> None:
    chunks = data.draw(chunkings(stream))
    assert run_decoder(c_impl, chunks, options) == run_decoder(py_impl, chunks, options)


@EXAMPLES
@given(stream=streams, options=decoder_options)
def test_decoder_twins_agree_whole(
    c_impl: ModuleType, py_impl: ModuleType, stream: bytes, options: dict[str, Any]
) -> None:
    assert run_decoder(c_impl, [stream], options) == run_decoder(py_impl, [stream], options)


@EXAMPLES
@given(
    chunks=st.lists(
        st.sampled_from([b"data: ", b"x" * 30, b"\n", b"\r", b"\r\n", b":", b"id: 1"]), max_size=30
    ),
    limit=st.integers(1, 50),
)
def test_decoder_twins_agree_on_long_lines(
    c_impl: ModuleType, py_impl: ModuleType, chunks: list[bytes], limit: int
) -> None:
    """Lines growing over several chunks past small limits."""
    for options in ({"max_line_size": limit}, {"max_event_size": limit}):
        assert run_decoder(c_impl, chunks, options) == run_decoder(py_impl, chunks, options)


# Long data lines (hundreds to thousands of bytes) cut by chunk ends, including socket-sized
# reads: the unfinished line is carried over, possibly across several chunks.
long_value = st.builds(
    lambda unit, size, end: (unit * size)[:size] + end,
    st.sampled_from([b"x", b"ab", b"\xc3\xa9", b"\xe2\x9c\x93", b"\xf0\x9f\x98\x80", b"a\xff"]),
    st.integers(1500, 5000),
    st.sampled_from([b"", b"\xc3", b"\xe2\x82", b" tail"]),
)
long_line = st.one_of(
    long_value.map(lambda v: b"data: " + v),
    long_value.map(lambda v: b"data:" + v),
    long_value.map(lambda v: b": " + v),
    long_value.map(lambda v: b"event: " + v),
    st.sampled_from([b"", b"data: short", b"id: 1", b"retry: 10", b"data"]),
)


@st.composite
def long_line_streams(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(long_line, min_size=1, max_size=8))
    ends = [draw(st.sampled_from([b"\n", b"\r", b"\r\n", b"\n\n", b"\r\n\r\n"])) for _ in lines]
    return b"".join(x + end for x, end in zip(lines, ends, strict=True))


@EXAMPLES
@given(
    stream=long_line_streams(),
    options=st.one_of(
        st.just({}), st.just({"max_line_size": 2000}), st.just({"max_event_size": 2500})
    ),
    data=st.data(),
)
def test_decoder_twins_agree_on_split_long_lines(
    c_impl: ModuleType,
    py_impl: ModuleType,
    stream: bytes,
    options: dict[str, Any],
    data: st.DataObject,
) -> None:
    chunks = data.draw(st.one_of(chunkings(stream), read_sized_chunkings(stream)))
    assert run_decoder(c_impl, chunks, options) == run_decoder(py_impl, chunks, options)


@st.composite
def read_sized_chunkings(draw: st.DrawFn, stream: bytes) -> list[Any]:
    """The stream in reads of one size, as a socket delivers it, converted like chunkings()."""
    size = draw(st.one_of(st.integers(1, 4096), st.integers(600, 4096)))
    chunks = [stream[i : i + size] for i in range(0, len(stream), size)]
    return [draw(st.sampled_from(CONVERSIONS))(c) for c in chunks]


def run_iter(impl: ModuleType, chunks: list[bytes], options: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    try:
        for event in impl.iter_events(chunks, **options):
            out.append(describe_events([event]))
    except Exception as exc:
        out.append(describe_error(exc))
    return out


@EXAMPLES
@given(stream=streams, options=decoder_options, data=st.data())
def test_iter_events_twins_agree(
    c_impl: ModuleType,
    py_impl: ModuleType,
    stream: bytes,
    options: dict[str, Any],
    data: st.DataObject,
) -> None:
    chunks = data.draw(chunkings(stream))
    assert run_iter(c_impl, chunks, options) == run_iter(py_impl, chunks, options)


# --- the encoder and Event --------------------------------------------------------------------

TEXT_PIECES = [
    "",
    " ",
    ":",
    "\x00",
    "\r",
    "\n",
    "\r\n",
    "\ufeff",
    "\u2028",
    "é",
    "😀",
    "\ud800",
    "\udfff",
]
any_text = st.lists(st.one_of(st.text(max_size=4), st.sampled_from(TEXT_PIECES)), max_size=4).map(
    "".join
)
any_bytes = st.one_of(st.binary(max_size=10), any_text.map(lambda s: s.encode("utf-8", "replace")))


# Subclasses and enums: both twins must take them by value (exact str / int), whatever they
# override, and refuse objects that only claim to be str or int through __class__.
class LyingBytes(bytes):
    def decode(self, *args: Any, **kwargs: Any) -> str:
        return "evil\ndata: injected"


class Colour(str, enum.Enum):  # what enum.StrEnum (3.11+) is made of
    RED = "red"
    MESSAGE = "message"
    EMPTY = ""
    BROKEN = "a\nb"
    NUL = "a\x00b"
    SURROGATE = "\ud800"


class Speed(enum.IntEnum):
    SLOW = 5000
    ZERO = 0
    BACK = -1


other = st.sampled_from([0, 1.5, [], True, bytearray(b"x")])
odd_text = st.one_of(
    any_text.map(LyingStr),
    st.sampled_from([*Colour, ImpostorStr(), ImpostorInt()]),
    any_bytes.map(LyingBytes),
)
anything = st.one_of(st.none(), any_text, any_text, any_bytes, other, odd_text)
any_retry = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([-1, 0, 10**5000, -(10**5000), True, False, 1.0, "5"]),
    st.integers(-(2**70), 2**70).map(LyingInt),
    st.sampled_from(
        [*Speed, Flags.A | Flags.B, LyingInt(10**5000), LyingInt(-(10**5000)), ImpostorInt()]
    ),
    # At and over the cap: rare, since converting 100,000 digits is slow.
    st.one_of(st.sampled_from([10**MAX_RETRY_DIGITS - 1, 10**MAX_RETRY_DIGITS]), *[st.none()] * 9),
)
fields = st.fixed_dictionaries(
    {}, optional={"event": anything, "id": anything, "retry": any_retry, "comment": anything}
)


@EXAMPLES
@given(data=anything, kwargs=fields)
def test_encode_twins_agree(
    c_impl: ModuleType, py_impl: ModuleType, data: Any, kwargs: dict[str, Any]
) -> None:
    assert call(c_impl.encode, data, **kwargs) == call(py_impl.encode, data, **kwargs)
    assert call(c_impl.encode, **kwargs) == call(py_impl.encode, **kwargs)


@EXAMPLES
@given(text=anything)
def test_encode_comment_twins_agree(c_impl: ModuleType, py_impl: ModuleType, text: Any) -> None:
    assert call(c_impl.encode_comment, text) == call(py_impl.encode_comment, text)


def make_events(impl: ModuleType, specs: list[tuple[Any, dict[str, Any]]]) -> tuple[Any, ...]:
    events = []
    for data, kwargs in specs:
        made = call(impl.Event, data, **kwargs)
        if made[0] != "ok":
            return made
        events.append(made[1])
    return ("ok", events)


@EXAMPLES
@given(specs=st.lists(st.tuples(anything, fields), max_size=4))
def test_event_and_encode_many_twins_agree(
    c_impl: ModuleType, py_impl: ModuleType, specs: list[tuple[Any, dict[str, Any]]]
) -> None:
    specs = [(d, {k: v for k, v in kw.items() if k != "comment"}) for d, kw in specs]
    c_made, py_made = make_events(c_impl, specs), make_events(py_impl, specs)
    if c_made[0] != "ok" or py_made[0] != "ok":
        assert c_made == py_made
        return
    c_events, py_events = c_made[1], py_made[1]
    assert describe_events(c_events) == describe_events(py_events)
    assert [call(e.encode) for e in c_events] == [call(e.encode) for e in py_events]
    assert call(c_impl.encode_many, c_events) == call(py_impl.encode_many, py_events)
    assert call(c_impl.encode_many, iter(c_events)) == call(py_impl.encode_many, iter(py_events))
