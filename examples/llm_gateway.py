"""An LLM gateway: FastAPI relaying an OpenAI-compatible streaming API, counting tokens.

    pip install 'ssecodec[httpx,fastapi]' uvicorn
    python examples/llm_gateway.py            # mock upstream + gateway on 127.0.0.1:8000
    python examples/llm_gateway.py --demo     # the same, sends one request through it, exits

Then, while it runs::

    curl -N http://127.0.0.1:8000/v1/chat/completions -H 'Content-Type: application/json' \\
      -d '{"model": "mock-1", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}'
    curl http://127.0.0.1:8000/stats

Any OpenAI-compatible client works too, e.g. ``OpenAI(base_url="http://127.0.0.1:8000/v1",
api_key="unused")``. Point ``--upstream`` at a real provider (and pass its key with
``--api-key``) to relay it instead of the included mock.

The gateway relays each stream with :func:`ssecodec.relay.relay_starlette`. A per-stream
transform counts the completion tokens (one per content delta, or the upstream's ``usage``
when it reports one) and passes every event on unchanged; ``/stats`` shows the counts. The
relay closes the upstream request as soon as the client goes away, pauses reading it while
the client is slow, and ends the stream with ``event: error`` if the upstream fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from ssecodec import Event
from ssecodec.relay import relay_starlette
from ssecodec.starlette import EventSourceResponse

log = logging.getLogger("llm_gateway")

# -- the mock upstream: an OpenAI-compatible /v1/chat/completions that streams -------------------

REPLY = (
    "Server-sent events are a simple way to stream tokens: one HTTP response, one event per "
    "chunk, and every client library already knows how to read them."
)


def mock_upstream(delay: float = 0.01) -> FastAPI:
    """An OpenAI-style streaming endpoint that answers with :data:`REPLY`, word by word."""
    app = FastAPI()
    ids = itertools.count(1)

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> Response:
        body = await request.json()
        model = body.get("model", "mock-1")
        words = [w + " " for w in REPLY.split(" ")]
        words[-1] = words[-1].rstrip()
        completion_id = f"chatcmpl-mock-{next(ids)}"
        created = int(time.time())

        def chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> str:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return json.dumps(
                {
                    "id": completion_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [choice] if delta is not None else [],
                    **extra,
                },
                separators=(",", ":"),
            )

        if not body.get("stream"):
            message = {"role": "assistant", "content": "".join(words)}
            return JSONResponse(
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                    "usage": {"completion_tokens": len(words)},
                }
            )

        async def stream() -> AsyncIterator[Event]:
            yield Event(chunk({"role": "assistant", "content": ""}))
            for word in words:
                await asyncio.sleep(delay)
                yield Event(chunk({"content": word}))
            yield Event(chunk({}, "stop"))
            if (body.get("stream_options") or {}).get("include_usage"):
                usage = {"prompt_tokens": 1, "completion_tokens": len(words)}
                usage["total_tokens"] = usage["prompt_tokens"] + len(words)
                yield Event(chunk(None, usage=usage))
            yield Event("[DONE]")

        return EventSourceResponse(stream())

    return app


# -- the gateway ---------------------------------------------------------------------------


class TokenCounter:
    """The per-stream transform: counts completion tokens, passes every event on unchanged."""

    def __init__(self, stream_id: str, model: str) -> None:
        self.stream_id = stream_id
        self.model = model
        self.tokens = 0
        self.reported: int | None = None  # the upstream's usage.completion_tokens, if sent
        self.done = False
        self.started = time.monotonic()

    def __call__(self, event: Event) -> Event:
        if event.data == "[DONE]":
            self.done = True
            log.info("stream %s: %d tokens in %.2f s", self.stream_id, self.count, self.elapsed)
            return event
        try:
            chunk = event.json()
        except ValueError:
            return event
        for choice in chunk.get("choices") or ():
            if (choice.get("delta") or {}).get("content"):
                self.tokens += 1
        usage = chunk.get("usage")
        if usage and usage.get("completion_tokens") is not None:
            self.reported = int(usage["completion_tokens"])
        return event

    @property
    def count(self) -> int:
        return self.tokens if self.reported is None else self.reported

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "tokens": self.count,
            "content_deltas": self.tokens,
            "done": self.done,
        }


def gateway(upstream: str, api_key: str | None = None, keep: int = 1000) -> FastAPI:
    """The gateway app, relaying ``{upstream}/chat/completions`` (``upstream`` ends in /v1)."""
    streams: OrderedDict[str, TokenCounter] = OrderedDict()
    ids = itertools.count(1)
    state: dict[str, httpx.AsyncClient] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # No read timeout: a model may think for a while between two tokens.
        timeout = httpx.Timeout(10.0, read=None)
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=100)
        async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
            state["client"] = client
            yield

    app = FastAPI(lifespan=lifespan)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> Response:
        body = await request.json()
        url = f"{upstream}/chat/completions"
        client = state["client"]
        if not body.get("stream"):  # not streamed: a plain proxy
            answer = await client.post(url, json=body, headers=headers)
            return Response(
                answer.content,
                status_code=answer.status_code,
                media_type=answer.headers.get("content-type"),
            )
        stream_id = f"s{next(ids)}"
        counter = streams[stream_id] = TokenCounter(stream_id, str(body.get("model")))
        while len(streams) > keep:
            streams.popitem(last=False)
        return await relay_starlette(
            request,
            client,
            "POST",
            url,
            json=body,
            headers=headers,
            transform=counter,
            last_event_id=False,  # chat completions cannot be resumed
            response_headers={"X-Gateway-Stream": stream_id},
        )

    @app.get("/stats")
    async def stats() -> dict[str, Any]:
        return {
            "streams": {key: counter.as_dict() for key, counter in streams.items()},
            "total_tokens": sum(counter.count for counter in streams.values()),
        }

    return app


# -- running it ------------------------------------------------------------------------------


class BackgroundServer:
    """uvicorn serving an app from a thread, on 127.0.0.1 and a given (or free) port."""

    def __init__(self, app: FastAPI, port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> BackgroundServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def demo(url: str, prompt: str = "Say something about SSE") -> dict[str, Any]:
    """Send one streaming request through the gateway, print the tokens, return /stats."""
    from ssecodec.httpx import connect_sse

    request = {"model": "mock-1", "stream": True, "messages": [{"role": "user", "content": prompt}]}
    with httpx.Client(timeout=30) as client:
        with connect_sse(client, "POST", f"{url}/v1/chat/completions", json=request) as source:
            print(f"stream {source.response.headers.get('x-gateway-stream')}: ", end="")
            for event in source.iter_sse():
                if event.data == "[DONE]":
                    break
                for choice in event.json()["choices"]:
                    print(choice["delta"].get("content", ""), end="", flush=True)
        print()
        stats: dict[str, Any] = client.get(f"{url}/stats").json()
    print(json.dumps(stats, indent=2))
    return stats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8000, help="the gateway's port (8000)")
    parser.add_argument(
        "--upstream", help="an OpenAI-compatible base URL ending in /v1 (default: the mock)"
    )
    parser.add_argument("--api-key", help="sent to the upstream as a bearer token")
    parser.add_argument("--delay", type=float, default=0.01, help="mock: seconds per token")
    parser.add_argument("--demo", action="store_true", help="send one request, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)

    with contextlib.ExitStack() as stack:
        upstream = args.upstream
        if upstream is None:
            mock = stack.enter_context(BackgroundServer(mock_upstream(args.delay)))
            upstream = f"{mock.url}/v1"
            print(f"mock upstream on {upstream}")
        app = gateway(upstream.rstrip("/"), args.api_key)
        if args.demo:
            server = stack.enter_context(BackgroundServer(app, 0))
            demo(server.url)
            return
        print(f"gateway on http://127.0.0.1:{args.port}/v1/chat/completions")
        uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
