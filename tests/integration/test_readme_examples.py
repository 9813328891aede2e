"""The README's Python examples run as written: each block is executed as it stands, the servers
served on real sockets and the clients run against them. Only the address (the examples use
``http://127.0.0.1:8000``) and the clock's pace (ten ticks a second apart) are changed."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import AiohttpServer, UvicornServer

README = Path(__file__).parents[2] / "README.md"
ORIGIN = "http://127.0.0.1:8000"
BLOCKS: list[str] = re.findall(
    r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.M | re.S
)
TICKS = 3
USED: set[str] = set()


def block(*needles: str) -> str:
    """The one Python block of the README containing every needle."""
    found = [code for code in BLOCKS if all(needle in code for needle in needles)]
    assert len(found) == 1, (needles, len(found))
    USED.add(found[0])
    return found[0]


class _Enough(Exception):
    pass


def run(
    code: str, origin: str = ORIGIN, prints: int | None = None
) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """Execute a README block with its address changed to ``origin`` and the clock made quick;
    return its namespace and what it printed (stopping it after ``prints`` prints)."""
    printed: list[tuple[Any, ...]] = []

    def fake_print(*args: Any) -> None:
        printed.append(args)
        if prints is not None and len(printed) >= prints:
            raise _Enough

    code = code.replace(ORIGIN, origin).replace("range(10)", f"range({TICKS})")
    code = code.replace("asyncio.sleep(1)", "asyncio.sleep(0.01)")
    namespace: dict[str, Any] = {"__name__": "readme_example", "print": fake_print}
    with contextlib.suppress(_Enough):
        exec(compile(code, str(README), "exec"), namespace)
    return namespace, printed


FASTAPI_CLOCK = block("from fastapi import FastAPI", "EventSourceResponse")
AIOHTTP_CLOCK = block("from ssecodec.aiohttp import")
HTTPX_CLIENT = block("connect_sse")
REQUESTS_CLIENT = block("from ssecodec.requests import")
EVENTSOURCE_CLIENT = block("from ssecodec.client import EventSource")
RELAY = block("relay_starlette")
QUICK_START = block("decoder = ssecodec.Decoder()")

TICK_EVENTS = [("tick", f"tick {i}", str(i), None) for i in range(TICKS)]


@pytest.fixture(scope="module")
def fastapi_clock() -> Iterator[str]:
    server = UvicornServer(run(FASTAPI_CLOCK)[0]["app"]).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def aiohttp_clock() -> Iterator[str]:
    server = AiohttpServer(run(AIOHTTP_CLOCK)[0]["app"]).start()
    yield server.url
    server.stop()


def test_every_python_block_is_run_here() -> None:
    assert len(BLOCKS) == len(USED)


def test_quick_start() -> None:
    _, printed = run(QUICK_START)
    assert printed == [("greet", "1", "hello"), ("message", "1", '{"n": 2}')]


def test_fastapi_clock_read_by_the_httpx_example(fastapi_clock: str) -> None:
    assert run(HTTPX_CLIENT, fastapi_clock)[1] == TICK_EVENTS


def test_fastapi_clock_read_by_the_requests_example(fastapi_clock: str) -> None:
    assert run(REQUESTS_CLIENT, fastapi_clock)[1] == [(f"tick {i}",) for i in range(TICKS)]


def test_fastapi_clock_read_by_the_eventsource_example(fastapi_clock: str) -> None:
    printed = run(EVENTSOURCE_CLIENT, fastapi_clock, prints=TICKS + 1)[1]
    expected = [(str(i), f"tick {i}") for i in range(TICKS)]
    assert printed[:TICKS] == expected
    assert printed[TICKS] == expected[0]  # the stream ended: it reconnected


def test_aiohttp_clock_read_by_the_httpx_example(aiohttp_clock: str) -> None:
    expected = [("message", f'{{"tick":{i}}}', str(i), None) for i in range(TICKS)]
    assert run(HTTPX_CLIENT, aiohttp_clock)[1] == expected


def test_relay_of_the_clock(fastapi_clock: str) -> None:
    namespace, _ = run(RELAY, fastapi_clock)
    relay = UvicornServer(namespace["app"]).start()
    try:
        client = REQUESTS_CLIENT.replace("/clock", "/events")
        assert run(client, relay.url)[1] == [(f"tick {i}",) for i in range(TICKS)]
    finally:
        relay.stop()
