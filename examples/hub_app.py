"""A FastAPI app that fans server-sent events out with ssecodec.hub.

One process, in-process broker::

    uvicorn hub_app:app --app-dir examples

Several worker processes (or machines) sharing channels through Redis::

    REDIS_URL=redis://localhost:6379/0 uvicorn hub_app:app --app-dir examples --workers 4

Then open http://127.0.0.1:8000/?channel=demo in a browser, and publish from anywhere::

    curl -d 'hello' 'http://127.0.0.1:8000/publish/demo?event=greeting'

A client that reconnects (to any worker) with ``Last-Event-ID`` gets the events it missed.
Requires ``pip install 'ssecodec[fastapi,redis]' uvicorn``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ssecodec.hub import BrokerUnavailable, Hub, RedisBroker

REDIS_URL = os.environ.get("REDIS_URL")
# Browsers reconnect 1 s after a stream ends (a worker restarting, a slow client cut off).
hub = Hub(RedisBroker(REDIS_URL) if REDIS_URL else None, retry=1000)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await hub.aclose()  # open streams end cleanly, Redis connections close


app = FastAPI(lifespan=lifespan)


@app.get("/events/{channel}")
async def events(request: Request, channel: str) -> Response:
    """The channel as an event stream; resumes from Last-Event-ID (or ?last_event_id=)."""
    response: Response = hub.response(request, channel)
    return response


@app.post("/publish/{channel}")
async def publish(request: Request, channel: str, event: str | None = None) -> Response:
    """Publish the request body (text) to the channel; answers the event's id."""
    data = (await request.body()).decode()
    try:
        event_id = await hub.apublish(channel, data, event=event)
    except BrokerUnavailable as exc:
        return JSONResponse({"error": str(exc)}, status_code=503)
    return JSONResponse({"id": event_id})


PAGE = """<!doctype html>
<meta charset="utf-8">
<title>ssecodec.hub</title>
<h1>Channel <code id="channel"></code></h1>
<ol id="events"></ol>
<script>
const channel = new URLSearchParams(location.search).get("channel") || "demo";
document.getElementById("channel").textContent = channel;
window.received = [];  // what arrived: {type, data, id}
const list = document.getElementById("events");
const source = new EventSource("/events/" + encodeURIComponent(channel));
function show(e) {
  window.received.push({type: e.type, data: e.data, id: e.lastEventId});
  const item = document.createElement("li");
  item.textContent = `${e.lastEventId} ${e.type}: ${e.data}`;
  list.appendChild(item);
}
source.onmessage = show;
source.addEventListener("greeting", show);
// Events that were missed and are no longer in the history: say so.
source.addEventListener("ssecodec-gap", show);
</script>
"""


@app.get("/")
async def page() -> HTMLResponse:
    """A page showing a channel's events live (``?channel=demo``)."""
    return HTMLResponse(PAGE)
