"""The bounded buffer between a stream's producer and its writer.

A producer puts encoded chunks in; the writer takes them out, everything at once when it
coalesces (one write), else one chunk at a time. The buffer counts its bytes against two water
marks: at ``high_water`` it is *full* and the producer should wait; a waiting producer
resumes once a take leaves less than ``low_water`` (half of it), so that it wakes up once per
half buffer, not once per chunk.

:class:`ChunkBuffer` lives on the event loop (async producers, pushed chunks): no lock, and
an async producer waits for room on a future. :class:`SharedChunkBuffer` is shared with a
producer thread: a lock guards it and the thread waits for room on a condition.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable

__all__ = ["ChunkBuffer", "SharedChunkBuffer"]


class ChunkBuffer:
    """Encoded chunks on their way to the client (used on the event loop only).

    ``chunks`` and ``size`` are public so that a producer's hot path may append in place
    (``chunks.append(data); size += len(data)``), as :meth:`put` does.

    Args:
        high_water: bytes at which the buffer is full (>= 1); it also bounds one coalesced
            take.
        coalesce: :meth:`take` joins everything buffered (up to ``high_water``); ``False``
            takes one chunk at a time.
    """

    __slots__ = (
        "_room",
        "chunks",
        "coalesce",
        "error",
        "finished",
        "high_water",
        "low_water",
        "size",
        "stopped",
    )

    def __init__(self, high_water: int, *, coalesce: bool = True) -> None:
        if high_water < 1:
            raise ValueError(f"high_water must be >= 1, not {high_water}")
        self.chunks: deque[bytes] = deque()
        self.size = 0
        self.high_water = high_water
        self.low_water = max(1, high_water // 2)  # a waiting producer resumes below this
        self.coalesce = coalesce
        self.finished = False
        """The producer is done (:meth:`end`); what is buffered is still to be written."""
        self.error: BaseException | None = None
        """What the producer ended with (``None``: it ran out normally)."""
        self.stopped = False
        """The stream is ending (:meth:`stop`): the producer should stop putting."""
        self._room: asyncio.Future[None] | None = None

    def put(self, data: bytes) -> bool:
        """Append one chunk (an empty one is dropped); True once the buffer is full."""
        if data:
            self.chunks.append(data)
            self.size += len(data)
        return self.size >= self.high_water

    def take(self) -> bytes | None:
        """What to write next: the chunks buffered, joined (whole chunks, until
        ``high_water`` bytes are reached: all of them unless more was pushed in), or one
        chunk when not coalescing; ``None`` when empty.

        A producer waiting for room (:meth:`wait_room`) is woken once less than
        ``low_water`` bytes are left.
        """
        chunks = self.chunks
        if not chunks:
            return None
        if len(chunks) == 1 or not self.coalesce:
            data = chunks.popleft()
            self.size -= len(data)
        elif self.size - len(chunks[-1]) < self.high_water:  # the usual: all of it
            data = b"".join(chunks)
            chunks.clear()
            self.size = 0
        else:  # more than one write's worth (pushed chunks): until high water is reached
            parts = []
            taken = 0
            while chunks and taken < self.high_water:
                parts.append(chunks.popleft())
                taken += len(parts[-1])
            self.size -= taken
            data = b"".join(parts)
        if self._room is not None and self.size < self.low_water:
            self._release()
        return data

    def end(self, error: BaseException | None = None) -> bool:
        """The producer is done (with ``error``, if it failed); False if it already was."""
        if self.finished:
            return False
        self.error = error
        self.finished = True
        return True

    async def wait_room(self) -> None:
        """Wait (an async producer, on the loop) until a take leaves less than
        ``low_water`` bytes, or the buffer is stopped."""
        if self.stopped:
            return
        room = self._room = asyncio.get_running_loop().create_future()
        await room

    def stop(self) -> None:
        """The stream is ending: release a waiting producer; it should put nothing more."""
        self.stopped = True
        self._release()

    def _release(self) -> None:
        room, self._room = self._room, None
        if room is not None and not room.done():
            room.set_result(None)


class SharedChunkBuffer(ChunkBuffer):
    """A :class:`ChunkBuffer` filled by a producer thread and emptied on the event loop.

    Every field is guarded by one lock. The thread puts with :meth:`put_from_thread`, which
    waits for room while the buffer is full; ``on_data`` (called without the lock, from the
    thread) must wake the writer thread-safely: it is called when a chunk lands in an empty
    buffer and when the producer ends.
    """

    __slots__ = ("_lock", "_on_data", "_room_for_thread", "_thread_waiting")

    def __init__(
        self, high_water: int, *, coalesce: bool = True, on_data: Callable[[], object]
    ) -> None:
        super().__init__(high_water, coalesce=coalesce)
        self._lock = threading.Lock()
        self._room_for_thread = threading.Condition(self._lock)
        self._thread_waiting = False
        self._on_data = on_data

    def put_from_thread(self, data: bytes) -> bool:
        """Append one chunk (the producer thread); when that fills the buffer, block until
        a take leaves less than ``low_water`` bytes. False once the buffer is stopped (the
        producer should then stop)."""
        if not data:
            return not self.stopped
        with self._lock:
            chunks = self.chunks
            was_empty = not chunks
            chunks.append(data)
            self.size += len(data)
            full = self.size >= self.high_water
        if was_empty:
            self._on_data()
        if full:
            with self._lock:
                while self.size >= self.low_water and not self.stopped:
                    self._thread_waiting = True
                    self._room_for_thread.wait()
                self._thread_waiting = False
        return not self.stopped

    def take(self) -> bytes | None:
        """:meth:`ChunkBuffer.take` under the lock; wakes the producer thread on room."""
        with self._lock:
            data = super().take()
            if self._thread_waiting and self.size < self.low_water:
                self._room_for_thread.notify_all()
        return data

    def end(self, error: BaseException | None = None) -> bool:
        """:meth:`ChunkBuffer.end` under the lock, then ``on_data``."""
        with self._lock:
            ended = super().end(error)
        if ended:
            self._on_data()
        return ended

    def stop(self) -> None:
        """:meth:`ChunkBuffer.stop` under the lock; wakes the producer thread."""
        with self._lock:
            super().stop()
            self._room_for_thread.notify_all()
