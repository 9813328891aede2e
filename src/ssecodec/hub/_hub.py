"""The hub: channels, publishing (encode once), subscriptions and the hand-over between
threads and the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any, Final

from ssecodec import encode

from ._broker import Broker, MemoryBroker
from ._fanout import Channel, Replay, Subscription

__all__ = ["DEFAULT_MAX_LAG", "GAP_EVENT", "Hub"]

GAP_EVENT: Final = "ssecodec-gap"
"""The event type of the notice a resuming client gets when events it missed are no longer in
the history (or its ``Last-Event-ID`` is not an id of the channel). Its data is JSON:
``{"channel": ..., "last_event_id": ..., "reason": "expired" | "unknown"}``. It has no id;
the retained history follows it."""

DEFAULT_MAX_LAG: Final = 1024 * 1024
"""Bytes a subscriber may fall behind the live end before it is disconnected (1 MiB)."""


def _body(data: object, event: str | None, retry: int | None) -> bytes:
    """The event's lines without an id (the broker adds it), ending with one line feed."""
    if data is None:
        raise TypeError("publish needs data (a str, bytes, or a JSON-serialisable value)")
    if not isinstance(data, (str, bytes, bytearray, memoryview)):
        data = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    elif not isinstance(data, (str, bytes)):
        data = bytes(data)
    return encode(data, event=event, retry=retry)[:-1]


class Hub:
    """Channels of server-sent events, each published once and sent to every subscriber.

    Publish from anywhere (:meth:`publish` from any thread, :meth:`apublish` on the loop);
    each event is encoded once, with its id, and every subscriber's stream is handed the same
    bytes. Serve a channel with one line per route: ``return hub.response(request, "prices")``
    (Starlette/FastAPI or aiohttp.web). A client that reconnects with ``Last-Event-ID`` (or a
    ``last_event_id`` query parameter) gets exactly the events it missed, then the live ones;
    if some of them are no longer in the history it is told so with a :data:`GAP_EVENT` event.

    A hub serves the subscribers of one event loop (a worker process's); share channels
    between processes with :class:`~ssecodec.hub.RedisBroker`.

    Args:
        broker: where ids come from and history is kept: :class:`MemoryBroker` (the default,
            1000 events of history per channel) or :class:`~ssecodec.hub.RedisBroker`.
        max_lag: bytes a subscriber may fall behind the live end (events published but not
            yet taken by its stream) before it is disconnected; it then reconnects and
            resumes from the history. Default 1 MiB. Publishing never waits for a subscriber.
        retry: if given, each stream starts with ``retry: <ms>``, the reconnection delay
            browsers then use.
    """

    def __init__(
        self,
        broker: Broker | None = None,
        *,
        max_lag: int = DEFAULT_MAX_LAG,
        retry: int | None = None,
    ) -> None:
        if isinstance(max_lag, bool) or not isinstance(max_lag, int) or max_lag < 1:
            raise ValueError(f"max_lag must be an int >= 1, not {max_lag!r}")
        self._broker = broker if broker is not None else MemoryBroker()
        self._broker.bind(self)
        self._max_lag = max_lag
        self._retry_line = b"" if retry is None else encode(None, retry=retry)
        self._channels: dict[str, Channel] = {}
        self._subscriptions: set[Subscription] = set()  # the started ones
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._outbox: deque[tuple[str, bytes, Any]] = deque()
        self._outbox_lock = threading.Lock()
        self._flush_scheduled = False
        self._closed = False

    @property
    def broker(self) -> Broker:
        """The hub's broker."""
        return self._broker

    # -- publishing -------------------------------------------------------------------------

    def publish(
        self,
        channel: str,
        data: object,
        *,
        event: str | None = None,
        retry: int | None = None,
    ) -> str:
        """Publish one event to ``channel`` and return its id. Thread-safe.

        ``data`` is a ``str`` (bytes are decoded as UTF-8) or any JSON-serialisable value,
        sent as compact JSON; ``event`` is the event type (none means ``message``); ``retry``
        a reconnection delay in milliseconds. The hub gives the id. Never waits for a
        subscriber. With :class:`~ssecodec.hub.RedisBroker` it blocks until Redis stored the
        event: in async code prefer :meth:`apublish`.

        Raises:
            BrokerUnavailable: the broker cannot be reached; the event was not published.
            ValueError, TypeError: an invalid field (as for :func:`ssecodec.encode`).
        """
        return self._broker.publish(_check_channel(channel), _body(data, event, retry))

    async def apublish(
        self,
        channel: str,
        data: object,
        *,
        event: str | None = None,
        retry: int | None = None,
    ) -> str:
        """:meth:`publish` for the event loop: awaits the broker (Redis) instead of blocking."""
        self._bind()
        return await self._broker.apublish(_check_channel(channel), _body(data, event, retry))

    # -- subscribing ------------------------------------------------------------------------

    def subscribe(self, channel: str, last_event_id: str | None = None) -> Subscription:
        """A :class:`Subscription` to ``channel``: an async iterator of bytes to send.

        With ``last_event_id`` (what the client sent, ``None`` or ``""`` for a new client)
        the events after it come first. The subscription joins the channel at its first
        ``anext()``; a server response does that when it starts sending.
        """
        head = [self._retry_line] if self._retry_line else []
        return Subscription(self, _check_channel(channel), last_event_id or None, head)

    def response(
        self,
        request: Any,
        channel: str,
        *,
        last_event_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        **options: Any,
    ) -> Any:
        """A response streaming ``channel`` to the client of ``request``.

        ``request`` is a Starlette/FastAPI ``Request`` (the result is a
        :class:`ssecodec.hub.starlette.HubResponse`) or an ``aiohttp.web.Request`` (an
        :class:`ssecodec.hub.aiohttp.HubResponse`). The client's position is the
        ``last_event_id`` argument, else its ``Last-Event-ID`` header, else a
        ``last_event_id`` query parameter. ``headers`` and ``options`` (``ping``,
        ``send_timeout``, ...) go to the framework's ``EventSourceResponse``.
        """
        if hasattr(request, "query_params"):
            from .starlette import HubResponse
        else:
            from .aiohttp import HubResponse  # type: ignore[assignment]
        return HubResponse(
            self, request, channel, last_event_id=last_event_id, headers=headers, **options
        )

    async def aclose(self) -> None:
        """End every subscription (their responses end normally) and close the broker."""
        self._closed = True
        for sub in list(self._subscriptions):
            sub.close()
        await self._broker.aclose()

    # -- internals shared with the brokers and the subscriptions ------------------------------

    def _bind(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            old = self._loop
            if old is not None and not old.is_closed() and self._channels:
                raise RuntimeError("a Hub serves one event loop; this one is bound to another")
            self._loop, self._loop_thread = loop, threading.get_ident()
            self._channels.clear()
        return loop

    def _loop_or_raise(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the hub has no event loop yet")
        return self._loop

    async def _join(self, name: str) -> Channel:
        """The local channel ``name``, its broker feed running."""
        if self._closed:
            raise StopAsyncIteration
        loop = self._bind()
        channel = self._channels.get(name)
        if channel is None:
            channel = self._channels[name] = Channel(name, self._max_lag, loop)
        self._flush()  # events handed over by other threads come before the new subscriber
        await self._broker.open(channel)
        return channel

    def _leave(self, channel: Channel, sub: Subscription) -> None:
        channel.detach(sub)
        if not channel.subscribers:
            self._broker.release(channel)

    def _forget(self, sub: Subscription) -> None:
        self._subscriptions.discard(sub)

    def _drop(self, channel: Channel) -> None:
        """Forget the local channel (no subscriber and no broker feed left)."""
        if self._channels.get(channel.name) is channel and not channel.subscribers:
            del self._channels[channel.name]

    async def _replay(self, name: str, last_event_id: str, channel: Channel) -> Replay:
        return await self._broker.replay(name, last_event_id, channel.position)

    def _gap_notice(self, name: str, last_event_id: str, reason: str) -> bytes:
        data = {"channel": name, "last_event_id": last_event_id, "reason": reason}
        return encode(json.dumps(data, ensure_ascii=False), event=GAP_EVENT)

    def _deliver(self, name: str, data: bytes, mark: Any) -> None:
        """One event for the local subscribers of ``name`` (on the loop, in id order)."""
        channel = self._channels.get(name)
        if channel is not None:
            channel.deliver(data, mark)

    def _feed(self, name: str, data: bytes, mark: Any) -> None:
        """:meth:`_deliver` from any thread; the broker calls it in id order."""
        loop = self._loop
        if loop is None or self._closed:
            return
        if threading.get_ident() == self._loop_thread:
            if self._outbox:
                self._flush()
            self._deliver(name, data, mark)
            return
        with self._outbox_lock:
            self._outbox.append((name, data, mark))
            if self._flush_scheduled:
                return
            self._flush_scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody listens
            loop.call_soon_threadsafe(self._flush)

    def _flush(self) -> None:
        """Deliver what other threads published (on the loop)."""
        with self._outbox_lock:
            items = list(self._outbox)
            self._outbox.clear()
            self._flush_scheduled = False
        for name, data, mark in items:
            self._deliver(name, data, mark)


def _check_channel(channel: object) -> str:
    if not isinstance(channel, str) or not channel:
        raise TypeError(f"a channel is a non-empty str, not {channel!r}")
    return channel
