"""encode, encode_comment, encode_many: exact output bytes and argument checking.

Expected bytes are written by hand from DESIGN.md's encoder rules: comment lines first, then
``event: ``, ``id: ``, ``retry: ``, one ``data: `` line per line of data, then a blank line;
UTF-8 with LF line ends.
"""

from __future__ import annotations

import enum
from types import ModuleType
from typing import Any

import pytest

from _helpers import Flags, ImpostorInt, ImpostorStr, LyingInt, LyingStr, as_tuples, decode_all_ways
from ssecodec._numbers import MAX_RETRY_DIGITS


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((), {}, b"\n"),
        (("x",), {}, b"data: x\n\n"),
        ((), {"data": "x"}, b"data: x\n\n"),
        (("",), {}, b"data: \n\n"),
        ((None,), {}, b"\n"),
        (("a\nb",), {}, b"data: a\ndata: b\n\n"),
        (("a\r\nb",), {}, b"data: a\ndata: b\n\n"),
        (("a\rb",), {}, b"data: a\ndata: b\n\n"),
        (("a\r\rb",), {}, b"data: a\ndata: \ndata: b\n\n"),
        (("a\n\rb",), {}, b"data: a\ndata: \ndata: b\n\n"),
        (("a\r\n\nb",), {}, b"data: a\ndata: \ndata: b\n\n"),
        (("\n",), {}, b"data: \ndata: \n\n"),
        (("a\r\n",), {}, b"data: a\ndata: \n\n"),
        ((" x ",), {}, b"data:  x \n\n"),
        ((":x",), {}, b"data: :x\n\n"),
        (("é€😀",), {}, "data: é€😀\n\n".encode()),
        (
            ("a\u2028b\u2029c\x85d\x0be\x0cf\x1cg",),
            {},
            "data: a\u2028b\u2029c\x85d\x0be\x0cf\x1cg\n\n".encode(),
        ),
        (("\x00",), {}, b"data: \x00\n\n"),
        (("\ufeffx",), {}, b"data: \xef\xbb\xbfx\n\n"),
        ((b"a\nb\r\nc\xc3\xa9",), {}, b"data: a\ndata: b\ndata: c\xc3\xa9\n\n"),
        ((b"",), {}, b"data: \n\n"),
        ((b"\n",), {}, b"data: \ndata: \n\n"),
        ((b"a\r",), {}, b"data: a\ndata: \n\n"),
        ((b"a\r\rb",), {}, b"data: a\ndata: \ndata: b\n\n"),
        (
            (b"a\xe2\x80\xa8b\xc2\x85c\x0bd\x0ce\x1cf\x1dg\x1eh",),
            {},
            b"data: a\xe2\x80\xa8b\xc2\x85c\x0bd\x0ce\x1cf\x1dg\x1eh\n\n",
        ),
        (("x",), {"event": "update"}, b"event: update\ndata: x\n\n"),
        (("x",), {"event": "message"}, b"event: message\ndata: x\n\n"),
        (("x",), {"event": ""}, b"data: x\n\n"),
        (("x",), {"event": None}, b"data: x\n\n"),
        (("x",), {"event": " a:b\x00é"}, b"event:  a:b\x00\xc3\xa9\ndata: x\n\n"),
        (("x",), {"id": "42"}, b"id: 42\ndata: x\n\n"),
        (("x",), {"id": ""}, b"id: \ndata: x\n\n"),
        (("x",), {"id": " é "}, b"id:  \xc3\xa9 \ndata: x\n\n"),
        (("x",), {"retry": 0}, b"retry: 0\ndata: x\n\n"),
        (("x",), {"retry": 3000}, b"retry: 3000\ndata: x\n\n"),
        (("x",), {"retry": 2**64}, b"retry: 18446744073709551616\ndata: x\n\n"),
        (("x",), {"comment": "hi"}, b": hi\ndata: x\n\n"),
        (("x",), {"comment": ""}, b":\ndata: x\n\n"),
        (("x",), {"comment": "a\nb\r\nc\rd"}, b": a\n: b\n: c\n: d\ndata: x\n\n"),
        (("x",), {"comment": "a\n"}, b": a\n:\ndata: x\n\n"),
        (("x",), {"comment": " x:"}, b":  x:\ndata: x\n\n"),
        ((), {"id": "7"}, b"id: 7\n\n"),
        ((), {"retry": 10}, b"retry: 10\n\n"),
        ((), {"comment": "ping"}, b": ping\n\n"),
        ((), {"event": "e"}, b"event: e\n\n"),
        (
            ("l1\nl2",),
            {"event": "e", "id": "i", "retry": 1, "comment": "c1\nc2"},
            b": c1\n: c2\nevent: e\nid: i\nretry: 1\ndata: l1\ndata: l2\n\n",
        ),
    ],
)
def test_encode_exact_bytes(
    impl: ModuleType, args: tuple[Any, ...], kwargs: dict[str, Any], expected: bytes
) -> None:
    out = impl.encode(*args, **kwargs)
    assert type(out) is bytes
    assert out == expected


def test_encode_big_retry(impl: ModuleType) -> None:
    """Any int up to MAX_RETRY_DIGITS digits is written exactly (str() would refuse it)."""
    value = 10**9999 + 7
    assert impl.encode(retry=value) == b"retry: 1" + b"0" * 9998 + b"7\n\n"
    biggest = 10**MAX_RETRY_DIGITS - 1
    assert impl.encode(retry=biggest) == b"retry: " + b"9" * MAX_RETRY_DIGITS + b"\n\n"
    assert impl.Decoder().feed(impl.encode("x", retry=biggest)) == [
        impl.Event("x", id="", retry=biggest)
    ]
    with pytest.raises(ValueError, match=r"\bretry\b"):
        impl.encode(retry=10**MAX_RETRY_DIGITS)


def test_encode_is_keyword_only_after_data(impl: ModuleType) -> None:
    with pytest.raises(TypeError):
        impl.encode("x", "event")
    with pytest.raises(TypeError):
        impl.encode("x", bogus=1)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"event": "a\nb"}, "event"),
        ({"event": "a\rb"}, "event"),
        ({"event": "ab\r\n"}, "event"),
        ({"event": "\ud800"}, "event"),
        ({"id": "a\nb"}, "id"),
        ({"id": "\rab"}, "id"),
        ({"id": "a\x00b"}, "id"),
        ({"id": "\x00"}, "id"),
        ({"id": "\udfff"}, "id"),
        ({"retry": -1}, "retry"),
        ({"retry": -(2**80)}, "retry"),
        ({"data": "a\ud800b"}, "data"),
        ({"data": b"\xff"}, "data"),
        ({"data": b"a\xc3"}, "data"),
        ({"data": b"\xed\xa0\x80"}, "data"),
        ({"comment": "\udc80"}, "comment"),
    ],
)
def test_encode_value_errors_name_the_field(
    impl: ModuleType, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValueError, match=rf"\b{field}\b") as info:
        impl.encode(**kwargs)
    assert type(info.value) is ValueError


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"data": 1}, "data"),
        ({"data": ["x"]}, "data"),
        ({"event": 1}, "event"),
        ({"event": b"e"}, "event"),
        ({"id": 1}, "id"),
        ({"id": b"1"}, "id"),
        ({"retry": True}, "retry"),
        ({"retry": False}, "retry"),
        ({"retry": 1.0}, "retry"),
        ({"retry": "1"}, "retry"),
        ({"comment": 1}, "comment"),
        ({"comment": b"c"}, "comment"),
    ],
)
def test_encode_type_errors_name_the_field(
    impl: ModuleType, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(TypeError, match=rf"\b{field}\b"):
        impl.encode(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": "a\nb\r\nc\rd", "event": "t", "id": "1", "retry": 5, "comment": "x\ny"},
        {"data": "", "id": ""},
        {"data": "\n\n", "event": "message"},
        {"data": " lead and trail ", "event": " sp ", "id": " i "},
        {"data": "é\u2028\x00\ufeff", "event": "日本", "id": "ü"},
        {"data": b"by\ntes"},
    ],
)
def test_encode_decodes_back(impl: ModuleType, kwargs: dict[str, Any]) -> None:
    """encode's output decodes (in every chunking) to the one event it describes."""
    events, last_event_id, retry = decode_all_ways(impl, impl.encode(**kwargs))
    data = kwargs["data"]
    if isinstance(data, bytes):
        data = data.decode()
    data = data.replace("\r\n", "\n").replace("\r", "\n")
    expected_id = kwargs.get("id") or ""
    expected = (kwargs.get("event") or "message", data, expected_id, kwargs.get("retry"))
    assert as_tuples(events) == [expected]
    assert (last_event_id, retry) == (expected_id, kwargs.get("retry"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", b":\n"),
        ("x", b": x\n"),
        (" x", b":  x\n"),
        ("a\nb", b": a\n: b\n"),
        ("a\r\nb\rc", b": a\n: b\n: c\n"),
        ("\n", b":\n:\n"),
        ("a\n", b": a\n:\n"),
        ("é:\x00", b": \xc3\xa9:\x00\n"),
        ("data: x", b": data: x\n"),
    ],
)
def test_encode_comment(impl: ModuleType, text: str, expected: bytes) -> None:
    assert impl.encode_comment(text) == expected
    # A comment changes nothing, even in the middle of an event.
    stream = b"data: a\n" + expected + b"data: b\n\n" + expected
    assert as_tuples(decode_all_ways(impl, stream)[0]) == [("message", "a\nb", "", None)]


def test_encode_comment_default(impl: ModuleType) -> None:
    assert impl.encode_comment() == b":\n"
    assert impl.encode_comment(text="k") == b": k\n"


@pytest.mark.parametrize("bad", [None, 1, b"x", ["x"]])
def test_encode_comment_type_error(impl: ModuleType, bad: object) -> None:
    with pytest.raises(TypeError):
        impl.encode_comment(bad)


def test_encode_comment_lone_surrogate(impl: ModuleType) -> None:
    with pytest.raises(ValueError, match="comment"):
        impl.encode_comment("a\ud800")


def test_encode_many(impl: ModuleType) -> None:
    events = [
        impl.Event("a"),
        impl.Event("b\nc", event="e", id="1", retry=2),
        impl.Event("", event="message", id=""),
    ]
    expected = b"data: a\n\nevent: e\nid: 1\nretry: 2\ndata: b\ndata: c\n\nid: \ndata: \n\n"
    assert impl.encode_many(events) == expected
    assert impl.encode_many(iter(events)) == expected
    assert impl.encode_many(e for e in events) == expected
    assert impl.encode_many(tuple(events)) == expected
    assert impl.encode_many([]) == b""
    assert type(impl.encode_many([])) is bytes
    assert b"".join(e.encode() for e in events) == expected


@pytest.mark.parametrize("bad", [["data: x"], [b"x"], [None], [("message", "x", None, None)]])
def test_encode_many_rejects_non_events(impl: ModuleType, bad: list[Any]) -> None:
    with pytest.raises(TypeError):
        impl.encode_many([impl.Event("ok"), *bad])


def test_encode_many_not_iterable(impl: ModuleType) -> None:
    with pytest.raises(TypeError):
        impl.encode_many(5)


def test_encode_many_propagates_value_errors(impl: ModuleType) -> None:
    with pytest.raises(ValueError, match="id"):
        impl.encode_many([impl.Event("x"), impl.Event("y", id="a\nb")])
    with pytest.raises(ValueError, match="retry"):
        impl.encode_many([impl.Event("y", retry=-1)])
    with pytest.raises(ValueError, match="event"):
        impl.Event("y", event="a\rb").encode()


# --- subclasses of int and str: written by value, whatever they override ----------------------


class Slow(enum.IntEnum):
    SLOW = 5000


class Colour(str, enum.Enum):  # enum.StrEnum from Python 3.11; this works on 3.10 too
    RED = "red"


@pytest.mark.parametrize(
    ("value", "plain"),
    [(LyingInt(5), 5), (LyingInt(-1), -1), (Slow.SLOW, 5000), (Flags.A | Flags.B, 3)],
    ids=["sneaky", "sneaky-negative", "intenum", "intflag"],
)
def test_encode_int_subclass_by_value(impl: ModuleType, value: int, plain: int) -> None:
    """A retry that is an int subclass is written as its integer value, never its str()."""
    if plain < 0:
        with pytest.raises(ValueError, match=r"retry must be >= 0, not -1$"):
            impl.encode("x", retry=value)
        return
    expected = impl.encode("x", retry=plain)
    assert impl.encode("x", retry=value) == expected
    event = impl.Event("x", retry=value)
    assert type(event.retry) is int and event.retry == plain
    assert repr(event) == repr(impl.Event("x", retry=plain))
    assert event.encode() == expected
    assert impl.encode_many([event]) == expected


@pytest.mark.parametrize("field", ["data", "event", "id", "comment"])
@pytest.mark.parametrize("make", [LyingStr, Colour], ids=["lying-str", "str-enum"])
def test_encode_str_subclass_by_value(impl: ModuleType, field: str, make: Any) -> None:
    """A str subclass is written as its characters; its own methods play no part."""
    assert impl.encode(**{field: make("red")}) == impl.encode(**{field: "red"})


@pytest.mark.parametrize("make", [LyingStr, Colour], ids=["lying-str", "str-enum"])
def test_event_stores_exact_str(impl: ModuleType, make: Any) -> None:
    value = make("red")
    event = impl.Event(value, event=value, id=value)
    assert (type(event.data), type(event.event), type(event.id)) == (str, str, str)
    assert event == impl.Event("red", event="red", id="red")
    assert event.encode() == b"event: red\nid: red\ndata: red\n\n"
    # "message" needs no event line, even when its __eq__ says otherwise.
    message = LyingStr("message")
    assert impl.Event("x", event=message).encode() == b"data: x\n\n"


def test_encode_errors_show_the_plain_value(impl: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"^id must not contain CR or LF: 'a\\nb'$"):
        impl.encode(id=LyingStr("a\nb"))
    with pytest.raises(ValueError, match=r"'a\\x00b'$"):
        impl.encode(id=LyingStr("a\x00b"))
    with pytest.raises(ValueError, match=r"^event must not contain CR or LF"):
        impl.Event("x", event=LyingStr("a\rb")).encode()


def test_encode_huge_negative_retry_names_the_field(impl: ModuleType) -> None:
    """str() of the value would raise its own ValueError past 4,300 digits."""
    with pytest.raises(ValueError, match=r"^retry must be >= 0, not a negative number$"):
        impl.encode(retry=-(10**5000))
    with pytest.raises(ValueError, match=r"^retry must be >= 0"):
        impl.Event("x", retry=-(10**5000)).encode()


def test_impostors_are_refused(impl: ModuleType) -> None:
    """Objects that only claim int or str through ``__class__`` are refused by both twins."""
    with pytest.raises(TypeError, match=r"^retry must be int, not ImpostorInt$"):
        impl.encode(retry=ImpostorInt())
    with pytest.raises(TypeError, match=r"^Event retry must be int or None, not ImpostorInt$"):
        impl.Event("x", retry=ImpostorInt())
    for field in ("data", "event", "id", "comment"):
        with pytest.raises(TypeError, match=rf"^{field} must be str, not ImpostorStr$"):
            impl.encode(**{field: ImpostorStr()})
    with pytest.raises(TypeError, match=r"^Event data must be str, not ImpostorStr$"):
        impl.Event(ImpostorStr())


def test_bool_retry_still_refused(impl: ModuleType) -> None:
    for value in (True, False):
        with pytest.raises(TypeError, match="retry"):
            impl.encode(retry=value)
        with pytest.raises(TypeError, match="retry"):
            impl.Event("x", retry=value)


def test_server_items_use_the_values(impl: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """The servers' dict items go through encode(): same protection."""
    from ssecodec import _items

    monkeypatch.setattr(_items, "encode", impl.encode)
    item = {"data": LyingStr("d"), "event": Colour.RED, "id": LyingStr("1"), "retry": LyingInt(5)}
    assert _items.to_bytes(item) == b"event: red\nid: 1\nretry: 5\ndata: d\n\n"
    assert _items.to_bytes(LyingStr("plain")) == b"data: plain\n\n"
