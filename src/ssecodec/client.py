"""A reconnecting EventSource, sync and async, following the WHATWG model.

Install with ``pip install 'ssecodec[client]'`` (httpx, and the fast stacks: urllib3 and
aiohttp), or ``pip install 'ssecodec[httpx]'`` (httpx alone)::

    from ssecodec.client import EventSource

    with EventSource("https://example.org/stream") as source:
        for event in source:
            print(event.event, event.data, event.id)

    async with AsyncEventSource("https://example.org/stream") as source:
        async for event in source:
            ...

What it does, as the spec's EventSource does:

* every request sends ``Accept: text/event-stream``, ``Cache-Control: no-store`` and, once the
  stream gave an id, ``Last-Event-ID``; redirects are followed;
* a ``200`` response with ``Content-Type: text/event-stream`` is read; each connection gets a
  fresh decoder, so a partial event left by a dropped connection is discarded (never glued onto
  the next connection's data);
* when the connection ends or drops, it reconnects after the *reconnection time*: the server's
  latest ``retry`` (ms), else ``reconnection_time`` (1 s);
* attempts that fail (network error, or a connection that delivered no event) back off
  exponentially with jitter, from ``min_backoff`` (1 s) doubling up to ``max_backoff`` (30 s),
  never less than the reconnection time;
* no wait is longer than :data:`MAX_RETRY_DELAY` (one day): a longer ``retry`` (it may have
  any number of digits), ``reconnection_time`` or backoff is cut to it;
* ``204 No Content`` ends the iteration (the server says: do not reconnect);
* any other status, or another content type, fails: :class:`EventSourceError` is raised, with
  the status and the start of the body.

Iteration ends when the server answers 204, when :meth:`EventSource.close` is called, or with
:class:`EventSourceError` after ``max_failures`` failed attempts in a row (default: never).

Each event source runs on the fastest HTTP library installed (its ``backend``): urllib3 for
:class:`EventSource` and aiohttp for :class:`AsyncEventSource`, else httpx. They behave the
same; the reading of a chunked body differs (urllib3 hands over each HTTP chunk once it has
arrived whole). ``backend="httpx"`` (or an httpx ``client``) chooses httpx.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import TYPE_CHECKING

from . import _backends
from ._deps import require

require("httpx", "client")

from ssecodec import Decoder, Event, LimitExceeded  # noqa: E402

from ._reconnect import (  # noqa: E402
    CLOSED,
    CONNECTING,
    DEFAULT_TIMEOUT,
    MAX_RETRY_DELAY,
    OPEN,
    EventSourceError,
    _Base,
)

if TYPE_CHECKING:  # the clients named in the _Base[...] strings below
    import aiohttp  # noqa: F401
    import httpx  # noqa: F401
    import urllib3  # noqa: F401

__all__ = [
    "CLOSED",
    "CONNECTING",
    "DEFAULT_TIMEOUT",
    "MAX_RETRY_DELAY",
    "OPEN",
    "AsyncEventSource",
    "EventSource",
    "EventSourceError",
]


class EventSource(_Base["httpx.Client | urllib3.PoolManager"]):
    """A reconnecting event source: iterate it to get :class:`ssecodec.Event` objects.

    Args:
        url: the stream's URL.
        client: an ``httpx.Client`` or a ``urllib3.PoolManager`` to use (it is not closed
            here; it chooses the backend); by default the backend makes one, with
            :data:`DEFAULT_TIMEOUT`, and :meth:`close` closes it.
        method: the HTTP method (``GET``).
        headers: extra request headers.
        last_event_id: start as if the stream had given this id (sent as ``Last-Event-ID``,
            in UTF-8 and without leading or trailing whitespace; ``ValueError`` if it holds
            CR, LF, NUL or a lone surrogate).
        reconnection_time: seconds to wait before reconnecting until the server sends
            ``retry`` (default 1).
        min_backoff, max_backoff: bounds of the exponential backoff for failed attempts
            (default 1 and 30 s); each failure doubles the delay, with jitter.
        max_failures: raise :class:`EventSourceError` after this many failed attempts in a row
            (``None``, the default, retries forever like a browser).
        max_line_size, max_event_size: decoder limits (see :class:`ssecodec.Decoder`).
        backend: the HTTP library to use: ``"urllib3"`` or ``"httpx"`` (``"aiohttp"`` or
            ``"httpx"`` for :class:`AsyncEventSource`); ``None``, the default, takes the
            fastest installed, unless the options below or proxy environment variables
            call for httpx. The chosen one is the ``backend`` attribute.
        request_kwargs: more request options: ``timeout`` (seconds, ``None``, or an
            ``httpx.Timeout``) and ``params`` (query parameters) on every backend; others
            (``auth``, ``cookies``, ...) are for httpx's ``client.stream`` and choose httpx.

    No wait is longer than :data:`MAX_RETRY_DELAY` (one day), whatever the delay arguments or
    the server's ``retry`` say; a negative or NaN delay argument raises ``ValueError``.

    Iterating yields events until the server answers 204 or :meth:`close` is called; it raises
    :class:`EventSourceError` on a fatal response (and, on urllib3 and aiohttp, for a URL the
    library cannot request or too many redirects, where httpx raises its own errors), and
    ``LimitExceeded`` if an event is over a decoder limit. When ``max_failures`` attempts
    failed, the last network error, as the backend's library raised it, is the
    ``__cause__``. Not thread-safe, except :meth:`close`, which may be called from another
    thread (a read waiting for data is woken; the iteration ends).
    """

    _backend: _backends.SyncBackend
    _asynchronous = False

    def _setup(self) -> None:
        self._closed = threading.Event()
        self._response: _backends.SyncResponse | None = None

    def __enter__(self) -> EventSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop: no more reconnections; the current response and own client are closed."""
        self._closed.set()
        self.ready_state = CLOSED
        response = self._response
        if response is not None:
            with contextlib.suppress(Exception):  # racing the reading thread
                response.close()
        self._backend.close()

    def __iter__(self) -> Iterator[Event]:
        return self._events()

    def _events(self) -> Iterator[Event]:
        backend = self._backend
        closed = self._closed
        while not closed.is_set():
            delay = self._next_delay()
            if delay and closed.wait(delay):
                break
            self._attempts += 1
            self.ready_state = CONNECTING
            delivered = False
            try:
                with backend.open(self.method, self._url, self._request_headers()) as response:
                    self._response = response
                    problem = self._verdict(response)
                    if problem == "":
                        return
                    if problem is not None:
                        raise self._failure(response, problem, response.preview())
                    decoder = Decoder(**self._decoder_options)
                    # The events of each chunk as it comes (at the end of the body, the
                    # unfinished event, if any, is dropped: R23).
                    feed, is_closed = decoder.feed, closed.is_set
                    for chunk in response.chunks:
                        id_before = decoder.last_event_id
                        try:
                            events = feed(chunk)
                        except LimitExceeded as exc:
                            self._take_state(decoder, id_before, bool(exc.events))
                            yield from exc.events
                            raise
                        if events:
                            self._took_events(decoder)
                            delivered = True
                            yield from events
                        elif decoder.last_event_id != id_before or decoder.retry is not None:
                            self._take_state(decoder, id_before, False)
                        if is_closed():
                            return
                self._attempt_failed(delivered, None)
            except (EventSourceError, LimitExceeded):
                raise
            except Exception as exc:
                if closed.is_set():  # close() from another thread closed the response
                    break
                error = self._error(exc, delivered)
                if error is exc:
                    raise
                if error is not None:
                    raise error from exc
            finally:
                self._response = None
        self.ready_state = CLOSED


class AsyncEventSource(_Base["httpx.AsyncClient | aiohttp.ClientSession"]):
    """The asyncio twin of :class:`EventSource`, on aiohttp when it is installed, else httpx.

    Same arguments (``client`` is an ``httpx.AsyncClient`` or an ``aiohttp.ClientSession``;
    ``backend`` is ``"aiohttp"``, ``"httpx"`` or ``None``); use ``async for`` and
    ``async with``, and ``await source.aclose()``.
    """

    _backend: _backends.AsyncBackend
    _asynchronous = True

    def _setup(self) -> None:
        self._closed_flag = False
        self._closed_event: asyncio.Event | None = None
        self._generator: AsyncGenerator[Event, None] | None = None

    async def __aenter__(self) -> AsyncEventSource:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop: no more reconnections; the current response and own client are closed."""
        self._closed_flag = True
        self.ready_state = CLOSED
        if self._closed_event is not None:
            self._closed_event.set()
        generator = self._generator
        if generator is not None:
            with contextlib.suppress(RuntimeError):  # being iterated by another task
                await generator.aclose()
        await self._backend.aclose()

    def __aiter__(self) -> AsyncIterator[Event]:
        self._generator = self._events()
        return self._generator

    async def _sleep(self, delay: float) -> bool:
        """Wait ``delay`` seconds; True if closed meanwhile."""
        if self._closed_event is None:
            self._closed_event = asyncio.Event()
            if self._closed_flag:
                self._closed_event.set()
        try:
            await asyncio.wait_for(self._closed_event.wait(), delay)
        except asyncio.TimeoutError:
            return False
        return True

    async def _events(self) -> AsyncGenerator[Event, None]:
        backend = self._backend
        while not self._closed_flag:
            delay = self._next_delay()
            if delay and await self._sleep(delay):
                break
            self._attempts += 1
            self.ready_state = CONNECTING
            delivered = False
            try:
                async with backend.open(
                    self.method, self._url, self._request_headers()
                ) as response:
                    problem = self._verdict(response)
                    if problem == "":
                        return
                    if problem is not None:
                        raise self._failure(response, problem, await response.preview())
                    decoder = Decoder(**self._decoder_options)
                    # As in EventSource._events.
                    feed = decoder.feed
                    async for chunk in response.chunks:
                        id_before = decoder.last_event_id
                        try:
                            events = feed(chunk)
                        except LimitExceeded as exc:
                            self._take_state(decoder, id_before, bool(exc.events))
                            for event in exc.events:
                                yield event
                            raise
                        if events:
                            self._took_events(decoder)
                            delivered = True
                            for event in events:
                                yield event
                        elif decoder.last_event_id != id_before or decoder.retry is not None:
                            self._take_state(decoder, id_before, False)
                        if self._closed_flag:
                            return
                self._attempt_failed(delivered, None)
            except (EventSourceError, LimitExceeded):
                raise
            except Exception as exc:
                if self._closed_flag:
                    break
                error = self._error(exc, delivered)
                if error is exc:
                    raise
                if error is not None:
                    raise error from exc
        self.ready_state = CLOSED
