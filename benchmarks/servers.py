"""Server benchmark: CPU per event of the SSE server responses, on real loopback servers.

    python benchmarks/servers.py [--quick] [--rounds 7] [--streams 1000] [--window 4]
                                 [--server NAME ...] [--shape NAME ...] [--out DIR]

Each server runs in a process of its own on 127.0.0.1:

* uvicorn (``h11``, the asyncio loop), Starlette apps:
  ``raw-asgi`` (the floor: a plain ASGI app that sends pre-encoded events, one ``send`` per
  event, and watches ``receive`` for the disconnect), ``sse-starlette`` (its
  ``EventSourceResponse`` of ``ServerSentEvent``), ``fastapi`` (FastAPI's built-in: a route
  with ``response_class=EventSourceResponse`` yielding ``fastapi.sse.ServerSentEvent``),
  ``ssecodec-starlette``
  (``ssecodec.starlette.EventSourceResponse`` of ``Event``), ``ssecodec-sse-starlette``
  (the ``sse-starlette`` app with its import switched to ``ssecodec.sse_starlette``);
* ``aiohttp.web``: ``raw-aiohttp`` (the floor: ``StreamResponse.write`` of pre-encoded
  events), ``aiohttp-sse`` (``sse_response`` and ``send``), ``ssecodec-aiohttp``
  (``ssecodec.aiohttp.EventSourceResponse`` of ``Event``).

Every implementation streams the same events (a 100-byte JSON ``data`` and an ``id``) from
an async generator, with its default keep-alive and timeouts. A separate client process
reads the streams with plain asyncio sockets and counts the events (``data:`` lines). The
server process's CPU time (every thread's on-CPU time, ``/proc/<pid>/task/*/schedstat``) is
read around each measurement and divided by the events the client received.

Shapes:

* ``trickle``: ``--streams`` (1,000) concurrent streams; each producer yields one event,
  then sleeps 50 ms: many mostly idle streams. Measured over a ``--window`` (4 s) once
  every stream is running, so connection set-up and tear-down are not counted.
* ``one``: one stream of ``--one-events`` events, the producer letting the loop run
  (``await asyncio.sleep(0)``) after each: events one at a time, as fast as they come.
* ``burst``: one stream of ``--burst-events`` events produced without a pause (a backlog
  drained at once): what each response does with many events ready at the same time.

``one`` and ``burst`` count the whole response (request to end of stream). Rounds are
interleaved: each round measures every shape on every server, in an order rotated from
round to round, so a slow period of the (shared) machine hits every server alike. Reported
per shape and server: the median CPU per event over the rounds, its range, and the median
of the per-round ratios to ``sse-starlette`` (the same round's measurement). The JSON and
Markdown results go to ``--out`` (``benchmarks/results/`` for a full run,
``benchmarks/out/`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

HERE = Path(__file__).resolve().parent
UVICORN_SERVERS = [
    "raw-asgi",
    "sse-starlette",
    "fastapi",
    "ssecodec-starlette",
    "ssecodec-sse-starlette",
]
AIOHTTP_SERVERS = ["raw-aiohttp", "aiohttp-sse", "ssecodec-aiohttp"]
SERVERS = UVICORN_SERVERS + AIOHTTP_SERVERS
SHAPES = ["trickle", "one", "burst"]
BASELINE = "sse-starlette"
PEERS = {"ssecodec-starlette": "sse-starlette", "ssecodec-aiohttp": "aiohttp-sse"}
PAYLOAD = json.dumps(
    {
        "id": "chatcmpl-0123456789",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"content": "hello"}}],
    },
    separators=(",", ":"),
)
TRICKLE_INTERVAL = 0.05


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def stream_params(scope_query: str | bytes) -> tuple[int, float]:
    """``n`` (0: endless) and ``wait`` (seconds after each event; < 0: no pause)."""
    if isinstance(scope_query, bytes):
        scope_query = scope_query.decode()
    query = parse_qs(scope_query)
    return int(query.get("n", ["0"])[0]), float(query.get("wait", ["-1"])[0])


async def pause(wait: float) -> None:
    if wait >= 0:
        await asyncio.sleep(wait)


# -- servers (run in their own processes) -------------------------------------------------------


def uvicorn_app(name: str) -> Any:
    if name == "raw-asgi":
        from ssecodec import encode

        encoded = [encode(PAYLOAD, id=str(i)) for i in range(1000)]
        headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"),
        ]

        async def raw(scope: Any, receive: Any, send: Any) -> None:
            n, wait = stream_params(scope["query_string"])
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            gone = False

            async def watch() -> None:
                nonlocal gone
                while (await receive())["type"] != "http.disconnect":
                    pass
                gone = True

            watcher = asyncio.ensure_future(watch())
            try:
                i = 0
                while not gone and (n == 0 or i < n):
                    body = encoded[i % 1000]
                    await send({"type": "http.response.body", "body": body, "more_body": True})
                    i += 1
                    await pause(wait)
                if not gone:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
            finally:
                watcher.cancel()

        return raw

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    if name == "fastapi":  # its built-in SSE: a route with response_class=EventSourceResponse
        from fastapi import FastAPI
        from fastapi.sse import EventSourceResponse as FastAPIResponse
        from fastapi.sse import ServerSentEvent as FastAPIEvent

        fastapi_app = FastAPI()

        @fastapi_app.get("/sse", response_class=FastAPIResponse)
        async def fastapi_events(n: int = 0, wait: float = -1) -> Any:
            i = 0
            while n == 0 or i < n:
                yield FastAPIEvent(raw_data=PAYLOAD, id=str(i))
                i += 1
                await pause(wait)

        return fastapi_app

    if name in ("sse-starlette", "ssecodec-sse-starlette"):
        if name == "sse-starlette":
            from sse_starlette import EventSourceResponse, ServerSentEvent
        else:  # the drop-in: the same app, its import switched
            from ssecodec.sse_starlette import EventSourceResponse, ServerSentEvent

        async def peer_events(n: int, wait: float) -> AsyncIterator[ServerSentEvent]:
            i = 0
            while n == 0 or i < n:
                yield ServerSentEvent(data=PAYLOAD, id=str(i))
                i += 1
                await pause(wait)

        async def peer_endpoint(request: Request) -> Response:
            return EventSourceResponse(peer_events(*stream_params(request.url.query)))

        return Starlette(routes=[Route("/sse", peer_endpoint)])

    assert name == "ssecodec-starlette"
    from ssecodec import Event
    from ssecodec.starlette import EventSourceResponse as SsecodecResponse

    async def events(n: int, wait: float) -> AsyncIterator[Event]:
        i = 0
        while n == 0 or i < n:
            yield Event(PAYLOAD, id=str(i))
            i += 1
            await pause(wait)

    async def endpoint(request: Request) -> Response:
        return SsecodecResponse(events(*stream_params(request.url.query)))

    return Starlette(routes=[Route("/sse", endpoint)])


def aiohttp_app(name: str) -> Any:
    from aiohttp import web

    if name == "raw-aiohttp":
        from ssecodec import encode

        encoded = [encode(PAYLOAD, id=str(i)) for i in range(1000)]

        async def raw(request: web.Request) -> web.StreamResponse:
            n, wait = stream_params(request.query_string)
            response = web.StreamResponse(
                headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
            )
            await response.prepare(request)
            i = 0
            with contextlib.suppress(ConnectionResetError):  # the client left
                while n == 0 or i < n:
                    await response.write(encoded[i % 1000])  # raises once the client is gone
                    i += 1
                    await pause(wait)
                await response.write_eof()
            return response

        handler = raw
    elif name == "aiohttp-sse":
        from aiohttp_sse import sse_response

        async def peer(request: web.Request) -> web.StreamResponse:
            n, wait = stream_params(request.query_string)
            with contextlib.suppress(ConnectionResetError):  # the client left
                async with sse_response(request) as response:
                    i = 0
                    while n == 0 or i < n:
                        await response.send(PAYLOAD, id=str(i))
                        i += 1
                        await pause(wait)
            return response

        handler = peer
    else:
        assert name == "ssecodec-aiohttp"
        from ssecodec import Event
        from ssecodec.aiohttp import EventSourceResponse, on_shutdown

        async def events(n: int, wait: float) -> AsyncIterator[Event]:
            i = 0
            while n == 0 or i < n:
                yield Event(PAYLOAD, id=str(i))
                i += 1
                await pause(wait)

        async def ours(request: web.Request) -> web.StreamResponse:
            return EventSourceResponse(events(*stream_params(request.query_string)))

        handler = ours

    app = web.Application()
    app.router.add_get("/sse", handler)
    if name == "ssecodec-aiohttp":
        app.on_shutdown.append(on_shutdown)
    return app


def serve(name: str) -> None:
    """Serve ``name`` on 127.0.0.1; print ``PORT <n>`` once listening; stop on SIGTERM."""
    raise_fd_limit()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    if name in UVICORN_SERVERS:
        import uvicorn

        config = uvicorn.Config(
            uvicorn_app(name),
            log_level="warning",
            access_log=False,
            loop="asyncio",
            http="h11",
            lifespan="off",
            backlog=4096,
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        print(f"PORT {port}", flush=True)
        server.run(sockets=[sock])
        return
    from aiohttp import web

    async def main() -> None:
        runner = web.AppRunner(aiohttp_app(name), access_log=None, shutdown_timeout=1)
        await runner.setup()
        await web.SockSite(runner, sock, backlog=4096).start()
        print(f"PORT {port}", flush=True)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await runner.cleanup()

    asyncio.run(main())


# -- client (a process of its own) ---------------------------------------------------------------


def cpu_ns(pid: int) -> int:
    """On-CPU time of every thread of ``pid`` so far, in nanoseconds."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that just ended
    return total


def user_system_ticks(pid: int) -> tuple[int, int]:
    """User and system CPU time of ``pid`` so far, in clock ticks (``/proc/<pid>/stat``)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


class Reader(asyncio.Protocol):
    """One stream: sends the request, counts ``data:`` lines as they arrive."""

    def __init__(self, request: bytes, client: Client) -> None:
        self.request = request
        self.client = client
        self.tail = b""
        self.events = 0
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        buf = self.tail + data
        count = buf.count(b"data:")
        self.tail = buf[-4:]
        if count:
            if not self.events:
                self.client.started += 1
            self.events += count
            self.client.events += count

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class Client:
    def __init__(self, port: int, server_pid: int) -> None:
        self.port = port
        self.pid = server_pid
        self.events = 0
        self.started = 0

    def request(self, n: int, wait: float, close: bool) -> bytes:
        return (
            f"GET /sse?n={n}&wait={wait} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            "Accept: text/event-stream\r\n" + ("Connection: close\r\n" if close else "") + "\r\n"
        ).encode()

    async def open(self, request: bytes, count: int) -> list[Reader]:
        loop = asyncio.get_running_loop()
        limit = asyncio.Semaphore(100)

        async def one() -> Reader:
            async with limit:
                _, reader = await loop.create_connection(
                    lambda: Reader(request, self), "127.0.0.1", self.port
                )
                return reader

        return list(await asyncio.gather(*(one() for _ in range(count))))

    async def settle(self) -> None:
        """Wait until the server is idle (under 2 ms of CPU in 100 ms; at most 5 s)."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            before = cpu_ns(self.pid)
            await asyncio.sleep(0.1)
            if cpu_ns(self.pid) - before < 2_000_000:
                return

    async def trickle(self, streams: int, warmup: float, window: float) -> dict[str, Any]:
        readers = await self.open(self.request(0, TRICKLE_INTERVAL, False), streams)
        deadline = time.monotonic() + 30
        while self.started < streams:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {self.started} of {streams} streams started")
            await asyncio.sleep(0.01)
        await asyncio.sleep(warmup)
        events0, cpu0, wall0 = self.events, cpu_ns(self.pid), time.perf_counter()
        ticks0 = user_system_ticks(self.pid)
        await asyncio.sleep(window)
        events1, cpu1, wall1 = self.events, cpu_ns(self.pid), time.perf_counter()
        ticks1 = user_system_ticks(self.pid)
        for reader in readers:
            assert reader.transport is not None
            reader.transport.close()
        return self.result(events1 - events0, cpu1 - cpu0, wall1 - wall0, ticks0, ticks1)

    @staticmethod
    def result(
        events: int, cpu: int, wall: float, ticks0: tuple[int, int], ticks1: tuple[int, int]
    ) -> dict[str, Any]:
        user, system = ticks1[0] - ticks0[0], ticks1[1] - ticks0[1]
        return {
            "events": events,
            "cpu_s": cpu / 1e9,
            "wall_s": wall,
            "system_share": system / (user + system) if user + system else 0.0,
        }

    async def whole(self, n: int, wait: float) -> dict[str, Any]:
        cpu0, wall0, ticks0 = cpu_ns(self.pid), time.perf_counter(), user_system_ticks(self.pid)
        [reader] = await self.open(self.request(n, wait, True), 1)
        await asyncio.wait_for(reader.closed, 120)
        cpu1, wall1, ticks1 = cpu_ns(self.pid), time.perf_counter(), user_system_ticks(self.pid)
        if reader.events != n:
            raise RuntimeError(f"got {reader.events} events of {n}")
        return self.result(n, cpu1 - cpu0, wall1 - wall0, ticks0, ticks1)


async def client_main(args: argparse.Namespace) -> dict[str, Any]:
    client = Client(args.port, args.pid)
    await client.settle()
    if args.shape == "trickle":
        result = await client.trickle(args.streams, args.warmup, args.window)
    elif args.shape == "one":
        result = await client.whole(args.one_events, 0)
    else:
        result = await client.whole(args.burst_events, -1)
    await client.settle()
    return result


# -- driver --------------------------------------------------------------------------------------


class Server:
    def __init__(self, name: str) -> None:
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, __file__, "serve", name], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"{name} did not start: {line!r}")
        self.port = int(line.split()[1])

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def measure(server: Server, shape: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "client",
        "--port",
        str(server.port),
        "--pid",
        str(server.process.pid),
        "--shape",
        shape,
        "--streams",
        str(args.streams),
        "--warmup",
        str(args.warmup),
        "--window",
        str(args.window),
        "--one-events",
        str(args.one_events),
        "--burst-events",
        str(args.burst_events),
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if out.returncode:
        raise RuntimeError(f"client for {server.name}/{shape} failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout)
    result["us_per_event"] = result["cpu_s"] / result["events"] * 1e6
    return result


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for dist in (
        "ssecodec",
        "uvicorn",
        "h11",
        "starlette",
        "sse-starlette",
        "fastapi",
        "aiohttp",
        "aiohttp-sse",
        "anyio",
    ):
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            found[dist] = "-"
    import ssecodec

    found["ssecodec implementation"] = ssecodec.IMPLEMENTATION
    try:
        commit = subprocess.run(
            ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "-"
    found["commit"] = commit
    return found


def summarise(samples: dict[str, dict[str, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    rows = []
    for shape, by_server in samples.items():
        base = by_server.get(BASELINE)
        for name, runs in by_server.items():
            per_event = [r["us_per_event"] for r in runs]
            row: dict[str, Any] = {
                "shape": shape,
                "server": name,
                "us_per_event": statistics.median(per_event),
                "min": min(per_event),
                "max": max(per_event),
                "events_per_s": statistics.median(r["events"] / r["wall_s"] for r in runs),
                "system_share": statistics.median(r["system_share"] for r in runs),
                "rounds": len(runs),
            }
            if base is not None and len(base) == len(runs):
                row["vs_sse_starlette"] = statistics.median(
                    r["us_per_event"] / b["us_per_event"] for r, b in zip(runs, base, strict=True)
                )
            peer = PEERS.get(name)
            if peer is not None and peer != BASELINE and peer in by_server:
                row["vs_peer"] = statistics.median(
                    r["us_per_event"] / p["us_per_event"]
                    for r, p in zip(runs, by_server[peer], strict=True)
                )
            rows.append(row)
    return rows


def markdown(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [
        "# Server CPU per event",
        "",
        f"`benchmarks/servers.py {meta['argv']}`: {meta['rounds']} interleaved rounds; "
        f"trickle = {meta['streams']} streams, one event per stream every "
        f"{TRICKLE_INTERVAL * 1000:g} ms, {meta['window']:g} s window; one = "
        f"{meta['one_events']:,} events one at a time; burst = {meta['burst_events']:,} events "
        "ready at once.",
        "",
        "Server-process CPU (all threads) per event delivered, median over the rounds "
        "(min-max); ratios are medians of the per-round ratios (lower is better); system: the "
        "share of that CPU spent in the kernel (the socket writes, mostly).",
        "",
        "| shape | server | us CPU / event | range | vs sse-starlette | vs aiohttp-sse "
        "| events/s | system |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        vs_base = row.get("vs_sse_starlette")
        vs_peer = row.get("vs_peer")
        lines.append(
            f"| {row['shape']} | {row['server']} | {row['us_per_event']:.1f} | "
            f"{row['min']:.1f}-{row['max']:.1f} | "
            f"{'-' if vs_base is None else f'{vs_base:.2f}x'} | "
            f"{'-' if vs_peer is None else f'{vs_peer:.2f}x'} | {row['events_per_s']:,.0f} | "
            f"{row['system_share']:.0%} |"
        )
    lines += [
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()) + ".",
        f"Machine: {meta['machine']}; load average at the start {meta['load_start']}, "
        f"at the end {meta['load_end']}; {meta['seconds']:.0f} s.",
        "",
    ]
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"


def drive(args: argparse.Namespace) -> None:
    began = time.monotonic()
    load_start = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    servers = {name: Server(name) for name in args.server}
    samples: dict[str, dict[str, list[dict[str, Any]]]] = {
        shape: {name: [] for name in args.server} for shape in args.shape
    }
    try:
        for round_ in range(args.rounds):
            turn = round_ % len(args.server)
            order = args.server[turn:] + args.server[:turn]
            for shape in args.shape:
                for name in order:
                    result = measure(servers[name], shape, args)
                    samples[shape][name].append(result)
                    print(
                        f"round {round_ + 1}/{args.rounds} {shape:8} {name:20} "
                        f"{result['us_per_event']:7.1f} us/event  {result['events']:>8,} events "
                        f"in {result['wall_s']:.1f} s",
                        flush=True,
                    )
    finally:
        for server in servers.values():
            server.stop()
    rows = summarise(samples)
    meta = {
        "argv": " ".join(sys.argv[1:]) or "(defaults)",
        "rounds": args.rounds,
        "streams": args.streams,
        "window": args.window,
        "one_events": args.one_events,
        "burst_events": args.burst_events,
        "versions": versions(),
        "machine": machine(),
        "load_start": load_start,
        "load_end": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "seconds": time.monotonic() - began,
    }
    out = Path(args.out) if args.out else HERE / ("out" if args.quick else "results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "servers.json").write_text(
        json.dumps({"meta": meta, "rows": rows, "samples": samples}, indent=1) + "\n"
    )
    text = markdown(rows, meta)
    (out / "servers.md").write_text(text)
    print()
    print(text)
    print(f"written: {out / 'servers.json'}, {out / 'servers.md'}")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "serve":
        serve(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", nargs="?", default="drive", choices=["drive", "client"])
    parser.add_argument("--quick", action="store_true", help="a short run (under a minute)")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--streams", type=int, help="trickle: concurrent streams (1000)")
    parser.add_argument("--window", type=float, help="trickle: seconds measured (4)")
    parser.add_argument("--warmup", type=float, help="trickle: seconds before the window (1)")
    parser.add_argument("--one-events", type=int, help="one: events (20000)")
    parser.add_argument("--burst-events", type=int, help="burst: events (100000)")
    parser.add_argument("--server", action="append", choices=SERVERS)
    parser.add_argument("--shape", action="append", choices=SHAPES)
    parser.add_argument("--out", help="where to write servers.json and servers.md")
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    quick = args.quick
    defaults = {
        "rounds": 2 if quick else 7,
        "streams": 1000,
        "window": 1.0 if quick else 4.0,
        "warmup": 0.5 if quick else 1.0,
        "one_events": 3000 if quick else 20000,
        "burst_events": 20000 if quick else 100000,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.mode == "client":
        raise_fd_limit()
        args.shape = args.shape[0]
        print(json.dumps(asyncio.run(client_main(args))))
        return
    args.server = args.server or SERVERS
    args.shape = args.shape or SHAPES
    drive(args)


if __name__ == "__main__":
    main()
