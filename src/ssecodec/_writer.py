"""Writing one event stream to its client: one write at a time, the writer task's loop, and
the stream's one timer (keep-alives and the send timeout).

A write comes from the writer task, from an async producer's own task (a lone event, see
:mod:`ssecodec._producers`) or, for a pushed chunk (:meth:`Writer.offer`), from whoever
pushed it: the framework's ``send`` is then run by hand, and if it has to wait, the writer
task takes the rest of it over. Whichever task writes, :meth:`Writer.write` keeps the shared
state (one write at a time, the time of the last write, how a write failed).
"""

from __future__ import annotations

import asyncio
import contextvars
import math
from collections.abc import Awaitable, Callable, Generator
from typing import Any, Final

from ssecodec import SendTimeout, encode_comment

from ._buffer import ChunkBuffer
from ._items import to_bytes
from ._loop_call import resume

__all__ = ["PING_COMMENT", "ClientGone", "Send", "Writer"]

Send = Callable[[bytes], Awaitable[object]]
"""The framework's write: sends one chunk of the response body."""

PING_COMMENT: Final = encode_comment("ping")
_TIMER_SLACK: Final = 0.001  # a timer firing this early counts as on time


class ClientGone(Exception):
    """Internal: the client disconnected (or the send failed with OSError)."""


class Writer:
    """The writing side of one stream (see the module docstring).

    Args:
        buffer: where the producer's chunks wait.
        ping: seconds without a write after which a keep-alive is sent; 0: never.
        ping_message: the keep-alive's bytes, or a callable returning an item, called for
            each keep-alive.
        send_timeout: seconds one write may take (``None``: no limit).
    """

    __slots__ = (
        "_context",
        "_handed",
        "_last_write",
        "_loop",
        "_ping_due",
        "_send_started",
        "_timed_out",
        "_timer_handle",
        "_waiter",
        "_writer_blocked",
        "buffer",
        "cleaning_up",
        "client_gone",
        "close_requested",
        "final",
        "paced",
        "ping",
        "ping_message",
        "send",
        "send_error",
        "send_timeout",
        "sender",
        "sending",
        "sends",
        "task",
    )

    def __init__(
        self,
        buffer: ChunkBuffer,
        *,
        ping: float,
        ping_message: bytes | Callable[[], object],
        send_timeout: float | None,
    ) -> None:
        self.sends = 0
        """How many writes were made (keep-alives included)."""
        self.buffer = buffer
        self.ping, self.ping_message, self.send_timeout = ping, ping_message, send_timeout
        self.task: asyncio.Task[Any] | None = None  # the writer task, once started
        self.sending = False  # a write is under way (whichever task makes it)
        self.send_error: BaseException | None = None  # how a write failed
        self.client_gone = False
        # The async producer runs its content's cleanup (``aclose``): cancelling it then
        # would cut that short (an upstream response left open, say), so the end waits.
        self.cleaning_up = False
        self.close_requested = False
        self.final: bytes | None = None  # the last words of a close request
        self.paced: asyncio.Future[None] | None = None  # a paced producer waits for a write
        self._loop: asyncio.AbstractEventLoop | None = None
        self.send: Send | None = None  # the framework's write, once started
        self._context: contextvars.Context | None = None  # where pushed writes run
        self._waiter: asyncio.Future[None] | None = None  # the writer task's, while it waits
        self.sender: asyncio.Task[Any] | None = None  # the task writing (None: see offer)
        self._handed: tuple[Generator[Any, Any, Any], Any] | None = None  # see offer()
        self._writer_blocked = False  # the writer waits for another task's write to end
        self._send_started: float | None = None
        self._last_write = 0.0  # loop time the last write started (or the stream did)
        self._ping_due = False
        self._timed_out = False
        self._timer_handle: asyncio.Handle | None = None

    @property
    def closed(self) -> bool:
        """The stream is ending: it takes nothing more."""
        buffer = self.buffer
        return (
            self.close_requested
            or self.client_gone
            or self.send_error is not None
            or buffer.stopped
            or buffer.finished
        )

    # -- the start and the end ----------------------------------------------------------------

    def start(self, send: Send) -> None:
        """Begin on the running loop (the caller then sets :attr:`task`, which runs
        :meth:`run`); the timer starts."""
        loop = self._loop = asyncio.get_running_loop()
        self.send = send
        self._context = contextvars.copy_context()
        self._last_write = loop.time()
        self._timer_handle = loop.call_soon(self._timer)

    def stop(self) -> None:
        """The stream is ending: no more keep-alives or timeouts, and a pushed write that
        the writer task did not take over is closed (its ``finally`` runs now)."""
        if self._timer_handle is not None:
            self._timer_handle.cancel()
        handed, self._handed = self._handed, None
        if handed is not None:
            self._context.run(handed[0].close)  # type: ignore[union-attr]
            self.end()

    def wake(self) -> None:
        """Wake the writer task if it waits (on the loop). It looks at everything when it
        wakes, so one wake-up serves any number of reasons."""
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def leave(self) -> None:
        """The client has gone (on the loop)."""
        self.client_gone = True
        self.wake()

    def close(self, final: bytes | None) -> None:
        """Flush what is buffered, send ``final``, then end (on the loop)."""
        self.close_requested = True
        self.final = final
        self.wake()

    # -- one write ------------------------------------------------------------------------------

    def begin(self, task: asyncio.Task[Any] | None) -> None:
        """A write starts, from ``task``. The send timeout is kept by the stream's timer, not
        by a timeout context per write: that would cost more than the write itself when
        writes are small."""
        self.sends += 1
        self.sending = True
        self.sender = task
        self._ping_due = False
        self._send_started = self._last_write = self._loop.time()  # type: ignore[union-attr]

    def failed(self, exc: BaseException, task: asyncio.Task[Any] | None) -> BaseException:
        """What a failed write raises (noted for the writer task, whichever task wrote):
        :class:`SendTimeout` when the stream's timer cancelled it, :class:`ClientGone` for an
        ``OSError``, else the exception itself."""
        if isinstance(exc, asyncio.CancelledError):
            if not self._timed_out:
                return exc
            uncancel = getattr(task, "uncancel", None)  # Python >= 3.11
            if uncancel is not None:
                uncancel()
            error: BaseException = SendTimeout(
                f"sending to the client took over {self.send_timeout:g} s"
            )
            error.__suppress_context__ = True
        elif isinstance(exc, OSError):  # the transport is gone (aiohttp, ASGI spec >= 2.4)
            error = ClientGone()
            error.__cause__ = exc
        elif isinstance(exc, Exception):
            error = exc
        else:
            return exc
        self.send_error = error
        return error

    def end(self) -> None:
        """The write under way is over."""
        self.sending = False
        self.sender = None
        self._send_started = None
        if self._writer_blocked:
            self._writer_blocked = False
            self.wake()
        paced = self.paced
        if paced is not None:  # a paced producer waits for the end of this write
            self.paced = None
            if not paced.done():
                paced.set_result(None)

    async def write(self, data: bytes, task: asyncio.Task[Any] | None) -> None:
        """One write, from ``task`` (the writer's or a producer's); one at a time."""
        self.begin(task)
        try:
            await self.send(data)  # type: ignore[misc]
        except BaseException as exc:
            raise self.failed(exc, task)  # noqa: B904 (the cause is set as it should be)
        finally:
            self.end()

    # -- pushed chunks --------------------------------------------------------------------------

    def offer(self, data: bytes, limit: int) -> bool:
        """Send ``data`` (on the loop): at once when no write is under way and nothing is
        buffered, else after what is buffered. False, and nothing taken, when the stream is
        ending, or when the buffer is not empty and would then hold more than ``limit`` bytes.
        """
        if self.closed:
            return False
        buffer = self.buffer
        if self.sending or buffer.chunks or self.task is None:
            if buffer.size and buffer.size + len(data) > limit:
                return False
            buffer.put(data)
            self.wake()
        elif data:
            self._write_now(data)
        return True

    def _write_now(self, data: bytes) -> None:
        """Start a write here, running the framework's ``send`` by hand (in the stream's
        context) until it is done or has to wait; the writer task then takes the rest over.
        A write that fails is the writer task's to report."""
        self.begin(None)
        try:
            step = self.send(data).__await__()  # type: ignore[misc]
            suspended = self._context.run(step.send, None)  # type: ignore[union-attr]
        except StopIteration:  # written at once: the common case
            self.end()
            return
        except Exception as exc:
            self.failed(exc, None)
            self.end()
            self.wake()
            return
        except BaseException:
            self.end()
            raise
        self._handed = (step, suspended)
        self.wake()

    async def _finish_handed(self, task: asyncio.Task[Any] | None) -> None:
        step, suspended = self._handed  # type: ignore[misc]
        self._handed = None
        self.sender = task
        try:
            await resume(step, suspended, self._context)
        except BaseException as exc:
            raise self.failed(exc, task)  # noqa: B904 (the cause is set as it should be)
        finally:
            self.end()

    # -- the timer and the writer task ----------------------------------------------------------

    def _timer(self) -> None:
        """The stream's one timer: the keep-alives and the send timeout.

        A write only notes its time; the timer, moved on lazily, then sees whether
        ``ping`` seconds passed since the last write (it asks the writer for a keep-alive)
        and whether the write under way started ``send_timeout`` seconds ago (it cancels
        the task writing). Then it sets itself for the earlier of the two next deadlines.
        """
        loop, task = self._loop, self.task
        if loop is None or task is None or task.done() or self.buffer.stopped:
            return
        now = loop.time()
        due = math.inf
        ping, timeout = self.ping, self.send_timeout
        if ping:
            ping_at = self._last_write + ping
            if now >= ping_at - _TIMER_SLACK:
                self._ping_due = True
                self.wake()
                ping_at = now + ping
            due = ping_at
        if timeout is not None:
            started, sender = self._send_started, self.sender
            if started is None or sender is None:
                due = min(due, now + timeout)  # a write starting later is seen in time
            elif now - started >= timeout - _TIMER_SLACK:
                self._timed_out = True
                sender.cancel()
                return
            else:
                due = min(due, started + timeout)
        if due < math.inf:
            self._timer_handle = loop.call_at(due, self._timer)

    def _ping_bytes(self) -> bytes:
        message = self.ping_message
        return message if isinstance(message, bytes) else to_bytes(message())

    async def run(self) -> BaseException | None:
        """The writer task's loop: write until the producer is done (returns its error),
        a close request was served (returns ``None``) or the client leaves
        (:class:`ClientGone`).

        The writer sleeps on a bare future that whoever has news for it resolves (a producer
        handing over buffered items, the end of the producer or of its write, a pushed
        chunk, the watcher, the keep-alive timer, a close request). It writes what a producer
        thread produced, what an async producer or a pusher buffered while a write was under
        way, the rest of a pushed write that had to wait, keep-alives and the last words.
        """
        loop = asyncio.get_running_loop()
        task, buffer = self.task, self.buffer
        while True:
            if self.client_gone:
                raise ClientGone
            if self.send_error is not None:
                raise self.send_error  # a write from another task failed
            if self._handed is not None:
                await self._finish_handed(task)
                continue
            if self.sending:  # another task is writing: one write at a time
                self._writer_blocked = True
                waiter = self._waiter = loop.create_future()
                await waiter
                continue
            if self.close_requested:
                while (data := buffer.take()) is not None:
                    await self.write(data, task)
                if self.final:
                    await self.write(self.final, task)
                return None
            finished = buffer.finished  # read first: nothing is put after the end
            data = buffer.take()
            if data is not None:
                await self.write(data, task)
                # News that came during the write found no waiter: look again before sleeping.
                if (
                    buffer.chunks
                    or buffer.finished
                    or self.client_gone
                    or self.close_requested
                    or self.send_error is not None
                ):
                    continue
            elif finished:
                return buffer.error
            elif self._ping_due:
                await self.write(self._ping_bytes(), task)
                continue
            waiter = self._waiter = loop.create_future()
            await waiter
