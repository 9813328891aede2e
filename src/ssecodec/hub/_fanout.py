"""Local fan-out: one channel's live feed in this process, and the subscriptions that read it.

A channel keeps **one shared log** of the encoded events not yet taken by every local
subscriber; a subscription is a cursor into it. Delivering an event appends one ``bytes``
object to the log and wakes the subscriptions that wait; it does no per-subscriber work for
those that are already awake, so a burst costs O(1) per event, and every subscriber is handed
the very same bytes objects. A subscription takes everything after its cursor in one piece
(coalescing: ``b"".join`` of up to :data:`TAKE_MAX` bytes), so its pending events go out in one
write.

Push: a subscription served by a hub response, once it has sent its history and caught up,
ends its iteration and is *pushed* to instead: each delivery hands its new events straight to
the response's stream (:meth:`ssecodec._server.EventStream.offer`), which writes them at once
when idle; so no task per subscriber wakes up for an event, and no producer task stays alive.

Slow subscribers: a subscription more than ``max_lag`` bytes behind the live end is closed
(its client reconnects and resumes from the history). Lag is checked by a sweep that runs each
time the log has grown by ``max_lag / 2`` bytes since the last one; the sweep also trims the
log up to the slowest remaining cursor. So a channel's log holds at most about 1.5 x
``max_lag`` bytes, whatever the number of subscribers. A pushed subscription is caught up at
each delivery; its lag is what its stream holds unsent, and a stream that would hold more than
``max_lag`` bytes refuses the offer, which closes the subscription.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from .._server import EventStream
    from ._hub import Hub

__all__ = ["TAKE_MAX", "Channel", "Page", "Replay", "Subscription"]

TAKE_MAX: Final = 64 * 1024
"""The most bytes one take hands over (the server engine's default buffer size)."""


class Channel:
    """One channel's live feed in this process (internal; the :class:`Hub` owns them)."""

    __slots__ = (
        "base",
        "base_bytes",
        "joined",
        "joined_at",
        "log",
        "loop",
        "marks",
        "max_lag",
        "name",
        "position",
        "pushed",
        "reader",
        "ready",
        "subscribers",
        "sweep_at",
        "total",
        "waiting",
        "wake_scheduled",
    )

    def __init__(self, name: str, max_lag: int, loop: asyncio.AbstractEventLoop) -> None:
        self.name = name
        self.loop = loop
        self.wake_scheduled = False
        self.max_lag = max_lag
        self.subscribers: set[Subscription] = set()
        self.waiting: list[Subscription] = []  # subscriptions whose reader sleeps
        self.pushed: set[Subscription] = set()  # subscriptions fed through their stream
        self.log: list[bytes] = []  # encoded events not yet taken by every subscriber
        self.marks: list[Any] = []  # the broker's position of each, for de-duplication
        self.base = 0  # absolute index of log[0]
        self.base_bytes = 0  # absolute byte offset of log[0]
        self.total = 0  # absolute byte offset of the live end
        self.sweep_at = max_lag // 2
        self.joined = b""  # the last coalesced take, for the next subscriber at the same place
        self.joined_at = (0, 0)
        self.position: Any = None  # the broker's position of the last event delivered
        self.ready: asyncio.Future[None] | None = None  # broker: position known, feed running
        self.reader: asyncio.Task[None] | None = None  # broker: the reading loop, if any

    @property
    def end(self) -> int:
        """The absolute index after the last event of the log."""
        return self.base + len(self.log)

    def deliver(self, data: bytes, mark: Any) -> None:
        """Append one encoded event (on the loop) and wake the subscriptions that wait."""
        self.position = mark
        if not self.subscribers:
            return
        self.log.append(data)
        self.marks.append(mark)
        self.total += len(data)
        if self.total - self.base_bytes > self.sweep_at:
            self.sweep()
        if (self.waiting or self.pushed) and not self.wake_scheduled:
            # Wake the waiting readers (and push) once the publisher's current step is over,
            # so that a burst published in one go reaches each of them in one piece.
            self.wake_scheduled = True
            self.loop.call_soon(self.wake)

    def wake(self) -> None:
        """Hand the waiting readers what is pending: no further step of theirs is needed;
        push it to the pushed subscriptions' streams."""
        self.wake_scheduled = False
        if self.pushed:
            for sub in list(self.pushed):  # a refused offer closes sub: it leaves the set
                sub._push(self)
        waiting = self.waiting
        if waiting:
            self.waiting = []
            for sub in waiting:
                waiter = sub._waiter
                if waiter is not None and not waiter.done():
                    data = sub._take(self)
                    if data:
                        sub._waiter = None
                        waiter.set_result(data)
                    else:  # a duplicate of what the history gave: wait on
                        self.waiting.append(sub)

    def sweep(self) -> None:
        """Close the subscriptions more than ``max_lag`` bytes behind; trim the log."""
        limit = self.total - self.max_lag
        slowest: Subscription | None = None
        for sub in list(self.subscribers):
            if sub.cursor_bytes < limit:
                sub.overflow()
            elif slowest is None or sub.cursor < slowest.cursor:
                slowest = sub
        if slowest is None:
            cut, cut_bytes = self.end, self.total
        else:
            cut, cut_bytes = slowest.cursor, slowest.cursor_bytes
        drop = cut - self.base
        if drop:
            del self.log[:drop]
            del self.marks[:drop]
        self.base, self.base_bytes = cut, cut_bytes
        self.joined, self.joined_at = b"", (0, 0)
        self.sweep_at = self.total - self.base_bytes + self.max_lag // 2

    def attach(self, sub: Subscription) -> None:
        """Start ``sub`` at the live end."""
        sub.cursor = self.end
        sub.cursor_bytes = self.total
        self.subscribers.add(sub)

    def detach(self, sub: Subscription) -> None:
        """Forget ``sub``; with no subscriber left, the log is emptied."""
        self.subscribers.discard(sub)
        self.pushed.discard(sub)
        if not self.subscribers:
            self.log.clear()
            self.marks.clear()
            self.base = self.end
            self.base_bytes = self.total
            self.joined, self.joined_at = b"", (0, 0)
            self.sweep_at = self.total + self.max_lag // 2


Page = list[tuple[Any, bytes]]
"""Replayed events, oldest first: (the broker's position, the encoded event) pairs."""

Replay = tuple[str | None, AsyncIterator[Page]]
"""What a broker answers to a resume: a gap reason (``None``, ``"expired"`` or ``"unknown"``)
and the missed events, oldest first, in pages."""


class Subscription:
    """One reader of a channel: an async iterator of ``bytes`` ready to send.

    Made by :meth:`Hub.subscribe`. Nothing happens until the first ``anext()``: it joins the
    channel's live feed first, then reads the events missed since ``last_event_id`` from the
    broker's history, and hands them out before the live ones; a live event the history also
    held is dropped by its id (no gap and no duplicate at the seam). Each item is everything
    pending, up to 64 KiB, in one ``bytes`` object (the events are encoded once, with their
    ``id:`` line, by the publisher's process).

    The iteration ends (``StopAsyncIteration``) when the subscription falls more than the hub's
    ``max_lag`` bytes behind (the client should reconnect and resume) or the hub is closed.
    :meth:`aclose` leaves the channel; the server responses call it when the client leaves.
    (A hub response's subscription also ends its iteration once it has caught up: from then
    on its events are pushed to the response's stream.)
    """

    __slots__ = (
        "__weakref__",
        "_channel",
        "_closed",
        "_floor",
        "_head",
        "_hub",
        "_last_event_id",
        "_loop",
        "_name",
        "_replay",
        "_started",
        "_stream",
        "_waiter",
        "cursor",
        "cursor_bytes",
        "overflowed",
    )

    def __init__(
        self, hub: Hub, channel: str, last_event_id: str | None, head: list[bytes]
    ) -> None:
        self._hub = hub
        self._name = channel
        self._last_event_id = last_event_id
        self._head = head  # bytes to send first (a retry line, a gap notice)
        self._channel: Channel | None = None
        self._replay: AsyncIterator[Page] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._floor: Any = None  # live events at or before this mark were replayed
        self._waiter: asyncio.Future[bytes] | None = None
        self._stream: EventStream | None = None  # the push stream, for a hub response
        self._started = False
        self._closed = False
        self.cursor = 0
        """Absolute index, in the channel's log, of the next event to take."""
        self.cursor_bytes = 0
        """Absolute byte offset of that event (the lag is the channel's total minus this)."""
        self.overflowed = False
        """True once the subscription was closed for falling too far behind."""

    @property
    def channel(self) -> str:
        """The channel's name."""
        return self._name

    @property
    def closed(self) -> bool:
        """True once the subscription has ended (closed, overflowed, or the hub closed)."""
        return self._closed

    def __aiter__(self) -> Subscription:
        return self

    async def _start(self) -> None:
        self._started = True
        self._loop = asyncio.get_running_loop()
        self._hub._subscriptions.add(self)
        try:
            channel = self._channel = await self._hub._join(self._name)
        except StopAsyncIteration:  # the hub is closed
            self.close()
            raise
        if self._closed:  # closed while joining
            self._hub._leave(channel, self)
            return
        channel.attach(self)  # subscribe first ...
        if self._last_event_id is not None:  # ... then read the history
            gap, pages = await self._hub._replay(self._name, self._last_event_id, channel)
            if gap is not None:
                self._head.append(self._hub._gap_notice(self._name, self._last_event_id, gap))
            self._replay = pages

    async def _next_page(self) -> bytes | None:
        replay = self._replay
        assert replay is not None
        async for page in replay:
            if page:
                return self._replayed(page)
        self._replay = None
        return None

    def _replayed(self, page: Page) -> bytes:
        self._floor = page[-1][0]
        return b"".join([data for _, data in page])

    def __anext__(self) -> Awaitable[bytes]:
        """The next bytes to send; raises StopAsyncIteration once the subscription ended."""
        channel = self._channel
        if channel is None or self._replay is not None or self._head or self._closed:
            return self._anext()
        # Live: a future, done at once if something is pending, else resolved by the channel
        # with the event itself (no coroutine, no second wake-up).
        assert self._loop is not None
        future = self._loop.create_future()
        if self.cursor < channel.end:
            data = self._take(channel)
            if data:
                future.set_result(data)
                return future
        if self._stream is not None:  # caught up: the channel pushes from now on
            channel.pushed.add(self)
            future.set_exception(StopAsyncIteration())
            return future
        self._waiter = future
        channel.waiting.append(self)
        return future

    async def _anext(self) -> bytes:
        if not self._started:
            await self._start()
        if self._replay is not None and not self._closed:
            data = await self._next_page()
            if data is not None:
                return self._with_head(data)
        if self._head:
            return self._with_head(b"")
        if self._closed:
            raise StopAsyncIteration
        return await self.__anext__()

    def _with_head(self, data: bytes) -> bytes:
        head, self._head = self._head, []
        return b"".join([*head, data]) if head else data

    def _take(self, channel: Channel) -> bytes:
        """Everything after the cursor, up to TAKE_MAX bytes, as one bytes object."""
        log = channel.log
        i = self.cursor - channel.base
        if self._floor is not None:  # the seam: skip what the history already gave
            marks, floor = channel.marks, self._floor
            while i < len(log) and marks[i] <= floor:
                self.cursor += 1
                self.cursor_bytes += len(log[i])
                i += 1
            self._floor = None
        n = len(log) - i
        if n <= 0:
            return b""
        if channel.total - self.cursor_bytes <= TAKE_MAX:
            if n == 1:
                data = log[i]
            elif channel.joined_at == (self.cursor, channel.end):
                data = channel.joined  # the subscribers at the same place share one join
            else:
                data = channel.joined = b"".join(log[i:])
                channel.joined_at = (self.cursor, channel.end)
            self.cursor = channel.end
            self.cursor_bytes = channel.total
            return data
        j, size = i, 0
        while j < len(log) and (size == 0 or size + len(log[j]) <= TAKE_MAX):
            size += len(log[j])
            j += 1
        self.cursor += j - i
        self.cursor_bytes += size
        return log[i] if j - i == 1 else b"".join(log[i:j])

    def _push_to(self, stream: EventStream) -> None:
        """Serve ``stream`` (a push stream whose content is this subscription): once caught
        up, the iteration ends and the live events are offered to the stream directly."""
        self._stream = stream

    def _push(self, channel: Channel) -> None:
        """Offer the stream everything pending (on the loop, from :meth:`Channel.wake`); a
        refusal closes the subscription (an overflow if the stream holds ``max_lag`` bytes)."""
        stream = self._stream
        assert stream is not None
        while self.cursor < channel.end:
            data = self._take(channel)
            if not data:
                return
            if not stream.offer(data, channel.max_lag):
                if stream.closed:
                    self.close()
                else:
                    self.overflow()
                return

    def overflow(self) -> None:
        """Close this subscription because it fell more than ``max_lag`` bytes behind."""
        self.overflowed = True
        self.close()

    def close(self) -> None:
        """End the subscription now (synchronous, on the loop): it leaves the channel and
        its iteration stops at the next ``anext()``; a hub response's stream ends after
        sending what it holds."""
        if self._closed:
            return
        self._closed = True
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(StopAsyncIteration())
        if self._channel is not None:
            self._hub._leave(self._channel, self)
        self._hub._forget(self)
        if self._stream is not None:  # the response ends (after what its stream holds)
            self._stream.request_close()

    async def aclose(self) -> None:
        """Leave the channel (idempotent); the server responses call it at the end."""
        self.close()
        replay, self._replay = self._replay, None
        aclose: Callable[[], Awaitable[object]] | None = getattr(replay, "aclose", None)
        if aclose is not None:
            await aclose()
