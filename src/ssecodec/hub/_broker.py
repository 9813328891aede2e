"""Brokers: where a hub's events get their ids and are kept for resumption.

:class:`Broker` is the interface; :class:`MemoryBroker` (this module) keeps everything in the
process, :class:`~ssecodec.hub.RedisBroker` shares channels between processes through Redis
Streams.
"""

from __future__ import annotations

import abc
import itertools
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any, Final

from ssecodec import SSEError

from ._fanout import TAKE_MAX, Channel, Page, Replay

if TYPE_CHECKING:
    from ._hub import Hub

__all__ = ["DEFAULT_HISTORY", "Broker", "BrokerUnavailable", "MemoryBroker"]

DEFAULT_HISTORY: Final = 1000
"""Events kept per channel for resumption, unless told otherwise."""


class BrokerUnavailable(SSEError, ConnectionError):
    """The broker cannot be reached (Redis is down): the event was **not** published.

    Raised by :meth:`Hub.publish` and :meth:`Hub.apublish`; retrying later is safe (nothing
    was stored). Subscribers are not affected: they keep their connections and get the
    events published once the broker is back.
    """


class Broker(abc.ABC):
    """What a :class:`~ssecodec.hub.Hub` publishes through and resumes from.

    A broker gives each event its id (monotonic per channel), keeps a bounded history per
    channel, and delivers every event of a channel that has local subscribers to the hub, in
    id order, by calling ``hub._feed(channel, data, mark)`` (from any thread) or
    ``hub._deliver(...)`` (on the hub's loop), where ``data`` is the complete encoded event
    (``body`` followed by its ``id:`` line and the blank line) and ``mark`` an object ordered
    like the ids. A broker serves one hub.
    """

    _hub: Hub | None = None

    def bind(self, hub: Hub) -> None:
        """Called once by the hub that uses this broker."""
        if self._hub is not None and self._hub is not hub:
            raise ValueError("a broker serves one hub")
        self._hub = hub

    @property
    def hub(self) -> Hub:
        """The hub this broker serves."""
        if self._hub is None:
            raise RuntimeError("this broker is not used by a hub yet")
        return self._hub

    @abc.abstractmethod
    def publish(self, channel: str, body: bytes) -> str:
        """Give the event ``body`` (encoded lines without an id, ending with a line feed) an
        id, store it and deliver it; return the id. Thread-safe; may block on I/O.

        Raises:
            BrokerUnavailable: the event could not be stored.
        """

    @abc.abstractmethod
    async def apublish(self, channel: str, body: bytes) -> str:
        """:meth:`publish` for the event loop."""

    async def open(self, channel: Channel) -> None:  # noqa: B027 (optional hook)
        """Start delivering ``channel`` to the hub (its first local subscriber joins).

        Returns once the events published from now on will be delivered.
        """

    def release(self, channel: Channel) -> None:
        """The last local subscriber of ``channel`` left."""
        self.hub._drop(channel)

    @abc.abstractmethod
    async def replay(self, channel: str, last_event_id: str, upto: Any) -> Replay:
        """The events of ``channel`` after ``last_event_id``, up to ``upto`` (a mark; ``None``
        for the latest), and why some may be missing: ``"expired"`` (older than the
        history), ``"unknown"`` (not an id of this channel), or ``None``."""

    async def aclose(self) -> None:  # noqa: B027 (optional hook)
        """Release the broker's resources (connections, tasks)."""


def encode_id(body: bytes, event_id: bytes) -> bytes:
    """The complete event: ``body`` with its ``id:`` line and the closing blank line."""
    return b"".join((body, b"id: ", event_id, b"\n\n"))


async def pages(events: Iterable[tuple[Any, bytes]]) -> AsyncIterator[Page]:
    """Split ``events`` into pages of about TAKE_MAX bytes."""
    page: Page = []
    size = 0
    for mark, data in events:
        page.append((mark, data))
        size += len(data)
        if size >= TAKE_MAX:
            yield page
            page, size = [], 0
    if page:
        yield page


class _Stream:
    __slots__ = ("events", "next")

    def __init__(self, first: int, history: int) -> None:
        self.next = first
        self.events: deque[tuple[int, bytes]] = deque(maxlen=history)


class MemoryBroker(Broker):
    """The in-process broker (the default): ids and history live in this process.

    Ids are decimal integers that grow by one per event. A channel's first id is the time it
    was first used in this process, in microseconds since the epoch, so that an id handed out
    by an earlier run of the process is older than the new history (the client is told it
    may have missed events) rather than mistaken for a new event.

    Args:
        history: how many events each channel keeps for resumption (default 1000; ``0``
            keeps none, so every resume after missed events is told about a gap).
    """

    def __init__(self, *, history: int = DEFAULT_HISTORY) -> None:
        if isinstance(history, bool) or not isinstance(history, int) or history < 0:
            raise ValueError(f"history must be an int >= 0, not {history!r}")
        self._history = history
        self._lock = threading.Lock()
        self._streams: dict[str, _Stream] = {}

    def _stream(self, channel: str) -> _Stream:
        stream = self._streams.get(channel)
        if stream is None:
            stream = self._streams[channel] = _Stream(time.time_ns() // 1000, self._history)
        return stream

    def publish(self, channel: str, body: bytes) -> str:
        """Give the event the channel's next id, keep it and deliver it; return the id."""
        hub = self.hub
        with self._lock:  # ids, history and delivery in one order
            stream = self._stream(channel)
            mark = stream.next
            stream.next = mark + 1
            event_id = str(mark)
            data = encode_id(body, event_id.encode())
            stream.events.append((mark, data))
            hub._feed(channel, data, mark)
        return event_id

    async def apublish(self, channel: str, body: bytes) -> str:
        """:meth:`publish` (it never waits)."""
        return self.publish(channel, body)

    async def replay(self, channel: str, last_event_id: str, upto: Any) -> Replay:
        """The retained events after ``last_event_id`` (see :meth:`Broker.replay`)."""
        mark = int(last_event_id) if last_event_id.isascii() and last_event_id.isdigit() else -1
        with self._lock:
            stream = self._stream(channel)
            events = stream.events
            oldest = events[0][0] if events else stream.next
            gap: str | None = None
            if mark < 0 or mark >= stream.next:
                gap, start = "unknown", 0
            elif mark < oldest - 1:
                gap, start = "expired", 0
            else:
                start = mark - oldest + 1
            missed = list(itertools.islice(events, start, None))
        return gap, pages(missed)
