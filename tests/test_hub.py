"""ssecodec.hub without sockets: publishing, ids, fan-out, resumption, slow subscribers, the
Starlette end driven as raw ASGI."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from ssecodec import Decoder, Event
from ssecodec.hub import GAP_EVENT, Hub, MemoryBroker, Subscription
from ssecodec.hub._fanout import TAKE_MAX, Replay

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(asyncio.wait_for(main(), 10))


def events(data: bytes) -> list[Event]:
    return Decoder().feed(data)


async def started(sub: Subscription) -> asyncio.Task[bytes]:
    """Start ``sub`` (it joins its channel) and return its pending first ``anext()``."""
    task = asyncio.ensure_future(sub.__anext__())
    for _ in range(5):
        await asyncio.sleep(0)
    return task


async def drain(sub: Subscription) -> bytes:
    """Everything ``sub`` has ready now (it must have something)."""
    return await asyncio.wait_for(sub.__anext__(), 1)


def test_publish_gives_consecutive_decimal_ids_and_encodes_once() -> None:
    async def main() -> None:
        hub = Hub()
        subs = [hub.subscribe("prices") for _ in range(3)]
        firsts = [await started(s) for s in subs]
        first_id = hub.publish("prices", {"symbol": "ACME", "price": 12.5}, event="tick")
        got = [await t for t in firsts]
        assert got[0] is got[1] is got[2]  # the same bytes object for every subscriber
        assert got[0] == (
            b'event: tick\ndata: {"symbol":"ACME","price":12.5}\nid: ' + first_id.encode() + b"\n\n"
        )
        ids = [await hub.apublish("prices", f"p{i}") for i in range(5)]
        assert [int(i) for i in ids] == list(range(int(first_id) + 1, int(first_id) + 6))
        burst = [await drain(s) for s in subs]
        assert burst[0] is burst[1] is burst[2]  # one join shared by subscribers at one place
        assert [(e.data, e.id) for e in events(burst[0])] == [(f"p{i}", ids[i]) for i in range(5)]
        await hub.aclose()

    run(main)


def test_channels_are_separate_and_first_id_is_the_time() -> None:
    import time

    async def main() -> None:
        hub = Hub()
        a, b = hub.subscribe("a"), hub.subscribe("b")
        ta, tb = await started(a), await started(b)
        before = time.time_ns() // 1000
        hub.publish("a", "x")
        hub.publish("b", "y")
        ea, eb = events(await ta), events(await tb)
        assert [e.data for e in ea] == ["x"] and [e.data for e in eb] == ["y"]
        assert before - 10**6 < int(ea[0].id or 0) <= time.time_ns() // 1000
        await hub.aclose()

    run(main)


def test_publish_from_threads_keeps_each_threads_order() -> None:
    async def main() -> None:
        hub = Hub()
        sub = hub.subscribe("c")
        first = await started(sub)

        def publisher(name: str) -> None:
            for i in range(200):
                hub.publish("c", f"{name}{i}")

        threads = [threading.Thread(target=publisher, args=(n,)) for n in "xyz"]
        for t in threads:
            t.start()
        got = events(await first)
        while len(got) < 600:
            got += events(await drain(sub))
        for t in threads:
            t.join()
        ids = [int(e.id or 0) for e in got]
        assert ids == sorted(ids) and len(set(ids)) == 600  # delivered in id order
        for name in "xyz":
            assert [e.data for e in got if e.data[0] == name] == [f"{name}{i}" for i in range(200)]
        await hub.aclose()

    run(main)


def test_resume_gets_exactly_the_missed_events_then_live_ones() -> None:
    async def main() -> None:
        hub = Hub(retry=1500)
        ids = [hub.publish("c", f"e{i}") for i in range(10)]
        sub = hub.subscribe("c", last_event_id=ids[6])
        decoder = Decoder()
        got = decoder.feed(await drain(sub))
        assert [e.data for e in got] == ["e7", "e8", "e9"]
        assert decoder.retry == 1500
        hub.publish("c", "live")
        assert [e.data for e in events(await drain(sub))] == ["live"]
        # at the latest id: nothing replayed, no gap notice
        up_to_date = hub.subscribe("c", last_event_id=hub.publish("c", "last"))
        assert await drain(up_to_date) == b"retry: 1500\n\n"  # no replay, no gap notice
        pending = await started(up_to_date)
        assert not pending.done()
        hub.publish("c", "next")
        assert [e.data for e in events(await pending)] == ["next"]
        await hub.aclose()

    run(main)


class SlowReplay(MemoryBroker):
    """Reads the history only after the test had the chance to publish more events (which
    the subscription, already joined, also gets live): the seam."""

    def __init__(self) -> None:
        super().__init__()
        self.replaying = asyncio.Event()
        self.go_on = asyncio.Event()

    async def replay(self, channel: str, last_event_id: str, upto: Any) -> Replay:
        self.replaying.set()
        await self.go_on.wait()
        return await super().replay(channel, last_event_id, upto)


def test_seam_no_duplicate_no_gap() -> None:
    async def main() -> None:
        broker = SlowReplay()
        hub = Hub(broker)
        ids = [hub.publish("c", f"e{i}") for i in range(5)]
        sub = hub.subscribe("c", last_event_id=ids[1])
        first = await started(sub)
        await broker.replaying.wait()
        for i in range(5, 8):  # live (the subscription joined) and in the history read next
            hub.publish("c", f"e{i}")
        broker.go_on.set()
        got = events(await first)
        while len(got) < 6:
            got += events(await drain(sub))
        assert [e.data for e in got] == [f"e{i}" for i in range(2, 8)]
        hub.publish("c", "e8")
        assert [e.data for e in events(await drain(sub))] == ["e8"]
        await hub.aclose()

    run(main)


@pytest.mark.parametrize(
    ("last", "reason"), [("old", "expired"), ("abc", "unknown"), ("future", "unknown")]
)
def test_gap_is_told_then_the_retained_history_follows(last: str, reason: str) -> None:
    async def main() -> None:
        hub = Hub(MemoryBroker(history=3))
        ids = [hub.publish("c", f"e{i}") for i in range(10)]
        last_id = {"old": ids[2], "abc": "abc", "future": str(int(ids[-1]) + 5)}[last]
        got = events(await drain(hub.subscribe("c", last_event_id=last_id)))
        assert got[0].event == GAP_EVENT and got[0].id == ""  # no id: the client's stays
        assert json.loads(got[0].data) == {
            "channel": "c",
            "last_event_id": last_id,
            "reason": reason,
        }
        assert [(e.data, e.id) for e in got[1:]] == [(f"e{i}", ids[i]) for i in (7, 8, 9)]
        await hub.aclose()

    run(main)


def test_id_from_before_a_restart_is_expired() -> None:
    async def main() -> None:
        old = Hub()
        old_id = old.publish("c", "before")
        new = Hub()  # a new process: its channel's ids start at the current time
        new.publish("c", "after")
        got = events(await drain(new.subscribe("c", last_event_id=old_id)))
        assert got[0].event == GAP_EVENT and json.loads(got[0].data)["reason"] == "expired"
        assert [e.data for e in got[1:]] == ["after"]

    run(main)


def test_pending_events_come_in_one_piece_of_at_most_take_max() -> None:
    async def main() -> None:
        hub = Hub()
        sub = hub.subscribe("c")
        first = await started(sub)
        payload = "x" * 1000
        for _ in range(200):  # ~200 KB: more than one take
            hub.publish("c", payload)
        sizes = [len(await first)]
        while sum(sizes) < 200 * 1000:
            sizes.append(len(await drain(sub)))
        assert len(sizes) == 1 + (200 * 1018 - sizes[0] + TAKE_MAX - 1) // TAKE_MAX
        assert all(TAKE_MAX - 1100 < s <= TAKE_MAX for s in sizes[1:-1])
        await hub.aclose()

    run(main)


def test_slow_subscriber_is_disconnected_and_never_slows_the_others() -> None:
    async def main() -> None:
        hub = Hub(max_lag=20_000)
        slow, fast = hub.subscribe("c"), hub.subscribe("c")
        await started(slow)  # joins, then never reads again
        first: asyncio.Task[bytes] | None = await started(fast)
        got: list[Event] = []
        channel = hub._channels["c"]
        for i in range(1000):  # 1000 x ~37 B, the fast one reading every 50
            hub.publish("c", f"event {i:6d}")
            if i % 50 == 49:
                while len(got) < i + 1:
                    got += events(await (first or drain(fast)))
                    first = None
                assert channel.total - channel.base_bytes <= 1.5 * 20_000
        assert [e.data for e in got] == [f"event {i:6d}" for i in range(1000)]
        assert slow.overflowed and slow.closed and slow not in channel.subscribers
        with pytest.raises(StopAsyncIteration):
            await slow.__anext__()
        assert not fast.overflowed
        await hub.aclose()

    run(main)


def test_memory_is_the_shared_log_not_per_subscriber() -> None:
    async def main() -> None:
        hub = Hub(max_lag=10_000)
        subs = [hub.subscribe("c") for _ in range(100)]
        firsts = [await started(s) for s in subs]
        for i in range(50):
            hub.publish("c", f"{i:090d}")
        channel = hub._channels["c"]
        assert len(channel.log) == 50  # one copy, whatever the number of subscribers
        datas = [await t for t in firsts]
        # the burst reaches each subscription in one piece, the same joined bytes for all
        assert all(d is datas[0] for d in datas) and datas[0].count(b"\n\n") == 50
        for _ in range(300):  # everyone caught up: the log is trimmed by the sweeps
            hub.publish("c", "y" * 100)
            for s in subs:
                await s.__anext__()
        assert channel.total > 30_000 and channel.total - channel.base_bytes <= 10_000
        await hub.aclose()

    run(main)


def test_aclose_ends_subscriptions_and_leaving_forgets_the_channel() -> None:
    async def main() -> None:
        hub = Hub()
        a, b = hub.subscribe("c"), hub.subscribe("c")
        ta = await started(a)
        await started(b)
        await b.aclose()
        assert "c" in hub._channels
        await hub.aclose()
        with pytest.raises(StopAsyncIteration):
            await ta
        assert "c" not in hub._channels

    run(main)


def test_publish_checks_its_arguments() -> None:
    hub = Hub()
    with pytest.raises(TypeError):
        hub.publish("", "x")
    with pytest.raises(TypeError):
        hub.publish("c", None)
    with pytest.raises(ValueError, match="event"):
        hub.publish("c", "x", event="a\nb")
    with pytest.raises(ValueError):
        Hub(max_lag=0)
    with pytest.raises(ValueError):
        MemoryBroker(history=-1)
    with pytest.raises(ValueError, match="one hub"):
        Hub(hub.broker)
    assert hub.publish("c", b"bytes too").isdigit()
