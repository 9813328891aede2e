"""Server shutdown for :mod:`ssecodec.sse_starlette`, as sse-starlette detects it.

Two sources: :attr:`AppStatus.should_exit` (set by uvicorn's exit handler, which importing this
module wraps, or by hand), and the ``should_exit`` flag of the uvicorn server whose handler is
installed for SIGTERM (found anew at each poll, so a server stopped earlier in the process
does not end the streams of a later one). One watcher task per thread polls them every half
second and wakes every stream of that thread waiting for shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

__all__ = [
    "AppStatus",
    "listen_for_exit_signal",
]

logger = logging.getLogger("ssecodec.sse_starlette")

_POLL_INTERVAL = 0.5


class AppStatus:
    """The process's shutdown flag, as sse-starlette's ``AppStatus``.

    ``should_exit`` becomes True when uvicorn handles SIGINT or SIGTERM (unless automatic
    draining is disabled); set it yourself to end every stream. Nothing resets it: a test
    suite that sends real signals to an in-process server resets it between tests.
    """

    __module__ = "ssecodec.sse_starlette"

    should_exit = False
    enable_automatic_graceful_drain = True
    original_handler: Callable[..., Any] | None = None

    @staticmethod
    def disable_automatic_graceful_drain() -> None:
        """Keep streams open when the server shuts down; you then set ``should_exit`` (or
        the server's graceful-shutdown timeout ends them)."""
        AppStatus.enable_automatic_graceful_drain = False

    @staticmethod
    def enable_automatic_graceful_drain_mode() -> None:
        """Undo :meth:`disable_automatic_graceful_drain`."""
        AppStatus.enable_automatic_graceful_drain = True

    @staticmethod
    def handle_exit(*args: Any, **kwargs: Any) -> None:
        """uvicorn's ``Server.handle_exit``, wrapped: note the shutdown, then call uvicorn's."""
        if AppStatus.enable_automatic_graceful_drain:
            AppStatus.should_exit = True
        if AppStatus.original_handler is not None:
            AppStatus.original_handler(*args, **kwargs)


def _wrap_uvicorn_exit_handler() -> None:
    try:
        from uvicorn.server import Server
    except ImportError:
        logger.debug("uvicorn is not installed: no shutdown detection through its exit handler")
        return
    AppStatus.original_handler = Server.handle_exit
    Server.handle_exit = AppStatus.handle_exit  # type: ignore[method-assign]


_wrap_uvicorn_exit_handler()


@dataclass
class _ShutdownState:
    """The streams of one thread waiting for shutdown, and whether its watcher runs."""

    events: set[anyio.Event] = field(default_factory=set)
    watcher_started: bool = False


_thread_state = threading.local()


def _get_shutdown_state() -> _ShutdownState:
    state: _ShutdownState | None = getattr(_thread_state, "shutdown_state", None)
    if state is None:
        state = _thread_state.shutdown_state = _ShutdownState()
    return state


def _get_uvicorn_server() -> Any:
    """The uvicorn server whose exit handler is installed for SIGTERM, if any."""
    try:
        handler = signal.getsignal(signal.SIGTERM)
        server = getattr(handler, "__self__", None)
        if server is not None and hasattr(server, "should_exit"):
            return server
    except Exception:
        pass
    return None


async def _shutdown_watcher() -> None:
    """Poll both shutdown sources; on shutdown, wake every waiting stream of this thread."""
    state = _get_shutdown_state()
    try:
        while True:
            server = _get_uvicorn_server()
            if AppStatus.should_exit:
                break
            if (
                AppStatus.enable_automatic_graceful_drain
                and server is not None
                and server.should_exit
            ):
                break
            await anyio.sleep(_POLL_INTERVAL)
        for event in list(state.events):
            event.set()
    finally:
        state.watcher_started = False


def _ensure_watcher_started_on_this_loop() -> None:
    state = _get_shutdown_state()
    if not state.watcher_started:
        state.watcher_started = True
        try:
            asyncio.get_running_loop().create_task(_shutdown_watcher())
        except RuntimeError:  # no running loop
            state.watcher_started = False


async def listen_for_exit_signal() -> None:
    """Return when the server shuts down (at once if it already does)."""
    if AppStatus.should_exit:
        return
    _ensure_watcher_started_on_this_loop()
    state = _get_shutdown_state()
    event = anyio.Event()
    state.events.add(event)
    try:
        if AppStatus.should_exit:
            return
        await event.wait()
    finally:
        with contextlib.suppress(KeyError):
            state.events.remove(event)
