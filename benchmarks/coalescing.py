"""Write coalescing in the server integrations: writes and wall time per 10k events.

    python benchmarks/coalescing.py [--events 10000] [--repeat 7] [--json]

Each server (uvicorn + Starlette, aiohttp.web) runs in a subprocess on 127.0.0.1 and streams N
events that are already produced, from a list or from an async generator that awaits nothing
between events (``agen``: a queue already full); a raw-socket client here reads the whole
response. Reported per way of sending: the server's body writes (ASGI ``http.response.body``
messages / aiohttp ``write`` calls, each usually one ``send()``) and the median time from
request to last byte. The ways: ssecodec's ``EventSourceResponse`` with ``coalesce=True`` (the
default) and ``False``, the usual hand-written loop writing each event, and sse-starlette when
installed. docs/integrations.md has the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

LABELS = {"coalesced": "ssecodec coalesce=True", "uncoalesced": "ssecodec coalesce=False",
          "streaming": "one write per event (plain loop)", "sse-starlette": "sse-starlette 3.x"}
STATS: dict[str, int] = {"writes": 0}


def make_events(n: int) -> list[Any]:
    from ssecodec import Event

    return [Event(json.dumps({"n": i, "text": "hello world", "ok": True}), event="tick",
                  id=str(i)) for i in range(n)]


async def agen(events: list[Any]) -> AsyncIterator[Any]:
    for event in events:
        yield event


def starlette_app(n: int) -> Any:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    from ssecodec.starlette import EventSourceResponse

    events = make_events(n)

    def content(request: Any) -> Any:
        return list(events) if request.query_params["producer"] == "list" else agen(events)

    async def coalesced(request: Any) -> Any:
        return EventSourceResponse(content(request), ping=0)

    async def uncoalesced(request: Any) -> Any:
        return EventSourceResponse(content(request), ping=0, coalesce=False)

    async def streaming(request: Any) -> Any:
        async def body() -> AsyncIterator[bytes]:
            for event in events:
                yield event.encode()

        return StreamingResponse(body(), media_type="text/event-stream")

    async def sse_starlette(request: Any) -> Any:
        from sse_starlette import EventSourceResponse as Peer
        from sse_starlette import ServerSentEvent

        async def body() -> AsyncIterator[Any]:
            for e in events:
                yield ServerSentEvent(data=e.data, event=e.event, id=e.id)

        return Peer(body(), ping=3600)

    async def stats(request: Any) -> Any:
        return JSONResponse(STATS)

    app = Starlette(routes=[Route(f"/{f.__name__.replace('_', '-')}", f) for f in
                            (coalesced, uncoalesced, streaming, sse_starlette, stats)])

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        """Counts the non-empty body messages of each response."""
        if scope["type"] != "http" or scope["path"] == "/stats":
            return await app(scope, receive, send)
        writes = 0

        async def counted(message: Any) -> None:
            nonlocal writes
            if message["type"] == "http.response.body" and message.get("body"):
                writes += 1
            await send(message)

        await app(scope, receive, counted)
        STATS["writes"] = writes

    return counting


def aiohttp_app(n: int) -> Any:
    from aiohttp import web

    from ssecodec.aiohttp import EventSourceResponse

    events = make_events(n)

    def ssecodec(coalesce: bool) -> Any:
        async def handler(request: web.Request) -> Any:
            producer = list(events) if request.query["producer"] == "list" else agen(events)
            response = EventSourceResponse(producer, ping=0, coalesce=coalesce)
            await response.prepare(request)
            STATS["writes"] = response.sends
            return response

        return handler

    async def streaming(request: web.Request) -> Any:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for event in events:
            await response.write(event.encode())
        STATS["writes"] = len(events)
        return response

    async def stats(request: web.Request) -> Any:
        return web.json_response(STATS)

    app = web.Application()
    app.router.add_get("/coalesced", ssecodec(True))
    app.router.add_get("/uncoalesced", ssecodec(False))
    app.router.add_get("/streaming", streaming)
    app.router.add_get("/stats", stats)
    return app


def serve(kind: str, n: int) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    if kind == "starlette":
        import uvicorn

        config = uvicorn.Config(starlette_app(n), log_level="warning", lifespan="off",
                                loop="asyncio", http="h11")
        uvicorn.Server(config).run(sockets=[sock])
    else:
        from aiohttp import web

        web.run_app(aiohttp_app(n), sock=sock, print=None, access_log=None)


def get(port: int, path: str) -> tuple[float, bytes]:
    """GET ``path``: the seconds to the last byte of the chunked body (of the response, for
    /stats, read to the connection's close) and the response."""
    close = "Connection: close\r\n" if path == "/stats" else ""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        began = time.perf_counter()
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\n{close}\r\n".encode())
        buf = bytearray()
        while not buf.endswith(b"\r\n0\r\n\r\n") and (chunk := sock.recv(1 << 20)):
            buf += chunk
        return time.perf_counter() - began, bytes(buf)


def measure(kind: str, n: int, repeat: int) -> list[dict[str, Any]]:
    server = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--events", str(n)],
                              stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline()) if server.stdout else 0
        for _ in range(100):  # wait until it accepts
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        ways = [("coalesced", "list"), ("coalesced", "agen"), ("uncoalesced", "list"),
                ("uncoalesced", "agen"), ("streaming", "agen")]
        try:
            import sse_starlette  # noqa: F401

            ways += [("sse-starlette", "agen")] if kind == "starlette" else []
        except ImportError:
            pass
        rows = []
        for way, producer in ways:
            path = f"/{way}?producer={producer}"
            get(port, path)  # warm up
            times = [get(port, path) for _ in range(repeat)]
            stats = json.loads(get(port, "/stats")[1].split(b"\r\n\r\n", 1)[1])
            rows.append({"server": kind, "way": way, "producer": producer,
                         "writes": stats["writes"], "bytes": len(times[-1][1]),
                         "median_ms": statistics.median(t for t, _ in times) * 1000,
                         "min_ms": min(t for t, _ in times) * 1000})
        return rows
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--serve", choices=["starlette", "aiohttp"], help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.events)
    import ssecodec

    rows = measure("starlette", args.events, args.repeat)
    rows += measure("aiohttp", args.events, args.repeat)
    if args.json:
        return print(json.dumps(rows, indent=2))
    print(f"{args.events} events already produced, median of {args.repeat} runs; ssecodec "
          f"{ssecodec.__version__} ({ssecodec.IMPLEMENTATION}), Python "
          f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"{'server':<10} {'way':<34} {'producer':<8} {'writes':>7} {'median ms':>10}")
    for row in rows:
        print(f"{row['server']:<10} {LABELS[row['way']]:<34} {row['producer']:<8} "
              f"{row['writes']:>7} {row['median_ms']:>10.1f}")


if __name__ == "__main__":
    main()
