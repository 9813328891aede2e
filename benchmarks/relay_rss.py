"""Peak memory of a relay process relaying one big event: upstream -> relay -> client.

    python benchmarks/relay_rss.py [--size 50000000] [--line 0] [--modes pass,transform]
                                   [--frameworks starlette,aiohttp]
                                   [--transports httpcore,aiohttp] [--json out.json]

The **upstream** (uvicorn, a plain ASGI app) sends one event of ``--size`` bytes of data in
64 KiB HTTP chunks, then ``data: end``. The **relay**, a process of its own per case: uvicorn
(h11) + Starlette or ``aiohttp.web``, ``relay_starlette`` / ``relay_aiohttp`` without a
transform (``pass``) or with an identity transform (``transform``), reading the upstream with
``relay.py``'s ``httpx.AsyncClient`` on httpx's transport (``httpcore``) or httpx-aiohttp's.
The **client** (this process) checks that both events arrive whole.

The relay first relays a 1 MB event of the same shape twice (imports, pools, buffers warm);
then its peak RSS (``VmHWM`` in ``/proc/<pid>/status``) is reset to its current RSS
(``/proc/<pid>/clear_refs``), the big event is relayed, and the peak is read again. Reported:
the peak RSS over the RSS before, in MB (10**6 bytes) and as a multiple of the event size.

For ``transform`` the table also gives what the codec costs alone for that event, in a fresh
process measured the same way: a ``Decoder`` (the relay's limits) fed the body in 64 KiB
reads, each event encoded again while it is alive. A transforming relay should add no more
than a pass-through relay does beyond that.

``--line N`` cuts the event's data into lines of ``N`` bytes (default: one line).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

from relay import Process, serve, upstream_client, versions

WRITE = 64 * 1024
WARM_SIZE = 1_000_000


def event_body(size: int, line: int) -> bytes:
    """One event of ``size`` bytes of data (lines of ``line`` bytes; 0: one line), then
    ``data: end``."""
    if line <= 0:
        return b"data: " + b"x" * size + b"\n\ndata: end\n\n"
    count, rest = divmod(size, line)
    event = (b"data: " + b"x" * line + b"\n") * count
    return event + (b"data: " + b"x" * rest + b"\n" if rest else b"") + b"\ndata: end\n\n"


async def upstream_app(scope: Any, receive: Any, send: Any) -> None:
    """``/event?size=N&line=L``: :func:`event_body` in 64 KiB HTTP chunks."""
    if scope["type"] != "http":
        return
    query = dict(p.split("=", 1) for p in scope["query_string"].decode().split("&") if p)
    body = event_body(int(query["size"]), int(query.get("line", "0")))
    headers = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for i in range(0, len(body), WRITE):
        await send({"type": "http.response.body", "body": body[i : i + WRITE], "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def serve_relay(framework: str, transport: str, upstream: str) -> None:
    """Run the relay until terminated; its port is the first line printed."""

    def target(query: Any) -> tuple[str, dict[str, Any]]:
        url = f"{upstream}/event?size={query['size']}&line={query.get('line', '0')}"
        transform = (lambda event: event) if query.get("mode") == "transform" else None
        return url, {"transform": transform, "ping": 0}

    if framework == "aiohttp":
        import socket

        import httpx
        from aiohttp import web

        from ssecodec.relay import relay_aiohttp

        key = web.AppKey("client", httpx.AsyncClient)

        async def aio_relay(request: web.Request) -> web.StreamResponse:
            url, options = target(request.query)
            return await relay_aiohttp(request, request.app[key], "GET", url, **options)

        async def client_ctx(app: web.Application) -> AsyncIterator[None]:
            async with upstream_client(transport) as client:
                app[key] = client
                yield

        app = web.Application()
        app.router.add_get("/relay", aio_relay)
        app.cleanup_ctx.append(client_ctx)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        print(sock.getsockname()[1], flush=True)
        web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)
        return

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from ssecodec.relay import relay_starlette

    state: dict[str, Any] = {}

    async def relay(request: Request) -> Response:
        url, options = target(request.query_params)
        return await relay_starlette(request, state["client"], "GET", url, **options)

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        async with upstream_client(transport) as client:
            state["client"] = client
            yield

    serve(Starlette(routes=[Route("/relay", relay)], lifespan=lifespan))


def status(pid: int) -> dict[str, int]:
    """The ``kB`` fields of ``/proc/<pid>/status``, in bytes."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            parts = value.split()
            if len(parts) == 2 and parts[1] == "kB":
                out[name] = int(parts[0]) * 1024
    return out


def peak_rise(pid: int, work: Any) -> tuple[int, bool]:
    """How far the peak RSS of ``pid`` rises above its RSS before ``work()``, and whether the
    peak could be reset to the current RSS first (Linux >= 4.0; if not, the rise is over the
    peak so far)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        reset = True
    except OSError:
        reset = False
    before = status(pid)
    work()
    return status(pid)["VmHWM"] - (before["VmRSS"] if reset else before["VmHWM"]), reset


def fetch(url: str, size: int, line: int) -> None:
    """Read the relay's response; check that the big event and ``end`` arrive whole."""
    import httpx

    from ssecodec import Decoder

    decoder = Decoder(max_line_size=None, max_event_size=None)
    events: list[tuple[str, int, str]] = []
    with httpx.Client(timeout=120) as client, client.stream("GET", url) as response:
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
        for chunk in response.iter_raw():
            events.extend((e.event, len(e.data), e.data[:3]) for e in decoder.feed(chunk))
    lines = 1 if line <= 0 else -(-size // line)
    expected = [("message", size + lines - 1, "xxx"), ("message", 3, "end")]
    if events != expected:
        raise RuntimeError(f"{url}: got {events}, expected {expected}")


def measure(
    upstream: str, framework: str, transport: str, mode: str, size: int, line: int
) -> dict[str, Any]:
    """One case in a fresh relay process: warm up, reset the peak, relay the big event."""
    relay = Process("--serve-relay", framework, transport, upstream, script=__file__)
    url = f"{relay.url}/relay?mode={mode}&line={line}&size="
    try:
        for _ in range(2):
            fetch(f"{url}{WARM_SIZE}", WARM_SIZE, line)
        time.sleep(0.2)
        rss_before = status(relay.proc.pid)["VmRSS"]
        began = time.perf_counter()
        peak, reset = peak_rise(relay.proc.pid, lambda: fetch(f"{url}{size}", size, line))
        wall = time.perf_counter() - began
    finally:
        relay.stop()
    return {
        "framework": framework,
        "transport": transport,
        "mode": mode,
        "size": size,
        "line": line,
        "rss_before": rss_before,
        "peak_over_before": peak,
        "ratio": peak / size,
        "wall": wall,
        "peak_reset": reset,
    }


def run_codec(size: int, line: int) -> None:
    """Print the peak RSS rise of decoding and re-encoding the body (see the docstring)."""
    from ssecodec import DEFAULT_MAX_EVENT_SIZE, Decoder, encode

    def once(body: bytes) -> None:
        decoder = Decoder(
            max_line_size=DEFAULT_MAX_EVENT_SIZE, max_event_size=DEFAULT_MAX_EVENT_SIZE
        )
        view = memoryview(body)
        for i in range(0, len(body), WRITE):
            for event in decoder.feed(bytes(view[i : i + WRITE])):  # a new object per read
                encoded = encode(event.data, event=None, id=event.id or None)
                del encoded

    once(event_body(WARM_SIZE, line))
    body = event_body(size, line)
    print(peak_rise(os.getpid(), lambda: once(body))[0])


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--serve-relay":
        return serve_relay(*sys.argv[2:])
    if len(sys.argv) == 2 and sys.argv[1] == "--serve-upstream":
        return serve(upstream_app)
    if len(sys.argv) == 4 and sys.argv[1] == "--codec":
        return run_codec(int(sys.argv[2]), int(sys.argv[3]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=50_000_000, help="event size in bytes")
    parser.add_argument("--line", type=int, default=0, help="data line length (0: one line)")
    parser.add_argument("--modes", default="pass,transform")
    parser.add_argument("--frameworks", default="starlette,aiohttp")
    parser.add_argument("--transports", default="httpcore,aiohttp")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    codec = None
    if "transform" in args.modes.split(","):
        command = [sys.executable, __file__, "--codec", str(args.size), str(args.line)]
        codec = int(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    print(
        f"{'framework':<10} {'transport':<9} {'mode':<10} {'event MB':>9} "
        f"{'RSS before MB':>14} {'peak over MB':>13} {'x event':>8} {'codec alone MB':>15}"
    )
    results = []
    upstream = Process("--serve-upstream", script=__file__)
    try:
        for framework in args.frameworks.split(","):
            for transport in args.transports.split(","):
                for mode in args.modes.split(","):
                    r = measure(upstream.url, framework, transport, mode, args.size, args.line)
                    if mode == "transform":
                        r["codec_alone"] = codec
                    results.append(r)
                    alone = f"{codec / 1e6:.1f}" if mode == "transform" and codec else ""
                    print(
                        f"{framework:<10} {transport:<9} {mode:<10} {args.size / 1e6:>9.1f} "
                        f"{r['rss_before'] / 1e6:>14.1f} {r['peak_over_before'] / 1e6:>13.1f} "
                        f"{r['ratio']:>8.2f} {alone:>15}",
                        flush=True,
                    )
    finally:
        upstream.stop()
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"versions": versions(), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
