"""How the server engine writes: an async producer writes a lone event from its own task,
events ready together go out in one write, and every way a write can end (a timeout, a
client gone, a close request, a producer error) still ends the stream the documented way.

Driven through ``ssecodec.starlette.EventSourceResponse`` called as an ASGI app, with a
scripted ``send`` (no server: the timings here are the engine's own).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import anyio
import pytest
from starlette.types import Message

import ssecodec
from ssecodec import Event, SendTimeout
from ssecodec.starlette import EventSourceResponse

SCOPE = {"type": "http", "asgi": {"spec_version": "2.4"}, "method": "GET"}


class Client:
    """An ASGI peer: collects the body, can stall or fail a write, and can leave."""

    def __init__(self, stall_after: int | None = None, fail_after: int | None = None) -> None:
        self.body: list[bytes] = []
        self.ended = False
        self.stall_after = stall_after
        self.fail_after = fail_after
        self.gone = asyncio.Event()

    async def send(self, message: Message) -> None:
        if message["type"] != "http.response.body":
            return
        if self.fail_after is not None and len(self.body) >= self.fail_after:
            raise OSError("the client went away")
        if self.stall_after is not None and len(self.body) >= self.stall_after:
            await asyncio.Event().wait()  # a client that stopped reading
        if message["body"]:
            self.body.append(message["body"])
        if not message.get("more_body", False):
            self.ended = True

    async def receive(self) -> Message:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    def events(self) -> list[Event]:
        decoder = ssecodec.Decoder()
        return decoder.feed(b"".join(self.body)) + decoder.close()


def run(response: EventSourceResponse, client: Client) -> None:
    async def main() -> None:
        await response(SCOPE, client.receive, client.send)

    asyncio.run(main())


def ticks(n: int, interval: float, cleaned: list[str] | None = None) -> AsyncIterator[Event]:
    async def gen() -> AsyncIterator[Event]:
        try:
            for i in range(n):
                yield Event(f"tick {i}", id=str(i))
                await asyncio.sleep(interval)
        finally:
            if cleaned is not None:
                cleaned.append("async")

    return gen()


def test_events_that_trickle_in_are_written_one_by_one() -> None:
    client = Client()
    response = EventSourceResponse(ticks(20, 0.002))
    run(response, client)
    assert [e.data for e in client.events()] == [f"tick {i}" for i in range(20)]
    assert response.sends == 20
    assert client.ended


def test_bursts_between_waits_are_coalesced_in_order() -> None:
    async def bursts() -> AsyncIterator[Any]:
        for burst in range(5):
            for i in range(100):
                yield Event(f"{burst}.{i}")
            await asyncio.sleep(0.005)
            yield Event(f"{burst}.lone")  # alone after a wait
            await asyncio.sleep(0.005)

    client = Client()
    response = EventSourceResponse(bursts())
    run(response, client)
    expected = [f"{b}.{i}" for b in range(5) for i in [*map(str, range(100)), "lone"]]
    assert [e.data for e in client.events()] == expected
    # Three writes a burst: its head alone (it came after a wait), the rest, the lone event.
    assert response.sends <= 20, response.sends


def test_uncoalesced_writes_one_item_each() -> None:
    async def bursts() -> AsyncIterator[str]:
        for burst in range(3):
            for i in range(50):
                yield f"{burst}.{i}"
            await asyncio.sleep(0.002)

    client = Client()
    response = EventSourceResponse(bursts(), coalesce=False)
    run(response, client)
    assert [e.data for e in client.events()] == [f"{b}.{i}" for b in range(3) for i in range(50)]
    assert response.sends == 150


def test_a_producer_that_never_waits_lets_the_loop_run() -> None:
    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield b"data: " + b"x" * 1000 + b"\n\n"

    client = Client()
    response = EventSourceResponse(endless(), buffer_size=16384)

    async def main() -> None:
        async def leave() -> None:
            await asyncio.sleep(0.2)  # runs only if the producer lets the loop run
            client.gone.set()

        leaving = asyncio.ensure_future(leave())
        await asyncio.wait_for(response(SCOPE, client.receive, client.send), 10)
        await leaving

    asyncio.run(main())
    assert client.body and not client.ended


@pytest.mark.parametrize("interval", [0.0, 0.01])
def test_stalled_write_from_the_producer_times_out(interval: float) -> None:
    cleaned: list[str] = []
    client = Client(stall_after=3)
    response = EventSourceResponse(ticks(10_000, interval, cleaned), send_timeout=0.2)
    began = time.monotonic()
    with pytest.raises(SendTimeout):
        run(response, client)
    assert time.monotonic() - began < 3
    assert cleaned == ["async"]


def test_stalled_write_from_a_thread_producer_times_out() -> None:
    cleaned = threading.Event()

    def sync_ticks() -> Iterator[Event]:
        try:
            while True:
                yield Event("tick")
                time.sleep(0.005)
        finally:
            cleaned.set()

    client = Client(stall_after=3)
    with pytest.raises(SendTimeout):
        run(EventSourceResponse(sync_ticks(), send_timeout=0.2), client)
    assert cleaned.wait(3)


@pytest.mark.parametrize("interval", [0.0, 0.01])
def test_failed_write_from_the_producer_ends_quietly(interval: float) -> None:
    """An OSError from ``send`` means the client left: the response just ends."""
    cleaned: list[str] = []
    client = Client(fail_after=5)
    run(EventSourceResponse(ticks(10_000, interval, cleaned)), client)
    assert len(client.body) == 5
    assert not client.ended
    assert cleaned == ["async"]


@pytest.mark.parametrize("with_on_error", [False, True])
def test_producer_error_after_lone_writes(with_on_error: bool) -> None:
    async def failing() -> AsyncIterator[Event]:
        for i in range(3):
            yield Event(f"ok {i}")
            await asyncio.sleep(0.002)
        raise RuntimeError("upstream broke")

    client = Client()
    on_error = (lambda exc: Event(str(exc), event="error")) if with_on_error else None
    response = EventSourceResponse(failing(), on_error=on_error)
    if with_on_error:
        run(response, client)
        assert [(e.event, e.data) for e in client.events()] == [
            ("message", "ok 0"),
            ("message", "ok 1"),
            ("message", "ok 2"),
            ("error", "upstream broke"),
        ]
        assert client.ended
    else:
        with pytest.raises(RuntimeError, match="upstream broke"):
            run(response, client)
        assert [e.data for e in client.events()] == ["ok 0", "ok 1", "ok 2"]
        assert not client.ended


def test_close_request_while_the_producer_writes() -> None:
    """A close request that comes during a write waits for it: nothing is lost or reordered."""
    from ssecodec.starlette import close_all_streams

    class SlowClient(Client):
        async def send(self, message: Message) -> None:
            if message["type"] == "http.response.body" and message["body"] == b"data: 3\n\n":
                close_all_streams(Event("bye", event="close"))
                await asyncio.sleep(0.05)  # the close request arrives mid-write
            await super().send(message)

    async def numbers() -> AsyncIterator[str]:
        for i in range(1000):
            yield str(i)
            await asyncio.sleep(0.002)

    client = SlowClient()
    run(EventSourceResponse(numbers()), client)
    got = [(e.event, e.data) for e in client.events()]
    assert got[-1] == ("close", "bye")
    assert [data for _, data in got[:-1]] == [str(i) for i in range(len(got) - 1)]
    assert client.ended


def test_keepalive_while_idle_and_not_while_writing() -> None:
    async def slow() -> AsyncIterator[Event]:
        await asyncio.sleep(0.35)
        for i in range(30):
            yield Event(str(i))
            await asyncio.sleep(0.01)

    client = Client()
    run(EventSourceResponse(slow(), ping=0.1), client)
    body = b"".join(client.body)
    head, _, tail = body.partition(b"data: 0\n\n")
    assert 2 <= head.count(b": ping\n") <= 4, head
    assert b": ping" not in tail  # every 10 ms a write: no keep-alive needed


def test_cancel_scopes_inside_the_producer_are_its_own() -> None:
    """A producer may time out its own waits (anyio cancel scopes cancel the task it runs
    in, the same task that writes lone events): the cancellation reaches the producer."""

    async def with_timeouts() -> AsyncIterator[str]:
        for i in range(5):
            with anyio.move_on_after(0.01) as scope:
                await asyncio.sleep(3600)
            yield f"{i} timed out: {scope.cancelled_caught}"

    client = Client()
    run(EventSourceResponse(with_timeouts()), client)
    assert [e.data for e in client.events()] == [f"{i} timed out: True" for i in range(5)]
    assert client.ended


def test_disconnect_while_producer_waits_runs_cleanup_at_once() -> None:
    cleaned: list[str] = []
    client = Client()

    async def main() -> None:
        response = EventSourceResponse(ticks(10**9, 3600, cleaned))
        call = asyncio.ensure_future(response(SCOPE, client.receive, client.send))
        await asyncio.sleep(0.05)
        client.gone.set()
        await asyncio.wait_for(call, 5)

    asyncio.run(main())
    assert cleaned == ["async"]
    assert [e.data for e in client.events()] == ["tick 0"]


async def _never(*_: Any) -> None:
    await asyncio.Event().wait()


@pytest.mark.parametrize("extensions", [{"websocket.http.response": {}}, {}])
def test_websocket_scope_is_denied(extensions: dict[str, Any]) -> None:
    """A WebSocket handshake routed to the response is refused as Starlette's ``Response``
    refuses one (a denial response where the server supports it, else a close), and the
    producer never runs."""
    started: list[bool] = []

    async def producer() -> AsyncIterator[Event]:
        started.append(True)
        yield Event("never sent")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    response = EventSourceResponse(producer(), status_code=200, headers={"x-why": "sse"})
    scope = {"type": "websocket", "path": "/", "headers": [], "extensions": extensions}
    receive: Callable[[], Awaitable[Any]] = _never
    asyncio.run(response(scope, receive, send))
    assert not started
    assert all(not m["type"].startswith("http.") for m in sent), sent
    if extensions:
        assert [m["type"] for m in sent] == [
            "websocket.http.response.start",
            "websocket.http.response.body",
        ]
        assert sent[0]["status"] == 200
        assert (b"x-why", b"sse") in sent[0]["headers"]
        assert sent[1]["body"] == b"" and not sent[1].get("more_body", False)
    else:
        assert [m["type"] for m in sent] == ["websocket.close"]
