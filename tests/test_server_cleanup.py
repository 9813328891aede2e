"""The server engine's end of a stream, without sockets or frameworks: the content's cleanup
(``aclose``) runs to its end however the stream ends. A scripted ``send`` stands for the
framework's write."""

from __future__ import annotations

import asyncio

from ssecodec._server import EventStream


class Upstream:
    """Content whose items come after a wait (so the producer writes each one itself) and
    whose ``aclose`` takes a while, as closing a relay's upstream response does."""

    def __init__(self, closing: asyncio.Event) -> None:
        self.closing = closing  # set once aclose starts
        self.closed = False  # aclose ran to its end

    def __aiter__(self) -> Upstream:
        return self

    async def __anext__(self) -> str:
        await asyncio.sleep(0)
        return "event"

    async def aclose(self) -> None:
        self.closing.set()
        await asyncio.sleep(0.05)
        self.closed = True


def test_cleanup_after_the_producers_own_write_failed_is_not_cut_short() -> None:
    """The client resets the connection during the producer's own write: the producer goes
    on to its content's ``aclose``; the stream, ending meanwhile (here the disconnect watcher
    notices the client gone), waits for that cleanup instead of cancelling it."""

    async def main() -> tuple[bool, bool]:
        closing = asyncio.Event()
        content = Upstream(closing)
        writes: list[bytes] = []

        async def send(data: bytes) -> None:
            writes.append(data)
            raise ConnectionResetError("the client reset the connection")

        async def wait_disconnect() -> None:
            await closing.wait()  # noticed while the cleanup is under way

        completed = await EventStream(content, ping=0).run(send, wait_disconnect)
        return completed, content.closed

    completed, closed = asyncio.run(asyncio.wait_for(main(), 10))
    assert not completed  # the client left
    assert closed, "the content's aclose was cancelled before it ended"
