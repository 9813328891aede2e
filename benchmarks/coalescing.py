"""Write coalescing in the server integrations: writes and wall time per 10k events.

    python benchmarks/coalescing.py [--events 10000] [--repeat 7]

Each server (uvicorn + Starlette, aiohttp.web) runs in a subprocess on 127.0.0.1 and streams
N events that are already produced; a raw-socket client in this process reads the whole
response. For each way of sending, the script reports how many body writes the server made
(ASGI ``http.response.body`` messages / aiohttp ``write`` calls; each is a transport write,
usually one ``send()`` system call) and the median wall time from request to the last byte.

Ways of sending:

* ``ssecodec coalesce=True``  -- :class:`ssecodec.starlette.EventSourceResponse` (default)
* ``ssecodec coalesce=False`` -- the same response, one write per event
* ``StreamingResponse`` / ``StreamResponse.write`` -- the usual hand-written loop, one write
  per event (what most SSE helpers do)
* ``sse-starlette`` -- when installed (``requirements/bench.txt``)

Two producers: a list (``list``), and an async generator that awaits nothing between events
(``agen``, e.g. draining a queue that is already full).
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

# -- server side (runs in the subprocess) ------------------------------------------------------


def make_events(n: int) -> list[Any]:
    from ssecodec import Event

    return [
        Event(json.dumps({"n": i, "text": "hello world", "ok": True}), event="tick", id=str(i))
        for i in range(n)
    ]


async def agen(events: list[Any]) -> AsyncIterator[Any]:
    for event in events:
        yield event


STATS: dict[str, int] = {"writes": 0}


def starlette_app(n: int) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    from ssecodec.starlette import EventSourceResponse

    events = make_events(n)

    def content(request: Request) -> Any:
        return list(events) if request.query_params["producer"] == "list" else agen(events)

    async def coalesced(request: Request) -> Response:
        return EventSourceResponse(content(request), ping=0)

    async def uncoalesced(request: Request) -> Response:
        return EventSourceResponse(content(request), ping=0, coalesce=False)

    async def streaming(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            for event in events:
                yield event.encode()

        return StreamingResponse(body(), media_type="text/event-stream")

    async def sse_starlette(request: Request) -> Response:
        from sse_starlette import EventSourceResponse as Peer
        from sse_starlette import ServerSentEvent

        async def body() -> AsyncIterator[Any]:
            for e in events:
                yield ServerSentEvent(data=e.data, event=e.event, id=e.id)

        return Peer(body(), ping=3600)

    async def stats(request: Request) -> Response:
        return JSONResponse(STATS)

    app = Starlette(
        routes=[
            Route("/coalesced", coalesced),
            Route("/uncoalesced", uncoalesced),
            Route("/streaming", streaming),
            Route("/sse-starlette", sse_starlette),
            Route("/stats", stats),
        ]
    )

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] == "/stats":
            await app(scope, receive, send)
            return
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

    def content(request: web.Request) -> Any:
        return list(events) if request.query["producer"] == "list" else agen(events)

    async def run(request: web.Request, response: Any) -> Any:
        await response.prepare(request)
        STATS["writes"] = response.sends
        return response

    async def coalesced(request: web.Request) -> Any:
        return await run(request, EventSourceResponse(content(request), ping=0))

    async def uncoalesced(request: web.Request) -> Any:
        return await run(request, EventSourceResponse(content(request), ping=0, coalesce=False))

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
    app.router.add_get("/coalesced", coalesced)
    app.router.add_get("/uncoalesced", uncoalesced)
    app.router.add_get("/streaming", streaming)
    app.router.add_get("/stats", stats)
    return app


def serve(kind: str, n: int) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    if kind == "starlette":
        import uvicorn

        config = uvicorn.Config(
            starlette_app(n), log_level="warning", lifespan="off", loop="asyncio", http="h11"
        )
        uvicorn.Server(config).run(sockets=[sock])
    else:
        from aiohttp import web

        web.run_app(aiohttp_app(n), sock=sock, print=None, access_log=None)


# -- client side ---------------------------------------------------------------------------


def fetch(port: int, path: str) -> tuple[float, int]:
    """GET ``path``; return (seconds to the last byte, body bytes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        began = time.perf_counter()
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        buf = bytearray()
        while not buf.endswith(b"\r\n0\r\n\r\n"):
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            buf += chunk
        return time.perf_counter() - began, len(buf)


def stats(port: int) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(b"GET /stats HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return int(json.loads(data.split(b"\r\n\r\n", 1)[1])["writes"])


def measure(kind: str, n: int, repeat: int) -> list[dict[str, Any]]:
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--events", str(n)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        for _ in range(100):  # wait until it accepts
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        ways = ["coalesced", "uncoalesced", "streaming"]
        if kind == "starlette":
            try:
                import sse_starlette  # noqa: F401

                ways.append("sse-starlette")
            except ImportError:
                pass
        rows = []
        for way in ways:
            for producer in ("list", "agen"):
                if way in ("streaming", "sse-starlette") and producer == "list":
                    continue
                path = f"/{way}?producer={producer}"
                fetch(port, path)  # warm up
                times = []
                for _ in range(repeat):
                    seconds, size = fetch(port, path)
                    times.append(seconds)
                rows.append(
                    {
                        "server": kind,
                        "way": way,
                        "producer": producer if way in ("coalesced", "uncoalesced") else "agen",
                        "writes": stats(port),
                        "bytes": size,
                        "median_ms": statistics.median(times) * 1000,
                        "min_ms": min(times) * 1000,
                    }
                )
        return rows
    finally:
        server.terminate()
        server.wait(10)


LABELS = {
    "coalesced": "ssecodec coalesce=True",
    "uncoalesced": "ssecodec coalesce=False",
    "streaming": "one write per event (plain loop)",
    "sse-starlette": "sse-starlette 3.x",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--serve", choices=["starlette", "aiohttp"], help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.events)
        return
    import ssecodec

    rows = measure("starlette", args.events, args.repeat) + measure(
        "aiohttp", args.events, args.repeat
    )
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"{args.events} events already produced, median of {args.repeat} runs; "
        f"ssecodec {ssecodec.__version__} ({ssecodec.IMPLEMENTATION}), "
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"
    )
    print(f"{'server':<10} {'way':<34} {'producer':<8} {'writes':>7} {'median ms':>10}")
    for row in rows:
        print(
            f"{row['server']:<10} {LABELS[row['way']]:<34} {row['producer']:<8} "
            f"{row['writes']:>7} {row['median_ms']:>10.1f}"
        )


if __name__ == "__main__":
    main()
