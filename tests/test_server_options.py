"""The server engine's ``encode`` and ``pace`` options, without sockets or frameworks: a
scripted ``send`` stands for the framework's write."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import pytest

from ssecodec import Event
from ssecodec._server import EventStream

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(asyncio.wait_for(main(), 10))


class Peer:
    """The framework's side: records each write; can hold writes back or fail them."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.hold: asyncio.Future[None] | None = None  # writes wait for it while set
        self.fail: BaseException | None = None

    async def send(self, data: bytes) -> None:
        if self.hold is not None:
            await self.hold
        if self.fail is not None:
            raise self.fail
        self.writes.append(data)

    def body(self) -> bytes:
        return b"".join(self.writes)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def tagged(item: Any) -> bytes:
    """An encoder that shows it was used: every item, events included."""
    if isinstance(item, Event):
        return b"E(" + str(item.data).encode() + b")"
    return b"<" + str(item).encode() + b">"


async def waits_then_yields(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        await asyncio.sleep(0)  # the producer waits: the item comes the slow way
        yield item


async def yields_at_once(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


def test_encode_is_used_for_every_item_of_an_async_content() -> None:
    async def main() -> bytes:
        peer = Peer()
        items = ["a", Event("b"), {"data": "c"}]
        for source in (waits_then_yields(items), yields_at_once(items)):
            assert await EventStream(source, encode=tagged, ping=0).run(peer.send)
        return peer.body()

    assert run(main) == b"<a>E(b)<{'data': 'c'}>" * 2


def test_encode_is_used_for_a_list_and_a_sync_content() -> None:
    async def main() -> list[bytes]:
        bodies = []
        contents: list[Any] = [["a", Event("b")], iter(["a", Event("b")])]
        for content in contents:
            peer = Peer()
            assert await EventStream(content, encode=tagged, ping=0).run(peer.send)
            bodies.append(peer.body())
        return bodies

    assert run(main) == [b"<a>E(b)", b"<a>E(b)"]


def test_what_encode_raises_is_the_producers_error() -> None:
    def failing(item: Any) -> bytes:
        if item == "bad":
            raise ValueError("cannot encode")
        return b"ok\n\n"

    async def main() -> bytes:
        peer = Peer()
        stream = EventStream(
            waits_then_yields(["a", "bad", "c"]),
            encode=failing,
            ping=0,
            on_error=lambda exc: Event(str(exc)),
        )
        assert await stream.run(peer.send)
        return peer.body()

    assert run(main) == b"ok\n\ndata: cannot encode\n\n"


def test_encode_must_be_callable() -> None:
    with pytest.raises(TypeError, match="encode must be callable"):
        EventStream([], encode=b"x")  # type: ignore[arg-type]


def _logged(log: list[str], items: list[str]) -> AsyncIterator[str]:
    async def gen() -> AsyncIterator[str]:
        try:
            for item in items:
                log.append(item)
                yield item
            log.append("ran out")
        finally:
            log.append("closed")

    return gen()


@pytest.mark.parametrize("pace", [False, True])
def test_pace_waits_for_the_first_write_to_end(pace: bool) -> None:
    async def main() -> tuple[list[str], list[bytes], list[str], bytes]:
        peer, log = Peer(), list[str]()
        hold = peer.hold = asyncio.get_running_loop().create_future()
        stream = EventStream(_logged(log, ["a", "b", "c"]), encode=tagged, pace=pace, ping=0)
        task = asyncio.ensure_future(stream.run(peer.send))
        await settle()
        during = list(log)
        written = list(peer.writes)
        peer.hold = None
        hold.set_result(None)
        assert await task
        return during, written, log, peer.body()

    during, written, log, body = run(main)
    assert written == []  # the first write is held back
    if pace:  # the generator waits at the yield of what is being sent
        assert during == ["a"]
    else:  # it runs ahead while the write is under way
        assert during == ["a", "b", "c", "ran out", "closed"]
    assert log == ["a", "b", "c", "ran out", "closed"]
    assert body == b"<a><b><c>"


@pytest.mark.parametrize("pace", [False, True])
def test_pace_waits_while_any_write_is_under_way(pace: bool) -> None:
    async def main() -> tuple[list[str], list[str]]:
        peer, log, go = Peer(), list[str](), asyncio.Event()

        async def content() -> AsyncIterator[str]:
            log.append("a")
            yield "a"
            await go.wait()
            log.append("b")
            yield "b"
            log.append("c")
            yield "c"

        stream = EventStream(content(), encode=tagged, pace=pace, ping=0)
        task = asyncio.ensure_future(stream.run(peer.send))
        await settle()
        assert peer.writes == [b"<a>"]  # the first write has ended
        hold = peer.hold = asyncio.get_running_loop().create_future()
        assert stream.offer(b"<pushed>")  # another write, held back
        go.set()
        await settle()
        during = list(log)
        peer.hold = None
        hold.set_result(None)
        assert await task
        assert peer.body() == b"<a><pushed><b><c>"
        return during, log

    during, log = run(main)
    assert during == (["a", "b"] if pace else ["a", "b", "c"])
    assert log == ["a", "b", "c"]


def test_pace_does_not_wait_after_an_item_without_bytes() -> None:
    def skip_empty(item: Any) -> bytes:
        return b"" if item == "skip" else tagged(item)

    async def main() -> list[str]:
        peer, log = Peer(), list[str]()
        hold = peer.hold = asyncio.get_running_loop().create_future()
        stream = EventStream(_logged(log, ["skip", "a", "b"]), encode=skip_empty, pace=True, ping=0)
        task = asyncio.ensure_future(stream.run(peer.send))
        await settle()
        during = list(log)
        peer.hold = None
        hold.set_result(None)
        assert await task
        assert peer.body() == b"<a><b>"
        return during

    assert run(main) == ["skip", "a"]


@pytest.mark.parametrize("pace", [False, True])
def test_pace_leaves_the_content_at_the_yield_of_a_failed_write(pace: bool) -> None:
    async def main() -> list[str]:
        peer, log = Peer(), list[str]()
        peer.fail = OSError("gone")
        stream = EventStream(_logged(log, ["a", "b", "c"]), encode=tagged, pace=pace, ping=0)
        assert not await stream.run(peer.send)  # the client is gone: ends quietly
        return log

    log = run(main)
    if pace:
        assert log == ["a", "closed"]
    else:
        assert log == ["a", "b", "c", "ran out", "closed"]


def test_a_sync_content_is_not_paced() -> None:
    async def main() -> bytes:
        peer = Peer()
        assert await EventStream(iter(["a", "b"]), encode=tagged, pace=True, ping=0).run(peer.send)
        return peer.body()

    assert run(main) == b"<a><b>"
