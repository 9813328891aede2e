"""Redis Streams broker: channels shared by many processes and machines.

One Redis stream per channel (key ``prefix + channel``). Publishing is ``XADD`` with an
approximate ``MAXLEN`` (the history); an event's id is its stream entry id. Each process runs
**one** reading loop per channel that has local subscribers (``XREAD BLOCK`` from the last id
it saw) and fans the events out locally; a resume reads the history with ``XRANGE``.

Redis restarting: a reading loop retries (backing off to 1 s) and goes on from the last id it
saw, so nothing still in the stream is lost. Redis down: publishing raises
:class:`BrokerUnavailable`; subscribers keep their connections (the responses' keep-alives go
on) and get the events published once Redis is back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Final

from .._deps import require
from ._broker import DEFAULT_HISTORY, Broker, BrokerUnavailable, encode_id
from ._fanout import Channel, Page, Replay

require("redis", "redis")

import redis  # noqa: E402
import redis.asyncio as aredis  # noqa: E402
from redis.exceptions import ConnectionError as _ConnectionError  # noqa: E402
from redis.exceptions import TimeoutError as _TimeoutError  # noqa: E402

__all__ = ["RedisBroker"]

_FIELD: Final = b"e"  # the entry field holding the event's encoded lines (without its id)
_DOWN: Final = (_ConnectionError, _TimeoutError, OSError)
_PAGE: Final = 512  # entries per XRANGE page
_MAX_BACKOFF: Final = 1.0


def _mark(entry_id: str | bytes) -> tuple[int, int] | None:
    """A stream entry id as an ordered pair, or None if it is not one."""
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, dash, seq = text.partition("-")
    if not (dash and ms.isascii() and ms.isdigit() and seq.isascii() and seq.isdigit()):
        return None
    return int(ms), int(seq)


class RedisBroker(Broker):
    """Channels on Redis Streams, for several worker processes or machines.

    Args:
        url: the Redis URL (``redis://host:6379/0``; see ``redis.Redis.from_url``).
        history: entries kept per channel, approximately (``XADD ... MAXLEN ~ history``;
            Redis trims in whole nodes, so a little more may be kept). Default 1000.
        prefix: prepended to a channel's name to make its stream's key.
        block: seconds one ``XREAD BLOCK`` waits before the reading loop looks again
            whether its channel still has local subscribers.
        timeout: seconds a Redis command may take (and to connect) before Redis counts as
            down.

    Needs ``pip install 'ssecodec[redis]'`` (redis-py 5 or later). :meth:`Hub.publish`
    uses a blocking client (call it from threads, or accept a round trip on the loop);
    :meth:`Hub.apublish` the asyncio one.
    """

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        *,
        history: int = DEFAULT_HISTORY,
        prefix: str = "ssecodec:",
        block: float = 2.0,
        timeout: float = 5.0,
    ) -> None:
        if isinstance(history, bool) or not isinstance(history, int) or history < 1:
            raise ValueError(f"history must be an int >= 1, not {history!r}")
        self.url = url
        self._history = history
        self._prefix = prefix
        self._block_ms = max(1, int(block * 1000))
        self._timeout = timeout
        self._sync: redis.Redis | None = None
        self._async: aredis.Redis | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._readers: set[asyncio.Task[None]] = set()

    def _key(self, channel: str) -> str:
        return self._prefix + channel

    def _client(self) -> aredis.Redis:
        loop = asyncio.get_running_loop()
        if self._async is None or self._async_loop is not loop:
            self._async_loop = loop
            self._async = aredis.Redis.from_url(
                self.url,
                socket_connect_timeout=self._timeout,
                # a blocked XREAD must not count as a dead server
                socket_timeout=self._timeout + self._block_ms / 1000,
            )
        return self._async

    def _down(self, exc: BaseException) -> BrokerUnavailable:
        return BrokerUnavailable(f"Redis at {self.url} is unavailable: {exc}")

    def publish(self, channel: str, body: bytes) -> str:
        """``XADD`` with the blocking client; returns the entry id."""
        if self._sync is None:
            self._sync = redis.Redis.from_url(
                self.url, socket_connect_timeout=self._timeout, socket_timeout=self._timeout
            )
        try:
            entry_id = self._sync.xadd(
                self._key(channel), {_FIELD: body}, maxlen=self._history, approximate=True
            )
        except _DOWN as exc:
            raise self._down(exc) from exc
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    async def apublish(self, channel: str, body: bytes) -> str:
        """``XADD`` with the asyncio client; returns the entry id."""
        try:
            entry_id = await self._client().xadd(
                self._key(channel), {_FIELD: body}, maxlen=self._history, approximate=True
            )
        except _DOWN as exc:
            raise self._down(exc) from exc
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    async def open(self, channel: Channel) -> None:
        """Start the channel's reading loop if it has none; wait until it knows where the
        stream ends (while Redis is down, that waits for Redis)."""
        if channel.reader is None or channel.reader.done():
            channel.ready = asyncio.get_running_loop().create_future()
            channel.reader = asyncio.get_running_loop().create_task(self._read(channel))
            self._readers.add(channel.reader)
            channel.reader.add_done_callback(self._readers.discard)
        assert channel.ready is not None
        await asyncio.shield(channel.ready)

    def release(self, channel: Channel) -> None:
        """Nothing at once: the reading loop stops at its next wake-up if no subscriber came
        back by then (so a client reconnecting at once finds it still running)."""

    async def _retrying(self, what: Any) -> Any:
        """Await ``what()`` until Redis answers, backing off up to one second."""
        delay = 0.05
        while True:
            try:
                return await what()
            except _DOWN:
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_BACKOFF)

    async def _read(self, channel: Channel) -> None:
        key = self._key(channel.name)
        hub = self.hub
        try:
            last = await self._retrying(lambda: self._client().xrevrange(key, count=1))
            position = last[0][0] if last else b"0-0"
            channel.position = _mark(position)
            assert channel.ready is not None
            channel.ready.set_result(None)
            while True:  # until no local subscriber is left after a read
                reply = await self._retrying(
                    lambda p=position: self._client().xread(
                        {key: p}, count=_PAGE, block=self._block_ms
                    )
                )
                for _key, entries in reply or ():
                    for entry_id, fields in entries:
                        position = entry_id
                        body = fields.get(_FIELD)
                        if body is not None:
                            data = encode_id(body, entry_id)
                            hub._deliver(channel.name, data, _mark(entry_id))
                if not channel.subscribers:
                    break
        finally:
            channel.reader = None
            if channel.ready is not None and not channel.ready.done():
                channel.ready.set_result(None)  # stopped before it started: let openers go on
            if not channel.subscribers:
                hub._drop(channel)

    async def replay(self, channel: str, last_event_id: str, upto: Any) -> Replay:
        """The entries after ``last_event_id`` up to the reading loop's position (``XRANGE``),
        and whether some are gone (see :meth:`Broker.replay`)."""
        key = self._key(channel)
        mark = _mark(last_event_id)
        end = "+" if upto is None else f"{upto[0]}-{upto[1]}"
        if mark is None or (upto is not None and mark > upto):
            return "unknown", self._pages(key, "-", end)
        if mark == upto:
            return None, self._pages(key, None, end)
        first = await self._retrying(lambda: self._client().xrange(key, count=1))
        if not first or mark < _mark(first[0][0]):  # type: ignore[operator]
            return "expired", self._pages(key, "-", end)
        return None, self._pages(key, f"({last_event_id}", end)

    async def _pages(self, key: str, start: str | None, end: str) -> AsyncIterator[Page]:
        while start is not None:
            entries = await self._retrying(
                lambda s=start: self._client().xrange(key, s, end, count=_PAGE)
            )
            page: Page = []
            for entry_id, fields in entries:
                body = fields.get(_FIELD)
                if body is not None:
                    page.append((_mark(entry_id), encode_id(body, entry_id)))
            if page:
                yield page
            start = None
            if len(entries) == _PAGE:
                start = "(" + entries[-1][0].decode()

    async def aclose(self) -> None:
        """Stop the reading loops and close the clients."""
        readers = list(self._readers)
        for task in readers:
            task.cancel()
        if readers:
            await asyncio.wait(readers, timeout=5)
        if self._sync is not None:
            self._sync.close()
            self._sync = None
        client, self._async = self._async, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()
