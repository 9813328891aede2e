"""The server engine's chunk buffer (ssecodec._buffer), without sockets or frameworks: what a
take hands the writer, the water marks, a producer waiting for room on the loop and in a
thread, the end and the stop."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from ssecodec._buffer import ChunkBuffer, SharedChunkBuffer


def fill(buffer: ChunkBuffer, *chunks: bytes) -> None:
    for chunk in chunks:
        buffer.put(chunk)


def test_take_joins_everything_when_coalescing() -> None:
    buffer = ChunkBuffer(100)
    assert buffer.take() is None
    fill(buffer, b"a", b"bc", b"", b"def")
    assert list(buffer.chunks) == [b"a", b"bc", b"def"]  # an empty chunk is dropped
    assert buffer.size == 6
    assert buffer.take() == b"abcdef"
    assert buffer.size == 0 and buffer.take() is None
    buffer.put(b"alone")
    assert buffer.take() == b"alone" and buffer.size == 0


def test_take_one_chunk_at_a_time_without_coalescing() -> None:
    buffer = ChunkBuffer(100, coalesce=False)
    fill(buffer, b"a", b"bc", b"def")
    assert [buffer.take(), buffer.size, buffer.take(), buffer.take()] == [b"a", 5, b"bc", b"def"]
    assert buffer.take() is None


def test_put_tells_when_full_and_a_full_buffer_is_taken_whole() -> None:
    buffer = ChunkBuffer(10)
    assert buffer.put(b"12345") is False
    assert buffer.put(b"123456789") is True  # crosses high water: full
    assert buffer.put(b"") is True  # still full
    assert buffer.take() == b"12345123456789"  # the crossing chunk goes with the rest
    assert buffer.size == 0


def test_take_of_more_than_high_water_stops_once_it_is_reached() -> None:
    buffer = ChunkBuffer(10)
    fill(buffer, *[b"abcd"] * 6)  # 24 bytes: more than one write's worth (pushed chunks)
    assert buffer.take() == b"abcd" * 3  # whole chunks, until 10 bytes are reached
    assert buffer.size == 12
    assert buffer.take() == b"abcd" * 3
    assert buffer.take() is None and buffer.size == 0
    buffer.put(b"x" * 25)  # a chunk larger than high water goes whole
    assert buffer.take() == b"x" * 25


def test_low_water_is_half_of_high_water_and_at_least_one() -> None:
    assert ChunkBuffer(10).low_water == 5
    assert ChunkBuffer(1).low_water == 1
    with pytest.raises(ValueError, match="high_water"):
        ChunkBuffer(0)


def test_end_once_with_its_error() -> None:
    buffer = ChunkBuffer(10)
    assert not buffer.finished and buffer.error is None
    error = RuntimeError("producer broke")
    assert buffer.end(error) is True
    assert buffer.end(None) is False  # the first end counts
    assert buffer.finished and buffer.error is error


def test_async_producer_waits_for_room_until_below_low_water() -> None:
    async def main() -> None:
        buffer = ChunkBuffer(10, coalesce=False)
        fill(buffer, b"aaaa", b"bbbb", b"cccc")  # 12 bytes: full
        waiting = asyncio.ensure_future(buffer.wait_room())
        await asyncio.sleep(0)
        assert buffer.take() == b"aaaa"  # 8 left: not below low water (5)
        await asyncio.sleep(0)
        assert not waiting.done()
        assert buffer.take() == b"bbbb"  # 4 left: room
        await asyncio.wait_for(waiting, 1)

    asyncio.run(main())


def test_stop_releases_a_waiting_async_producer_and_later_waits() -> None:
    async def main() -> None:
        buffer = ChunkBuffer(4)
        buffer.put(b"full")
        waiting = asyncio.ensure_future(buffer.wait_room())
        await asyncio.sleep(0)
        buffer.stop()
        await asyncio.wait_for(waiting, 1)
        assert buffer.stopped
        await asyncio.wait_for(buffer.wait_room(), 1)  # stopped: no wait at all

    asyncio.run(main())


def test_shared_buffer_thread_blocks_when_full_until_room() -> None:
    woken: list[str] = []
    buffer = SharedChunkBuffer(8, on_data=lambda: woken.append("data"))
    done = threading.Event()
    results: list[bool] = []

    def producer() -> None:
        results.append(buffer.put_from_thread(b"1234"))  # lands in an empty buffer: woken
        results.append(buffer.put_from_thread(b"5678"))  # full: waits for room
        done.set()

    thread = threading.Thread(target=producer)
    thread.start()
    deadline = time.monotonic() + 2
    while buffer.size < 8 and time.monotonic() < deadline:
        time.sleep(0.001)
    assert not done.wait(0.05)  # blocked on the full buffer
    assert woken == ["data"]
    assert buffer.take() == b"12345678"
    assert done.wait(2)
    thread.join(2)
    assert results == [True, True]


def test_shared_buffer_stop_releases_the_thread_and_tells_it_to_stop() -> None:
    buffer = SharedChunkBuffer(2, on_data=lambda: None)
    results: list[bool] = []
    thread = threading.Thread(target=lambda: results.append(buffer.put_from_thread(b"full")))
    thread.start()
    deadline = time.monotonic() + 2
    while not buffer.chunks and time.monotonic() < deadline:
        time.sleep(0.001)
    buffer.stop()
    thread.join(2)
    assert not thread.is_alive()
    assert results == [False]  # stopped: the producer should stop
    assert buffer.put_from_thread(b"") is False


def test_shared_buffer_end_wakes_once() -> None:
    woken: list[str] = []
    buffer = SharedChunkBuffer(8, on_data=lambda: woken.append("woken"))
    assert buffer.end(None) and not buffer.end(ValueError())
    assert woken == ["woken"]
    assert buffer.finished and buffer.error is None


def test_shared_buffer_never_loses_a_chunk_under_contention() -> None:
    """A thread puts 20,000 chunks while the main thread takes: every byte arrives once,
    in order, and the thread never runs more than high water plus one chunk ahead."""
    buffer = SharedChunkBuffer(1000, on_data=lambda: None)
    chunks = [f"{i:05d}".encode() for i in range(20_000)]
    peak = [0]

    def producer() -> None:
        for chunk in chunks:
            buffer.put_from_thread(chunk)
            peak[0] = max(peak[0], buffer.size)
        buffer.end(None)

    thread = threading.Thread(target=producer)
    thread.start()
    got = bytearray()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        finished = buffer.finished  # read before the take: nothing is put after the end
        data = buffer.take()
        if data is not None:
            got += data
        elif finished:
            break
        else:
            time.sleep(0)
    thread.join(5)
    assert bytes(got) == b"".join(chunks)
    assert peak[0] <= 1000 + 5
