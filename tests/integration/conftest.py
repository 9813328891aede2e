"""Real servers for the integration tests: uvicorn (Starlette, FastAPI) and aiohttp.web.

Each server runs in its own thread with its own event loop, on 127.0.0.1 and a port the OS
picks. Every test here is bounded by a timeout (pytest-timeout).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sseapps

from ssecodec import Decoder

_S = TypeVar("_S", bound="StreamServer")

TEST_TIMEOUT = 60  # seconds, per test

State = tuple[list[tuple[str, str, str | None, int | None]], str, int | None]


def reader_state(stream: bytes) -> State:
    """What a reader of ``stream`` gets: its events as tuples, then its last event ID and
    retry at the end."""
    decoder = Decoder()
    events = decoder.feed(stream)
    decoder.close()
    return [(e.event, e.data, e.id, e.retry) for e in events], decoder.last_event_id, decoder.retry


HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT))


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class StreamServer:
    """A raw asyncio TCP server on 127.0.0.1 in a thread of its own, for tests that need to send
    exactly the bytes they choose; subclasses write :meth:`handle`. ``port`` is known at once."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        async def start() -> asyncio.base_events.Server:
            server = await asyncio.start_server(self.handle, sock=self.sock)
            self.ready.set()
            return server

        server = self.loop.run_until_complete(start())
        self.loop.run_forever()
        server.close()
        self.loop.run_until_complete(server.wait_closed())
        self.loop.close()

    def __enter__(self: _S) -> _S:
        self.thread.start()
        assert self.ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.sock.close()


class UvicornServer:
    """uvicorn serving ``app`` in a thread; ``server_class`` may be a uvicorn.Server subclass."""

    def __init__(self, app: Any, server_class: Any = None, **config: Any) -> None:
        import uvicorn

        self.sock = bound_socket()
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        options: dict[str, Any] = {
            "log_config": None,
            "access_log": False,
            "lifespan": "off",
            "loop": "asyncio",
            "http": "h11",
            "timeout_graceful_shutdown": 3,
        }
        options.update(config)
        self.server = (server_class or uvicorn.Server)(uvicorn.Config(app, **options))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> UvicornServer:
        self.thread.start()
        wait_until(lambda: self.server.started or not self.thread.is_alive(), 30, "uvicorn")
        assert self.server.started, "uvicorn did not start"
        return self

    def stop(self, timeout: float = 15) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        self.sock.close()
        assert not self.thread.is_alive(), "uvicorn did not stop"


class AiohttpServer:
    """aiohttp.web serving ``app`` on a loop in a thread."""

    def __init__(self, app: Any, shutdown_timeout: float = 3.0) -> None:
        self.app = app
        self.sock = bound_socket()
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.shutdown_timeout = shutdown_timeout
        self.started = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.runner: Any = None

    def _run(self) -> None:
        from aiohttp import web

        asyncio.set_event_loop(self.loop)

        async def start() -> None:
            self.runner = web.AppRunner(
                self.app, access_log=None, shutdown_timeout=self.shutdown_timeout
            )
            await self.runner.setup()
            await web.SockSite(self.runner, self.sock).start()
            self.started.set()

        self.loop.run_until_complete(start())
        self.loop.run_forever()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    def start(self) -> AiohttpServer:
        self.thread.start()
        assert self.started.wait(30), "aiohttp did not start"
        return self

    def cleanup(self, timeout: float = 15) -> float:
        """Run the runner's cleanup (the graceful shutdown); returns how long it took."""
        began = time.monotonic()
        future = asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop)
        future.result(timeout)
        return time.monotonic() - began

    def stop(self, timeout: float = 15) -> None:
        if self.runner is not None and self.runner.server is not None:
            self.cleanup(timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)
        self.sock.close()
        assert not self.thread.is_alive(), "aiohttp did not stop"


@pytest.fixture(scope="session")
def starlette_server() -> Iterator[UvicornServer]:
    server = UvicornServer(sseapps.starlette_app()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fastapi_server() -> Iterator[UvicornServer]:
    server = UvicornServer(sseapps.fastapi_app()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def aiohttp_server() -> Iterator[AiohttpServer]:
    server = AiohttpServer(sseapps.aiohttp_app()).start()
    yield server
    server.stop()


SERVERS = ["starlette", "fastapi", "aiohttp"]


@pytest.fixture(params=SERVERS)
def server_url(request: pytest.FixtureRequest) -> str:
    """The base URL of each of the three servers in turn."""
    server = request.getfixturevalue(f"{request.param}_server")
    return str(server.url)


@pytest.fixture
def token() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def probes() -> sseapps.Probes:
    return sseapps.PROBES
