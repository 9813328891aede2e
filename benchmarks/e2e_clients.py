"""Client CPU per event over loopback, each client in its own process: the reconnecting
``ssecodec.client`` on each backend, the client helpers, httpx + httpx-sse, httpx2's built-in
SSE, the openai SDK, and a raw-socket floor.

A server process sends a pre-built chunked body of OpenAI chat-completion chunks, one event per
HTTP chunk (as LLM APIs flush; ``--write N``: the stream cut into N-byte HTTP chunks instead),
ending with ``data: [DONE]``; it is never the bottleneck. Each client process first reads a
short stream (so the imports and set-up a first request triggers are done), then times its own
CPU (``time.process_time``, all threads) from the request to the ``[DONE]`` event, parsing
every other event's JSON; the imports and the client object, made beforehand, are not
counted. httpx-sse, httpx2 and ``ssecodec.httpx`` parse with ``json.loads``, as their
``.json()`` does; the openai SDK builds its pydantic chunk models; ssecodec's other clients
parse as ``Event.json()`` does (orjson when it is installed), or with ``json.loads`` too
under ``--stdlib-json``. Rounds are interleaved (every client once per round, in a shuffled
order); the table shows medians, as events per CPU-second, and ratios to the two baselines.

    .venv/bin/python benchmarks/e2e_clients.py [--events 50000] [--rounds 5] [--write 0]
                                               [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterable, Callable, Iterable
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

DONE = "[DONE]"
WARM_EVENTS = 20  # the untimed first stream: paths under /warm/
HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)


# -- the server: one pre-built body, sent whole to every request --------------------------


def body_of(events: int, write: int) -> bytes:
    """The response: ``events`` events (the last ``[DONE]``), one per HTTP chunk, or cut into
    ``write``-byte chunks."""
    from corpora import openai_payloads

    stream = [b"data: " + p.encode() + b"\n\n" for p in [*openai_payloads(events - 1), DONE]]
    if write:
        whole = b"".join(stream)
        stream = [whole[i : i + write] for i in range(0, len(whole), write)]
    return HEAD + b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in stream) + b"0\r\n\r\n"


def serve(events: int, write: int) -> None:
    body, warm = body_of(events, write), body_of(WARM_EVENTS, write)
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)

    def answer(conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                data = conn.recv(65536)
                if not data:
                    return
                request += data
            try:
                conn.sendall(warm if request.split(b" ", 2)[1].startswith(b"/warm") else body)
                while conn.recv(65536):  # until the client leaves
                    pass
            except OSError:
                pass

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=answer, args=(conn,), daemon=True).start()


# -- the clients: each calls start() once its client object is made, returns the events read

_began = [0.0]
LOADS: list[Callable[[str], Any]] = [json.loads]  # ssecodec's: what Event.json() runs


def start() -> None:
    """The CPU clock starts: the request is next."""
    _began[0] = time.process_time()


def drain(events: Iterable[Any], loads: Callable[[str], Any]) -> int:
    n = 0
    for event in events:
        n += 1
        if event.data == DONE:
            break
        loads(event.data)
    return n


async def adrain(events: AsyncIterable[Any], loads: Callable[[str], Any]) -> int:
    n = 0
    async for event in events:
        n += 1
        if event.data == DONE:
            break
        loads(event.data)
    return n


def sync_httpx_sse(url: str) -> int:
    with httpx.Client() as client:
        start()
        with httpx_sse.connect_sse(client, "GET", url) as source:
            return drain(source.iter_sse(), json.loads)


async def async_httpx_sse(url: str) -> int:
    async with httpx.AsyncClient() as client:
        start()
        async with httpx_sse.aconnect_sse(client, "GET", url) as source:
            return await adrain(source.aiter_sse(), json.loads)


def event_source(backend: str) -> Callable[[str], int]:
    def run(url: str) -> int:
        with ssecodec.client.EventSource(url, backend=backend) as source:
            start()
            return drain(source, LOADS[0])

    return run


def async_event_source(backend: str) -> Callable[[str], Any]:
    async def run(url: str) -> int:
        async with ssecodec.client.AsyncEventSource(url, backend=backend) as source:
            start()
            return await adrain(source, LOADS[0])

    return run


def ssecodec_httpx(transport: str) -> Callable[[str], Any]:
    """``.json()`` of ``ssecodec.httpx`` events is ``json.loads``, as httpx-sse's."""

    async def run(url: str) -> int:
        options = {"transport": httpx_aiohttp.AiohttpTransport()} if transport else {}
        async with httpx.AsyncClient(**options) as client:
            start()
            async with ssecodec.httpx.aconnect_sse(client, "GET", url) as source:
                return await adrain(source.aiter_sse(), json.loads)

    return run


def sync_ssecodec_httpx(url: str) -> int:
    with httpx.Client() as client:
        start()
        with ssecodec.httpx.connect_sse(client, "GET", url) as source:
            return drain(source.iter_sse(), json.loads)


def sync_httpx2(url: str) -> int:
    import httpx2

    with httpx2.Client() as client:
        start()
        with client.sse(url) as source:
            return drain(source, json.loads)


async def async_httpx2(url: str) -> int:
    import httpx2

    async with httpx2.AsyncClient() as client:
        start()
        async with client.sse(url) as source:
            return await adrain(source, json.loads)


OPENAI_REQUEST: dict[str, Any] = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "hi"}],
    "stream": True,
}


def sync_openai(url: str) -> int:
    """The SDK parses each chunk into its pydantic model and ends at ``[DONE]`` (counted)."""
    import openai

    with openai.OpenAI(base_url=url, api_key="-", max_retries=0) as client:
        start()
        return 1 + sum(1 for _ in client.chat.completions.create(**OPENAI_REQUEST))


async def async_openai(url: str) -> int:
    import openai

    async with openai.AsyncOpenAI(base_url=url, api_key="-", max_retries=0) as client:
        start()
        stream = await client.chat.completions.create(**OPENAI_REQUEST)
        return 1 + len([chunk async for chunk in stream])


async def ssecodec_aiohttp(url: str) -> int:
    async with aiohttp.ClientSession() as session:
        start()
        async with session.get(url) as response:
            return await adrain(ssecodec.aiohttp.aiter_events(response), LOADS[0])


def ssecodec_requests(url: str) -> int:
    start()
    with requests.get(url, stream=True) as response:
        return drain(ssecodec.requests.iter_events(response), LOADS[0])


def recv(sock: socket.socket) -> bytes:
    data = sock.recv(65536)
    if not data:
        raise ConnectionError("the server closed the connection")
    return data


def dechunk(sock: socket.socket, buf: bytes) -> Iterable[bytes]:
    """The HTTP chunks' contents, each once it is whole."""
    while True:
        while (end := buf.find(b"\r\n")) < 0:
            buf += recv(sock)
        size = int(buf[:end], 16)
        if not size:
            return
        while len(buf) < end + size + 4:
            buf += recv(sock)
        yield buf[end + 2 : end + 2 + size]
        buf = buf[end + size + 4 :]


def floor(url: str) -> int:
    """recv() and Decoder.feed(), no HTTP library. With one event per HTTP chunk the bytes are
    fed as they come, no HTTP parsing at all (the chunk-size lines are lines the event-stream
    grammar ignores, so the events come out right); larger chunks are cut out first."""
    parts = urlsplit(url)
    request = f"GET {parts.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    decoder = ssecodec.Decoder()
    start()
    with socket.create_connection(("127.0.0.1", parts.port)) as sock:
        sock.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += recv(sock)
        data = data.split(b"\r\n\r\n", 1)[1]
        chunks = dechunk(sock, data) if os.environ.get("E2E_WRITE", "0") != "0" else None
        n = 0
        while True:
            for event in decoder.feed(data if chunks is None else next(chunks)):
                n += 1
                if event.data == DONE:
                    return n
                LOADS[0](event.data)
            if chunks is None:
                data = recv(sock)


# name -> (kind, client); kind "sync" or "async" picks the httpx-sse baseline it is set against
CLIENTS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "httpx + httpx-sse (sync)": ("sync", sync_httpx_sse),
    "httpx + httpx-sse (async)": ("async", async_httpx_sse),
    "openai SDK (sync)": ("sync", sync_openai),
    "openai SDK (async)": ("async", async_openai),
    "httpx2 built-in SSE (sync)": ("sync", sync_httpx2),
    "httpx2 built-in SSE (async)": ("async", async_httpx2),
    "EventSource, httpx": ("sync", event_source("httpx")),
    "EventSource, urllib3 (default)": ("sync", event_source("urllib3")),
    "AsyncEventSource, httpx": ("async", async_event_source("httpx")),
    "AsyncEventSource, aiohttp (default)": ("async", async_event_source("aiohttp")),
    "ssecodec.httpx (sync), httpx transport": ("sync", sync_ssecodec_httpx),
    "ssecodec.httpx, httpx transport": ("async", ssecodec_httpx("")),
    "ssecodec.httpx, AiohttpTransport": ("async", ssecodec_httpx("aiohttp")),
    "ssecodec.aiohttp": ("async", ssecodec_aiohttp),
    "ssecodec.requests": ("sync", ssecodec_requests),
    "raw socket + Decoder (floor)": ("sync", floor),
}
BASELINE = {"sync": "httpx + httpx-sse (sync)", "async": "httpx + httpx-sse (async)"}
FLOOR = "raw socket + Decoder (floor)"


def run_client(name: str, url: str) -> None:
    """In the client process: read the stream once, print events and CPU seconds."""
    # Every process imports the same, before the clock starts.
    global aiohttp, httpx, httpx_aiohttp, httpx_sse, requests, ssecodec
    import aiohttp
    import httpx
    import httpx_aiohttp
    import httpx_sse
    import requests

    import ssecodec.aiohttp
    import ssecodec.client
    import ssecodec.httpx
    import ssecodec.requests
    from ssecodec._json import loads

    if not os.environ.get("E2E_STDLIB_JSON"):
        LOADS[0] = loads
    client = CLIENTS[name][1]

    def run(url: str) -> int:
        return asyncio.run(client(url)) if asyncio.iscoroutinefunction(client) else client(url)

    if run(url + "warm/") != WARM_EVENTS:
        raise RuntimeError(f"{name}: the warm-up stream went wrong")
    events = run(url)
    cpu = time.process_time() - _began[0]
    print(json.dumps({"events": events, "cpu": cpu}))


# -- the driver ----------------------------------------------------------------------------


def measure(name: str, url: str, expected: int) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--client", name, url],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(f"{name}: {out.stderr[-2000:]}")
    result = json.loads(out.stdout.splitlines()[-1])
    if result["events"] != expected:
        raise RuntimeError(f"{name}: {result['events']} events, expected {expected}")
    return float(result["events"] / result["cpu"])


def versions() -> dict[str, str]:
    import ssecodec

    found = {"python": platform.python_version(), "ssecodec": ssecodec.IMPLEMENTATION}
    for name in (
        "httpx",
        "httpx-sse",
        "httpx-aiohttp",
        "aiohttp",
        "urllib3",
        "requests",
        "httpx2",
        "openai",
        "orjson",
    ):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="client names to run (with the baselines)")
    parser.add_argument("--json", help="write the samples and medians here")
    parser.add_argument("--stdlib-json", action="store_true", help="json.loads everywhere")
    parser.add_argument("--client", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument(
        "--write",
        type=int,
        default=0,
        help="HTTP chunks of this many bytes (0: one event per chunk)",
    )
    parser.add_argument("--serve", type=int, nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        return run_client(*args.client)
    if args.serve:
        return serve(*args.serve)
    if args.stdlib_json:
        os.environ["E2E_STDLIB_JSON"] = "1"
    os.environ["E2E_WRITE"] = str(args.write)
    always = {*BASELINE.values(), FLOOR}
    names = [n for n in CLIENTS if not args.only or n in args.only or n in always]
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(args.events), str(args.write)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{int(server.stdout.readline())}/"
        samples: dict[str, list[float]] = {name: [] for name in names}
        for round_ in range(args.rounds):
            order = random.sample(names, len(names))
            for name in order:
                samples[name].append(measure(name, url, args.events))
                print(
                    f"round {round_ + 1}/{args.rounds} {name:40} "
                    f"{samples[name][-1] / 1000:7.0f}k events/CPU-s",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    parser_name = "json.loads" if args.stdlib_json else "Event.json()'s (orjson if installed)"
    shape = f"{args.write:,}-byte HTTP chunks" if args.write else "one per HTTP chunk"
    print(
        f"\n{args.events:,} events, {shape}; medians of {args.rounds} rounds; "
        f"ssecodec's clients parse with {parser_name}"
    )
    print(" ".join(f"{k} {v}" for k, v in versions().items()), "\n")
    sync, async_ = (medians[BASELINE[kind]] for kind in ("sync", "async"))
    print(
        "| client | events per CPU-second | vs httpx-sse sync | vs httpx-sse async | "
        "floor / client |"
    )
    print("|---|---:|---:|---:|---:|")
    for name in names:
        value = medians[name]
        print(
            f"| {name} | {value / 1000:,.0f}k | {value / sync:.2f}x | {value / async_:.2f}x | "
            f"{medians[FLOOR] / value:.2f} |"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"versions": versions(), "samples": samples, "medians": medians}, f, indent=1)


if __name__ == "__main__":
    main()
