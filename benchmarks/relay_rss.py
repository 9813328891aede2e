"""Peak memory of a relay process relaying one big event: upstream -> relay -> client.

    python benchmarks/relay_rss.py [--size 50000000] [--line 0] [--modes pass,transform]
                                   [--frameworks starlette,aiohttp]
                                   [--transports httpcore,aiohttp] [--json out.json]

Two processes per case:

* this one runs the **upstream** (a plain socket server in a thread: an HTTP/1.1 chunked
  ``text/event-stream`` response holding one event of ``--size`` bytes, written in 64 KiB
  pieces, then ``data: end``) and the **client** (reads the relay's response and checks that
  both events arrive whole);
* the **relay** (a subprocess of this script): uvicorn (h11) + Starlette or ``aiohttp.web``,
  ``relay_starlette`` / ``relay_aiohttp`` without a transform (``pass``) or with an identity
  transform (``transform``), reading the upstream with an ``httpx.AsyncClient`` on httpx's own
  transport (``httpcore``) or httpx-aiohttp's (``aiohttp``).

The relay first relays a 1 MB event of the same shape twice (imports, pools, buffers warm);
then its peak RSS (``VmHWM`` in ``/proc/<pid>/status``) is reset to its current RSS
(``/proc/<pid>/clear_refs``), the big event is relayed, and the peak is read again. Reported:
the peak RSS over the RSS before, in MB (10**6 bytes) and as a multiple of the event size.

For ``transform`` the table also gives what ssecodec's codec costs alone for that event, in a
fresh process measured the same way: a ``Decoder`` (the relay's limits) fed the body in
64 KiB reads as they arrive, each event encoded again while it is alive. That is the part of
a transforming relay's memory that belongs to the decoder and encoder; the relay should add
no more than a pass-through relay does beyond the event itself.

``--line N`` cuts the event's data into lines of ``N`` bytes (default: one line).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

WRITE = 64 * 1024
WARM_SIZE = 1_000_000
MODES = ["pass", "transform"]
FRAMEWORKS = ["starlette", "aiohttp"]
TRANSPORTS = ["httpcore", "aiohttp"]

# -- upstream (a thread of this process) ---------------------------------------------------


def event_body(size: int, line: int) -> bytes:
    """One event of ``size`` bytes of data (lines of ``line`` bytes; 0: one line), then
    ``data: end``."""
    if line <= 0:
        event = b"data: " + b"x" * size + b"\n"
    else:
        count, rest = divmod(size, line)
        event = (b"data: " + b"x" * line + b"\n") * count
        if rest:
            event += b"data: " + b"x" * rest + b"\n"
    return event + b"\ndata: end\n\n"


def _serve_upstream(conn: socket.socket) -> None:
    with conn:
        request = b""
        while b"\r\n\r\n" not in request:
            piece = conn.recv(65536)
            if not piece:
                return
            request += piece
        target = request.split(b" ", 2)[1].decode()
        query = dict(p.split("=", 1) for p in target.partition("?")[2].split("&") if p)
        body = event_body(int(query["size"]), int(query.get("line", "0")))
        conn.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        )
        view = memoryview(body)
        try:
            for i in range(0, len(body), WRITE):
                chunk = view[i : i + WRITE]
                conn.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            conn.sendall(b"0\r\n\r\n")
        except OSError:
            pass


class Upstream:
    """The upstream: a socket server in a thread, one thread per connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=_serve_upstream, args=(conn,), daemon=True).start()

    def close(self) -> None:
        self.sock.close()


# -- relay (a subprocess) --------------------------------------------------------------------


def identity(event: Any) -> Any:
    return event


def upstream_client(transport: str) -> Any:
    import httpx

    timeout = httpx.Timeout(60.0, read=None)
    if transport == "aiohttp":
        from httpx_aiohttp import AiohttpTransport

        return httpx.AsyncClient(transport=AiohttpTransport(), timeout=timeout)
    return httpx.AsyncClient(timeout=timeout)


def serve_relay(framework: str, transport: str, upstream: str) -> None:
    """Run the relay until terminated; its port is the first line printed."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]

    def target(query: Any) -> tuple[str, dict[str, Any]]:
        url = f"{upstream}/event?size={query['size']}&line={query.get('line', '0')}"
        transform = identity if query.get("mode") == "transform" else None
        return url, {"transform": transform, "ping": 0}

    if framework == "aiohttp":
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
        print(port, flush=True)
        web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)
        return

    import uvicorn
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

    config = uvicorn.Config(
        Starlette(routes=[Route("/relay", relay)], lifespan=lifespan),
        log_level="warning", access_log=False, loop="asyncio", http="h11",
        lifespan="on", timeout_graceful_shutdown=2,
    )
    print(port, flush=True)
    uvicorn.Server(config).run(sockets=[sock])


# -- client and measurement ------------------------------------------------------------------


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


def reset_peak(pid: int) -> bool:
    """Reset the process's peak RSS to its current RSS (Linux >= 4.0); False if refused."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


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


class Relay:
    """A relay subprocess of this script."""

    def __init__(self, framework: str, transport: str, upstream: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve-relay", framework, transport, upstream],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {framework} relay did not start")
        self.url = f"http://127.0.0.1:{int(line)}/relay"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def measure(
    upstream: Upstream, framework: str, transport: str, mode: str, size: int, line: int
) -> dict[str, Any]:
    """One case in a fresh relay process: warm up, reset the peak, relay the big event."""
    relay = Relay(framework, transport, upstream.url)
    try:
        pid = relay.proc.pid
        for _ in range(2):
            fetch(f"{relay.url}?mode={mode}&size={WARM_SIZE}&line={line}", WARM_SIZE, line)
        time.sleep(0.2)
        reset = reset_peak(pid)
        before = status(pid)
        began = time.perf_counter()
        fetch(f"{relay.url}?mode={mode}&size={size}&line={line}", size, line)
        wall = time.perf_counter() - began
        after = status(pid)
    finally:
        relay.stop()
    base = before["VmRSS"] if reset else before["VmHWM"]
    peak = after["VmHWM"] - base
    return {
        "framework": framework,
        "transport": transport,
        "mode": mode,
        "size": size,
        "line": line,
        "rss_before": before["VmRSS"],
        "peak_over_before": peak,
        "ratio": peak / size,
        "wall": wall,
        "peak_reset": reset,
    }


def run_codec(size: int, line: int) -> None:
    """Print the peak RSS rise of decoding and re-encoding the body (see the docstring)."""
    from ssecodec import DEFAULT_MAX_EVENT_SIZE, Decoder, encode

    def once(body: bytes) -> None:
        limit = DEFAULT_MAX_EVENT_SIZE
        decoder = Decoder(max_line_size=limit, max_event_size=limit)
        view = memoryview(body)
        for i in range(0, len(body), WRITE):
            for event in decoder.feed(bytes(view[i : i + WRITE])):  # a new object per read
                encoded = encode(event.data, event=None, id=event.id or None)
                del encoded

    once(event_body(WARM_SIZE, line))
    body = event_body(size, line)
    pid = os.getpid()
    reset = reset_peak(pid)
    before = status(pid)
    once(body)
    after = status(pid)
    print(after["VmHWM"] - (before["VmRSS"] if reset else before["VmHWM"]))


def codec_alone(size: int, line: int) -> int:
    """:func:`run_codec` in a fresh process; the peak RSS rise in bytes."""
    output = subprocess.run(
        [sys.executable, __file__, "--codec", str(size), str(line)],
        check=True, capture_output=True, text=True,
    ).stdout
    return int(output)


def versions() -> dict[str, str]:
    from importlib.metadata import version

    import ssecodec

    out = {"python": platform.python_version(), "ssecodec": ssecodec.IMPLEMENTATION}
    for name in ["uvicorn", "starlette", "httpx", "h11", "httpx-aiohttp", "aiohttp"]:
        try:
            out[name] = version(name)
        except Exception:
            out[name] = "?"
    return out


def cases(args: argparse.Namespace) -> Iterator[tuple[str, str, str]]:
    for framework in args.frameworks.split(","):
        for transport in args.transports.split(","):
            for mode in args.modes.split(","):
                yield framework, transport, mode


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--serve-relay":
        serve_relay(*sys.argv[2:])
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--codec":
        run_codec(int(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=50_000_000, help="event size in bytes")
    parser.add_argument("--line", type=int, default=0, help="data line length (0: one line)")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--transports", default=",".join(TRANSPORTS))
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    upstream = Upstream()
    results = []
    codec = codec_alone(args.size, args.line) if "transform" in args.modes.split(",") else None
    try:
        print(f"{'framework':<10} {'transport':<9} {'mode':<10} {'event MB':>9} "
              f"{'RSS before MB':>14} {'peak over MB':>13} {'x event':>8} {'codec alone MB':>15}")
        for framework, transport, mode in cases(args):
            result = measure(upstream, framework, transport, mode, args.size, args.line)
            alone = ""
            if mode == "transform":
                result["codec_alone"] = codec
                alone = f"{codec / 1e6:.1f}" if codec is not None else ""
            results.append(result)
            print(
                f"{framework:<10} {transport:<9} {mode:<10} {args.size / 1e6:>9.1f} "
                f"{result['rss_before'] / 1e6:>14.1f} {result['peak_over_before'] / 1e6:>13.1f} "
                f"{result['ratio']:>8.2f} {alone:>15}",
                flush=True,
            )
    finally:
        upstream.close()
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"versions": versions(), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
