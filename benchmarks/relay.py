"""End-to-end relay benchmark: upstream (uvicorn) -> relay -> client (httpx), on 127.0.0.1.

    python benchmarks/relay.py [--events 200000] [--streams 1,10,100] [--repeat 5]
                               [--upstream-write 16384] [--transport httpcore|aiohttp]
                               [--variants ...] [--quick]

Three processes: the **upstream** (uvicorn, h11) serves OpenAI-style ``chat.completion.chunk``
events (~230 bytes, ``data:`` only, then ``data: [DONE]``) as fast as it can, in writes of
``--upstream-write`` bytes cut anywhere, or one event per write with 0; the **relay**
(uvicorn, h11, Starlette) has one route per variant, all reading the upstream with one
``httpx.AsyncClient`` on httpx's transport or, with ``--transport aiohttp``, httpx-aiohttp's;
the **client** (this process) runs N concurrent streams that decode and count every event.

Each run reads the relay process's CPU time (``/proc/<pid>/stat``) before and after: **relay CPU
seconds per 1M events**, and **events/s** (client wall clock). Every repeat runs every variant
in a rotating order; the ratios to the peer are taken within a repeat and their median given.

Variants: ``ssecodec`` (``relay_starlette``, pass-through), ``ssecodec+transform`` (a transform
that counts the event), ``peer`` and ``peer+transform`` (the same relay written with httpx-sse
``aconnect_sse`` and sse-starlette ``EventSourceResponse``), ``raw`` (the floor, not an SSE
relay: httpx ``aiter_raw`` into a ``StreamingResponse``) and, only when named in
``--variants``, ``raw+coalesce`` (the upstream's reads through ssecodec's response, unframed).
docs/relay.md has the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VARIANTS = ["ssecodec", "ssecodec+transform", "peer", "peer+transform", "raw"]
PAIRS = [("ssecodec", "peer"), ("ssecodec+transform", "peer+transform")]
FAILURES: list[str] = []
_BODIES: dict[int, tuple[bytes, list[bytes]]] = {}


def body(n: int) -> tuple[bytes, list[bytes]]:
    """(whole body, per-event pieces) of a stream of ``n`` events, the last ``[DONE]``."""
    if n not in _BODIES:
        events = [
            b'data: {"id":"chatcmpl-9xKq2mZbT7fWcR1a","object":"chat.completion.chunk",'
            b'"created":1718000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":'
            b'"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":" tok%d"},'
            b'"logprobs":null,"finish_reason":null}]}\n\n' % (i % 997)
            for i in range(n - 1)
        ]
        events.append(b"data: [DONE]\n\n")
        _BODIES[n] = (b"".join(events), events)
    return _BODIES[n]


def upstream_app() -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        query = dict(p.split("=", 1) for p in scope["query_string"].decode().split("&") if p)
        whole, events = body(int(query["n"]))
        write = int(query["write"])
        headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        gone = asyncio.Event()

        async def watch() -> None:  # stop writing once the relay has left
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.ensure_future(watch())
        pieces = (whole[i : i + write] for i in range(0, len(whole), write)) if write else events
        try:
            for piece in pieces:
                if gone.is_set():
                    return
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            watcher.cancel()

    return app


class Count:
    """The benchmark's transform: count the event, pass it on."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, event: Any) -> Any:
        self.n += 1
        return event


def upstream_client(transport: str) -> Any:
    """The relays' ``httpx.AsyncClient`` to the upstream, on httpx's transport or aiohttp's
    (what the openai SDK's ``DefaultAioHttpClient`` uses)."""
    import httpx

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=200)
    timeout = httpx.Timeout(60.0, read=None)
    if transport == "aiohttp":
        from httpx_aiohttp import AiohttpTransport

        return httpx.AsyncClient(
            transport=AiohttpTransport(limits=limits), limits=limits, timeout=timeout
        )
    return httpx.AsyncClient(limits=limits, timeout=timeout)


async def raw_chunks(response: Any) -> AsyncIterator[bytes]:
    """An upstream response's body as it is read, undecoded; the response closed at the end."""
    try:
        async for chunk in response.aiter_raw():
            yield chunk
    finally:
        await response.aclose()


def relay_app(upstream: str, transport: str) -> Any:
    from httpx_sse import aconnect_sse
    from sse_starlette import EventSourceResponse as PeerResponse
    from sse_starlette import ServerSentEvent
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    from ssecodec.relay import RELAY_HEADERS, open_upstream, relay_starlette
    from ssecodec.starlette import EventSourceResponse

    state: dict[str, Any] = {}

    def url(request: Request) -> str:
        return f"{upstream}/stream?{request.url.query}"

    def ssecodec(transform: Callable[[], Any] | None) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            options = {"transform": transform()} if transform else {}
            return await relay_starlette(request, state["client"], "GET", url(request), **options)

        return endpoint

    def peer(transform: Callable[[], Any] | None) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            count = transform() if transform else None

            async def events() -> AsyncIterator[ServerSentEvent]:
                async with aconnect_sse(state["client"], "GET", url(request)) as source:
                    async for sse in source.aiter_sse():
                        sse = count(sse) if count else sse
                        yield ServerSentEvent(
                            data=sse.data,
                            id=sse.id or None,
                            retry=sse.retry,
                            event=None if sse.event == "message" else sse.event,
                        )

            return PeerResponse(events())

        return endpoint

    async def raw(request: Request) -> Response:
        client = state["client"]
        response = await client.send(client.build_request("GET", url(request)), stream=True)
        return StreamingResponse(raw_chunks(response), media_type="text/event-stream")

    async def raw_coalesce(request: Request) -> Response:
        response = await open_upstream(state["client"], "GET", url(request))
        return EventSourceResponse(raw_chunks(response), headers=RELAY_HEADERS)

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        async with upstream_client(transport) as client:
            state["client"] = client
            yield

    return Starlette(
        lifespan=lifespan,
        routes=[
            Route("/ssecodec", ssecodec(None)),
            Route("/ssecodec+transform", ssecodec(Count)),
            Route("/peer", peer(None)),
            Route("/peer+transform", peer(Count)),
            Route("/raw", raw),
            Route("/raw+coalesce", raw_coalesce),
        ],
    )


def serve(app: Any) -> None:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)  # before the port is announced: connections wait for the server's start
    print(sock.getsockname()[1], flush=True)
    # Keep-alive longer than httpx's expiry (5 s): the server never closes a pooled connection
    # just as the relay reuses it ("Server disconnected without a response").
    uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            loop="asyncio",
            http="h11",
            lifespan="on",
            timeout_graceful_shutdown=2,
            timeout_keep_alive=300,
        )
    ).run(sockets=[sock])


class Process:
    """A server subprocess of ``script`` (this one by default); its port is the first line it
    prints."""

    def __init__(self, *args: str, script: str = __file__) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, script, *args], stdout=subprocess.PIPE, text=True
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            raise RuntimeError(f"server {args} did not start")
        self.url = f"http://127.0.0.1:{int(line)}"

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process (all its threads)."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


async def read_stream(client: Any, url: str, expected: int) -> int:
    from ssecodec import Decoder

    decoder, count, last = Decoder(), 0, None
    async with client.stream("GET", url) as response:
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
        async for chunk in response.aiter_raw():
            if events := decoder.feed(chunk):
                count += len(events)
                last = events[-1]
    if count != expected or last is None or last.data != "[DONE]":
        raise RuntimeError(f"{url}: {count} events (expected {expected}), last {last!r}")
    return count


async def run_clients(url: str, streams: int, per_stream: int) -> tuple[int, float]:
    import httpx

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=streams)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(120.0)) as client:
        began = time.perf_counter()
        reads = (read_stream(client, url, per_stream) for _ in range(streams))
        counts = await asyncio.gather(*reads)
        return sum(counts), time.perf_counter() - began


def measure(relay: Process, variant: str, streams: int, events: int, write: int) -> dict[str, Any]:
    """One run; a run that fails is reported (and kept in the JSON) and run again, once."""
    per_stream = max(2, events // streams)
    url = f"{relay.url}/{variant}?n={per_stream}&write={write}"
    for attempt in (1, 2):
        before = relay.cpu_seconds()
        try:
            delivered, wall = asyncio.run(run_clients(url, streams, per_stream))
            break
        except Exception as exc:
            FAILURES.append(f"{variant}, {streams} streams: {type(exc).__name__}: {exc}")
            print(f"FAILED (attempt {attempt}): {FAILURES[-1]}", file=sys.stderr)
            if attempt == 2:
                raise
    cpu = relay.cpu_seconds() - before
    return {
        "events": delivered,
        "wall": wall,
        "cpu": cpu,
        "cpu_per_1m": cpu / delivered * 1e6,
        "events_per_s": delivered / wall,
    }


def summarize(results: dict[str, dict[str, list[dict[str, float]]]]) -> dict[str, Any]:
    """Per stream count: each variant's medians, and ssecodec CPU / peer CPU per repeat's median."""
    report: dict[str, Any] = {}
    for streams, runs in results.items():
        row: dict[str, Any] = {
            v: {k: statistics.median(r[k] for r in rs) for k in ("cpu_per_1m", "events_per_s")}
            for v, rs in runs.items()
        }
        for ours, peer in PAIRS:
            if ours in runs and peer in runs:
                pairs = zip(runs[ours], runs[peer], strict=True)
                row[f"{ours} / {peer}"] = statistics.median(
                    o["cpu_per_1m"] / p["cpu_per_1m"] for o, p in pairs
                )
        report[streams] = row
    return report


def print_report(report: dict[str, Any], meta: dict[str, Any]) -> None:
    write = meta["upstream_write"]
    how = f"{write}-byte writes" if write else "one event per write"
    print(
        f"\nRelay CPU per 1M events and events/s (medians of {meta['repeat']} runs of "
        f"{meta['events']:,} events; upstream: {how}; relay's httpx transport: "
        f"{meta['transport']}; {meta['cpus']} CPUs {meta['machine']}; "
        f"{', '.join(f'{k} {v}' for k, v in meta['versions'].items())})\n"
    )
    print("| streams | relay | CPU s / 1M events | events/s | ssecodec CPU / peer CPU |")
    print("|---:|---|---:|---:|---:|")
    for streams, row in report.items():
        for variant, values in row.items():
            if " / " not in variant:
                r = next(
                    (row[f"{o} / {p}"] for o, p in PAIRS if o == variant and f"{o} / {p}" in row),
                    None,
                )
                ratio = f"{r:.3f} (1/{1 / r:.0f})" if r else ""
                print(
                    f"| {streams} | {variant} | {values['cpu_per_1m']:.2f} | "
                    f"{values['events_per_s']:,.0f} | {ratio} |"
                )


def versions() -> dict[str, str]:
    import ssecodec

    out = {"python": platform.python_version(), "ssecodec": ssecodec.IMPLEMENTATION}
    for name in (
        "uvicorn",
        "starlette",
        "httpx",
        "h11",
        "httpx-sse",
        "sse-starlette",
        "httpx-aiohttp",
        "aiohttp",
    ):
        try:
            out[name] = version(name)
        except Exception:
            out[name] = "?"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--events", type=int, default=200_000, help="events per run")
    add("--streams", default="1,10,100", help="concurrent streams per run")
    add("--repeat", type=int, default=5)
    add("--upstream-write", type=int, default=16384, help="bytes per upstream write (0: one event)")
    add(
        "--transport",
        choices=["httpcore", "aiohttp"],
        default="httpcore",
        help="the relay's httpx transport to the upstream (both relays use it)",
    )
    add("--variants", default=",".join(VARIANTS))
    add("--quick", action="store_true", help="--events 20000 --repeat 2")
    add("--json", type=Path, default=HERE / "out" / "relay.json")
    add("--serve-upstream", action="store_true", help=argparse.SUPPRESS)
    add("--serve-relay", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_upstream:
        return serve(upstream_app())
    if args.serve_relay:
        return serve(relay_app(args.serve_relay, args.transport))
    if args.quick:
        args.events, args.repeat = 20_000, 2
    streams_list = [int(s) for s in args.streams.split(",")]
    variants = args.variants.split(",")

    upstream = Process("--serve-upstream")
    relay = Process("--serve-relay", upstream.url, "--transport", args.transport)
    results: dict[str, dict[str, list[dict[str, float]]]] = {}
    try:
        for streams in streams_list:  # warm-up: connections, imports, cached bodies
            for variant in variants:
                measure(relay, variant, streams, min(args.events, 5000), args.upstream_write)
        for rep in range(args.repeat):
            for streams in streams_list:
                for variant in variants[rep % len(variants) :] + variants[: rep % len(variants)]:
                    r = measure(relay, variant, streams, args.events, args.upstream_write)
                    results.setdefault(str(streams), {}).setdefault(variant, []).append(r)
                    print(
                        f"repeat {rep + 1}/{args.repeat} streams {streams:>3} {variant:<19} "
                        f"{r['cpu_per_1m']:8.2f} CPU s/1M events "
                        f"{r['events_per_s']:>10,.0f} ev/s",
                        file=sys.stderr,
                    )
    finally:
        relay.stop()
        upstream.stop()

    results = {s: {v: runs[v] for v in variants} for s, runs in results.items()}
    report = summarize(results)
    meta = {
        "events": args.events,
        "repeat": args.repeat,
        "upstream_write": args.upstream_write,
        "transport": args.transport,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "versions": versions(),
        "failed_runs": FAILURES,
    }
    print_report(report, meta)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"meta": meta, "report": report, "runs": results}, indent=1))
    print(f"\nraw runs: {args.json}", file=sys.stderr)
    if FAILURES:
        print(f"{len(FAILURES)} failed run(s), run again: {FAILURES}", file=sys.stderr)


if __name__ == "__main__":
    main()
