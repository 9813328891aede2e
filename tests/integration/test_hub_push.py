"""ssecodec.hub's Starlette responses, driven as raw ASGI without sockets: resuming from the
Last-Event-ID header or query parameter, and push: once a response's subscription has sent its
history and caught up, each delivery writes the new events through the response's stream
directly (no task per subscriber). Here, not in tests/, because they need Starlette."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from ssecodec import Decoder, Event
from ssecodec.hub import Hub

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(asyncio.wait_for(main(), 10))


def scope(headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/sse",
        "raw_path": b"/sse",
        "query_string": b"",
        "root_path": "",
        "headers": headers or [],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }


class Client:
    """The ASGI peer of one hub response: records the body and the task each write ran in."""

    def __init__(self) -> None:
        self.body = bytearray()
        self.write_tasks: list[asyncio.Task[Any] | None] = []
        self.ended = False
        self.hold: asyncio.Future[None] | None = None  # body writes wait for it while set
        self.gone = asyncio.Event()

    async def send(self, message: Any) -> None:
        if message["type"] != "http.response.body":
            return
        self.write_tasks.append(asyncio.current_task())
        if self.hold is not None:
            await self.hold
        self.body.extend(message["body"])
        self.ended = not message["more_body"]

    async def receive(self) -> Any:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    def events(self) -> list[Event]:
        return Decoder().feed(bytes(self.body))


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def serve(hub: Hub, client: Client, last_event_id: str | None = None) -> Any:
    from starlette.requests import Request

    headers = [(b"last-event-id", last_event_id.encode())] if last_event_id else []
    request_scope = scope(headers)
    response = hub.response(Request(request_scope), "c", ping=0)
    task = asyncio.ensure_future(response(request_scope, client.receive, client.send))
    await settle()
    return response, task


def test_caught_up_response_is_pushed_to_from_the_delivery_itself() -> None:
    async def main() -> None:
        hub = Hub()
        ids = [hub.publish("c", f"old {i}") for i in range(3)]
        client = Client()
        response, task = await serve(hub, client, last_event_id=ids[0])
        assert [e.data for e in client.events()] == ["old 1", "old 2"]  # the history first
        channel = hub._channels["c"]
        assert response.subscription in channel.pushed
        coroutines = [getattr(t.get_coro(), "__qualname__", "") for t in asyncio.all_tasks()]
        assert "produce_async" not in coroutines  # no producer task is left
        before = len(client.write_tasks)
        for i in range(3):
            hub.publish("c", f"live {i}")
            await asyncio.sleep(0)  # the channel's wake-up runs: it writes
        assert [e.data for e in client.events()][2:] == ["live 0", "live 1", "live 2"]
        assert client.write_tasks[before:] == [None] * 3  # written outside any task
        client.gone.set()
        await task
        assert not hub._channels  # the subscription left with its client
        await hub.aclose()

    run(main)


def test_a_burst_is_pushed_in_one_write() -> None:
    async def main() -> None:
        hub = Hub()
        client = Client()
        _, task = await serve(hub, client)
        before = len(client.write_tasks)
        for i in range(50):
            hub.publish("c", f"e{i}")
        await settle()
        assert len(client.write_tasks) == before + 1
        assert [e.data for e in client.events()] == [f"e{i}" for i in range(50)]
        client.gone.set()
        await task
        await hub.aclose()

    run(main)


def test_hub_close_ends_push_responses_normally() -> None:
    async def main() -> None:
        hub = Hub()
        client = Client()
        response, task = await serve(hub, client)
        hub.publish("c", "last")
        await settle()
        await hub.aclose()
        await asyncio.wait_for(task, 2)
        assert client.ended  # the response was completed, not dropped
        assert [e.data for e in client.events()] == ["last"]
        assert response.subscription.closed and not response.subscription.overflowed

    run(main)


def test_slow_push_subscriber_is_closed_then_resumes_without_gap() -> None:
    async def main() -> None:
        hub = Hub(max_lag=4_000)
        slow, fast = Client(), Client()
        slow_response, slow_task = await serve(hub, slow)
        fast_response, fast_task = await serve(hub, fast)
        slow.hold = asyncio.get_running_loop().create_future()  # stops reading
        ids = []
        for i in range(60):  # about 120 bytes each, one delivery each
            ids.append(hub.publish("c", f"{i:03d} " + "x" * 100))
            await asyncio.sleep(0)
        assert slow_response.subscription.overflowed and slow_response.subscription.closed
        assert not fast_response.subscription.overflowed
        assert hub._channels["c"].pushed == {fast_response.subscription}
        slow.hold.set_result(None)  # reads again: gets what its stream held, then the end
        slow.hold = None
        await asyncio.wait_for(slow_task, 2)
        assert slow.ended
        got = slow.events()
        assert 0 < len(got) < 60
        assert [e.id for e in got] == ids[: len(got)]
        again = Client()  # reconnects from its last id: the rest, no gap, no duplicate
        _, again_task = await serve(hub, again, last_event_id=got[-1].id)
        assert [e.id for e in again.events()] == ids[len(got) :]
        assert len(fast.events()) == 60
        for client, task in ((fast, fast_task), (again, again_task)):
            client.gone.set()
            await task
        await hub.aclose()

    run(main)


# -- the Starlette end, as raw ASGI ------------------------------------------------------------


def asgi_scope(path: str = "/sse", query: bytes = b"", headers: list[Any] | None = None) -> Any:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers or [],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }


@pytest.mark.parametrize("how", ["header", "query", "none"])
def test_starlette_response_resumes_from_header_or_query(how: str) -> None:
    from starlette.requests import Request

    from ssecodec.hub.starlette import HubResponse

    async def main() -> None:
        hub = Hub()
        ids = [hub.publish("c", f"e{i}") for i in range(4)]
        headers = [(b"last-event-id", ids[1].encode())] if how == "header" else []
        query = f"last_event_id={ids[1]}".encode() if how == "query" else b""
        scope = asgi_scope(query=query, headers=headers)
        response = hub.response(Request(scope), "c", ping=0)
        assert isinstance(response, HubResponse)
        body = bytearray()
        got = asyncio.Event()
        gone = asyncio.Event()

        async def send(message: Any) -> None:
            if message["type"] == "http.response.start":
                assert dict(message["headers"])[b"content-type"].startswith(b"text/event-stream")
            body.extend(message.get("body", b""))
            if b"live" in body:
                got.set()

        async def receive() -> Any:
            await gone.wait()
            return {"type": "http.disconnect"}

        task = asyncio.ensure_future(response(scope, receive, send))
        for _ in range(20):
            await asyncio.sleep(0)
        hub.publish("c", "live")
        await got.wait()
        gone.set()
        await task
        want = ["e2", "e3", "live"] if how != "none" else ["live"]
        assert [e.data for e in Decoder().feed(bytes(body))] == want
        assert not hub._channels  # the subscription left with its client
        await hub.aclose()

    run(main)
