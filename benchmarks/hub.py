"""Fan-out benchmark (``make bench-hub``): one uvicorn worker serving many SSE subscribers.

Subscribers are real loopback connections opened and read by a separate, cheap reader process
(asyncio protocols counting ``data:`` lines); server CPU is read from the server process's
/proc entries (every thread's schedstat, in ns) around each run, so "CPU per delivered event"
is the server's CPU-seconds divided by events x subscribers. Servers compared (all on
Starlette, same uvicorn):

- ``hub``: ``ssecodec.hub`` with the in-process broker;
- ``hub-redis``: ``ssecodec.hub`` with the Redis Streams broker (a redis-server started here);
- ``queues``: sse-starlette with one ``asyncio.Queue`` per client, the event encoded per client;
- ``broadcaster``: encode/broadcaster ``memory://`` with sse-starlette.

Shapes: *burst* (events published back to back, faster than they can be sent) and *steady*
(20 events/s). Also: RSS with the subscribers connected and idle (keep-alives on), and for the
two hub brokers the publish-to-delivery latency at 1,000 events/s (p50/p99; with Redis the
publisher is another process) and the events/s one publisher sustains.
Writes hub.json and hub.md to --out (benchmarks/out/hub; the committed run is in
benchmarks/results/hub).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

HERE = Path(__file__).resolve().parent
VARIANTS = ("hub", "hub-redis", "queues", "broadcaster")
PAD = "x" * 80  # each event: data "<publish time ns> xxx...", about 120 bytes on the wire


# -- the server process -------------------------------------------------------------------------


def make_app(variant: str, redis_url: str) -> Any:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    state: dict[str, Any] = {"subscribers": 0}
    startup: list[Any] = []
    if variant.startswith("hub"):
        from ssecodec.hub import Hub, RedisBroker

        hub = Hub(RedisBroker(redis_url, history=10_000) if variant == "hub-redis" else None)

        async def sse(request: Any) -> Any:
            return hub.response(request, "bench")

        async def publish(data: str) -> None:
            await hub.apublish("bench", data)

        def subscribers() -> int:
            channel = hub._channels.get("bench")
            return len(channel.subscribers) if channel else 0
    else:
        from sse_starlette import EventSourceResponse

        async def counted(events: Any) -> Any:
            state["subscribers"] += 1
            try:
                async for item in events:
                    yield item
            finally:
                state["subscribers"] -= 1

        def subscribers() -> int:
            return int(state["subscribers"])

    if variant == "queues":
        queues: set[asyncio.Queue[dict[str, str]]] = set()

        async def from_queue(queue: asyncio.Queue[dict[str, str]]) -> Any:
            try:
                while True:
                    yield await queue.get()
            finally:
                queues.discard(queue)

        async def sse(request: Any) -> Any:
            queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
            queues.add(queue)
            return EventSourceResponse(counted(from_queue(queue)), ping=15)

        async def publish(data: str) -> None:
            item = {"data": data}
            for queue in queues:
                queue.put_nowait(item)
    elif variant == "broadcaster":
        from broadcaster import Broadcast

        broadcast = Broadcast("memory://")
        startup.append(broadcast.connect)

        async def from_broadcast() -> Any:
            async with broadcast.subscribe("bench") as subscriber:
                async for event in subscriber:  # type: ignore[union-attr]
                    yield {"data": event.message}

        async def sse(request: Any) -> Any:
            return EventSourceResponse(counted(from_broadcast()), ping=15)

        async def publish(data: str) -> None:
            await broadcast.publish("bench", data)

    async def run(request: Any) -> Any:
        events, rate = int(request.query_params["events"]), float(request.query_params["rate"])

        async def go() -> None:
            start = time.monotonic()
            for i in range(events):
                if rate:
                    await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
                await publish(f"{time.time_ns()} {PAD}")

        state["task"] = asyncio.get_running_loop().create_task(go())
        return PlainTextResponse("ok")

    async def stats(request: Any) -> Any:
        return JSONResponse({"subscribers": subscribers()})

    routes = [Route("/sse", sse), Route("/run", run, methods=["POST"]), Route("/stats", stats)]

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> Any:
        for connect in startup:
            await connect()
        yield

    return Starlette(routes=routes, lifespan=lifespan)


def serve(variant: str, port: int, redis_url: str) -> None:
    import uvicorn

    config = uvicorn.Config(
        make_app(variant, redis_url),
        port=port,
        log_level="warning",
        access_log=False,
        backlog=4096,
        timeout_graceful_shutdown=1,
    )
    uvicorn.Server(config).run()


# -- the reader process -------------------------------------------------------------------------


class Counter(asyncio.Protocol):
    """One subscriber connection: counts ``data:`` lines (split reads handled)."""

    total = 0
    latencies: ClassVar[list[int]] = []
    measure_latency = False

    def __init__(self, request: bytes) -> None:
        self.request, self.tail = request, b""

    def connection_made(self, transport: Any) -> None:
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        buf = self.tail + data
        Counter.total += buf.count(b"data:")
        self.tail = buf[-4:]
        if Counter.measure_latency:
            now = time.time_ns()
            Counter.latencies += [
                now - int(line[6:].split(b" ", 1)[0])
                for line in buf.split(b"\n")
                if line.startswith(b"data: ") and b" " in line[6:]
            ]


async def read(port: int, count: int, latency: bool) -> None:
    Counter.measure_latency = latency
    loop = asyncio.get_running_loop()
    request = b"GET /sse HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n"
    transports = []
    for start in range(0, count, 200):  # connect in batches, as clients arriving
        batch = [
            loop.create_connection(lambda: Counter(request), "127.0.0.1", port)
            for _ in range(start, min(count, start + 200))
        ]
        transports += [t for t, _ in await asyncio.gather(*batch)]
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).strip():
        if line == b"count":
            print(Counter.total, flush=True)
        elif line == b"latency":
            lat = sorted(Counter.latencies) or [0]
            pick = [lat[int(q * (len(lat) - 1))] / 1e6 for q in (0.5, 0.99)]
            print(json.dumps({"p50_ms": pick[0], "p99_ms": pick[1], "n": len(lat)}), flush=True)
            Counter.latencies = []
    for transport in transports:
        transport.close()


# -- the controller ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_cpu(pid: int) -> float:
    """CPU-seconds of all the process's threads, in ns (schedstat), else in clock ticks."""
    try:
        return (
            sum(
                int((task / "schedstat").read_text().split()[0])
                for task in Path(f"/proc/{pid}/task").iterdir()
            )
            / 1e9
        )
    except (OSError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def http(port: int, method: str, path: str) -> Any:
    import httpx

    response = httpx.request(method, f"http://127.0.0.1:{port}{path}", timeout=30)
    response.raise_for_status()
    return response.json() if path.startswith("/stats") else response.text


def wait(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class Run:
    """A server process (one variant) and a reader process with ``count`` subscribers."""

    def __init__(self, variant: str, count: int, redis_url: str, latency: bool = False) -> None:
        self.port, self.variant, self.redis_url = free_port(), variant, redis_url
        me = [sys.executable, str(Path(__file__).resolve())]
        self.server = subprocess.Popen([*me, "--serve", variant, str(self.port), redis_url])
        if not wait(lambda: self._stats() is not None, 30):
            raise RuntimeError(f"the {variant} server did not start")
        self.reader = subprocess.Popen(
            [*me, "--read", str(self.port), str(count)] + (["--latency"] if latency else []),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if not wait(lambda: (self._stats() or 0) >= count, 120):
            raise RuntimeError(f"{count} subscribers did not connect to {variant}")

    def _stats(self) -> int | None:
        if self.server.poll() is not None:
            raise RuntimeError("the server process died")
        try:
            return int(http(self.port, "GET", "/stats")["subscribers"])
        except Exception:
            return None

    def ask(self, command: str) -> str:
        assert self.reader.stdin and self.reader.stdout
        self.reader.stdin.write(command + "\n")
        self.reader.stdin.flush()
        return self.reader.stdout.readline().strip()

    def delivered(self) -> int:
        return int(self.ask("count"))

    def publish(self, events: int, rate: float, expect: int, timeout: float) -> dict[str, Any]:
        """Have the server publish; wait until ``expect`` more events were read."""
        base = self.delivered()
        cpu0, t0 = proc_cpu(self.server.pid), time.monotonic()
        if self.variant == "hub-redis":  # the publisher is another process: this one
            publish_from_here(self.redis_url, events, rate)
        else:
            http(self.port, "POST", f"/run?events={events}&rate={rate}")
        done = wait(lambda: self.delivered() >= base + expect, timeout)
        cpu, wall = proc_cpu(self.server.pid) - cpu0, time.monotonic() - t0
        got = self.delivered() - base
        return {
            "cpu_s": cpu,
            "wall_s": round(wall, 3),
            "delivered": got,
            "complete": done,
            "us_per_delivery": round(cpu / max(got, 1) * 1e6, 3),
        }

    def close(self) -> None:
        for process in (self.reader, self.server):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def publish_from_here(redis_url: str, events: int, rate: float) -> None:
    from ssecodec.hub import Hub, RedisBroker

    hub, start = Hub(RedisBroker(redis_url, history=10_000)), time.monotonic()
    for i in range(events):
        if rate:
            time.sleep(max(0.0, start + i / rate - time.monotonic()))
        hub.publish("bench", f"{time.time_ns()} {PAD}")


def fanout(variant: str, count: int, redis_url: str, quick: bool) -> dict[str, Any]:
    run = Run(variant, count, redis_url)
    try:
        time.sleep(0.5)
        out: dict[str, Any] = {"rss_idle_mib": round(proc_rss_mib(run.server.pid), 1)}
        burst = max(10, min(200, 200_000 // count)) // (4 if quick else 1)
        out["burst"] = run.publish(burst, 0, burst * count, 300)
        out["burst"]["events"] = burst
        steady = 20 * (1 if quick else 3 if count >= 10_000 else 5)
        out["steady"] = run.publish(steady, 20, steady * count, 300)
        out["steady"]["events"] = steady
        return out
    finally:
        run.close()


def latency(variant: str, redis_url: str, seconds: float) -> dict[str, Any]:
    """p50/p99 from publish to delivery at 1,000 events/s, and one publisher's events/s."""
    from ssecodec.hub import Hub, RedisBroker

    run = Run(variant, 1, redis_url, latency=True)
    try:
        events = int(1000 * seconds)
        if variant == "hub-redis":  # the publisher is this process, the server another
            publish_from_here(redis_url, events, 1000)
        else:
            http(run.port, "POST", f"/run?events={events}&rate=1000")
        wait(lambda: run.delivered() >= events, 30)
        out: dict[str, Any] = json.loads(run.ask("latency"))
    finally:
        run.close()

    async def flat_out(hub: Hub) -> float:
        n, start = 0, time.monotonic()
        while time.monotonic() - start < seconds:
            await hub.apublish("rate", PAD)
            n += 1
        return n / (time.monotonic() - start)

    broker = RedisBroker(redis_url, history=10_000) if variant == "hub-redis" else None
    out["publish_per_s"] = round(asyncio.run(flat_out(Hub(broker))))
    return out


def start_redis() -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (make bench-hub installs it)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}/0"


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# Fan-out benchmark ({results['machine']})",
        "",
        "Server CPU per delivered event (us; events x subscribers), RSS with the "
        "subscribers idle, and per variant the ratio to sse-starlette + queues.",
        "",
    ]
    for count, rows in results["fanout"].items():
        lines += [
            f"## {count} subscribers",
            "",
            "| server | burst us | x | steady us | x | RSS idle MiB |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        base = rows.get("queues", {})
        for variant, row in rows.items():
            cells = []
            for shape in ("burst", "steady"):
                us = row[shape]["us_per_delivery"]
                ref = base.get(shape, {}).get("us_per_delivery")
                mark = "" if row[shape]["complete"] else " (incomplete)"
                cells += [f"{us:.2f}{mark}", f"{ref / us:.1f}x" if ref and us else ""]
            lines.append(f"| {variant} | {' | '.join(cells)} | {row['rss_idle_mib']} |")
        lines.append("")
    lines += [
        "## Latency at 1,000 events/s (publish to delivery) and one publisher's rate",
        "",
        "| broker | p50 ms | p99 ms | events/s one publisher |",
        "|---|---:|---:|---:|",
    ]
    for variant, row in results["latency"].items():
        lines.append(
            f"| {variant} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['publish_per_s']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 subscribers, short")
    parser.add_argument("--sizes", type=int, nargs="*", help="subscriber counts")
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "hub")
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--read", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--latency", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve[0], int(args.serve[1]), args.serve[2])
    if args.read:
        return asyncio.run(read(*args.read, args.latency))
    sizes = args.sizes or ([100, 1000] if args.quick else [100, 1000, 10_000])
    redis, redis_url = start_redis()
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load {os.getloadavg()[0]:.2f}",
        "fanout": {},
        "latency": {},
    }
    try:
        for count in sizes:
            for variant in args.variants:
                print(f"[{count} subscribers] {variant} ...", end=" ", flush=True)
                row = results["fanout"].setdefault(str(count), {})[variant] = fanout(
                    variant, count, redis_url, args.quick
                )
                print(
                    f"burst {row['burst']['us_per_delivery']} us, steady "
                    f"{row['steady']['us_per_delivery']} us, RSS {row['rss_idle_mib']} MiB"
                )
        for variant in ("hub", "hub-redis"):
            print(f"[latency] {variant} ...", end=" ", flush=True)
            row = results["latency"][variant] = latency(variant, redis_url, 1 if args.quick else 5)
            print(
                f"p50 {row['p50_ms']:.2f} ms, p99 {row['p99_ms']:.2f} ms, "
                f"{row['publish_per_s']} events/s"
            )
    finally:
        redis.terminate()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hub.json").write_text(json.dumps(results, indent=1) + "\n")
    (args.out / "hub.md").write_text(markdown(results))
    print("\n" + markdown(results) + f"\nwritten: {args.out / 'hub.json'}, {args.out / 'hub.md'}")


if __name__ == "__main__":
    main()
