"""Conformance with docs/spec.md: one or more tests per rule R1..R24, on both twins.

Every stream is decoded whole, one byte at a time and split in two at every position
(``decode_all_ways``), and all of those must agree. Expected values are written out by hand
from the rule they cite. Events are compared as ``(event, data, id, retry)`` tuples.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from _helpers import as_tuples, decode, decode_all_ways

NO_EVENTS: list[Any] = []


def E(data: str, event: str = "message", id: str = "", retry: int | None = None) -> tuple[Any, ...]:
    """An expected decoded event as an ``as_tuples`` tuple."""
    return (event, data, id, retry)


def run(impl: ModuleType, stream: bytes, **options: Any) -> tuple[list[Any], str, int | None]:
    events, last_event_id, retry = decode_all_ways(impl, stream, **options)
    return as_tuples(events), last_event_id, retry


def run_sampled(impl: ModuleType, stream: bytes, step: int) -> tuple[list[Any], str, int | None]:
    """Like ``run`` for streams too long to split at every position: whole, bytewise, and
    split at every ``step``-th position plus the first and last few."""
    cuts = sorted(
        {*range(1, len(stream), step), *range(1, 12), *range(len(stream) - 12, len(stream))}
    )
    plans = [[stream], [stream[i : i + 1] for i in range(len(stream))]]
    plans += [[stream[:c], stream[c:]] for c in cuts if 0 < c < len(stream)]
    expected = None
    for chunks in plans:
        events, last_event_id, retry = decode(impl, chunks)
        got = (as_tuples(events), last_event_id, retry)
        if expected is None:
            expected = got
        assert got == expected
    assert expected is not None
    return expected


def data_of(impl: ModuleType, stream: bytes) -> list[str]:
    return [e[1] for e in run(impl, stream)[0]]


# --- A. Bytes to characters -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stream", "data"),
    [
        (b"data: \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n\n", "é€😀"),
        (b"data: \xe9\n\n", "\ufffd"),  # windows-1252/latin-1 would say "é"
        (b"data: \x80\n\n", "\ufffd"),  # windows-1252 would say "€"
        (b"data: caf\xe9 \xc3\xa9\n\n", "caf\ufffd é"),
    ],
)
def test_r01_always_utf8(impl: ModuleType, stream: bytes, data: str) -> None:
    """R1: the stream is UTF-8 whatever else it might look like."""
    assert run(impl, stream) == ([E(data)], "", None)


def test_r01_utf16_bom_is_not_honoured(impl: ModuleType) -> None:
    """R1: a UTF-16 BOM means nothing; its bytes are invalid UTF-8 in the field name."""
    assert run(impl, b"\xff\xfedata: x\n\ndata: y\n\n") == ([E("y")], "", None)


def test_r02_leading_bom_removed(impl: ModuleType) -> None:
    """R2: one leading BOM is stripped (also when split across chunks: every split is tried)."""
    assert run(impl, b"\xef\xbb\xbfdata: x\n\n") == ([E("x")], "", None)
    assert run(impl, b"\xef\xbb\xbf:c\nid: 1\ndata: x\n\n") == ([E("x", id="1")], "1", None)


def test_r02_bom_split_across_feeds_with_empty_feeds(impl: ModuleType) -> None:
    """R2: a BOM arriving a byte at a time, with empty chunks in between, is still removed."""
    decoder = impl.Decoder()
    out = []
    for chunk in [b"", b"\xef", b"", b"\xbb", b"", b"\xbf", b"", b"data: x\n\n"]:
        out.extend(decoder.feed(chunk))
    assert as_tuples(out) == [E("x")]


@pytest.mark.parametrize(
    "stream",
    [b"\xef\xbb\xbf\ndata: x\n\n", b"\xef\xbb\xbf\rdata: x\n\n", b"\xef\xbb\xbf\r\ndata: x\n\n"],
)
def test_r02_bom_followed_by_line_end(impl: ModuleType, stream: bytes) -> None:
    """R2: BOM then a bare CR/LF is a blank first line; the next line is NOT dropped (the
    Chromium bug docs/spec.md mentions)."""
    assert run(impl, stream) == ([E("x")], "", None)


def test_r02_second_bom_is_kept(impl: ModuleType) -> None:
    """R2: a BOM straight after the first is U+FEFF, so "\\ufeffdata" is no field (R17)."""
    assert run(impl, b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\ndata: y\n\n") == ([E("y")], "", None)


def test_r02_bom_at_start_of_later_line_is_kept(impl: ModuleType) -> None:
    """R2/R17: a BOM starting a later line or event makes that line's name unknown."""
    assert data_of(impl, b"data: a\n\n\xef\xbb\xbfdata: b\n\ndata: c\n\n") == ["a", "c"]
    assert data_of(impl, b"data: a\n\xef\xbb\xbfdata: b\n\n") == ["a"]
    # The stream starts with LF, so the BOM is not leading.
    assert run(impl, b"\n\xef\xbb\xbfdata: x\n\n") == (NO_EVENTS, "", None)


def test_r02_bom_inside_values_is_kept(impl: ModuleType) -> None:
    """R2: U+FEFF inside a value is an ordinary character."""
    assert run(impl, b"data: \xef\xbb\xbfx\xef\xbb\xbf\n\n") == ([E("\ufeffx\ufeff")], "", None)
    stream = b"event: \xef\xbb\xbf\nid: \xef\xbb\xbf\ndata\n\n"
    assert run(impl, stream) == ([E("", event="\ufeff", id="\ufeff")], "\ufeff", None)


@pytest.mark.parametrize(
    "stream",
    [
        b"\xef\xbbdata: x\n\ndata: y\n\n",
        b"\xefdata: x\n\ndata: y\n\n",
        b"\xef\xbb\ndata: y\n\n",
        b"\xef\xbb\xbe\ndata: y\n\n",
    ],
)
def test_r02_partial_bom_is_no_bom(impl: ModuleType, stream: bytes) -> None:
    """R2/R3: EF BB (or EF) followed by something else is invalid UTF-8 in a field name."""
    assert run(impl, stream) == ([E("y")], "", None)


@pytest.mark.parametrize("stream", [b"\xef", b"\xef\xbb", b"\xef\xbb\xbf"])
def test_r02_stream_of_only_bom_bytes(impl: ModuleType, stream: bytes) -> None:
    """R2/R24: a stream that is only (part of) a BOM dispatches nothing."""
    assert run(impl, stream) == (NO_EVENTS, "", None)


@pytest.mark.parametrize(
    ("raw", "data"),
    [
        (b"\x80", "\ufffd"),  # lone continuation byte -> 1
        (b"\xc0\xaf", "\ufffd" * 2),  # overlong -> 2
        (b"\xed\xa0\x80", "\ufffd" * 3),  # encoded surrogate -> 3
        (b"\xf4\x90\x80\x80", "\ufffd" * 4),  # above U+10FFFF -> 4
        (b"\xff", "\ufffd"),  # -> 1
        (b"\xe2\x82", "\ufffd"),  # truncated, followed by LF -> 1
        (b"\xf0\x9f\x98", "\ufffd"),  # truncated 4-byte sequence -> 1
        (b"a\xe2\x82b", "a\ufffdb"),  # truncated, then ASCII -> 1
        (b"\xc0\xaf\x80\xff", "\ufffd" * 4),
        (b"\xe2\x82\xac\x80", "€\ufffd"),
    ],
)
def test_r03_invalid_utf8_in_data(impl: ModuleType, raw: bytes, data: str) -> None:
    """R3: each maximal ill-formed subsequence becomes one U+FFFD."""
    assert run(impl, b"data: " + raw + b"\n\n") == ([E(data)], "", None)
    assert run(impl, b"data: " + raw + b"\r\n\r\n") == ([E(data)], "", None)


def test_r03_truncated_sequence_before_next_data_line(impl: ModuleType) -> None:
    """R3: a truncated sequence ends at the line end; the next line is intact."""
    assert data_of(impl, b"data: \xe2\x82\ndata: y\n\n") == ["\ufffd\ny"]


def test_r03_replacement_in_event_id_and_name(impl: ModuleType) -> None:
    """R3: U+FFFD can land in an event type, an id, or a field name (which then matches none)."""
    assert run(impl, b"event: \xff\nid: a\xc0\ndata: x\n\n") == (
        [E("x", event="\ufffd", id="a\ufffd")],
        "a\ufffd",
        None,
    )
    assert data_of(impl, b"dat\xffa: x\ndata\xe2: y\ndata: z\n\n") == ["z"]


def test_r03_truncated_sequence_at_end_of_stream(impl: ModuleType) -> None:
    """R3/R23: a truncated sequence at the very end is in an unterminated, discarded line."""
    assert run(impl, b"data: x\n\ndata: \xe2\x82") == ([E("x")], "", None)
    assert run(impl, b"data: x\n\ndata: y\n\xf0\x9f") == ([E("x")], "", None)


def test_r04_nul_and_controls_are_ordinary(impl: ModuleType) -> None:
    """R4: U+0000 and other controls are kept in data, event type and comments."""
    stream = b":\x00 comment\nevent: a\x00b\ndata: \x00\x01\x08\t\x1b\x7f\x00\n\n"
    assert run(impl, stream) == ([E("\x00\x01\x08\t\x1b\x7f\x00", event="a\x00b")], "", None)


def test_r04_nul_in_field_name(impl: ModuleType) -> None:
    """R4/R17: a NUL in a field name keeps it from matching; the line is not blank."""
    assert data_of(impl, b"data: a\n\x00\nda\x00ta: x\ndata\x00: y\n\x00data: z\ndata: b\n\n") == [
        "a\nb"
    ]


# --- B. Lines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stream", "data"),
    [
        (b"data: a\r\ndata: b\n\n", ["a\nb"]),  # a CRLF b: two lines
        (b"data: a\rdata: b\n\n", ["a\nb"]),  # a CR b: two lines
        (b"data: a\ndata: b\n\n", ["a\nb"]),  # a LF b: two lines
        (b"data: a\r\rdata: b\n\n", ["a", "b"]),  # a CR CR b: three, empty middle line
        (b"data: a\n\rdata: b\n\n", ["a", "b"]),  # a LF CR b: three
        (b"data: a\r\n\ndata: b\n\n", ["a", "b"]),  # a CRLF LF b: three
        (b"data: a\r\n\r\ndata: b\r\n\r\n", ["a", "b"]),  # CRLF counts once
        (b"data: a\rdata: b\r\r", ["a\nb"]),
        (b"data: a\r\n\rdata: b\n\r\n", ["a", "b"]),
        (b"data: a\n\n\n\n\r\r\r\n\r\ndata: b\n\n", ["a", "b"]),
    ],
)
def test_r05_three_line_terminators(impl: ModuleType, stream: bytes, data: list[str]) -> None:
    """R5: CRLF, LF, CR each end a line; CRLF is one terminator."""
    assert data_of(impl, stream) == data


@pytest.mark.parametrize(
    ("raw", "char"),
    [
        (b"\xe2\x80\xa8", "\u2028"),
        (b"\xe2\x80\xa9", "\u2029"),
        (b"\xc2\x85", "\x85"),  # NEL
        (b"\x0b", "\x0b"),  # VT
        (b"\x0c", "\x0c"),  # FF
        (b"\x1c", "\x1c"),
        (b"\x1d", "\x1d"),
        (b"\x1e", "\x1e"),
        (b"\x85", "\ufffd"),  # a bare NEL byte is invalid UTF-8, not a terminator either
    ],
)
def test_r06_nothing_else_ends_a_line(impl: ModuleType, raw: bytes, char: str) -> None:
    """R6: these are ordinary characters (unlike for str.splitlines())."""
    stream = b"data: a" + raw + b"data: b\n\n"
    assert run(impl, stream) == ([E("a" + char + "data: b")], "", None)
    # At the start of a line they make the field name unknown.
    assert data_of(impl, b"data: x\n" + raw + b"data: y\n\n") == ["x"]


def test_r07_cr_at_chunk_end_then_lf(impl: ModuleType) -> None:
    """R7: an LF starting the next chunk completes the CRLF and adds no blank line; a CR
    ending a chunk completes its line in that same feed call."""
    d = impl.Decoder()
    assert d.feed(b"data: a\r") == []
    assert d.feed(b"\ndata: b\r") == []  # the LF is the CR's pair, not a blank line
    assert as_tuples(d.feed(b"\r")) == [E("a\nb")]  # a CR alone is a blank line
    assert as_tuples(d.feed(b"data: c\n\r")) == [E("c")]  # returned by this very call
    assert d.feed(b"\n") == []  # the pair of that CR
    assert d.feed(b"data: d\n") == []
    assert as_tuples(d.feed(b"\n")) == [E("d")]
    assert d.close() == []


def test_r07_empty_chunk_between_cr_and_lf(impl: ModuleType) -> None:
    """R7: an empty chunk does not end the CRLF pairing."""
    d = impl.Decoder()
    assert d.feed(b"data: e\r") == []
    assert d.feed(b"") == []
    assert d.feed(b"\n") == []
    assert d.feed(b"") == []
    assert as_tuples(d.feed(b"\n")) == [E("e")]


def test_r07_cr_then_other_byte_in_next_chunk(impl: ModuleType) -> None:
    """R7: if the next chunk starts with anything but LF, the CR alone was the terminator."""
    d = impl.Decoder()
    assert d.feed(b"data: a\r") == []
    assert d.feed(b"data: b\r") == []
    assert as_tuples(d.feed(b"\rdata: c\r\r")) == [E("a\nb"), E("c")]


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (b"data: x\n\r", ([E("x")], "", None)),
        (b"data: x\r\r", ([E("x")], "", None)),
        (b"retry: 7\r", (NO_EVENTS, "", 7)),
        (b"id: 3\r\r", (NO_EVENTS, "3", None)),
    ],
)
def test_r07_cr_as_last_byte_of_stream(impl: ModuleType, stream: bytes, expected: Any) -> None:
    """R7: a CR that is the very last byte of the stream is a complete terminator."""
    assert run(impl, stream) == expected


def test_r08_retry_takes_effect_when_its_line_is_processed(impl: ModuleType) -> None:
    """R8: retry applies as soon as its line ends, before any blank line."""
    d = impl.Decoder()
    assert d.feed(b"retry: 10\n") == []
    assert d.retry == 10
    assert d.feed(b"data: x\nretry: 20\n") == []
    assert d.retry == 20
    assert d.feed(b"retry: 30") == []
    assert d.retry == 20  # the line has not ended yet
    assert as_tuples(d.feed(b"\n\n")) == [E("x", retry=30)]
    assert d.retry == 30


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (b"data: a\nid: 1\ndata: b\n\n", [E("a\nb", id="1")]),
        (b"id: 1\ndata: a\nid: 2\n\n", [E("a", id="2")]),
        (b"event: x\ndata: a\nevent: y\n\n", [E("a", event="y")]),
        (b"retry: 1\ndata\nretry: 2\n\n", [E("", retry=2)]),
    ],
)
def test_r08_lines_processed_in_order(impl: ModuleType, stream: bytes, expected: Any) -> None:
    """R8: later lines of a block override earlier ones."""
    assert run(impl, stream)[0] == expected


# --- C. Line classification -------------------------------------------------------------------


def test_r09_blank_line_dispatches(impl: ModuleType) -> None:
    """R9: an empty line dispatches; several blank lines in a row dispatch nothing extra."""
    assert data_of(impl, b"data: a\n\ndata: b\r\n\r\ndata: c\r\r") == ["a", "b", "c"]
    assert data_of(impl, b"data: a\n\n\n\n\ndata: b\n\n\n") == ["a", "b"]


def test_r10_comments_ignored(impl: ModuleType) -> None:
    """R10: ':', '::', ': data: x' and ':data: y' are comments."""
    stream = b":\ndata: a\n::\n: data: x\n:data: y\n:\n\n"
    assert run(impl, stream) == ([E("a")], "", None)


def test_r10_comments_do_not_dispatch(impl: ModuleType) -> None:
    """R10: a comment line is not blank."""
    assert data_of(impl, b"data: a\n:\ndata: b\n: \n\n") == ["a\nb"]


def test_r10_comments_touch_no_buffer(impl: ModuleType) -> None:
    """R10: ':id', ':event', ':retry', ':data' change nothing."""
    stream = b"id: 1\nevent: e\n:id: 2\n:event: f\n:retry: 9\n:data: z\ndata: x\n\n"
    assert run(impl, stream) == ([E("x", event="e", id="1")], "1", None)


@pytest.mark.parametrize(
    ("line", "value"),
    [
        (b"data:x", "x"),
        (b"data: x", "x"),
        (b"data:  x", " x"),  # only one space is removed
        (b"data:\tx", "\tx"),  # a tab is not a space
        (b"data: \tx", "\tx"),
        (b"data:\xc2\xa0x", "\u00a0x"),  # nor is U+00A0
        (b"data: x  ", "x  "),  # trailing spaces stay
        (b"data: a:b", "a:b"),  # later colons are part of the value
        (b"data:a:b", "a:b"),
        (b"data:: x", ": x"),
        (b"data:", ""),
        (b"data: ", ""),
        (b"data:  ", " "),
    ],
)
def test_r11_field_with_colon(impl: ModuleType, line: bytes, value: str) -> None:
    """R11: the name is before the first colon; one leading space is removed from the value."""
    assert run(impl, line + b"\n\n") == ([E(value)], "", None)


def test_r11_value_space_rule_for_event_and_id(impl: ModuleType) -> None:
    """R11 applies to every field."""
    assert run(impl, b"event:  e \nid:  1 \ndata\n\n") == (
        [E("", event=" e ", id=" 1 ")],
        " 1 ",
        None,
    )
    assert run(impl, b"event:e\nid:1\ndata\n\n") == ([E("", event="e", id="1")], "1", None)


def test_r12_data_without_colon(impl: ModuleType) -> None:
    """R12: 'data' alone appends an empty line."""
    assert data_of(impl, b"data\ndata: x\n\n") == ["\nx"]
    assert data_of(impl, b"data\n\n") == [""]


def test_r12_event_without_colon(impl: ModuleType) -> None:
    """R12: 'event' alone sets the type to empty, which means 'message'."""
    assert run(impl, b"event: a\nevent\ndata: x\n\n")[0] == [E("x")]


def test_r12_id_without_colon(impl: ModuleType) -> None:
    """R12: 'id' alone resets the last event ID."""
    assert run(impl, b"id: 1\n\nid\ndata: x\n\n") == ([E("x", id="")], "", None)


def test_r12_retry_without_colon_and_unknown_name(impl: ModuleType) -> None:
    """R12: 'retry' alone is ignored (R16), as is an unknown name without colon."""
    assert run(impl, b"retry: 5\n\nretry\nfoo\ndata: x\n\n") == ([E("x")], "", 5)


@pytest.mark.parametrize(
    ("line", "event_type"),
    [
        (b"event:  a b ", " a b "),
        (b"event: \x00\xc3\xa9", "\x00é"),
        (b"event: message", "message"),
        (b"event: error", "error"),
        (b"event: open", "open"),
        (b"event: a:b", "a:b"),
        (b"event: \xe6\x97\xa5\xe6\x9c\xac", "日本"),
    ],
)
def test_r13_event_sets_type_unvalidated(impl: ModuleType, line: bytes, event_type: str) -> None:
    """R13/R21: the event type is the exact value (spaces, NUL, non-ASCII kept)."""
    assert run(impl, line + b"\ndata: x\n\n") == ([E("x", event=event_type)], "", None)


@pytest.mark.parametrize(
    ("stream", "data"),
    [
        (b"data: a\ndata: b\ndata: c\n\n", "a\nb\nc"),
        (b"data: a\ndata\ndata: c\n\n", "a\n\nc"),
        (b"data: a\ndata:\n\n", "a\n"),
        (b"data\ndata: a\n\n", "\na"),
    ],
)
def test_r14_data_lines_join_with_lf(impl: ModuleType, stream: bytes, data: str) -> None:
    """R14: each data line appends its value and an LF."""
    assert data_of(impl, stream) == [data]


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (b"id: 1\n\nid: a\x00b\ndata: x\n\n", ([E("x", id="1")], "1", None)),
        (b"id: 1\nid: \x00\ndata: x\n\n", ([E("x", id="1")], "1", None)),
        (b"id: \x00\ndata: x\n\n", ([E("x", id="")], "", None)),
        (b"id: 1\nid: 2\x00\n\n", (NO_EVENTS, "1", None)),
    ],
)
def test_r15_id_with_nul_is_ignored(impl: ModuleType, stream: bytes, expected: Any) -> None:
    """R15: an id value containing U+0000 leaves the buffer as it was."""
    assert run(impl, stream) == expected


@pytest.mark.parametrize("line", [b"id", b"id:", b"id: "])
def test_r15_empty_id_resets(impl: ModuleType, line: bytes) -> None:
    """R15: 'id', 'id:' and 'id: ' set the last event ID to the empty string."""
    stream = b"id: 1\ndata: a\n\n" + line + b"\ndata: b\n\n"
    assert run(impl, stream) == ([E("a", id="1"), E("b", id="")], "", None)


def test_r15_id_before_or_after_data(impl: ModuleType) -> None:
    """R15: the id may come before or after the data lines of its block."""
    stream = b"id: 1\ndata: a\n\ndata: b\nid: 2\n\n"
    assert run(impl, stream) == ([E("a", id="1"), E("b", id="2")], "2", None)


def test_r15_id_value_kept_verbatim(impl: ModuleType) -> None:
    """R15: an id is any text without NUL, non-ASCII and spaces included."""
    assert run(impl, b"id: a b \xc3\xa9\x01\ndata\n\n") == (
        [E("", id="a b é\x01")],
        "a b é\x01",
        None,
    )


@pytest.mark.parametrize(
    ("value", "retry"),
    [
        (b"0", 0),
        (b"5000", 5000),
        (b"007", 7),  # leading zeros are fine
        (b"02000", 2000),  # not octal
        (b"00000000000000000000", 0),
        (b"9007199254740993", 2**53 + 1),  # beyond float precision
        (b"18446744073709551616", 2**64),  # beyond 64 bits
        (b"340282366920938463463374607431768211457", 2**128 + 1),
    ],
)
def test_r16_valid_retry(impl: ModuleType, value: bytes, retry: int) -> None:
    """R16: ASCII digits only -> the exact base-ten integer, immediately."""
    stream = b"retry: 100\n\nretry: " + value + b"\ndata: x\n\n"
    got = run(impl, stream)
    assert got == ([E("x", retry=retry)], "", retry)
    assert type(got[2]) is int
    assert type(got[0][0][3]) is int


@pytest.mark.parametrize(
    "value",
    [
        b"-1",
        b"+1",
        b"1.5",
        b"1.",
        b"1e3",
        b"1 ",  # trailing space
        b" 1",  # a second leading space
        b"1 2",
        b"10ms",
        b"0x10",
        b"\t1",
        b"1\x00",
        b"\xd9\xa1",  # ARABIC-INDIC DIGIT ONE
        b"\xef\xbc\x91",  # FULLWIDTH DIGIT ONE
        b"\xc2\xb2",  # SUPERSCRIPT TWO
        b"\xf0\x9d\x9f\x8e",  # MATHEMATICAL BOLD DIGIT ZERO
        b"1\xff",
        b"",  # empty value: ignored (docs/spec.md, section G)
    ],
)
def test_r16_invalid_retry_is_ignored(impl: ModuleType, value: bytes) -> None:
    """R16: anything but ASCII digits leaves the reconnection time unchanged."""
    stream = b"retry: 100\n\nretry: " + value + b"\ndata: x\n\n"
    assert run(impl, stream) == ([E("x")], "", 100)


@pytest.mark.parametrize("line", [b"retry", b"retry:", b"retry: "])
def test_r16_empty_retry_is_ignored(impl: ModuleType, line: bytes) -> None:
    """R16/R12: an empty retry value is ignored."""
    assert run(impl, line + b"\ndata: x\n\n") == ([E("x")], "", None)


def test_r16_ten_thousand_digit_retry(impl: ModuleType) -> None:
    """R16: a 10,000-digit value is the exact int, without raising (int() would refuse it)."""
    stream = b"retry: 1" + b"0" * 9999 + b"\ndata: x\n\n"
    assert run_sampled(impl, stream, step=997) == ([E("x", retry=10**9999)], "", 10**9999)
    stream = b"retry: " + b"9" * 10_000 + b"\n"  # int() of this str would raise
    assert run_sampled(impl, stream, step=1999) == (NO_EVENTS, "", 10**10_000 - 1)


def test_r16_retry_digit_cap(impl: ModuleType) -> None:
    """R16 with the documented cap (_numbers.MAX_RETRY_DIGITS = 100,000): up to 100,000
    significant digits are exact; more are ignored; leading zeros do not count."""
    at_cap = b"1" + b"0" * 99_999
    over = b"1" + b"0" * 100_000
    zeros = b"0" * 200_000 + b"42"
    d = impl.Decoder()
    assert d.feed(b"retry: " + at_cap + b"\n") == []
    assert d.retry == 10**99_999
    assert d.feed(b"retry: 5\nretry: " + over + b"\n") == []
    assert d.retry == 5
    assert d.feed(b"retry: " + zeros + b"\n") == []
    assert d.retry == 42
    # Same block: the ignored value leaves the block's latest valid retry (42) in place.
    assert d.feed(b"retry: " + b"7" * 1_000_000 + b"\ndata\n\n") == [impl.Event(id="", retry=42)]
    assert d.retry == 42


@pytest.mark.parametrize(
    "line",
    [
        b"Data: x",
        b"DATA: x",
        b" data: x",
        b"data : x",
        b"\tdata: x",
        b"da\x00ta: x",
        b"\xef\xbb\xbfdata: x",
        b"dat\xffa: x",
        b"foo: bar",
        b"foo",
        b" ",
        b"\x00",
        b" : x",
        b"Event: e",
        b"ID: 1",
        b"Retry: 5",
        b"event : e",
        b"id : 1",
        b"retry : 5",
    ],
)
def test_r17_other_names_ignored(impl: ModuleType, line: bytes) -> None:
    """R17: names are case-sensitive and untrimmed; an ignored line does not dispatch."""
    stream = b"data: a\n" + line + b"\ndata: b\n\n"
    assert run(impl, stream) == ([E("a\nb")], "", None)


# --- E. Dispatch ------------------------------------------------------------------------------


def test_r18_id_only_block_is_a_checkpoint(impl: ModuleType) -> None:
    """R18: an id-only block sets the last event ID, visible through later events."""
    assert run(impl, b"id: 1\n\n") == (NO_EVENTS, "1", None)
    assert run(impl, b"id: 1\n\ndata: x\n\n") == ([E("x", id="1")], "1", None)
    assert run(impl, b"id: 1\ndata: a\n\nid: 2\n\ndata: b\n\n") == (
        [E("a", id="1"), E("b", id="2")],
        "2",
        None,
    )


def test_r18_id_persists(impl: ModuleType) -> None:
    """R18: dispatch never resets the last event ID buffer."""
    stream = b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n"
    assert run(impl, stream) == ([E("a", id="1"), E("b", id="1"), E("c", id="2")], "2", None)


def test_r18_last_event_id_changes_at_blank_line(impl: ModuleType) -> None:
    """R18: Decoder.last_event_id is the value as of the latest blank line."""
    d = impl.Decoder()
    assert d.feed(b"id: 5\n") == []
    assert d.last_event_id == ""
    assert d.feed(b"\n") == []
    assert d.last_event_id == "5"
    assert d.feed(b"id: 6\ndata: x\n") == []
    assert d.last_event_id == "5"
    assert as_tuples(d.feed(b"\n")) == [E("x", id="6")]
    assert d.last_event_id == "6"


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (b"event: foo\n\ndata: x\n\n", ([E("x")], "", None)),  # the event type is forgotten
        (b"retry: 5\n\ndata: x\n\n", ([E("x")], "", 5)),  # the block's retry is not carried
        (b"event: foo\nid: 1\n\n", (NO_EVENTS, "1", None)),
        (b"\n\n\n", (NO_EVENTS, "", None)),
        (b"data\n\n", ([E("")], "", None)),  # "\n" is not empty
        (b"data:\n\n", ([E("")], "", None)),
        (b"data: \n\n", ([E("")], "", None)),
    ],
)
def test_r19_empty_data_buffer_dispatches_nothing(
    impl: ModuleType, stream: bytes, expected: Any
) -> None:
    """R19: no data line since the last dispatch -> no event, buffers reset."""
    assert run(impl, stream) == expected


@pytest.mark.parametrize(
    ("stream", "data"),
    [
        (b"data:\ndata:\n\n", "\n"),
        (b"data: x\ndata:\n\n", "x\n"),
        (b"data\ndata\ndata\n\n", "\n\n"),
        (b"data: x\n\n", "x"),
    ],
)
def test_r20_one_trailing_lf_removed(impl: ModuleType, stream: bytes, data: str) -> None:
    """R20: exactly one trailing LF is removed from the data buffer."""
    assert data_of(impl, stream) == [data]


def test_r21_event_object(impl: ModuleType) -> None:
    """R21: type 'message' unless given; data; last event ID; decoded values are Events."""
    events, last_event_id, retry = decode_all_ways(
        impl, b"data: a\n\nevent: b c\nid: 9\ndata: d\n\n"
    )
    assert all(type(e) is impl.Event for e in events)
    assert events == [impl.Event("a", id=""), impl.Event("d", event="b c", id="9")]
    assert (last_event_id, retry) == ("9", None)


def test_r22_reset_after_dispatch(impl: ModuleType) -> None:
    """R22: data and event type reset after dispatch; the id does not; retry is per block."""
    stream = b"id: x\nevent: a\nretry: 5\ndata: 1\n\ndata: 2\n\n"
    assert run(impl, stream) == ([E("1", event="a", id="x", retry=5), E("2", id="x")], "x", 5)


# --- F. End of stream -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (b"data: x", (NO_EVENTS, "", None)),
        (b"data: x\n", (NO_EVENTS, "", None)),  # one LF: nothing
        (b"data: x\r\n", (NO_EVENTS, "", None)),
        (b"data: x\r", (NO_EVENTS, "", None)),
        (b"event: e\nid: 1\ndata: x\n", (NO_EVENTS, "", None)),
        (b"data: x\n\ndata: y\n", ([E("x")], "", None)),
        (b"data: x\n\ndata: y", ([E("x")], "", None)),
        (b"retry: 5000", (NO_EVENTS, "", None)),  # unterminated: not processed
        (b"retry: 5000\n", (NO_EVENTS, "", 5000)),
        (b"retry: 5000\r", (NO_EVENTS, "", 5000)),
        (b"id: 5\n", (NO_EVENTS, "", None)),  # no blank line: no dispatch
        (b"id: 5", (NO_EVENTS, "", None)),
        (b"data: x\n\r", ([E("x")], "", None)),
    ],
)
def test_r23_incomplete_event_discarded(impl: ModuleType, stream: bytes, expected: Any) -> None:
    """R23: at end of stream the unfinished block and unterminated line are discarded."""
    assert run(impl, stream) == expected


def test_r23_close_discards_pending_event(impl: ModuleType) -> None:
    """R23: close() dispatches nothing and changes no state."""
    d = impl.Decoder()
    assert d.feed(b"retry: 1\nid: 1\ndata: x\n") == []
    assert d.close() == []
    assert (d.last_event_id, d.retry) == ("", 1)


@pytest.mark.parametrize(
    "stream",
    [b"", b"\n", b"\r", b"\r\n", b"\n\n\r\n\r", b":a\n:b\n\n", b":\r:\r\r", b"\xef\xbb\xbf\n"],
)
def test_r24_empty_and_degenerate_streams(impl: ModuleType, stream: bytes) -> None:
    """R24: empty body, only blank lines, only comments: nothing."""
    assert run(impl, stream) == (NO_EVENTS, "", None)
