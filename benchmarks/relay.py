"""End-to-end relay benchmark: upstream (uvicorn) -> relay -> client (httpx), on 127.0.0.1.

    python benchmarks/relay.py [--events 200000] [--streams 1,10,100] [--repeat 5]
                               [--upstream-write 16384] [--transport httpcore|aiohttp]
                               [--variants ...] [--quick]

Three processes:

* the **upstream**: uvicorn (h11) serving OpenAI-style ``chat.completion.chunk`` events (about
  230 bytes each, ``data:`` only, then ``data: [DONE]``) as fast as it can: the body is
  written in pieces of ``--upstream-write`` bytes cut anywhere (so events straddle HTTP
  chunks), or one event per write with ``--upstream-write 0``;
* the **relay**: uvicorn (h11) + Starlette, with one route per variant, each relaying the
  upstream stream to the client; every variant reads the upstream with the same
  ``httpx.AsyncClient``, on httpx's own transport (httpcore + h11, the default) or, with
  ``--transport aiohttp``, on httpx-aiohttp's ``AiohttpTransport`` (what the openai SDK's
  ``DefaultAioHttpClient`` uses);
* the **client** (this process): ``N`` concurrent ``httpx.AsyncClient`` streams that decode
  every event (ssecodec) and check the count and the final ``[DONE]``.

For each run the relay process's CPU time (user + system, ``/proc/<pid>/stat``) is read
before and after, and the events delivered are counted: it reports **relay CPU seconds per
1M events** and **events/s** (client wall clock). ``--events`` events are spread over the
streams of a run. Every repeat runs every variant (in a rotating order), so the ratios
``peer CPU / ssecodec CPU`` are taken within one repeat; the medians are reported.

Variants:

* ``ssecodec``           -- :func:`ssecodec.relay.relay_starlette`, pass-through (no transform)
* ``ssecodec+transform`` -- the same with a transform (count the event, return it)
* ``peer``               -- httpx-sse ``aconnect_sse``/``aiter_sse`` -> sse-starlette
  ``EventSourceResponse`` of ``ServerSentEvent`` (the same relay, written with them)
* ``peer+transform``     -- the same, with the same transform
* ``raw``                -- reference floor, not an SSE relay: httpx ``aiter_raw`` ->
  ``StreamingResponse`` (no framing: it may forward half events)
* ``raw+coalesce``       -- not run unless named in ``--variants``: the upstream reads
  forwarded through ssecodec's ``EventSourceResponse`` without any framing (the floor of
  ssecodec's relay: what it costs beyond this is its framing)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TRANSPORTS = ["httpcore", "aiohttp"]
VARIANTS = ["ssecodec", "ssecodec+transform", "peer", "peer+transform", "raw"]
PAIRS = [("ssecodec", "peer"), ("ssecodec+transform", "peer+transform")]

# -- upstream ------------------------------------------------------------------------------


def openai_chunk(i: int) -> bytes:
    chunk = {
        "id": "chatcmpl-9xKq2mZbT7fWcR1a",
        "object": "chat.completion.chunk",
        "created": 1718000000,
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_0ba0d124f1",
        "choices": [
            {
                "index": 0,
                "delta": {"content": f" tok{i % 997}"},
                "logprobs": None,
                "finish_reason": None,
            }
        ],
    }
    return b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"


_BODIES: dict[int, tuple[bytes, list[bytes]]] = {}


def body(n: int) -> tuple[bytes, list[bytes]]:
    """(whole body, per-event pieces) of a stream of ``n`` events, the last ``[DONE]``."""
    if n not in _BODIES:
        events = [openai_chunk(i) for i in range(n - 1)] + [b"data: [DONE]\n\n"]
        _BODIES[n] = (b"".join(events), events)
    return _BODIES[n]


def upstream_app() -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        query = dict(p.split("=", 1) for p in scope["query_string"].decode().split("&") if p)
        n, write = int(query["n"]), int(query["write"])
        whole, events = body(n)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream"),
                    (b"cache-control", b"no-cache"),
                ],
            }
        )
        gone = False

        async def watch() -> None:  # stop writing once the relay has left
            nonlocal gone
            while (await receive())["type"] != "http.disconnect":
                pass
            gone = True

        watcher = asyncio.ensure_future(watch())
        if write:
            view = memoryview(whole)
            pieces: Any = (bytes(view[i : i + write]) for i in range(0, len(whole), write))
        else:
            pieces = events
        try:
            for piece in pieces:
                if gone:
                    return
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            watcher.cancel()

    return app


# -- relay ---------------------------------------------------------------------------------


class Count:
    """The benchmark's transform: count the event, pass it on."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, event: Any) -> Any:
        self.n += 1
        return event


def upstream_client(transport: str) -> Any:
    """The relay's ``httpx.AsyncClient`` to the upstream, on the given transport."""
    import httpx

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=200)
    timeout = httpx.Timeout(60.0, read=None)
    if transport == "httpcore":  # httpx's default
        return httpx.AsyncClient(limits=limits, timeout=timeout)
    if transport == "aiohttp":  # what the openai SDK's DefaultAioHttpClient uses
        from httpx_aiohttp import AiohttpTransport

        return httpx.AsyncClient(
            transport=AiohttpTransport(limits=limits), limits=limits, timeout=timeout
        )
    raise ValueError(f"unknown transport {transport!r}")


async def raw_chunks(response: Any) -> AsyncIterator[bytes]:
    """An upstream response's body as it is read, undecoded; the response closed at the end."""
    try:
        async for chunk in response.aiter_raw():
            yield chunk
    finally:
        await response.aclose()


def relay_app(upstream: str, transport: str = "httpcore") -> Any:
    import contextlib

    import httpx
    from httpx_sse import aconnect_sse
    from sse_starlette import EventSourceResponse as PeerResponse
    from sse_starlette import ServerSentEvent
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    from ssecodec.relay import relay_starlette

    state: dict[str, httpx.AsyncClient] = {}

    def url(request: Request) -> str:
        return f"{upstream}/stream?{request.url.query}"

    async def ssecodec_pass(request: Request) -> Response:
        return await relay_starlette(request, state["client"], "GET", url(request))

    async def ssecodec_transform(request: Request) -> Response:
        return await relay_starlette(
            request, state["client"], "GET", url(request), transform=Count()
        )

    def peer(transform: Callable[[Any], Any] | None) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            async def events() -> AsyncIterator[ServerSentEvent]:
                async with aconnect_sse(state["client"], "GET", url(request)) as source:
                    async for sse in source.aiter_sse():
                        if transform is not None:
                            sse = transform(sse)
                        yield ServerSentEvent(
                            data=sse.data,
                            event=None if sse.event == "message" else sse.event,
                            id=sse.id or None,
                            retry=sse.retry,
                        )

            return PeerResponse(events())

        return endpoint

    async def peer_transform(request: Request) -> Response:
        return await peer(Count())(request)  # type: ignore[no-any-return]

    async def raw(request: Request) -> Response:
        client = state["client"]
        request_ = client.build_request("GET", url(request))
        upstream_response = await client.send(request_, stream=True)
        return StreamingResponse(raw_chunks(upstream_response), media_type="text/event-stream")

    async def raw_coalesce(request: Request) -> Response:
        from ssecodec.relay import RELAY_HEADERS, open_upstream
        from ssecodec.starlette import EventSourceResponse

        upstream_response = await open_upstream(state["client"], "GET", url(request))
        return EventSourceResponse(raw_chunks(upstream_response), headers=RELAY_HEADERS)

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        async with upstream_client(transport) as client:
            state["client"] = client
            yield

    return Starlette(
        routes=[
            Route("/ssecodec", ssecodec_pass),
            Route("/ssecodec+transform", ssecodec_transform),
            Route("/peer", peer(None)),
            Route("/peer+transform", peer_transform),
            Route("/raw", raw),
            Route("/raw+coalesce", raw_coalesce),
        ],
        lifespan=lifespan,
    )


def serve(app: Any) -> None:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)  # before the port is announced: connections wait for the server's start
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, loop="asyncio", http="h11",
        lifespan="on", timeout_graceful_shutdown=2,
        # Longer than httpx's keep-alive expiry (5 s): a pooled connection is never closed by
        # the server just as the relay reuses it ("Server disconnected without a response").
        timeout_keep_alive=300,
    )
    profile = os.environ.get("RELAY_BENCH_PROFILE")  # a file: cProfile the server into it
    if not profile:
        uvicorn.Server(config).run(sockets=[sock])
        return
    import contextlib
    import cProfile
    import signal

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Any:  # exit on SIGTERM without re-raising it
            signal.signal(signal.SIGTERM, lambda *_: setattr(self, "should_exit", True))
            yield

    profiler = cProfile.Profile()
    profiler.runcall(Server(config).run, sockets=[sock])
    profiler.dump_stats(profile)


# -- client and measurement ----------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def read_stream(client: Any, url: str, expected: int) -> int:
    from ssecodec import Decoder

    decoder = Decoder()
    count = 0
    last = None
    async with client.stream("GET", url) as response:
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
        async for chunk in response.aiter_raw():
            events = decoder.feed(chunk)
            if events:
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
        counts = await asyncio.gather(
            *(read_stream(client, url, per_stream) for _ in range(streams))
        )
        return sum(counts), time.perf_counter() - began


class Process:
    """One server subprocess of this script; its port is read from its first output line."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"server {args} did not start")
        self.port = int(line)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


FAILURES: list[str] = []


def measure(
    relay: Process, variant: str, streams: int, events: int, write: int
) -> dict[str, float]:
    """One run; a run that fails is reported (and kept in the JSON) and run again, once."""
    per_stream = max(2, events // streams)
    url = f"{relay.url}/{variant}?n={per_stream}&write={write}"
    for attempt in (1, 2):
        before = cpu_seconds(relay.proc.pid)
        try:
            delivered, wall = asyncio.run(run_clients(url, streams, per_stream))
            break
        except Exception as exc:
            failure = f"{variant}, {streams} streams: {type(exc).__name__}: {exc}"
            FAILURES.append(failure)
            print(f"FAILED (attempt {attempt}): {failure}", file=sys.stderr)
            if attempt == 2:
                raise
    cpu = cpu_seconds(relay.proc.pid) - before
    return {
        "events": delivered,
        "wall": wall,
        "cpu": cpu,
        "cpu_per_1m": cpu / delivered * 1e6,
        "events_per_s": delivered / wall,
    }


def versions() -> dict[str, str]:
    from importlib.metadata import version

    import ssecodec

    out = {"python": platform.python_version(), "ssecodec": ssecodec.IMPLEMENTATION}
    for name in [
        "uvicorn", "starlette", "httpx", "h11", "httpx-sse", "sse-starlette", "httpx-aiohttp",
        "aiohttp",
    ]:
        try:
            out[name] = version(name)
        except Exception:
            out[name] = "?"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000, help="events per run")
    parser.add_argument("--streams", default="1,10,100", help="concurrent streams per run")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--upstream-write", type=int, default=16384,
        help="bytes per upstream write (0: one event per write)",
    )
    parser.add_argument(
        "--transport", choices=TRANSPORTS, default="httpcore",
        help="the relay's httpx transport to the upstream (both relays use it)",
    )
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--quick", action="store_true", help="--events 20000 --repeat 2")
    parser.add_argument("--json", type=Path, default=HERE / "out" / "relay.json")
    parser.add_argument("--serve-upstream", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-relay", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.serve_upstream:
        serve(upstream_app())
        return
    if args.serve_relay:
        serve(relay_app(args.serve_relay, args.transport))
        return
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
                order = variants[rep % len(variants) :] + variants[: rep % len(variants)]
                for variant in order:
                    r = measure(relay, variant, streams, args.events, args.upstream_write)
                    results.setdefault(str(streams), {}).setdefault(variant, []).append(r)
                    print(
                        f"repeat {rep + 1}/{args.repeat} streams {streams:>3} {variant:<19}"
                        f" {r['cpu_per_1m']:8.2f} CPU s/1M events {r['events_per_s']:>10,.0f} ev/s",
                        file=sys.stderr,
                    )
    finally:
        relay.stop()
        upstream.stop()

    report = summarize(results, variants)
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


def summarize(
    results: dict[str, dict[str, list[dict[str, float]]]], variants: list[str]
) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for streams, by_variant in results.items():
        row: dict[str, Any] = {}
        for variant in variants:
            runs = by_variant[variant]
            row[variant] = {
                "cpu_per_1m": statistics.median(r["cpu_per_1m"] for r in runs),
                "events_per_s": statistics.median(r["events_per_s"] for r in runs),
            }
        for ours, peer in PAIRS:
            if ours in by_variant and peer in by_variant:
                ratios = [
                    o["cpu_per_1m"] / p["cpu_per_1m"]
                    for o, p in zip(by_variant[ours], by_variant[peer], strict=True)
                ]
                row[f"{ours} / {peer}"] = statistics.median(ratios)
        report[streams] = row
    return report


def print_report(report: dict[str, Any], meta: dict[str, Any]) -> None:
    write = meta["upstream_write"]
    how = f"{write}-byte writes" if write else "one event per write"
    print(
        f"\nRelay CPU per 1M events and events/s (medians of {meta['repeat']} runs of "
        f"{meta['events']:,} events; upstream: {how}; relay's httpx transport: "
        f"{meta.get('transport', 'httpcore')}; {meta['cpus']} CPUs {meta['machine']};"
        f" {', '.join(f'{k} {v}' for k, v in meta['versions'].items())})\n"
    )
    print("| streams | relay | CPU s / 1M events | events/s | ssecodec CPU / peer CPU |")
    print("|---:|---|---:|---:|---:|")
    for streams, row in report.items():
        for variant, values in row.items():
            if " / " in variant:
                continue
            ratio = ""
            for ours, peer in PAIRS:
                if variant == ours and f"{ours} / {peer}" in row:
                    ratio = f"{row[f'{ours} / {peer}']:.3f} (1/{1 / row[f'{ours} / {peer}']:.0f})"
            print(
                f"| {streams} | {variant} | {values['cpu_per_1m']:.2f} | "
                f"{values['events_per_s']:,.0f} | {ratio} |"
            )


if __name__ == "__main__":
    main()
