"""The server engine's loop helpers (ssecodec._loop_call), without sockets or frameworks:
a callback run on the loop's thread from any thread, and the rest of an awaitable that was
started by hand."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import types
from collections.abc import Generator
from typing import Any

import pytest

from ssecodec._loop_call import LoopThread, resume


def test_call_on_the_loop_thread_runs_now() -> None:
    async def main() -> None:
        home = LoopThread.current()
        assert home.loop is asyncio.get_running_loop()
        assert home.thread == threading.get_ident()
        ran: list[int] = []
        assert home.call(ran.append, 1) is True
        assert ran == [1]  # synchronously, before any await

    asyncio.run(main())


def test_call_from_another_thread_runs_on_the_loop_soon() -> None:
    async def main() -> None:
        home = LoopThread.current()
        where: list[int] = []
        called = asyncio.Event()

        def callback(value: int) -> None:
            where.append(threading.get_ident())
            where.append(value)
            called.set()

        result: list[bool] = []
        thread = threading.Thread(target=lambda: result.append(home.call(callback, 7)))
        thread.start()
        await asyncio.wait_for(called.wait(), 2)
        thread.join(2)
        assert result == [True]
        assert where == [home.thread, 7]

    asyncio.run(main())


def test_call_on_a_closed_loop_from_another_thread_does_nothing() -> None:
    loop = asyncio.new_event_loop()
    home = LoopThread(loop, threading.get_ident())
    loop.close()
    result: list[bool] = []
    ran: list[int] = []
    thread = threading.Thread(target=lambda: result.append(home.call(ran.append, 1)))
    thread.start()
    thread.join(2)
    assert result == [False] and ran == []


def test_current_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError):
        LoopThread.current()


async def two_steps(gate: asyncio.Future[str]) -> str:
    first = await gate
    await asyncio.sleep(0)
    return first + "!"


def started(awaitable: Any) -> tuple[Generator[Any, Any, Any], Any]:
    step = awaitable.__await__()
    return step, step.send(None)


@pytest.mark.parametrize("in_context", [False, True])
def test_resume_finishes_an_awaitable_started_by_hand(in_context: bool) -> None:
    async def main() -> None:
        gate = asyncio.get_running_loop().create_future()
        step, suspended = started(two_steps(gate))
        assert suspended is gate  # it waits for the gate
        context = contextvars.copy_context() if in_context else None
        task = asyncio.ensure_future(resume(step, suspended, context))
        await asyncio.sleep(0)
        gate.set_result("done")
        assert await asyncio.wait_for(task, 1) == "done!"

    asyncio.run(main())


@pytest.mark.parametrize("in_context", [False, True])
def test_resume_passes_a_cancellation_through(in_context: bool) -> None:
    async def main() -> None:
        cleaned: list[str] = []

        async def waits() -> None:
            try:
                await asyncio.Event().wait()
            finally:
                cleaned.append("finally")

        step, suspended = started(waits())
        context = contextvars.copy_context() if in_context else None
        task = asyncio.ensure_future(resume(step, suspended, context))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert cleaned == ["finally"]

    asyncio.run(main())


def test_resume_in_context_runs_each_step_there() -> None:
    """An awaitable started in a context goes on in it, whatever task awaits the rest: a
    context variable it set before waiting is still set after, and reset in the same
    context (as ``contextvars`` requires)."""
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")

    async def main() -> None:
        gate = asyncio.get_running_loop().create_future()
        seen: list[str] = []

        @types.coroutine
        def wait_gate() -> Generator[Any, Any, None]:
            yield from gate.__await__()

        async def sets_around_a_wait() -> None:
            token = var.set("set")
            await wait_gate()
            seen.append(var.get())
            var.reset(token)  # fails if this step runs in another context

        context = contextvars.copy_context()
        step = sets_around_a_wait().__await__()
        suspended = context.run(step.send, None)
        task = asyncio.ensure_future(resume(step, suspended, context))
        await asyncio.sleep(0)
        gate.set_result(None)
        await asyncio.wait_for(task, 1)
        assert seen == ["set"]
        assert var not in context and var.get() == "unset"

    asyncio.run(main())
