"""The reconnection state and policy behind :mod:`ssecodec.client`'s event sources.

:class:`_Base` holds what the sync and async sources share (their constructor, the
reconnection time and backoff, the request headers, the response checks, the state taken
from each connection's decoder); :mod:`ssecodec.client` holds the two reading loops. The
public constants and :class:`EventSourceError` are defined here and exported there.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import httpx

from ssecodec import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE, Decoder

from . import _backends
from ._http import ResponseError, is_event_stream

if TYPE_CHECKING:
    import aiohttp
    import urllib3


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

    __module__ = "ssecodec.client"


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
    _asynchronous: bool  # set by each subclass: which of the backend's classes it runs on

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
        asynchronous = self._asynchronous
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
