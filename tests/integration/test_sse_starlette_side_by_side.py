"""The same checks against sse-starlette (3.7.0) and ``ssecodec.sse_starlette``, side by side.

Every test takes the library as a parameter (``lib``: the names a user imports, from
``sse_starlette.sse`` and ``sse_starlette.event`` or from ``ssecodec.sse_starlette``) and runs
unchanged against both; where they differ the expectation is written per library
(``per_lib``), with the reason: ssecodec refuses what a reader would misread or ignore (an id
holding NUL, a negative or bool ``retry``, an unknown separator), never starts a write while
another is under way, sends keep-alives only when the stream is idle, and writes the events a
generator yields back to back together.

The responses are driven as ASGI apps with a scripted peer (``Peer``), and once through
uvicorn. A last test compares the encoders on generated values.
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import itertools
import json
import re
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import anyio
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message

import ssecodec
from conftest import UvicornServer

SSE_STARLETTE = "sse_starlette"
SSECODEC = "ssecodec.sse_starlette"
NAMES = (
    "AppStatus",
    "EventSourceResponse",
    "JSONServerSentEvent",
    "SendTimeoutError",
    "ServerSentEvent",
    "ensure_bytes",
)
T = TypeVar("T")


def load(name: str) -> SimpleNamespace:
    """What a user imports: ``from sse_starlette.sse import ...`` (and ``.event``), or the
    same names from ``ssecodec.sse_starlette``."""
    if name == SSE_STARLETTE:
        sse = importlib.import_module("sse_starlette.sse")
        event = importlib.import_module("sse_starlette.event")
        found = {n: getattr(sse, n, None) or getattr(event, n) for n in NAMES}
        shutdown_module = sse
    else:
        module = importlib.import_module(name)
        found = {n: getattr(module, n) for n in NAMES}
        shutdown_module = importlib.import_module("ssecodec._sse_starlette_shutdown")
    return SimpleNamespace(name=name, shutdown_module=shutdown_module, **found)


@pytest.fixture(params=[SSE_STARLETTE, SSECODEC])
def lib(request: pytest.FixtureRequest) -> Iterator[SimpleNamespace]:
    found = load(request.param)
    reset_shutdown(found)
    yield found
    reset_shutdown(found)


def reset_shutdown(found: SimpleNamespace) -> None:
    found.AppStatus.should_exit = False
    found.AppStatus.enable_automatic_graceful_drain = True
    state = found.shutdown_module._thread_state
    if hasattr(state, "shutdown_state"):
        del state.shutdown_state


def per_lib(lib: SimpleNamespace, *, sse_starlette: T, ssecodec: T) -> T:
    """The expectation for ``lib``: the two libraries differ here."""
    return sse_starlette if lib.name == SSE_STARLETTE else ssecodec


def arun(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


SCOPE: dict[str, Any] = {"type": "http", "method": "GET", "headers": []}


class Peer:
    """An ASGI peer: records what is sent, can stall or fail body writes, and can leave."""

    def __init__(
        self,
        *,
        stall: bool = False,
        fail: BaseException | None = None,
        write_time: float = 0.0,
        leave_after: float | None = None,
    ) -> None:
        self.messages: list[Message] = []
        self.stall = stall
        self.fail = fail
        self.write_time = write_time
        self.leave_after = leave_after
        self.writing = 0
        self.most_writing = 0
        self.times: list[float] = []
        self.started = time.monotonic()

    async def send(self, message: Message) -> None:
        self.messages.append(message)
        self.times.append(time.monotonic() - self.started)
        if message["type"] != "http.response.body" or not message.get("more_body"):
            return
        if self.fail is not None:
            raise self.fail
        if self.stall:
            await anyio.sleep_forever()
        if self.write_time:
            self.writing += 1
            self.most_writing = max(self.most_writing, self.writing)
            try:
                await anyio.sleep(self.write_time)
            finally:
                self.writing -= 1

    async def receive(self) -> Message:
        await anyio.sleep(float("inf") if self.leave_after is None else self.leave_after)
        return {"type": "http.disconnect"}

    def bodies(self) -> list[bytes]:
        return [m["body"] for m in self.messages if m["type"] == "http.response.body"]

    def ended(self) -> bool:
        """The response was completed (its last body message sent)."""
        return any(
            m["type"] == "http.response.body" and not m.get("more_body") for m in self.messages
        )


def call(response: Any, peer: Peer, scope: dict[str, Any] | None = None) -> Awaitable[None]:
    result: Awaitable[None] = response(scope or SCOPE, peer.receive, peer.send)
    return result


async def paced(items: list[Any], pause: float = 0.01) -> AsyncIterator[Any]:
    for item in items:
        await asyncio.sleep(pause)
        yield item


# -- the events: bytes --------------------------------------------------------------------------

EVENTS = [
    ({"data": "foo"}, b"data: foo\r\n\r\n"),
    ({"data": "foo", "event": "bar"}, b"event: bar\r\ndata: foo\r\n\r\n"),
    ({"data": "foo", "event": "bar", "id": "xyz"}, b"id: xyz\r\nevent: bar\r\ndata: foo\r\n\r\n"),
    (
        {"data": "a\r\nb\nc\rd", "event": "e", "id": "1", "retry": 5, "comment": "x\n\ny"},
        b": x\r\n: \r\n: y\r\nid: 1\r\nevent: e\r\ndata: a\r\ndata: b\r\ndata: c\r\ndata: d\r\n"
        b"retry: 5\r\n\r\n",
    ),
    ({"data": "x", "event": ""}, b"event: \r\ndata: x\r\n\r\n"),
    ({"id": "3", "event": ""}, b"id: 3\r\nevent: \r\n\r\n"),
    ({"data": "z", "id": "a\nb", "event": "c\rd"}, b"id: ab\r\nevent: cd\r\ndata: z\r\n\r\n"),
    ({"data": "z", "event": "\r\n"}, b"event: \r\ndata: z\r\n\r\n"),
    ({}, b"\r\n"),
    ({"comment": ""}, b": \r\n\r\n"),
    ({"data": ""}, b"data: \r\n\r\n"),
    ({"data": 0, "retry": 0}, b"data: 0\r\nretry: 0\r\n\r\n"),
    ({"data": b"raw"}, b"data: b'raw'\r\n\r\n"),
    ({"data": {"a": 1}}, b"data: {'a': 1}\r\n\r\n"),
    ({"id": "", "event": "q"}, b"id: \r\nevent: q\r\n\r\n"),
    ({"retry": 10}, b"retry: 10\r\n\r\n"),
    ({"data": "é ✓ 😀"}, "data: é ✓ 😀\r\n\r\n".encode()),
]


@pytest.mark.parametrize(("fields", "expected"), EVENTS)
def test_server_sent_event_bytes(
    lib: SimpleNamespace, fields: dict[str, Any], expected: bytes
) -> None:
    assert lib.ServerSentEvent(**fields).encode() == expected
    for sep in ("\n", "\r"):
        assert lib.ServerSentEvent(**fields, sep=sep).encode() == expected.replace(
            b"\r\n", sep.encode()
        )


def test_json_server_sent_event(lib: SimpleNamespace) -> None:
    event = lib.JSONServerSentEvent({"a": [1, "é"]}, event="j", id="1")
    assert event.encode() == 'id: 1\r\nevent: j\r\ndata: {"a":[1,"é"]}\r\n\r\n'.encode()
    assert event.data == '{"a":[1,"é"]}'
    assert lib.JSONServerSentEvent().encode() == b"\r\n"
    with pytest.raises(ValueError):
        lib.JSONServerSentEvent(float("nan"))


def test_attributes_can_be_changed(lib: SimpleNamespace) -> None:
    event = lib.ServerSentEvent("a", id="1")
    event.data, event.event, event.retry = "b", "e", 7
    fields = (event.data, event.event, event.id, event.retry, event.comment)
    assert fields == ("b", "e", "1", 7, None)
    assert event.encode() == b"id: 1\r\nevent: e\r\ndata: b\r\nretry: 7\r\n\r\n"
    assert isinstance(lib.JSONServerSentEvent(1), lib.ServerSentEvent)
    event.note = "an attribute of the application's"
    assert event.encode() == b"id: 1\r\nevent: e\r\ndata: b\r\nretry: 7\r\n\r\n"


ITEMS = [
    ("foo", b"data: foo\n\n"),
    (1, b"data: 1\n\n"),
    (1.5, b"data: 1.5\n\n"),
    (None, b"data: None\n\n"),
    (b"data: as is\r\n\r\n", b"data: as is\r\n\r\n"),
    (memoryview(b"raw"), b"raw"),
    (bytearray(b"ba"), b"data: bytearray(b'ba')\n\n"),
    ({"data": 1, "event": "e"}, b"event: e\ndata: 1\n\n"),
    ({"data": "x", "sep": "\r\n"}, b"data: x\n\n"),  # the stream's separator wins
]


@pytest.mark.parametrize(("item", "expected"), ITEMS)
def test_items_of_a_stream(lib: SimpleNamespace, item: Any, expected: bytes) -> None:
    assert lib.ensure_bytes(item, "\n") == expected


def test_a_server_sent_event_keeps_its_own_separator(lib: SimpleNamespace) -> None:
    assert lib.ensure_bytes(lib.ServerSentEvent("x"), "\n") == b"data: x\r\n\r\n"


def test_encoding_errors(lib: SimpleNamespace) -> None:
    with pytest.raises(TypeError, match="retry argument must be int"):
        lib.ServerSentEvent(0, retry="ten").encode()
    with pytest.raises(TypeError, match="bogus"):
        lib.ensure_bytes({"data": 1, "bogus": 2}, "\r\n")
    with pytest.raises(TypeError):
        lib.ServerSentEvent("x", id=5).encode()
    with pytest.raises(ValueError):  # a lone surrogate cannot be sent as UTF-8
        lib.ServerSentEvent("\ud800").encode()


def test_what_ssecodec_refuses(lib: SimpleNamespace) -> None:
    """An id holding NUL is ignored by every reader (the client's last event ID stays as it
    was), and so are a negative or non-digit ``retry``; a separator other than CRLF, CR or LF
    breaks the stream. sse-starlette writes them; ssecodec raises."""
    sse = lib.ServerSentEvent
    cases: list[tuple[Callable[[], bytes], bytes, type[Exception]]] = [
        (sse("x", id="a\0b").encode, b"id: a\0b\r\ndata: x\r\n\r\n", ValueError),
        (sse("x", retry=-1).encode, b"data: x\r\nretry: -1\r\n\r\n", ValueError),
        (sse("x", retry=True).encode, b"data: x\r\nretry: True\r\n\r\n", TypeError),
        (lambda: sse("x", sep="\n\n").encode(), b"data: x\n\n\n\n", ValueError),
    ]
    for make, written, refused in cases:
        if lib.name == SSE_STARLETTE:
            assert make() == written
        else:
            with pytest.raises(refused):
                make()
    with pytest.raises(ValueError, match="sep must be one of"):
        lib.EventSourceResponse(paced([]), sep="\n\n")


def test_an_ssecodec_event_is_an_item_for_ssecodec(lib: SimpleNamespace) -> None:
    async def main() -> list[bytes]:
        peer = Peer()
        items = [ssecodec.Event("x", event="e", id="1")]
        await call(lib.EventSourceResponse(paced(items), ping=0), peer)
        return peer.bodies()

    assert arun(main())[0] == per_lib(
        lib,
        sse_starlette=b"data: Event(data='x', event='e', id='1', retry=None)\r\n\r\n",
        ssecodec=b"event: e\r\nid: 1\r\ndata: x\r\n\r\n",
    )


# -- the response: headers, messages, HEAD, WebSocket denial ------------------------------------


def test_headers(lib: SimpleNamespace) -> None:
    response = lib.EventSourceResponse(paced([]))
    assert response.raw_headers == [
        (b"cache-control", b"no-store"),
        (b"connection", b"keep-alive"),
        (b"x-accel-buffering", b"no"),
        (b"content-type", b"text/event-stream; charset=utf-8"),
    ]
    custom = {"cache-control": "no-cache", "x-accel-buffering": "yes", "connection": "close"}
    response = lib.EventSourceResponse(paced([]), headers={**custom, "x-custom": "v"})
    assert response.raw_headers == [
        (b"cache-control", b"no-cache"),
        (b"x-accel-buffering", b"no"),
        (b"connection", b"keep-alive"),
        (b"x-custom", b"v"),
        (b"content-type", b"text/event-stream; charset=utf-8"),
    ]
    assert lib.EventSourceResponse(paced([]), media_type=None).raw_headers[-1] == (
        b"x-accel-buffering",
        b"no",
    )
    with pytest.raises(NotImplementedError):
        response.enable_compression()


def test_constructor_arguments(lib: SimpleNamespace) -> None:
    response = lib.EventSourceResponse(0)  # not iterated until sent
    assert response.ping_interval == response.DEFAULT_PING_INTERVAL == 15
    assert response.sep == response.DEFAULT_SEPARATOR == "\r\n"
    assert response.send_timeout is None
    response.ping_interval = 2.5
    assert response.ping_interval == 2.5
    with pytest.raises(TypeError, match="ping interval must be int or float"):
        response.ping_interval = "ten"
    with pytest.raises(ValueError, match="ping interval must be >= 0"):
        response.ping_interval = -1
    with pytest.raises(ValueError, match="shutdown_grace_period must be >= 0"):
        lib.EventSourceResponse(0, shutdown_grace_period=-1)
    with pytest.raises(ValueError, match="cleanup_timeout must be >= 0"):
        lib.EventSourceResponse(0, cleanup_timeout=-1)


def test_messages_of_a_stream(lib: SimpleNamespace) -> None:
    """Events that come one at a time: one body message each, then the end."""

    async def main() -> Peer:
        peer = Peer()
        items = ["a", {"data": "b", "id": "2"}, lib.ServerSentEvent("c", event="x"), 4]
        ran: list[str] = []
        background = BackgroundTask(ran.append, "background")
        await call(lib.EventSourceResponse(paced(items), sep="\n", background=background), peer)
        assert ran == ["background"]
        return peer

    peer = arun(main())
    start = {"type": "http.response.start", "status": 200, "headers": peer.messages[0]["headers"]}
    body = {"type": "http.response.body", "more_body": True}
    assert peer.messages == [
        start,
        {**body, "body": b"data: a\n\n"},
        {**body, "body": b"id: 2\ndata: b\n\n"},
        {**body, "body": b"event: x\r\ndata: c\r\n\r\n"},
        {**body, "body": b"data: 4\n\n"},
        {"type": "http.response.body", "body": b"", "more_body": False},
    ]


def test_events_yielded_back_to_back(lib: SimpleNamespace) -> None:
    """sse-starlette writes each event; ssecodec writes those a generator yields without
    waiting together once its first write is done (the bytes are the same)."""

    async def main() -> Peer:
        async def burst() -> AsyncIterator[str]:
            for i in range(10):
                yield str(i)

        peer = Peer()
        await call(lib.EventSourceResponse(burst(), ping=0), peer)
        return peer

    peer = arun(main())
    writes = [body for body in peer.bodies() if body]
    assert b"".join(writes) == b"".join(b"data: %d\r\n\r\n" % i for i in range(10))
    assert per_lib(lib, sse_starlette=len(writes) == 10, ssecodec=len(writes) < 10)
    assert peer.ended()


def test_the_generator_waits_while_a_write_is_under_way(lib: SimpleNamespace) -> None:
    """Both resume the generator only once the write of what it yielded is done."""

    async def main() -> list[str]:
        steps: list[str] = []
        release = anyio.Event()

        async def gen() -> AsyncIterator[str]:
            steps.append("first")
            yield "first"
            steps.append("resumed")
            yield "second"

        async def send(message: Message) -> None:
            if message.get("body") == b"data: first\r\n\r\n":
                await release.wait()

        async def receive() -> Message:
            await anyio.sleep_forever()
            raise AssertionError

        async with anyio.create_task_group() as tg:
            tg.start_soon(lib.EventSourceResponse(gen(), ping=0), SCOPE, receive, send)
            await anyio.sleep(0.1)
            assert steps == ["first"]
            release.set()
        return steps

    assert arun(main()) == ["first", "resumed"]


def test_head(lib: SimpleNamespace) -> None:
    async def main() -> tuple[Peer, list[str]]:
        started: list[str] = []

        async def gen() -> AsyncIterator[str]:
            started.append("started")
            yield "never"

        peer = Peer()
        await call(lib.EventSourceResponse(gen()), peer, {**SCOPE, "method": "HEAD"})
        return peer, started

    peer, started = arun(main())
    assert [m["type"] for m in peer.messages] == ["http.response.start", "http.response.body"]
    assert peer.messages[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    assert started == []


def test_websocket_denial(lib: SimpleNamespace) -> None:
    async def main() -> Peer:
        peer = Peer()
        await call(lib.EventSourceResponse(paced([b"denied"]), ping=0), peer, {"type": "websocket"})
        return peer

    peer = arun(main())
    assert [m["type"] for m in peer.messages] == [
        "websocket.http.response.start",
        "websocket.http.response.body",
        "websocket.http.response.body",
    ]
    assert peer.messages[1]["body"] == b"denied"


# -- keep-alives ------------------------------------------------------------------------------

PING = re.compile(rb": ping - \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00:00\r\n\r\n")


async def idle_stream(lib: SimpleNamespace, seconds: float, **options: Any) -> Peer:
    async def idle() -> AsyncIterator[str]:
        await anyio.sleep_forever()
        yield "never"

    peer = Peer()
    with anyio.move_on_after(seconds):
        await call(lib.EventSourceResponse(idle(), **options), peer)
    return peer


def test_keepalive_bytes(lib: SimpleNamespace) -> None:
    peer = arun(idle_stream(lib, 0.35, ping=0.1))
    assert 2 <= len(peer.bodies()) <= 4
    assert all(PING.fullmatch(body) for body in peer.bodies()), peer.bodies()
    peer = arun(idle_stream(lib, 0.35, ping=0.1, sep="\n"))
    assert all(PING.fullmatch(body.replace(b"\n", b"\r\n")) for body in peer.bodies())
    custom = partial(lib.ServerSentEvent, comment="hi")
    peer = arun(idle_stream(lib, 0.35, ping=0.1, ping_message_factory=custom))
    assert peer.bodies() and set(peer.bodies()) == {b": hi\r\n\r\n"}
    assert arun(idle_stream(lib, 0.3, ping=0)).bodies() == []


def test_keepalive_timing_when_idle(lib: SimpleNamespace) -> None:
    """An idle stream: the first keep-alive after ``ping`` seconds, then every ``ping``."""
    peer = arun(idle_stream(lib, 0.7, ping=0.2))
    times = peer.times[1:]
    assert 2 <= len(times) <= 3, times
    assert 0.15 <= times[0] <= 0.4, times
    assert all(0.15 <= b - a <= 0.4 for a, b in itertools.pairwise(times)), times


def test_keepalives_while_events_flow(lib: SimpleNamespace) -> None:
    """sse-starlette sends one every ``ping`` seconds whatever the traffic; ssecodec only
    after ``ping`` seconds without a write (a stream that is not idle needs none)."""

    async def main() -> Peer:
        peer = Peer()
        items = [f"e{i}" for i in range(12)]
        await call(lib.EventSourceResponse(paced(items, 0.05), ping=0.2), peer)
        return peer

    pings = [body for body in arun(main()).bodies() if body.startswith(b": ping")]
    assert per_lib(lib, sse_starlette=len(pings) >= 2, ssecodec=len(pings) == 0)


def test_writes_never_overlap(lib: SimpleNamespace) -> None:
    """sse-starlette may start a keep-alive while an event is being written (two ``send``
    calls at once); ssecodec starts a write only when the previous one is done."""

    async def main() -> Peer:
        peer = Peer(write_time=0.25)
        await call(lib.EventSourceResponse(paced(["a", "b"], 0.1), ping=0.15), peer)
        return peer

    assert arun(main()).most_writing == per_lib(lib, sse_starlette=2, ssecodec=1)


# -- disconnect, errors, timeouts -----------------------------------------------------------------


async def endless(log: list[str], pause: float = 0.02) -> AsyncIterator[dict[str, Any]]:
    i = 0
    try:
        while True:
            i += 1
            yield {"data": i}
            await anyio.sleep(pause)
    except BaseException as exc:
        log.append(type(exc).__name__)
        raise
    finally:
        log.append("cleanup")
        await anyio.sleep(0.01)  # cleanup that awaits (closing a connection, say)
        log.append("cleanup done")


def stopped(lib: SimpleNamespace, log: list[Any]) -> list[Any]:
    """What ``endless`` logs when the response stops it (then ``log`` goes on).

    Parked at a ``yield`` while its event was being written, it is closed and its cleanup
    runs to the end (within ``cleanup_timeout``), in both. Cancelled while it waits, its
    cleanup runs too; but sse-starlette cancels the task it runs in, so the cleanup's first
    ``await`` is cancelled as well, where ssecodec stops the generator once and lets its
    cleanup finish (for up to 5 s)."""
    if log[0] == "GeneratorExit":
        return ["GeneratorExit", "cleanup", "cleanup done"]
    assert log[0] == "CancelledError", log
    return [log[0], *per_lib(lib, sse_starlette=["cleanup"], ssecodec=["cleanup", "cleanup done"])]


def test_client_disconnect(lib: SimpleNamespace) -> None:
    async def main() -> tuple[Peer, list[Any]]:
        log: list[Any] = []

        async def on_close(message: Message) -> None:
            log.append(message)

        peer = Peer(leave_after=0.15)
        response = lib.EventSourceResponse(
            endless(log),
            client_close_handler_callable=on_close,
            background=BackgroundTask(log.append, "background"),
        )
        with anyio.fail_after(2):
            await call(response, peer)
        return peer, log

    peer, log = arun(main())
    assert log == [{"type": "http.disconnect"}, *stopped(lib, log[1:]), "background"]
    assert len(peer.bodies()) >= 3
    assert not peer.ended()


def test_send_timeout(lib: SimpleNamespace) -> None:
    """A client that stops reading: the generator is stopped, its cleanup runs, then
    ``SendTimeoutError`` (a ``TimeoutError``) is raised."""

    async def main() -> list[str]:
        log: list[str] = []
        response = lib.EventSourceResponse(
            endless(log),
            send_timeout=0.1,
            background=BackgroundTask(log.append, "background"),
        )
        with anyio.fail_after(2), pytest.raises(lib.SendTimeoutError) as caught:
            await call(response, Peer(stall=True))
        assert isinstance(caught.value, TimeoutError)
        return log

    log = arun(main())
    assert log == stopped(lib, log)


def test_keepalive_send_timeout(lib: SimpleNamespace) -> None:
    async def main() -> list[str]:
        log: list[str] = []

        async def idle() -> AsyncIterator[str]:
            try:
                await anyio.sleep_forever()
                yield "never"
            finally:
                log.append("cleanup")

        response = lib.EventSourceResponse(idle(), ping=0.05, send_timeout=0.05)
        with anyio.fail_after(2), pytest.raises(lib.SendTimeoutError):
            await call(response, Peer(stall=True))
        return log

    assert arun(main()) == ["cleanup"]


def test_send_error_propagates(lib: SimpleNamespace) -> None:
    async def main() -> list[str]:
        log: list[str] = []
        error = OSError("connection reset")
        with anyio.fail_after(2), pytest.raises(OSError) as caught:
            await call(lib.EventSourceResponse(endless(log), ping=0), Peer(fail=error))
        assert caught.value is error
        return log

    log = arun(main())
    assert log == stopped(lib, log)


def test_generator_error_propagates_bare(lib: SimpleNamespace) -> None:
    async def main() -> Peer:
        async def boom() -> AsyncIterator[str]:
            yield "first"
            raise RuntimeError("boom")

        peer = Peer()
        with anyio.fail_after(2), pytest.raises(RuntimeError, match="boom"):
            await call(lib.EventSourceResponse(boom(), ping=0), peer)
        return peer

    peer = arun(main())
    assert peer.bodies() == [b"data: first\r\n\r\n"]
    assert not peer.ended()


def test_encoding_error_closes_the_generator(lib: SimpleNamespace) -> None:
    async def main() -> tuple[Peer, list[str]]:
        log: list[str] = []

        async def bad() -> AsyncIterator[dict[str, Any]]:
            try:
                yield {"data": "first"}
                yield {"data": "second", "bogus": 1}
                log.append("resumed")
            finally:
                log.append("cleanup")

        peer = Peer()
        with anyio.fail_after(2), pytest.raises(TypeError, match="bogus"):
            await call(lib.EventSourceResponse(bad(), ping=0), peer)
        return peer, log

    peer, log = arun(main())
    assert peer.bodies() == [b"data: first\r\n\r\n"]
    assert log == ["cleanup"]


# -- shutdown ---------------------------------------------------------------------------------


def test_shutdown_cancels_the_stream(lib: SimpleNamespace) -> None:
    async def main() -> tuple[Peer, list[Any], float]:
        log: list[Any] = []
        peer = Peer()
        response = lib.EventSourceResponse(
            endless(log, 0.05), background=BackgroundTask(log.append, "background")
        )

        async def shut_down() -> None:
            await anyio.sleep(0.2)
            lib.AppStatus.should_exit = True

        began = time.monotonic()
        async with anyio.create_task_group() as tg:
            tg.start_soon(shut_down)
            with anyio.fail_after(3):
                await call(response, peer)
        return peer, log, time.monotonic() - began

    peer, log, took = arun(main())
    assert log == [*stopped(lib, log), "background"]
    assert took < 1.5
    assert not peer.ended()


def test_shutdown_event_and_grace_period(lib: SimpleNamespace) -> None:
    async def main() -> tuple[Peer, list[str]]:
        log: list[str] = []
        shutdown = anyio.Event()

        async def gen() -> AsyncIterator[dict[str, str]]:
            while not shutdown.is_set():
                yield {"data": "tick"}
                with anyio.move_on_after(0.05):
                    await shutdown.wait()
            yield {"event": "shutdown", "data": "bye"}
            log.append("ended")

        peer = Peer()
        response = lib.EventSourceResponse(
            gen(), ping=0, shutdown_event=shutdown, shutdown_grace_period=2
        )

        async def shut_down() -> None:
            await anyio.sleep(0.2)
            lib.AppStatus.should_exit = True

        async with anyio.create_task_group() as tg:
            tg.start_soon(shut_down)
            with anyio.fail_after(3):
                await call(response, peer)
        return peer, log

    peer, log = arun(main())
    assert log == ["ended"]
    assert peer.bodies()[-2:] == [b"event: shutdown\r\ndata: bye\r\n\r\n", b""]
    assert peer.ended()


def test_automatic_drain_can_be_disabled(lib: SimpleNamespace) -> None:
    lib.AppStatus.disable_automatic_graceful_drain()
    original, lib.AppStatus.original_handler = lib.AppStatus.original_handler, None
    try:
        lib.AppStatus.handle_exit()
        assert lib.AppStatus.should_exit is False
        lib.AppStatus.enable_automatic_graceful_drain_mode()
        lib.AppStatus.handle_exit()
        assert lib.AppStatus.should_exit is True
    finally:
        lib.AppStatus.original_handler = original


# -- content kinds: memory channels (the MCP SDK's use), sync iterables ---------------------------


def test_memory_channel_and_data_sender(lib: SimpleNamespace) -> None:
    """The MCP SDK's SSE transports: dicts from a memory channel, a data sender feeding it."""

    async def main() -> Peer:
        send_stream, receive_stream = anyio.create_memory_object_stream[dict[str, Any]](0)

        async def writer() -> None:
            async with send_stream:
                await send_stream.send({"id": "0", "data": "", "retry": 3000})
                await send_stream.send({"event": "endpoint", "data": "/messages/?session_id=1"})
                for i in range(3):
                    message = {"jsonrpc": "2.0", "id": i, "result": {}}
                    await send_stream.send({"event": "message", "data": json.dumps(message)})

        peer = Peer()
        response = lib.EventSourceResponse(content=receive_stream, data_sender_callable=writer)
        with anyio.fail_after(2), receive_stream:
            await call(response, peer)
        return peer

    peer = arun(main())
    assert b"".join(peer.bodies()) == (
        b"id: 0\r\ndata: \r\nretry: 3000\r\n\r\n"
        b"event: endpoint\r\ndata: /messages/?session_id=1\r\n\r\n"
        + b"".join(
            b'event: message\r\ndata: {"jsonrpc": "2.0", "id": %d, "result": {}}\r\n\r\n' % i
            for i in range(3)
        )
    )
    assert peer.ended()


def test_memory_channel_closed_when_the_client_leaves(lib: SimpleNamespace) -> None:
    async def main() -> list[type[BaseException]]:
        exits: list[type[BaseException]] = []
        send_stream, receive_stream = anyio.create_memory_object_stream[dict[str, Any]](1)

        async def writer() -> None:
            try:
                async with send_stream:
                    for i in range(100):
                        await send_stream.send({"data": str(i)})
            except BaseException as exc:
                exits.append(type(exc))
                raise

        response = lib.EventSourceResponse(receive_stream, ping=0, data_sender_callable=writer)
        with anyio.fail_after(2):
            await call(response, Peer(stall=True, leave_after=0.1))
        with pytest.raises(anyio.ClosedResourceError):
            receive_stream.receive_nowait()
        return exits

    assert arun(main()) == [asyncio.CancelledError]


def test_data_sender_error_propagates_bare(lib: SimpleNamespace) -> None:
    async def main() -> list[str]:
        log: list[str] = []

        async def sender() -> None:
            await anyio.sleep(0.1)
            raise RuntimeError("sender failed")

        response = lib.EventSourceResponse(endless(log), data_sender_callable=sender)
        with anyio.fail_after(2), pytest.raises(RuntimeError, match="sender failed"):
            await call(response, Peer())
        return log

    log = arun(main())
    assert log == stopped(lib, log)


VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


def test_sync_iterable(lib: SimpleNamespace) -> None:
    """A sync generator runs off the event loop, sees the request's context variables, and
    is closed when the client leaves."""

    def gen(log: list[str]) -> Iterator[Any]:
        try:
            yield VAR.get()
            yield {"data": 2, "event": "two"}
            while True:
                time.sleep(0.01)
                yield "tick"
        finally:
            log.append("closed")

    async def main() -> tuple[Peer, list[str]]:
        log: list[str] = []
        VAR.set("request")
        peer = Peer(leave_after=0.2)
        with anyio.fail_after(2):
            await call(lib.EventSourceResponse(gen(log), ping=0), peer)
        await anyio.sleep(0.1)  # the thread notices
        return peer, log

    peer, log = arun(main())
    body = b"".join(peer.bodies())
    assert body.startswith(b"data: request\r\n\r\nevent: two\r\ndata: 2\r\n\r\ndata: tick\r\n\r\n")
    assert log == per_lib(lib, sse_starlette=[], ssecodec=["closed"])


def test_one_import_line_for_the_mcp_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The line docs/integrations.md gives for code that imports ``sse_starlette`` itself
    (the MCP SDK) makes that import give ssecodec's classes."""
    import ssecodec.sse_starlette

    guide = (Path(__file__).parents[2] / "docs" / "integrations.md").read_text(encoding="utf-8")
    [line] = [line for line in guide.splitlines() if line.startswith("import sys, ssecodec")]
    importlib.import_module("sse_starlette")
    monkeypatch.setitem(sys.modules, "sse_starlette", sys.modules["sse_starlette"])  # restored
    namespace: dict[str, Any] = {}
    exec(line + "\nfrom sse_starlette import EventSourceResponse, ServerSentEvent\n", namespace)
    assert namespace["EventSourceResponse"] is ssecodec.sse_starlette.EventSourceResponse
    assert namespace["ServerSentEvent"] is ssecodec.sse_starlette.ServerSentEvent


# -- through uvicorn --------------------------------------------------------------------------


def test_through_uvicorn(lib: SimpleNamespace) -> None:
    async def events(request: Request) -> Response:
        async def gen() -> AsyncIterator[Any]:
            yield {"event": "greet", "data": "hello", "id": "1"}
            yield lib.JSONServerSentEvent({"n": 2})
            yield "multi\nline"

        response: Response = lib.EventSourceResponse(gen(), ping=0)
        return response

    server = UvicornServer(Starlette(routes=[Route("/events", events)])).start()
    try:
        with httpx.Client(timeout=10) as client:
            got = client.get(f"{server.url}/events")
            head = client.head(f"{server.url}/events")
    finally:
        server.stop()
    assert got.status_code == head.status_code == 200
    for headers in (got.headers, head.headers):
        assert headers["content-type"] == "text/event-stream; charset=utf-8"
        assert headers["cache-control"] == "no-store"
        assert headers["x-accel-buffering"] == "no"
        assert headers["connection"] == "keep-alive"
    assert got.content == (
        b"id: 1\r\nevent: greet\r\ndata: hello\r\n\r\n"
        b'data: {"n":2}\r\n\r\n'
        b"data: multi\r\ndata: line\r\n\r\n"
    )
    assert head.content == b""


# -- the encoders on generated values ---------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
LINE = TEXT.filter(lambda s: "\0" not in s)


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(st.none(), TEXT, st.integers(), st.floats(allow_nan=False)),
    event=st.one_of(st.none(), TEXT),
    id=st.one_of(st.none(), LINE),
    retry=st.one_of(st.none(), st.integers(min_value=0, max_value=10**12)),
    comment=st.one_of(st.none(), TEXT),
    sep=st.sampled_from(["\r\n", "\n", "\r"]),
)
def test_same_bytes_as_sse_starlette(
    data: Any, event: str | None, id: str | None, retry: int | None, comment: str | None, sep: str
) -> None:
    """Whatever sse-starlette can send safely, ssecodec sends byte for byte, as an event and
    as a dict item of a stream."""
    theirs, ours = load(SSE_STARLETTE), load(SSECODEC)
    fields = {"data": data, "event": event, "id": id, "retry": retry, "comment": comment}
    assert (
        ours.ServerSentEvent(**fields, sep=sep).encode()
        == theirs.ServerSentEvent(**fields, sep=sep).encode()
    )
    item = {key: value for key, value in fields.items() if value is not None}
    assert ours.ensure_bytes(item, sep) == theirs.ensure_bytes(item, sep)
    assert ours.ensure_bytes(data, sep) == theirs.ensure_bytes(data, sep)
