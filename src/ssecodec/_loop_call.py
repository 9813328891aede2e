"""Running code on an event loop: a callback on the loop's thread from any thread
(:class:`LoopThread`), and the rest of an awaitable that was started by hand (:func:`resume`)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
import types
from collections.abc import Callable, Generator
from typing import Any

__all__ = ["LoopThread", "resume"]


class LoopThread:
    """An event loop and the thread that runs it.

    Made on the loop's thread (:meth:`current`); :meth:`call` then runs a callback on that
    thread whoever calls it: at once when the caller is the loop's thread, else soon, through
    ``call_soon_threadsafe``.
    """

    __slots__ = ("loop", "thread")

    def __init__(self, loop: asyncio.AbstractEventLoop, thread: int) -> None:
        self.loop = loop
        self.thread = thread
        """The ``threading.get_ident()`` of the thread running :attr:`loop`."""

    @classmethod
    def current(cls) -> LoopThread:
        """The running loop and this thread. Raises ``RuntimeError`` outside a running loop."""
        return cls(asyncio.get_running_loop(), threading.get_ident())

    def call(self, callback: Callable[..., object], *args: Any) -> bool:
        """Run ``callback(*args)`` on the loop's thread: now if this is that thread (its
        exceptions then propagate), else as soon as the loop gets to it.

        Returns False, and does nothing, when the loop is closed (nobody listens any more).
        """
        if threading.get_ident() == self.thread:
            callback(*args)
            return True
        with contextlib.suppress(RuntimeError):  # the loop is closed
            self.loop.call_soon_threadsafe(callback, *args)
            return True
        return False


@types.coroutine
def resume(
    step: Generator[Any, Any, Any], suspended: Any, context: contextvars.Context | None = None
) -> Generator[Any, Any, Any]:
    """Await the rest of an awaitable whose iterator ``step`` was driven by hand up to its
    first suspension, which yielded ``suspended``: what ``await`` would have done had it been
    used from the start (cancellation goes through to it as well).

    With ``context``, each further step runs in that context (the one the awaitable started
    in, when that is not the awaiting task's); without it the rest is delegated in C.
    """
    if context is not None:
        return (yield from _resume_in(step, suspended, context))
    try:
        yield suspended  # asyncio resumes a task's coroutine with None
    except GeneratorExit:
        step.close()
        raise
    except BaseException as exc:  # thrown in by the task: cancellation
        try:
            suspended = step.throw(exc)
        except StopIteration as done:
            return done.value
        return (yield from resume(step, suspended))
    return (yield from step)


def _resume_in(
    step: Generator[Any, Any, Any], suspended: Any, context: contextvars.Context
) -> Generator[Any, Any, Any]:
    while True:
        try:
            value = yield suspended
        except GeneratorExit:
            context.run(step.close)
            raise
        except BaseException as exc:
            try:
                suspended = context.run(step.throw, exc)
            except StopIteration as done:
                return done.value
            continue
        try:
            suspended = context.run(step.send, value)
        except StopIteration as done:
            return done.value
