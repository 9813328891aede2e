"""The server engine's hooks, without sockets or frameworks: push streams fed by
``EventStream.offer`` and the keep-alive's ``ping_message``. A scripted ``send`` stands for
the framework's write."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import pytest

from ssecodec import Decoder, Event, SendTimeout, encode
from ssecodec._buffer import ChunkBuffer
from ssecodec._server import EventStream

T = TypeVar("T")
REQUEST: contextvars.ContextVar[str] = contextvars.ContextVar("request", default="none")


def run(main: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(asyncio.wait_for(main(), 10))


class Peer:
    """The framework's side: records each write; can hold writes back or fail them."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.contexts: list[str] = []
        self.hold: asyncio.Future[None] | None = None  # writes wait for it while set
        self.fail: BaseException | None = None
        self.gone = asyncio.Event()

    async def send(self, data: bytes) -> None:
        self.contexts.append(REQUEST.get())
        if self.fail is not None:
            raise self.fail
        if self.hold is not None:
            await self.hold
        self.writes.append(data)

    async def wait_disconnect(self) -> None:
        await self.gone.wait()

    def body(self) -> bytes:
        return b"".join(self.writes)


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def started(stream: EventStream, peer: Peer) -> asyncio.Task[bool]:
    task = asyncio.ensure_future(stream.run(peer.send, peer.wait_disconnect))
    await settle()
    return task


def test_offer_to_an_idle_stream_writes_before_it_returns() -> None:
    async def main() -> None:
        peer = Peer()
        stream = EventStream((), push=True, ping=0)
        task = await started(stream, peer)
        assert stream.offer(b"data: 1\n\n") is True
        assert peer.writes == [b"data: 1\n\n"]  # written here: no task had to run
        assert stream.offer(b"data: 2\n\n") is True
        assert peer.writes == [b"data: 1\n\n", b"data: 2\n\n"]
        assert stream.sends == 2
        assert not task.done()  # a push stream stays open
        stream.request_close()
        assert await task is True

    run(main)


def test_offers_during_a_write_are_buffered_and_go_out_together_in_order() -> None:
    async def main() -> None:
        peer = Peer()
        stream = EventStream((), push=True, ping=0)
        task = await started(stream, peer)
        hold = peer.hold = asyncio.get_running_loop().create_future()
        assert stream.offer(b"data: 1\n\n")  # starts, then has to wait
        assert peer.writes == []
        assert stream.offer(b"data: 2\n\n") and stream.offer(b"data: 3\n\n")
        peer.hold = None
        hold.set_result(None)  # the writer task finishes the first write, then the rest
        await settle()
        assert peer.writes == [b"data: 1\n\n", b"data: 2\n\ndata: 3\n\n"]
        stream.request_close()
        assert await task is True

    run(main)


def test_offer_refuses_past_the_limit_and_takes_nothing() -> None:
    async def main() -> None:
        peer = Peer()
        stream = EventStream((), push=True, ping=0, buffer_size=20)
        task = await started(stream, peer)
        hold = peer.hold = asyncio.get_running_loop().create_future()
        assert stream.offer(b"x" * 50)  # idle: taken whatever its size
        assert stream.offer(b"a" * 15)  # an empty buffer takes any chunk
        assert stream.offer(b"b" * 5)  # 20 bytes: at the limit
        assert stream.offer(b"c") is False  # 21 would be over buffer_size
        assert stream.offer(b"c" * 10, limit=30)  # a limit of the caller's
        assert stream.offer(b"d", limit=30) is False
        assert not stream.closed  # refused, not closed: the caller decides
        peer.hold = None
        hold.set_result(None)
        await settle()
        assert peer.body() == b"x" * 50 + b"a" * 15 + b"b" * 5 + b"c" * 10
        stream.request_close()
        await task

    run(main)


def test_offer_is_refused_once_the_stream_is_ending() -> None:
    async def main() -> None:
        peer = Peer()
        stream = EventStream((), push=True, ping=0)
        task = await started(stream, peer)
        stream.offer(b"data: 1\n\n")
        stream.request_close(b"data: bye\n\n")
        assert stream.closed
        assert stream.offer(b"data: 2\n\n") is False
        assert await task is True
        assert peer.body() == b"data: 1\n\ndata: bye\n\n"

        peer, stream = Peer(), EventStream((), push=True, ping=0)
        task = await started(stream, peer)
        peer.gone.set()
        await settle()
        assert stream.closed and stream.offer(b"data: late\n\n") is False
        assert await task is False

    run(main)


def test_offers_before_the_stream_runs_wait_for_it() -> None:
    async def main() -> None:
        peer = Peer()
        stream = EventStream([Event("first")], push=True, ping=0)
        assert stream.offer(b"data: early\n\n")
        task = await started(stream, peer)
        assert peer.body() == b"data: early\n\ndata: first\n\n"
        stream.request_close()
        await task

    run(main)


def test_push_stream_sends_its_content_first_then_stays_open() -> None:
    async def main() -> None:
        peer = Peer()
        closed: list[str] = []

        async def history() -> AsyncIterator[Event]:
            try:
                for i in range(3):
                    yield Event(f"old {i}")
                    await asyncio.sleep(0)
            finally:
                closed.append("aclose")

        stream = EventStream(history(), push=True, ping=0)
        task = await started(stream, peer)
        assert stream.offer(encode("live"))
        await settle()
        assert [e.data for e in Decoder().feed(peer.body())] == ["old 0", "old 1", "old 2", "live"]
        assert not task.done()
        # The producer task has ended: only the writer and the watcher are left.
        coroutines = [getattr(task.get_coro(), "__qualname__", "") for task in asyncio.all_tasks()]
        assert "produce_async" not in coroutines
        assert {"EventStream._write", "EventStream._watch"} <= set(coroutines)
        assert closed == ["aclose"]  # the generator ran out (its finally ran)
        stream.request_close()
        assert await task is True

    run(main)


def test_push_stream_content_cleanup_runs_when_the_stream_ends() -> None:
    class Feed:
        """An async iterator that runs out at once and has an ``aclose``."""

        def __init__(self) -> None:
            self.closed = 0

        def __aiter__(self) -> Feed:
            return self

        async def __anext__(self) -> bytes:
            raise StopAsyncIteration

        async def aclose(self) -> None:
            self.closed += 1

    async def main() -> None:
        for end in ("close", "client gone"):
            peer, feed = Peer(), Feed()
            stream = EventStream(feed, push=True, ping=0)
            task = await started(stream, peer)
            assert feed.closed == 0  # ran out, but the stream is still open
            if end == "close":
                stream.request_close()
            else:
                peer.gone.set()
            await task
            assert feed.closed == 1

    run(main)


def test_push_stream_with_a_producer_error_ends_as_without_push() -> None:
    async def main() -> None:
        async def broken() -> AsyncIterator[str]:
            yield "one"
            raise RuntimeError("upstream broke")

        peer = Peer()
        stream = EventStream(broken(), push=True, ping=0)
        with pytest.raises(RuntimeError, match="upstream broke"):
            await stream.run(peer.send, peer.wait_disconnect)
        assert peer.body() == b"data: one\n\n"
        assert stream.closed and stream.offer(b"data: x\n\n") is False

    run(main)


def test_push_needs_content_that_runs_on_the_loop() -> None:
    def numbers() -> Any:
        yield from range(3)

    with pytest.raises(TypeError, match="push"):
        EventStream(numbers(), push=True)
    EventStream([], push=True)
    EventStream((), push=True)


def test_pushed_write_that_waits_too_long_times_out() -> None:
    async def main() -> None:
        peer = Peer()
        stream = EventStream((), push=True, ping=0, send_timeout=0.1)
        task = await started(stream, peer)
        peer.hold = asyncio.get_running_loop().create_future()  # never released
        assert stream.offer(b"data: 1\n\n")
        with pytest.raises(SendTimeout):
            await task

    run(main)


def test_pushed_write_left_waiting_is_closed_when_the_client_leaves() -> None:
    async def main() -> None:
        peer = Peer()
        stream = EventStream((), push=True, ping=0)
        task = await started(stream, peer)
        cleaned: list[str] = []
        release = asyncio.get_running_loop().create_future()

        async def send(data: bytes) -> None:
            try:
                await release
            finally:
                cleaned.append("send's finally")

        stream._writer.send = send
        peer.gone.set()  # the watcher's news is on its way ...
        assert stream.offer(b"data: 1\n\n")  # ... when a write starts and has to wait
        assert await task is False
        assert cleaned == ["send's finally"]

    run(main)


@pytest.mark.parametrize("failure", ["oserror", "other"])
def test_failed_pushed_write_ends_the_stream(failure: str) -> None:
    async def main() -> None:
        peer = Peer()
        stream = EventStream((), push=True, ping=0)
        task = await started(stream, peer)
        peer.fail = ConnectionResetError() if failure == "oserror" else ValueError("bad frame")
        assert stream.offer(b"data: 1\n\n")  # the failure is the writer task's to report
        assert stream.closed and stream.offer(b"data: 2\n\n") is False
        if failure == "oserror":
            assert await task is False  # the client is gone
        else:
            with pytest.raises(ValueError, match="bad frame"):
                await task

    run(main)


def test_pushed_writes_run_in_the_streams_context() -> None:
    async def main() -> None:
        peer = Peer()
        stream = EventStream((), push=True, ping=0)
        REQUEST.set("the request")
        task = asyncio.ensure_future(stream.run(peer.send, peer.wait_disconnect))
        REQUEST.set("elsewhere")
        await settle()
        stream.offer(b"data: 1\n\n")
        assert peer.contexts == ["the request"]
        stream.request_close()
        await task

    run(main)


def test_push_stream_keeps_alive_while_idle() -> None:
    async def main() -> None:
        peer = Peer()
        stream = EventStream((), push=True, ping=0.05)
        task = await started(stream, peer)
        await asyncio.sleep(0.18)
        assert peer.writes.count(b": ping\n") >= 2
        stream.request_close()
        await task

    run(main)


def test_streams_on_the_loop_have_no_thread_lock() -> None:
    """Only a stream fed by a producer thread carries the lock and condition it needs."""
    assert type(EventStream((), push=True)._writer.buffer) is ChunkBuffer
    assert type(EventStream([Event("x")])._writer.buffer) is ChunkBuffer
    assert type(EventStream(iter([Event("x")]))._writer.buffer) is not ChunkBuffer
    assert not hasattr(EventStream(()), "__dict__")


# -- the keep-alive message -------------------------------------------------------------------


async def idle_then(item: Any, delay: float) -> AsyncIterator[Any]:
    await asyncio.sleep(delay)
    yield item


@pytest.mark.parametrize(
    ("ping_message", "expected"),
    [
        (None, b": ping\n"),
        (b": beat\n\n", b": beat\n\n"),
        (Event("beat", event="ping"), b"event: ping\ndata: beat\n\n"),
        ({"comment": "still here"}, b": still here\n\n"),
        ("tick", b"data: tick\n\n"),
    ],
)
def test_ping_message_is_sent_as_the_keep_alive(ping_message: Any, expected: bytes) -> None:
    async def main() -> None:
        peer = Peer()
        stream = EventStream(idle_then("end", 0.17), ping=0.05, ping_message=ping_message)
        assert await stream.run(peer.send) is True
        assert peer.writes[-1] == b"data: end\n\n"
        assert len(peer.writes) >= 3 and set(peer.writes[:-1]) == {expected}

    run(main)


def test_ping_message_callable_is_called_for_each_keep_alive() -> None:
    async def main() -> None:
        calls: list[int] = []

        def beat() -> Event:
            calls.append(1)
            return Event(str(len(calls)), event="beat")

        peer = Peer()
        stream = EventStream(idle_then("end", 0.17), ping=0.05, ping_message=beat)
        await stream.run(peer.send)
        beats = [e.data for e in Decoder().feed(peer.body()) if e.event == "beat"]
        assert len(beats) >= 2 and beats == [str(i) for i in range(1, len(calls) + 1)]

    run(main)


def test_ping_message_callable_error_ends_the_stream() -> None:
    async def main() -> None:
        def broken() -> Event:
            raise LookupError("no clock")

        cleaned: list[str] = []

        async def waits() -> AsyncIterator[str]:
            try:
                await asyncio.sleep(10)
                yield "never"
            finally:
                cleaned.append("finally")

        stream = EventStream(waits(), ping=0.05, ping_message=broken)
        with pytest.raises(LookupError, match="no clock"):
            await stream.run(Peer().send)
        assert cleaned == ["finally"]

    run(main)


def test_ping_message_is_checked_at_once() -> None:
    with pytest.raises(TypeError):
        EventStream([], ping_message=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="id"):
        EventStream([], ping_message=Event("x", id="a\nb"))
