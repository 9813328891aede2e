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
import random
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

from . import _backends
from ._deps import require
from ._http import ResponseError, is_event_stream

require("httpx", "client")

import httpx  # noqa: E402

from ssecodec import (  # noqa: E402
    DEFAULT_MAX_EVENT_SIZE,
    DEFAULT_MAX_LINE_SIZE,
    Decoder,
    Event,
    LimitExceeded,
)

if TYPE_CHECKING:
    import aiohttp
    import urllib3

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

CONNECTING: Final = 0
"""``ready_state``: connecting, or waiting to reconnect."""
OPEN: Final = 1
"""``ready_state``: the stream is open and being read."""
CLOSED: Final = 2
"""``ready_state``: closed for good (204, :meth:`EventSource.close`, or failure)."""

DEFAULT_TIMEOUT: Final = httpx.Timeout(10.0, read=60.0)
"""Timeouts of the client made when none is given: a read timeout of 60 s detects a dead
connection when the server sends keep-alives more often than that."""

MAX_RETRY_DELAY: Final = 86_400.0
"""The longest wait before reconnecting, in seconds (one day). A server's ``retry`` above it
(``retry`` may have any number of digits), a larger ``reconnection_time``, ``min_backoff`` or
``max_backoff``, and the backoff itself are all cut to it: waits stay within what
``threading`` and ``asyncio`` timeouts accept."""
_MAX_RETRY_MS: Final = 86_400_000  # MAX_RETRY_DELAY in milliseconds, to compare ints exactly


class EventSourceError(ResponseError):
    """The event source failed for good (the spec's "fail the connection").

    Raised for a status other than 200 and 204, for a content type other than
    ``text/event-stream``, and when ``max_failures`` attempts in a row failed (the last
    network error is then the ``__cause__``).

    Attributes:
        status_code: the HTTP status, or ``None`` when no response was received.
        content_type: the response's ``Content-Type``, or ``None``.
        body: the first bytes of the response body (up to 512), or ``b""``.
    """


def _check_delay(name: str, value: object) -> float:
    """A delay argument in seconds, cut to MAX_RETRY_DELAY (compared before converting, so
    an int too large for a float is fine)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if value != value:
        raise ValueError(f"{name} must be a number of seconds, not NaN")
    if value < 0:
        shown = f", not {value}" if value > -1e15 else ""  # str() of a huge int would raise
        raise ValueError(f"{name} must be >= 0{shown}")
    return float(min(value, MAX_RETRY_DELAY))


def _last_event_id_header(last_event_id: str) -> bytes:
    """The ``Last-Event-ID`` value sent: the id in UTF-8, without the leading and trailing
    whitespace HTTP does not carry (servers strip it; h11 and h2 refuse to send it), so an id
    such as ``"été"`` or ``"7 "`` from a server never stops the reconnection.

    Raises ``ValueError`` for what no header can carry (CR, LF, NUL, a lone surrogate); ids
    from a stream never hold these.
    """
    try:
        raw = last_event_id.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("last_event_id is not encodable as UTF-8 (lone surrogate)") from None
    if b"\r" in raw or b"\n" in raw or b"\x00" in raw:
        raise ValueError(f"last_event_id must not contain CR, LF or NUL: {last_event_id!r}")
    return raw.strip(b" \t\x0b\x0c")


_ClientT = TypeVar(
    "_ClientT",
    bound="httpx.Client | httpx.AsyncClient | urllib3.PoolManager | aiohttp.ClientSession",
)
_ASIS: Final = frozenset({b"accept", b"cache-control", b"last-event-id"})  # set by the source
_STREAM_HEADERS: Final = ((b"Accept", b"text/event-stream"), (b"Cache-Control", b"no-store"))


class _Base(Generic[_ClientT]):
    """State and policy shared by the sync and async event sources, and their constructor
    (its arguments are documented on :class:`EventSource`)."""

    _backend: _backends.SyncBackend | _backends.AsyncBackend

    def __init__(
        self,
        url: str | httpx.URL,
        *,
        client: _ClientT | None = None,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        last_event_id: str = "",
        reconnection_time: float = 1.0,
        min_backoff: float = 1.0,
        max_backoff: float = 30.0,
        max_failures: int | None = None,
        max_line_size: int | None = DEFAULT_MAX_LINE_SIZE,
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        backend: str | None = None,
        **request_kwargs: Any,
    ) -> None:
        self.url = url
        self.method = method
        self._headers = [
            (name, value) for name, value in httpx.Headers(headers).raw if name.lower() not in _ASIS
        ]
        if not isinstance(last_event_id, str):
            raise TypeError("last_event_id must be a str")
        _last_event_id_header(last_event_id)  # ValueError now rather than at each request
        self._last_event_id = last_event_id
        self._reconnection_time = _check_delay("reconnection_time", reconnection_time)
        self._min_backoff = _check_delay("min_backoff", min_backoff)
        self._max_backoff = max(self._min_backoff, _check_delay("max_backoff", max_backoff))
        if max_failures is not None and (isinstance(max_failures, bool) or max_failures < 1):
            raise ValueError(f"max_failures must be >= 1 or None, not {max_failures}")
        self._max_failures = max_failures
        self._decoder_options = {"max_line_size": max_line_size, "max_event_size": max_event_size}
        Decoder(**self._decoder_options)  # validate the limits now
        asynchronous = isinstance(self, AsyncEventSource)
        self.backend: str = _backends.choose(asynchronous, backend, client, url, request_kwargs)
        """The HTTP library the requests go through: ``"urllib3"`` or ``"httpx"`` for
        :class:`EventSource`, ``"aiohttp"`` or ``"httpx"`` for :class:`AsyncEventSource`."""
        self._url = str(url)
        if self.backend != "httpx":  # httpx adds them itself
            self._url = _backends.with_params(self._url, request_kwargs.get("params"))
        self._retry: int | None = None
        self._failures = 0
        self._attempts = 0
        self.ready_state: int = CONNECTING
        """:data:`CONNECTING`, :data:`OPEN` or :data:`CLOSED`."""
        self.connections = 0
        """How many connections were opened (200 with the right content type) so far."""
        self.last_delay: float | None = None
        """The delay before the latest reconnection, in seconds (``None`` before any)."""
        module = _backends.load(self.backend)
        backend_class = module.AsyncBackend if asynchronous else module.SyncBackend
        self._backend = backend_class(client, DEFAULT_TIMEOUT, request_kwargs)
        self._setup()

    def _setup(self) -> None:
        """Set up the subclass's own state."""
        raise NotImplementedError

    @property
    def last_event_id(self) -> str:
        """The spec's *last event ID string*: sent as ``Last-Event-ID`` when reconnecting."""
        return self._last_event_id

    @property
    def retry(self) -> int | None:
        """The latest ``retry`` the server sent, in milliseconds (``None`` if none yet)."""
        return self._retry

    @property
    def reconnection_time(self) -> float:
        """Seconds to wait before reconnecting after a drop: the server's ``retry``, if any;
        at most :data:`MAX_RETRY_DELAY`."""
        if self._retry is None:
            return self._reconnection_time
        if self._retry >= _MAX_RETRY_MS:  # an int of any size: compare before dividing
            return MAX_RETRY_DELAY
        return self._retry / 1000

    def _next_delay(self) -> float:
        """The wait before the next attempt (0 before the first)."""
        if self._attempts == 0:
            return 0.0
        delay = self.reconnection_time
        if self._failures:
            # 2.0**1023 is the largest power of two a float holds (2**n for a larger n would
            # raise OverflowError); by then the backoff has long been max_backoff.
            doubling = 2.0 ** min(self._failures - 1, 1023)
            backoff = min(self._max_backoff, self._min_backoff * doubling)
            delay = max(delay, random.uniform(backoff / 2, backoff), self._min_backoff)
        self.last_delay = delay
        return delay

    def _request_headers(self) -> _backends.Headers:
        headers = [*self._headers, *_STREAM_HEADERS]
        value = _last_event_id_header(self._last_event_id)
        if value:
            # As bytes: httpx would encode a str header as ASCII (raising for "id: été").
            headers.append((b"Last-Event-ID", value))
        return headers

    def _verdict(self, response: _backends.Response) -> str | None:
        """Check a response: ``None`` to read it, ``""`` to stop (204), else the problem."""
        if response.status_code == 204:
            self.ready_state = CLOSED
            return ""
        if response.status_code != 200:
            self.ready_state = CLOSED
            return "EventSource failed: the status is not 200"
        if not is_event_stream(response.content_type):
            self.ready_state = CLOSED
            return "EventSource failed: the Content-Type is not text/event-stream"
        self.ready_state = OPEN
        self.connections += 1
        return None

    @staticmethod
    def _failure(response: _backends.Response, problem: str, body: bytes) -> EventSourceError:
        return EventSourceError.for_response(
            response.status_code, response.reason_phrase, response.content_type, body, problem
        )

    def _take_state(self, decoder: Decoder, id_before: str, dispatched: bool) -> None:
        """Take over what the connection's decoder learnt from its latest chunk, once per
        chunk, before its first event is handed over; ``id_before`` is the decoder's last
        event ID before that chunk, ``dispatched`` whether the chunk completed an event."""
        if dispatched:
            self._failures = 0
        # The spec sets the last event ID string at every dispatch (also for id-only blocks);
        # a new connection's decoder starts at "", which does not count until it changes.
        if dispatched or decoder.last_event_id != id_before:
            self._last_event_id = decoder.last_event_id
        if decoder.retry is not None:
            self._retry = decoder.retry

    def _took_events(self, decoder: Decoder) -> None:
        """:meth:`_take_state` for a chunk that completed events (the hot path)."""
        self._failures = 0
        self._last_event_id = decoder.last_event_id
        if decoder.retry is not None:
            self._retry = decoder.retry

    def _error(self, exc: Exception, delivered: bool) -> BaseException | None:
        """After a request or a read failed: count a failed attempt (``None``: try again),
        or the error to raise."""
        retry, error = self._backend.failure(exc)
        if retry:
            assert isinstance(error, BaseException)
            self._attempt_failed(delivered, error)
            return None
        self.ready_state = CLOSED
        if isinstance(error, str):
            return EventSourceError(f"EventSource failed: {error}")
        return error

    def _attempt_failed(self, delivered: bool, exc: BaseException | None) -> None:
        self.ready_state = CONNECTING
        if not delivered:
            self._failures += 1
            if self._max_failures is not None and self._failures >= self._max_failures:
                self.ready_state = CLOSED
                raise EventSourceError(
                    f"EventSource gave up after {self._failures} failed attempts in a row"
                    + (f" (last error: {exc!r})" if exc is not None else "")
                ) from exc


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
