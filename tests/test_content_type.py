"""The Content-Type check every client integration shares (``ssecodec._http``).

It follows the Fetch standard's "extract a MIME type" (what browsers apply to an
``EventSource`` response) and the MIME Sniffing standard's "parse a MIME type". The expected
values are the examples those standards give, and cases from the web-platform-tests.
"""

from __future__ import annotations

import pytest

from ssecodec._http import (
    extract_mime_type,
    is_event_stream,
    parse_mime_type,
    split_header_value,
)


def extracted(values: str | list[str]) -> str | None:
    mime_type = extract_mime_type(values)
    return None if mime_type is None else mime_type.serialize()


# Fetch, "extract a MIME type", the example table: the headers as on the network (one list
# item per header line) and the serialized result. All of them hold whether the header lines
# come as a list or joined with ", " (how httpx and requests report a repeated header).
FETCH_EXAMPLES = [
    (["text/plain;charset=gbk, text/html"], "text/html"),
    (["text/html;charset=gbk;a=b, text/html;x=y"], "text/html;x=y;charset=gbk"),
    (["text/html;charset=gbk;a=b", "text/html;x=y"], "text/html;x=y;charset=gbk"),
    (["text/html;charset=gbk", "x/x", "text/html;x=y"], "text/html;x=y"),
    (["text/html", "cannot-parse"], "text/html"),
    (["text/html", "*/*"], "text/html"),
    (["text/html", ""], "text/html"),
]


@pytest.mark.parametrize(("headers", "expected"), FETCH_EXAMPLES)
def test_fetch_examples(headers: list[str], expected: str) -> None:
    assert extracted(headers) == expected
    assert extracted(", ".join(headers)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # The charset of an earlier value with the same essence carries over, once.
        ("text/html;charset=gbk, text/html;charset=utf-8, text/html", "text/html;charset=gbk"),
        ("text/html, text/html;charset=gbk, text/html", "text/html"),
        ("text/html;charset=gbk, text/plain, text/html", "text/html"),
        # Commas inside a quoted string do not split.
        ('text/html;note="a,b"', 'text/html;note="a,b"'),
        ('text/plain;x="a, text/event-stream"', 'text/plain;x="a, text/event-stream"'),
        # Nothing that parses.
        ("cannot-parse, */*, ", None),
        ("", None),
        ("*/*", None),
        # The cases ssecodec's clients meet.
        ("application/json, text/event-stream; charset=utf-8", "text/event-stream;charset=utf-8"),
        ("text/event-stream, text/event-stream", "text/event-stream"),
        ("text/event-stream, application/json", "application/json"),
    ],
)
def test_extract(value: str, expected: str | None) -> None:
    assert extracted(value) == expected


def test_extract_without_a_header() -> None:
    assert extract_mime_type(None) is None
    assert extract_mime_type([]) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a, b", ["a", "b"]),
        ('a, "b,c" , d,', ["a", '"b,c"', "d", ""]),
        ('x="a\\",b", y', ['x="a\\",b"', "y"]),  # an escaped quote stays inside the string
        ('"unterminated, x', ['"unterminated, x']),
        ("", [""]),
        (" \t a \t ", ["a"]),
    ],
)
def test_split_header_value(value: str, expected: list[str]) -> None:
    assert split_header_value(value) == expected


# MIME Sniffing, "parse a MIME type": input -> serialization (None: failure). From the
# web-platform-tests (mimesniff/mime-types/resources/mime-types.json).
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text/html;charset=gbk", "text/html;charset=gbk"),
        ("TEXT/HTML;CHARSET=GBK", "text/html;charset=GBK"),
        ("text/html;charset=gbk(", 'text/html;charset="gbk("'),
        ("text/html;x=(;charset=gbk", 'text/html;x="(";charset=gbk'),
        ("text/html;charset=gbk;charset=windows-1255", "text/html;charset=gbk"),
        ("text/html;charset=();charset=GBK", 'text/html;charset="()"'),
        ("text/html;charset =gbk", "text/html"),
        ("text/html ;charset=gbk", "text/html;charset=gbk"),
        ("text/html; charset=gbk", "text/html;charset=gbk"),
        ("text/html;charset= gbk", 'text/html;charset=" gbk"'),
        ('text/html;charset= "gbk"', 'text/html;charset=" \\"gbk\\""'),
        ("text/html;charset=\x0bgbk", "text/html"),
        ("text/html;charset=gbk;;;;", "text/html;charset=gbk"),
        ("text/html;;;;charset=gbk", "text/html;charset=gbk"),
        ('text/html;charset="gbk"', "text/html;charset=gbk"),
        ('text/html;charset="gbk', "text/html;charset=gbk"),
        ('text/html;charset=gbk"', 'text/html;charset="gbk\\""'),
        ('text/html;charset="\\ gbk"', 'text/html;charset=" gbk"'),
        ('text/html;charset="\\g\\b\\k"', "text/html;charset=gbk"),
        ('text/html;charset="gbk"x', "text/html;charset=gbk"),
        ('text/html;charset="";charset=GBK', 'text/html;charset=""'),
        ("text/html;charset=;charset=GBK", "text/html;charset=GBK"),
        ("text/html;test;charset=gbk", "text/html;charset=gbk"),
        ("text/html;test=;charset=gbk", "text/html;charset=gbk"),
        ("text/html;';charset=gbk", "text/html;charset=gbk"),
        ('text/html;";charset=gbk', "text/html;charset=gbk"),
        ("text/html ; ; charset=gbk", "text/html;charset=gbk"),
        ("text/html;charset=gbk\t", "text/html;charset=gbk"),
        ("text/html;charset=\u00ff", 'text/html;charset="\u00ff"'),
        ("text/html;charset=\u0100", "text/html"),
        ("x/x;test", "x/x"),
        ('x/x;x= ";x=x', 'x/x;x=" \\""'),
        (" \t\n\rtext/html \t", "text/html"),
        ("text/event-stream", "text/event-stream"),
        # Failures.
        ("", None),
        ("\t", None),
        ("/", None),
        ("bogus", None),
        ("bogus/", None),
        ("bogus/ ", None),
        ("bogus/bogus/;", None),
        ("</>", None),
        ("(/)", None),
        ("text /html", None),
        ("text/ html", None),
        ("ÿ/ÿ", None),
        ('"text/html"', None),
    ],
)
def test_parse_mime_type(value: str, expected: str | None) -> None:
    mime_type = parse_mime_type(value)
    assert (None if mime_type is None else mime_type.serialize()) == expected


@pytest.mark.parametrize(
    "value",
    [
        "text/event-stream",
        "TEXT/Event-Stream",
        "text/event-stream; charset=utf-8",
        "text/event-stream, text/event-stream",
        ["text/event-stream", "text/event-stream"],
        "application/json, text/event-stream; charset=utf-8",
        ["application/json", "text/event-stream"],
        "text/event-stream, */*",
        "text/event-stream, cannot-parse",
        'application/json;x="a;b,c", text/event-stream',
    ],
)
def test_is_event_stream(value: str | list[str]) -> None:
    assert is_event_stream(value)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        [],
        "text/plain",
        "text/event-stream, application/json",
        ["text/event-stream", "application/json"],
        "text/event-streams",
        "application/x-text/event-stream",
        "text/plain; x=text/event-stream",
        'text/plain;x="a, text/event-stream"',
        "text/event-stream/x",
    ],
)
def test_is_not_event_stream(value: str | list[str] | None) -> None:
    assert not is_event_stream(value)
