"""The SSE endpoints the integration tests run against, for Starlette, FastAPI and aiohttp.

The producers are framework-free; each framework gets thin routes over them. Cross-thread
observations (a producer's ``finally`` ran, a response's write count, a browser's report) go
through :data:`PROBES`, keyed by a token the test puts in the query string.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import Header, Request  # module level: FastAPI resolves annotations here

from ssecodec import Event, encode

# -- cross-thread observations -------------------------------------------------------------


@dataclass
class Probe:
    """What a test wants to know about one request (or a series of them)."""

    finished: threading.Event = field(default_factory=threading.Event)
    finished_at: float | None = None
    connections: int = 0
    connected_at: list[float] = field(default_factory=list)
    last_event_ids: list[str | None] = field(default_factory=list)
    response: Any = None
    report: Any = None
    reported: threading.Event = field(default_factory=threading.Event)

    def finish(self) -> None:
        self.finished_at = time.monotonic()
        self.finished.set()


class Probes:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._probes: dict[str, Probe] = {}

    def __getitem__(self, token: str) -> Probe:
        with self._lock:
            probe = self._probes.get(token)
            if probe is None:
                probe = self._probes[token] = Probe()
            return probe


PROBES = Probes()

# -- producers -----------------------------------------------------------------------------


def numbers(n: int) -> list[Event]:
    return [Event(f"number {i}", event="number", id=str(i)) for i in range(n)]


async def anumbers(n: int) -> AsyncIterator[Event]:
    """Events already produced (say, drained from a buffer): no await between them."""
    for event in numbers(n):
        yield event


def sync_numbers(n: int) -> Iterator[Event]:
    yield from numbers(n)


async def infinite(token: str, interval: float) -> AsyncIterator[Event]:
    """Never ends; its cleanup marks the probe."""
    try:
        i = 0
        while True:
            yield Event(f"tick {i}", id=str(i))
            i += 1
            await asyncio.sleep(interval)
    finally:
        PROBES[token].finish()


def sync_infinite(token: str, interval: float) -> Iterator[Event]:
    try:
        i = 0
        while True:
            yield Event(f"tick {i}", id=str(i))
            i += 1
            time.sleep(interval)
    finally:
        PROBES[token].finish()


async def idle(token: str) -> AsyncIterator[Event]:
    """One event, then waits for an hour: a disconnect must still be noticed."""
    try:
        yield Event("hello")
        await asyncio.sleep(3600)
    finally:
        PROBES[token].finish()


async def flood(token: str) -> AsyncIterator[Event]:
    """As fast as possible, big events: a client that does not read stalls the writes."""
    payload = "x" * 16384
    try:
        i = 0
        while True:
            yield Event(payload, id=str(i))
            i += 1
            if i % 64 == 0:
                await asyncio.sleep(0)
    finally:
        PROBES[token].finish()


async def delayed(token: str, delay: float) -> AsyncIterator[Event]:
    try:
        await asyncio.sleep(delay)
        yield Event("late")
    finally:
        PROBES[token].finish()


class Boom(RuntimeError):
    pass


async def failing(n: int) -> AsyncIterator[Event]:
    for i in range(n):
        yield Event(f"ok {i}", id=str(i))
    raise Boom("the upstream went away")


def error_event(exc: Exception) -> Event:
    """The structured ``event: error`` the ``on_error`` hook sends."""
    return Event(json.dumps({"error": type(exc).__name__, "message": str(exc)}), event="error")


class Cut(Exception):
    """Raised by the resume producer to make the server drop the connection."""


# Ways to cut a connection mid-stream, cycled through; none may leak into the next connection.
CUTS: list[bytes] = [
    b"id: {next}\ndata: PARTIAL {next}",  # unterminated last line
    b"id: {next}\ndata: PARTIAL {next}\n",  # complete lines, no blank line
    b"data: PARTIAL \xe2\x9c",  # inside a UTF-8 character
    b"",  # right between two events
    b"data: PARTIAL\r",  # a bare CR, whose blank line never comes
    b"data: PARTIAL\r\n: a comment, unterminated",
]


async def resume(start: int, total: int, cut_every: int, connection: int) -> AsyncIterator[Any]:
    """Events ``start..total`` (ids ``1..total``), dropped after ``cut_every`` of them."""
    yield b"retry: 10\n\n"
    end = min(total, start + cut_every - 1)
    for i in range(start, end + 1):
        yield Event(f"event {i} ✓ ünïcødé\nsecond line", event="resume", id=str(i))
    if end < total:
        cut = CUTS[connection % len(CUTS)]
        yield cut.replace(b"{next}", str(end + 1).encode())
        await asyncio.sleep(0.01)  # let the partial bytes go out on their own
        raise Cut(f"cut after {end}")


def resume_request(token: str, last_event_id: str | None) -> int:
    """Record a request to the resume endpoint; return the first id to send."""
    probe = PROBES[token]
    probe.connections += 1
    probe.connected_at.append(time.monotonic())
    probe.last_event_ids.append(last_event_id)
    return int(last_event_id or 0) + 1


# Tricky events for the browser comparison: every item type the responses accept, and the
# parsing corners (BOM, CR/CRLF line ends, unicode, invalid UTF-8, comments, retry, ids).
TRICKY: list[Any] = [
    b"\xef\xbb\xbf: a leading BOM, then a comment\n\n",
    b"retry: 60000\n\n",
    Event("plain"),
    Event("line one\nline two\r\nline three\rline four", event="multi", id="1"),
    Event(
        "unicode: héllo wörld — 你好 — 🎉 — e\u0301 — \u2028 sep \u2029 — \u0085 nel — \ufeff",
        id="ü-2",
    ),
    {"data": {"json": [1, 2, 3], "nested": {"k": "v", "é": None}}, "event": "json"},
    {"comment": "a comment\nspanning lines"},
    "a bare string",
    Event("", event="empty"),
    Event("  leading spaces kept  ", event="spaces"),
    b"data:no space after the colon\n\n",
    b"data: crlf line\r\ndata: second\r\n\r\n",
    b"data: cr only\rdata: second\r\r",
    b"event: typed\ndata: a\n\n",
    b"id: 7\n\n",
    b"data: after an id-only block\n\n",
    b"id\ndata: id reset\n\n",
    b"id: 9\ndata: nine\n\n",
    b"id: with\x00nul\ndata: an id with NUL is ignored\n\n",
    b"data: invalid \xff utf8 \xc0\xaf here \xed\xa0\x80 and \xf4\x90\x80\x80\n\n",
    b"event: typed\n\n",
    b"Data: wrong case\ndata: x\n\n",
    b"data: a:b:c colons\n\n",
    b"data\n\n",
    b"data:\ndata:\n\n",
    b"event: with space\ndata: type with a space\n\n",
    b": only a comment\n\n",
    b"retry: 1500\ndata: with retry\n\n",
    b"data: tab\tvt\x0bff\x0cfs\x1c\n\n",
    b"data: NUL \x00 inside\n\n",
    b"data:  two spaces\n\n",
    Event("done", event="done", id="end"),
]
TRICKY_TYPES = ["message", "multi", "json", "empty", "spaces", "typed", "with space", "done"]


async def atricky() -> AsyncIterator[Any]:
    for item in TRICKY:
        yield item
        await asyncio.sleep(0.001)  # separate writes too, not only one coalesced buffer


BROWSER_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>ssecodec</title></head><body>
<script>
const token = %(token)s;
const types = %(types)s;
const got = [];
let reported = false;
function report(payload) {
  if (reported) return;
  reported = true;
  fetch("/report?token=" + encodeURIComponent(token), {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify(payload)});
}
const source = new EventSource("/tricky?token=" + encodeURIComponent(token));
for (const type of types) {
  source.addEventListener(type, (e) => {
    got.push({type: e.type, data: e.data, lastEventId: e.lastEventId});
    if (e.type === "done") { source.close(); report({events: got}); }
  });
}
source.onerror = () => {
  source.close();
  report({events: got, error: "EventSource error, readyState " + source.readyState});
};
</script></body></html>
"""


def browser_page(token: str) -> str:
    return BROWSER_PAGE % {"token": json.dumps(token), "types": json.dumps(TRICKY_TYPES)}


WRONG_BODY = "<html><body>Not here: this is not an event stream</body></html>"


# -- routing, shared by the frameworks ------------------------------------------------------


@dataclass
class Stream:
    content: Any
    options: dict[str, Any]
    token: str | None = None  # the probe that gets the response object


@dataclass
class Plain:
    status: int
    content_type: str | None = None
    body: str = ""


def route(path: str, query: dict[str, str], headers: dict[str, str]) -> Stream | Plain:
    """What to answer, whatever the framework: a :class:`Stream` or a :class:`Plain`."""
    token = query.get("token", "")
    if path == "/numbers":
        n = int(query.get("n", "10"))
        mode = query.get("mode", "async")
        content = {"async": anumbers, "sync": sync_numbers, "list": numbers}[mode](n)
        options: dict[str, Any] = {"coalesce": query.get("coalesce", "1") == "1"}
        return Stream(content, options, token or None)
    if path == "/tricky":
        return Stream(atricky(), {})
    if path == "/infinite":
        interval = float(query.get("interval", "0.05"))
        if query.get("mode") == "sync":
            return Stream(sync_infinite(token, interval), {})
        return Stream(infinite(token, interval), {})
    if path == "/idle":
        return Stream(idle(token), {"ping": 0})
    if path == "/flood":
        return Stream(flood(token), {"send_timeout": float(query.get("send_timeout", "0.5"))})
    if path == "/delayed":
        ping_options: dict[str, Any] = {"ping": float(query.get("ping", "15"))}
        if query.get("ping_message") == "bytes":
            ping_options["ping_message"] = b": beat\n\n"
        elif query.get("ping_message") == "event":
            beats = iter(range(1, 1000))
            ping_options["ping_message"] = lambda: Event(str(next(beats)), event="beat")
        return Stream(delayed(token, float(query.get("delay", "0.5"))), ping_options)
    if path == "/fail":
        options = {"on_error": error_event} if query.get("mode") == "on_error" else {}
        return Stream(failing(2), options)
    if path == "/resume":
        last = headers.get("last-event-id")
        start = resume_request(token, last)
        total = int(query.get("total", "100"))
        if start > total:
            return Plain(204)
        cut_every = int(query.get("cut_every", "5"))
        connection = PROBES[token].connections
        return Stream(resume(start, total, cut_every, connection), {})
    if path == "/retry":
        # Sends `retry: <ms>` and one event, then ends; after `times` connections: 204.
        probe = PROBES[token]
        probe.connections += 1
        probe.connected_at.append(time.monotonic())
        probe.last_event_ids.append(headers.get("last-event-id"))
        if probe.connections > int(query.get("times", "3")):
            return Plain(204)
        retry = query.get("ms")
        first: list[Any] = [] if retry is None else [encode(retry=int(retry))]
        event = Event(f"connection {probe.connections}", id=str(probe.connections))
        return Stream([*first, event], {})
    if path == "/headers":
        return Stream([Event(json.dumps(headers, sort_keys=True))], {})
    if path == "/wrong":
        return Plain(404, "text/html", WRONG_BODY)
    if path == "/plain":
        return Plain(200, "text/plain", "just text\n" * 100)
    if path == "/nocontent":
        return Plain(204)
    if path == "/status":
        return Plain(int(query.get("code", "500")), "text/plain", "server says no")
    if path == "/browser":
        return Plain(200, "text/html", browser_page(token))
    return Plain(404, "text/plain", "no such test endpoint")


def record_report(token: str, payload: Any) -> None:
    probe = PROBES[token]
    probe.report = payload
    probe.reported.set()


def starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from ssecodec.starlette import EventSourceResponse

    async def endpoint(request: Request) -> Response:
        answer = route(request.url.path, dict(request.query_params), dict(request.headers))
        if isinstance(answer, Plain):
            return Response(answer.body, answer.status, media_type=answer.content_type)
        response = EventSourceResponse(answer.content, **answer.options)
        if answer.token:
            PROBES[answer.token].response = response
        return response

    async def report(request: Request) -> Response:
        record_report(request.query_params["token"], await request.json())
        return Response(status_code=204)

    return Starlette(
        routes=[
            Route("/report", report, methods=["POST"]),
            Route("/{path:path}", endpoint),
        ]
    )


def fastapi_app() -> Any:
    """A FastAPI app with its own typed endpoints (and the shared ones behind them)."""
    from fastapi import FastAPI
    from fastapi.responses import Response

    from ssecodec.starlette import EventSourceResponse

    app = FastAPI()

    @app.middleware("http")  # a BaseHTTPMiddleware, as real apps have: streams go through it
    async def add_header(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers["x-middleware"] = "yes"
        return response

    @app.get("/numbers")
    async def get_numbers(n: int = 10, mode: str = "async", token: str = "") -> Response:
        answer = route("/numbers", {"n": str(n), "mode": mode}, {})
        assert isinstance(answer, Stream)
        response = EventSourceResponse(answer.content, **answer.options)
        if token:
            PROBES[token].response = response
        return response

    @app.get("/infinite")
    async def get_infinite(token: str, interval: float = 0.05, mode: str = "async") -> Response:
        if mode == "sync":
            return EventSourceResponse(sync_infinite(token, interval))
        return EventSourceResponse(infinite(token, interval))

    @app.get("/resume")
    async def get_resume(
        token: str,
        total: int = 100,
        cut_every: int = 5,
        last_event_id: str | None = Header(default=None),
    ) -> Response:
        start = resume_request(token, last_event_id)
        if start > total:
            return Response(status_code=204)
        connection = PROBES[token].connections
        return EventSourceResponse(resume(start, total, cut_every, connection))

    @app.api_route("/{path:path}", methods=["GET"])
    async def shared(path: str, request: Request) -> Response:
        answer = route("/" + path, dict(request.query_params), dict(request.headers))
        if isinstance(answer, Plain):
            return Response(answer.body, answer.status, media_type=answer.content_type)
        return EventSourceResponse(answer.content, **answer.options)

    return app


def aiohttp_app() -> Any:
    from aiohttp import web

    from ssecodec.aiohttp import EventSourceResponse, on_shutdown

    async def endpoint(request: web.Request) -> web.StreamResponse:
        headers = {k.lower(): v for k, v in request.headers.items()}
        answer = route(request.path, dict(request.query), headers)
        if isinstance(answer, Plain):
            if answer.status == 204:
                return web.Response(status=204)
            return web.Response(
                status=answer.status, text=answer.body, content_type=answer.content_type
            )
        response = EventSourceResponse(answer.content, **answer.options)
        if answer.token:
            PROBES[answer.token].response = response
        return response

    async def report(request: web.Request) -> web.StreamResponse:
        record_report(request.query["token"], await request.json())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/report", report)
    app.router.add_get("/{path:.*}", endpoint)
    app.on_shutdown.append(on_shutdown)
    return app
