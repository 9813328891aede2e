"""The same checks against ``httpx_sse`` and ``ssecodec.httpx``, side by side.

Every test takes the library as a parameter (``lib``) and runs unchanged against both; where
they differ the expectation is written per library (``per_lib``), with the rule that makes
httpx-sse non-conformant: R-numbers are the parsing rules of the WHATWG HTML standard as
``docs/spec.md`` numbers them, and the ``Content-Type`` check follows the Fetch standard's
"extract a MIME type" (what browsers use for ``EventSource``).

The first part ports httpx-sse's own test suite (0.4.3: ``test_api``, ``test_asgi``,
``test_event_source``, ``test_exceptions``, ``test_models``; its tests of the private
``_iter_sse_lines`` are left out). The second part covers what a user switching imports
relies on beyond it.
"""

from __future__ import annotations

import asyncio
import copy
import gzip
import importlib
import json
import pickle
import weakref
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any, TypeVar

import httpx
import pytest

HTTPX_SSE = "httpx_sse"
SSECODEC = "ssecodec.httpx"

T = TypeVar("T")


@pytest.fixture(params=[HTTPX_SSE, SSECODEC])
def lib(request: pytest.FixtureRequest) -> ModuleType:
    return importlib.import_module(request.param)


def per_lib(lib: ModuleType, *, httpx_sse: T, ssecodec: T) -> T:
    """The expectation for ``lib``: the two libraries differ here."""
    return httpx_sse if lib.__name__ == HTTPX_SSE else ssecodec


def body(*chunks: bytes) -> httpx.SyncByteStream:
    class Body(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield from chunks

    return Body()


def abody(*chunks: bytes) -> httpx.AsyncByteStream:
    class AsyncBody(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

    return AsyncBody()


def stream_response(*chunks: bytes, content_type: str | None = "text/event-stream") -> Any:
    headers = {} if content_type is None else {"content-type": content_type}
    return httpx.Response(200, headers=headers, stream=body(*chunks))


def events_of(lib: ModuleType, *chunks: bytes, content_type: str = "text/event-stream") -> Any:
    return list(lib.EventSource(stream_response(*chunks, content_type=content_type)).iter_sse())


def fields(events: Any) -> list[tuple[str, str, str, int | None]]:
    return [(e.event, e.data, e.id, e.retry) for e in events]


# -- httpx-sse's suite: test_api.py ------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param("text/event-stream", id="exact"),
        pytest.param("application/json, text/event-stream; charset=utf-8", id="contains"),
    ],
)
def test_connect_sse(lib: ModuleType, content_type: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/":
            return httpx.Response(200, text="Hello, world!")
        assert request.url.path == "/sse"
        return httpx.Response(200, headers={"content-type": content_type}, text="data: test\n\n")

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        response = client.request("GET", "http://testserver")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/plain; charset=utf-8"

        with lib.connect_sse(client, "GET", "http+sse://testserver/sse") as event_source:
            assert event_source.response.request.headers["cache-control"] == "no-store"
            # httpx-sse's test stops here; the events are what matters.
            assert fields(event_source.iter_sse()) == [("message", "test", "", None)]


def test_connect_sse_non_event_stream_received(lib: ModuleType) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/"
        return httpx.Response(200, text="Hello, world!")

    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as client,
        pytest.raises(lib.SSEError, match="text/event-stream"),
        lib.connect_sse(client, "GET", "http://testserver") as event_source,
    ):
        for _ in event_source.iter_sse():
            pass  # pragma: no cover


def test_aconnect_sse(lib: ModuleType) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/":
            return httpx.Response(200, text="Hello, world!")
        assert request.url.path == "/sse"
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, text="data: test\n\n"
        )

    async def main() -> list[Any]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            response = await client.request("GET", "http://testserver")
            assert response.status_code == 200
            assert response.headers["content-type"] == "text/plain; charset=utf-8"
            async with lib.aconnect_sse(client, "GET", "http+sse://testserver/sse") as event_source:
                assert event_source.response.request.headers["cache-control"] == "no-store"
                return [sse async for sse in event_source.aiter_sse()]

    assert fields(asyncio.run(main())) == [("message", "test", "", None)]


# -- httpx-sse's suite: test_asgi.py (served by ssecodec.starlette: sse-starlette is not a
# test dependency, and the server side is not what is compared) ------------------------------


def test_asgi(lib: ModuleType) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from ssecodec.starlette import EventSourceResponse

    async def auth_events(request: Request) -> Response:
        async def events() -> AsyncIterator[dict[str, str]]:
            yield {"event": "login", "data": '{"user_id": "4135"}'}

        return EventSourceResponse(events())

    app = Starlette(routes=[Route("/sse/auth/", endpoint=auth_events)])

    async def main() -> None:
        transport = httpx.ASGITransport(app)
        async with (
            httpx.AsyncClient(transport=transport) as client,
            lib.aconnect_sse(client, "GET", "http://testserver/sse/auth/") as event_source,
        ):
            (sse,) = [sse async for sse in event_source.aiter_sse()]
            assert sse.event == "login"
            assert sse.json() == {"user_id": "4135"}

    asyncio.run(main())


# -- httpx-sse's suite: test_event_source.py ---------------------------------------------------


def test_iter_sse_whatwg_example1(lib: ModuleType) -> None:
    events = events_of(lib, b"data: YH00\n", b"data: +2\n", b"data: 10\n", b"\n")
    assert fields(events) == [("message", "YH00\n+2\n10", "", None)]


def test_iter_sse_whatwg_example2(lib: ModuleType) -> None:
    events = events_of(
        lib,
        b": test stream\n",
        b"\n",
        b"data: first event\n",
        b"id: 1\n",
        b"\n",
        b"data: second event\n",
        b"id\n",
        b"\n",
        b"data:  third event\n",
        b"\n",
    )
    assert fields(events) == [
        ("message", "first event", "1", None),
        ("message", "second event", "", None),
        ("message", " third event", "", None),
    ]


def test_iter_sse_whatwg_example3(lib: ModuleType) -> None:
    events = events_of(lib, b"data\n", b"\n", b"data\n", b"data\n", b"\n", b"data:\n")
    assert fields(events) == [("message", "", "", None), ("message", "\n", "", None)]


def test_iter_sse_whatwg_example4(lib: ModuleType) -> None:
    events = events_of(lib, b"data:test\n", b"\n", b"data: test\n", b"\n")
    assert fields(events) == [("message", "test", "", None), ("message", "test", "", None)]


def test_iter_sse_event(lib: ModuleType) -> None:
    events = events_of(lib, b"event: logline\n", b"data: New user connected\n", b"\n")
    assert fields(events) == [("logline", "New user connected", "", None)]


def test_iter_sse_id_null(lib: ModuleType) -> None:
    events = events_of(lib, b"data: test\n", b"id: 123\0\n", b"\n")
    assert fields(events) == [("message", "test", "", None)]


def test_iter_sse_id_retry(lib: ModuleType) -> None:
    """A block with only ``retry`` sets the reconnection time and dispatches nothing (R19:
    the data buffer is empty); httpx-sse yields an empty event for it."""
    events = events_of(lib, b"retry: 10000\n", b"\n")
    assert fields(events) == per_lib(lib, httpx_sse=[("message", "", "", 10000)], ssecodec=[])


def test_iter_sse_id_retry_invalid(lib: ModuleType) -> None:
    assert events_of(lib, b"retry: 1667a\n", b"\n") == []


def test_iter_sse_unknown_field(lib: ModuleType) -> None:
    assert events_of(lib, b"something: ignore\n", b"\n") == []


def test_unicode_line_separator_not_parsed_as_newline(lib: ModuleType) -> None:
    events = events_of(
        lib, b"event: message\n", b'data: {"text":"Hello\xe2\x80\xa8World"}\n', b"\n"
    )
    assert fields(events) == [("message", '{"text":"Hello\u2028World"}', "", None)]


def test_aiter_sse(lib: ModuleType) -> None:
    response = httpx.Response(
        200,
        headers={"content-type": "text/event-stream"},
        stream=abody(b"data: YH00\n", b"data: +2\n", b"data: 10\n", b"\n"),
    )

    async def main() -> list[Any]:
        return [sse async for sse in lib.EventSource(response).aiter_sse()]

    assert fields(asyncio.run(main())) == [("message", "YH00\n+2\n10", "", None)]


# -- httpx-sse's suite: test_exceptions.py and test_models.py ---------------------------------


def test_sse_error(lib: ModuleType) -> None:
    assert issubclass(lib.SSEError, httpx.TransportError)


def test_sse_default(lib: ModuleType) -> None:
    sse = lib.ServerSentEvent()
    assert (sse.event, sse.data, sse.id, sse.retry) == ("message", "", "", None)


def test_sse_json(lib: ModuleType) -> None:
    with pytest.raises(json.JSONDecodeError):
        lib.ServerSentEvent().json()
    assert lib.ServerSentEvent(data='{"key": "value"}').json() == {"key": "value"}
    assert lib.ServerSentEvent(data='["item1", "item2"]').json() == ["item1", "item2"]


def test_sse_repr(lib: ModuleType) -> None:
    assert repr(lib.ServerSentEvent()) == "ServerSentEvent(event='message')"
    sse = lib.ServerSentEvent(data="data", retry=3, id="id", event="event")
    assert repr(sse) == "ServerSentEvent(event='event', data='data', id='id', retry=3)"


# -- Content-Type: a list of types, or the header sent twice ----------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/event-stream",
        "text/event-stream; charset=utf-8",
        "application/json, text/event-stream; charset=utf-8",
        "text/event-stream, text/event-stream",  # the header sent twice, as httpx joins it
        "text/event-stream;charset=utf-8, text/event-stream;charset=utf-8",
        "text/event-stream, */*",  # */* is skipped
        "text/event-stream, cannot-parse",  # so is what does not parse
    ],
)
def test_event_stream_content_types(lib: ModuleType, content_type: str) -> None:
    events = events_of(lib, b"data: x\n\n", content_type=content_type)
    assert fields(events) == [("message", "x", "", None)]


def test_content_type_header_sent_twice(lib: ModuleType) -> None:
    response = httpx.Response(
        200,
        headers=[("content-type", "text/event-stream"), ("content-type", "text/event-stream")],
        stream=body(b"data: x\n\n"),
    )
    assert fields(lib.EventSource(response).iter_sse()) == [("message", "x", "", None)]


@pytest.mark.parametrize(
    "content_type",
    [
        # Fetch: the last type that parses wins, here application/json.
        "text/event-stream, application/json",
        # Fetch: the essence must be text/event-stream, not contain it.
        "text/event-streams",
        "application/x-text/event-stream",
    ],
)
def test_content_types_httpx_sse_takes_for_a_stream(lib: ModuleType, content_type: str) -> None:
    """httpx-sse accepts any Content-Type whose part before the first ";" contains
    ``text/event-stream``; a browser (Fetch's "extract a MIME type") refuses these."""
    source = lib.EventSource(stream_response(b"data: x\n\n", content_type=content_type))
    if lib.__name__ == HTTPX_SSE:
        assert fields(source.iter_sse()) == [("message", "x", "", None)]
    else:
        with pytest.raises(lib.SSEError, match="text/event-stream"):
            list(source.iter_sse())


@pytest.mark.parametrize(
    "content_type",
    [
        # MIME types are case-insensitive; httpx-sse compares case-sensitively.
        "TEXT/Event-Stream ; charset=UTF-8",
        # Fetch splits the list on commas outside quoted strings and the last type wins;
        # httpx-sse looks only before the first ";".
        'application/json;x="a;b", text/event-stream',
    ],
)
def test_content_types_httpx_sse_refuses(lib: ModuleType, content_type: str) -> None:
    """Event streams for a browser (Fetch's "extract a MIME type") that httpx-sse refuses."""
    source = lib.EventSource(stream_response(b"data: x\n\n", content_type=content_type))
    if lib.__name__ == HTTPX_SSE:
        with pytest.raises(lib.SSEError):
            list(source.iter_sse())
    else:
        assert fields(source.iter_sse()) == [("message", "x", "", None)]


@pytest.mark.parametrize("content_type", [None, "", "text/plain", "application/json"])
def test_not_an_event_stream(lib: ModuleType, content_type: str | None) -> None:
    source = lib.EventSource(stream_response(b"data: x\n\n", content_type=content_type))
    with pytest.raises(lib.SSEError, match="text/event-stream"):
        list(source.iter_sse())


# -- SSEError on a response built by hand (no request attached) -------------------------------


def test_sse_error_without_a_request(lib: ModuleType) -> None:
    response = httpx.Response(200, headers={"content-type": "application/json"})
    with pytest.raises(lib.SSEError) as info:
        next(lib.EventSource(response).iter_sse())
    with pytest.raises(RuntimeError):
        info.value.request  # noqa: B018  # httpx: "The .request property has not been set."


def test_async_sse_error_without_a_request(lib: ModuleType) -> None:
    response = httpx.Response(500, headers={"content-type": "text/html"}, stream=abody(b"<p>"))

    async def main() -> None:
        with pytest.raises(lib.SSEError):
            await lib.EventSource(response).aiter_sse().__anext__()

    asyncio.run(main())


# -- the body of an error answer stays readable -----------------------------------------------

ERROR_BODY = json.dumps({"error": {"message": "rate limited", "pad": "x" * 2000}}).encode()


def error_chunks() -> list[bytes]:
    return [ERROR_BODY[i : i + 100] for i in range(0, len(ERROR_BODY), 100)]


@pytest.mark.parametrize("status", [429, 500])
def test_error_body_readable_after_sse_error(lib: ModuleType, status: int) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status, headers={"content-type": "application/json"}, stream=body(*error_chunks())
        )

    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as client,
        lib.connect_sse(client, "GET", "http://testserver/sse") as event_source,
    ):
        with pytest.raises(lib.SSEError) as info:
            list(event_source.iter_sse())
        assert event_source.response.read() == ERROR_BODY
        assert event_source.response.json()["error"]["message"] == "rate limited"
    if lib.__name__ == SSECODEC:  # httpx-sse's message names the Content-Type only
        message = str(info.value)
        assert f"HTTP {status}" in message
        assert '{"error": {"message": "rate limited"' in message  # the preview


def test_error_body_readable_after_sse_error_async(lib: ModuleType) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            429, headers={"content-type": "application/json"}, stream=abody(*error_chunks())
        )

    async def main() -> None:
        async with (
            httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client,
            lib.aconnect_sse(client, "GET", "http://testserver/sse") as event_source,
        ):
            with pytest.raises(lib.SSEError):
                await event_source.aiter_sse().__anext__()
            assert await event_source.response.aread() == ERROR_BODY
            assert event_source.response.json()["error"]["message"] == "rate limited"

    asyncio.run(main())


def test_compressed_error_body(lib: ModuleType) -> None:
    packed = gzip.compress(ERROR_BODY)
    response = httpx.Response(
        503,
        headers={"content-type": "application/json", "content-encoding": "gzip"},
        stream=body(packed[:300], packed[300:]),
    )
    with pytest.raises(lib.SSEError) as info:
        next(lib.EventSource(response).iter_sse())
    assert response.read() == ERROR_BODY
    if lib.__name__ == SSECODEC:
        assert info.value.body == ERROR_BODY[:512]  # the preview is the decoded body


def test_error_while_reading_the_error_body(lib: ModuleType) -> None:
    """A network error inside the body reaches the reader of the body, as without the check."""

    class Broken(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield b'{"error": '
            raise httpx.ReadError("connection reset")

    response = httpx.Response(502, headers={"content-type": "application/json"}, stream=Broken())
    with pytest.raises(lib.SSEError):
        next(lib.EventSource(response).iter_sse())
    with pytest.raises(httpx.ReadError, match="connection reset"):
        response.read()


# -- ServerSentEvent ---------------------------------------------------------------------------


def test_server_sent_event_positional(lib: ModuleType) -> None:
    sse = lib.ServerSentEvent("update", "x", "7", 1000)
    assert (sse.event, sse.data, sse.id, sse.retry) == ("update", "x", "7", 1000)


@pytest.mark.parametrize("event", [None, ""])
def test_server_sent_event_defaults(lib: ModuleType, event: str | None) -> None:
    sse = lib.ServerSentEvent(event=event, data=None, id=None, retry=None)
    assert (sse.event, sse.data, sse.id, sse.retry) == ("message", "", "", None)
    assert lib.ServerSentEvent(data="x").id == ""


def test_server_sent_event_is_read_only(lib: ModuleType) -> None:
    sse = lib.ServerSentEvent(data="x")
    for name in ("event", "data", "id", "retry"):
        with pytest.raises(AttributeError):
            setattr(sse, name, "y")
    sse.note = "attributes of one's own are fine"
    assert sse.note == "attributes of one's own are fine"


def test_server_sent_event_subclass(lib: ModuleType) -> None:
    class Message(lib.ServerSentEvent):  # type: ignore[name-defined, misc]
        def __init__(self, data: str) -> None:
            super().__init__("chat", data)

        def text(self) -> str:
            return str(self.json()["text"])

    message = Message('{"text": "hi"}')
    assert (message.event, message.text()) == ("chat", "hi")
    assert isinstance(message, lib.ServerSentEvent)
    assert repr(message) == """ServerSentEvent(event='chat', data='{"text": "hi"}')"""


def test_server_sent_event_equality(lib: ModuleType) -> None:
    """httpx-sse's events compare by identity; ssecodec's by value (same class, same four
    attributes), and hash alike when equal."""
    a, b = lib.ServerSentEvent("e", "d", "1", 5), lib.ServerSentEvent("e", "d", "1", 5)
    assert a == a
    assert (a == b) is per_lib(lib, httpx_sse=False, ssecodec=True)
    assert a != lib.ServerSentEvent("e", "d", "2", 5)
    assert len({a, b}) == per_lib(lib, httpx_sse=2, ssecodec=1)


def test_server_sent_event_copies(lib: ModuleType) -> None:
    (decoded,) = events_of(lib, b"event: e\ndata: d\nid: 1\nretry: 5\n\n")
    for sse in (lib.ServerSentEvent("e", "d", "1", 5), decoded):
        assert type(sse) is lib.ServerSentEvent
        for clone in (pickle.loads(pickle.dumps(sse)), copy.copy(sse), copy.deepcopy(sse)):
            assert fields([clone]) == [("e", "d", "1", 5)]
        assert weakref.ref(sse)() is sse


def test_json_is_the_standard_library(lib: ModuleType) -> None:
    """``json()`` is ``json.loads``: big integers stay exact, NaN is accepted."""
    sse = lib.ServerSentEvent(data='{"n": 123456789012345678901234567890, "x": NaN}')
    value = sse.json()
    assert value["n"] == 123456789012345678901234567890
    assert value["x"] != value["x"]


# -- decoding: where httpx-sse departs from the spec ------------------------------------------


def test_id_only_block(lib: ModuleType) -> None:
    """R18/R19: an id-only block sets the last event ID and dispatches nothing."""
    events = events_of(lib, b"id: 5\n\ndata: x\n\n")
    assert fields(events) == per_lib(
        lib,
        httpx_sse=[("message", "", "5", None), ("message", "x", "5", None)],
        ssecodec=[("message", "x", "5", None)],
    )


def test_event_only_block(lib: ModuleType) -> None:
    """R19: an event type without data is forgotten at the blank line."""
    events = events_of(lib, b"event: ping\n\ndata: x\n\n")
    assert fields(events) == per_lib(
        lib,
        httpx_sse=[("ping", "", "", None), ("message", "x", "", None)],
        ssecodec=[("message", "x", "", None)],
    )


def test_blank_lines_after_an_id(lib: ModuleType) -> None:
    """R9/R19: extra blank lines dispatch nothing; httpx-sse, once an id was seen, yields an
    empty event for each."""
    events = events_of(lib, b"id: 1\ndata: x\n\n\n\n")
    empty = ("message", "", "1", None)
    assert fields(events) == per_lib(
        lib,
        httpx_sse=[("message", "x", "1", None), empty, empty],
        ssecodec=[("message", "x", "1", None)],
    )


def test_leading_bom(lib: ModuleType) -> None:
    """R2: one leading byte order mark is removed; httpx-sse keeps it, so the first line's
    field name is "\\ufeffdata" and the first event is lost."""
    events = events_of(lib, b"\xef\xbb\xbfdata: first\n\ndata: second\n\n")
    assert [e.data for e in events] == per_lib(
        lib, httpx_sse=["second"], ssecodec=["first", "second"]
    )


def test_charset_parameter_is_ignored(lib: ModuleType) -> None:
    """R1: the stream is always UTF-8; httpx-sse decodes with the charset parameter."""
    events = events_of(
        lib, "data: café\n\n".encode(), content_type="text/event-stream; charset=latin-1"
    )
    assert [e.data for e in events] == per_lib(lib, httpx_sse=["cafÃ©"], ssecodec=["café"])


@pytest.mark.parametrize(("value", "httpx_sse_retry"), [("+5", 5), ("1_0", 10), ("５", 5)])
def test_retry_not_all_ascii_digits(lib: ModuleType, value: str, httpx_sse_retry: int) -> None:
    """R16: a retry value that is not only ASCII digits is ignored; httpx-sse uses int()."""
    events = events_of(lib, f"retry: {value}\ndata: x\n\n".encode())
    assert [e.retry for e in events] == per_lib(lib, httpx_sse=[httpx_sse_retry], ssecodec=[None])


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_chunking_does_not_matter(lib: ModuleType, size: int) -> None:
    """R5/R7: CRLF, CR and LF, split anywhere, including inside CRLF and a UTF-8 character."""
    stream = "data: a\r\ndata: ü€\r\rid: 9\revent: e\ndata: b\r\n\r\n".encode()
    chunks = [stream[i : i + size] for i in range(0, len(stream), size)]
    expected = [("message", "a\nü€", "", None), ("e", "b", "9", None)]
    assert fields(events_of(lib, *chunks)) == expected


@pytest.mark.parametrize("coding", ["gzip", "identity, gzip"])
def test_compressed_event_stream(lib: ModuleType, coding: str) -> None:
    """A body with a content coding is decoded first (httpx's ``iter_bytes``), sync and async."""
    packed = gzip.compress(b"id: 1\ndata: a\n\ndata: b\n\n")
    headers = {"content-type": "text/event-stream", "content-encoding": coding}
    expected = [("message", "a", "1", None), ("message", "b", "1", None)]
    response = httpx.Response(200, headers=headers, stream=body(packed[:9], packed[9:]))
    assert fields(lib.EventSource(response).iter_sse()) == expected

    async def main() -> list[Any]:
        response = httpx.Response(200, headers=headers, stream=abody(packed[:9], packed[9:]))
        return [sse async for sse in lib.EventSource(response).aiter_sse()]

    assert fields(asyncio.run(main())) == expected


def test_body_already_read(lib: ModuleType) -> None:
    """A response whose body was read (or given whole) is decoded from its content."""
    response = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=b"data: a\n\ndata: b\n\n"
    )
    assert [e.data for e in lib.EventSource(response).iter_sse()] == ["a", "b"]
    streamed = stream_response(b"data: c\n", b"\n")
    streamed.read()
    assert [e.data for e in lib.EventSource(streamed).iter_sse()] == ["c"]


def test_bytes_downloaded_and_closed(lib: ModuleType) -> None:
    """The response counts the bytes read and is closed at the end of the stream."""
    chunks = (b"data: a\n\n", b"data: bc\n\n")
    response = stream_response(*chunks)
    assert len(list(lib.EventSource(response).iter_sse())) == 2
    assert response.num_bytes_downloaded == sum(map(len, chunks))
    assert response.is_stream_consumed and response.is_closed
