"""A streaming response cancelled from outside still stops its producer and runs its cleanup.

Cancel scopes (anyio's ``move_on_after``, a task group; what Starlette's middlewares do) cancel
the task again at every loop iteration until it leaves the scope, and a caller may call
``task.cancel()`` more than once: the producer's ``finally`` must run whatever the pattern,
on both server ends (uvicorn + the Starlette response, aiohttp.web), for async and sync
generators, and the cancellation must still reach the canceller.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest

import ssecodec.aiohttp
import ssecodec.httpx
import ssecodec.starlette
from conftest import AiohttpServer, UvicornServer
from ssecodec import Event

CANCEL_AFTER = 0.3  # seconds of streaming before the handler cancels the response
PATTERNS = ["move_on_after", "task_group", "repeated_cancel"]
KINDS = ["async", "sync"]

FINISHED: dict[str, threading.Event] = {}
OUTCOMES: dict[str, dict[str, Any]] = {}


def finished(token: str) -> threading.Event:
    return FINISHED.setdefault(token, threading.Event())


async def async_ticks(token: str) -> AsyncIterator[Event]:
    try:
        i = 0
        while True:
            yield Event(f"tick {i}", id=str(i))
            i += 1
            await asyncio.sleep(0.01)
    finally:
        finished(token).set()


def sync_ticks(token: str) -> Iterator[Event]:
    try:
        i = 0
        while True:
            yield Event(f"tick {i}", id=str(i))
            i += 1
            time.sleep(0.01)
    finally:
        finished(token).set()


def producer(kind: str, token: str) -> Any:
    return async_ticks(token) if kind == "async" else sync_ticks(token)


async def cancel(pattern: str, call: Callable[[], Awaitable[object]]) -> dict[str, Any]:
    """Run ``call`` and cancel it after ``CANCEL_AFTER`` s in the way ``pattern`` says;
    returns whether the cancellation reached ``call``'s caller as it should."""
    raised: list[BaseException] = []

    async def run() -> None:
        try:
            await call()
        except BaseException as exc:
            raised.append(exc)
            raise

    if pattern == "move_on_after":
        with anyio.move_on_after(CANCEL_AFTER) as scope:
            await run()
        return {"propagated": scope.cancelled_caught}
    if pattern == "task_group":
        async with anyio.create_task_group() as group:
            group.start_soon(run)
            await anyio.sleep(CANCEL_AFTER)
            group.cancel_scope.cancel()
        return {"propagated": [type(exc) for exc in raised] == [asyncio.CancelledError]}
    assert pattern == "repeated_cancel"
    task = asyncio.ensure_future(run())
    await asyncio.sleep(CANCEL_AFTER)
    for _ in range(20):  # one cancel per loop iteration while the call is unwinding
        if task.done():
            break
        task.cancel()
        await asyncio.sleep(0)
    await asyncio.wait({task}, timeout=10)
    return {"propagated": task.cancelled()}


def starlette_app() -> Any:
    """An ASGI app calling the response inside the cancellation pattern, then ending the body."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        query = dict(httpx.QueryParams(scope["query_string"].decode()))
        token = query["token"]
        response = ssecodec.starlette.EventSourceResponse(producer(query["kind"], token))
        outcome = await cancel(query["pattern"], lambda: response(scope, receive, send))
        outcome["finished_on_return"] = finished(token).is_set()
        OUTCOMES[token] = outcome
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


def aiohttp_app() -> Any:
    from aiohttp import web

    async def handler(request: web.Request) -> web.StreamResponse:
        token = request.query["token"]
        response = ssecodec.aiohttp.EventSourceResponse(producer(request.query["kind"], token))
        outcome = await cancel(request.query["pattern"], lambda: response.prepare(request))
        outcome["finished_on_return"] = finished(token).is_set()
        OUTCOMES[token] = outcome
        return response  # aiohttp then ends the body

    app = web.Application()
    app.router.add_get("/cancel", handler)
    return app


@pytest.fixture(scope="module")
def uvicorn_cancelling() -> Iterator[UvicornServer]:
    server = UvicornServer(starlette_app()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def aiohttp_cancelling() -> Iterator[AiohttpServer]:
    server = AiohttpServer(aiohttp_app()).start()
    yield server
    server.stop()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("end", ["starlette", "aiohttp"])
def test_cancelled_response_runs_producer_cleanup(
    request: pytest.FixtureRequest, end: str, pattern: str, kind: str
) -> None:
    server = request.getfixturevalue(
        "uvicorn_cancelling" if end == "starlette" else "aiohttp_cancelling"
    )
    token = uuid.uuid4().hex
    url = f"{server.url}/cancel?token={token}&pattern={pattern}&kind={kind}"
    with (
        httpx.Client(timeout=20) as client,
        ssecodec.httpx.connect_sse(client, "GET", url) as source,
    ):
        events = list(source.iter_sse())
    assert len(events) >= 3, "the stream did not run before the cancellation"
    assert finished(token).wait(3), "the producer's finally did not run"
    outcome = OUTCOMES[token]
    assert outcome["propagated"], f"the cancellation did not reach the canceller: {outcome}"
    if kind == "async":
        # The response waits for an async producer's cleanup before it returns.
        assert outcome["finished_on_return"], outcome
