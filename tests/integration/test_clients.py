"""The client helpers (httpx, aiohttp, requests) and the reconnecting EventSource on each of
its backends: headers, content-type errors, limits."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import httpx
import pytest
import requests
import sseapps
from test_reconnect import EITHER, EITHER_IDS, Spec, take

import ssecodec
import ssecodec.aiohttp
import ssecodec.httpx
import ssecodec.requests
from ssecodec.client import EventSourceError

TIMEOUT = httpx.Timeout(20.0)


def check_message(exc: BaseException, status: int, body_start: str) -> None:
    message = str(exc)
    assert f"HTTP {status}" in message, message
    assert body_start in message, message
    assert "text/event-stream" in message


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [("/wrong", 404, "<html><body>Not here"), ("/plain", 200, "just text")],
)
def test_httpx_wrong_content_type(server_url: str, path: str, status: int, body: str) -> None:
    with (
        httpx.Client(timeout=TIMEOUT) as client,
        ssecodec.httpx.connect_sse(client, "GET", server_url + path) as source,
    ):
        assert source.response.status_code == status  # inspectable before iterating
        with pytest.raises(ssecodec.httpx.SSEError) as info:
            next(source.iter_sse())
    check_message(info.value, status, body)
    assert isinstance(info.value, httpx.TransportError)  # as httpx-sse's
    assert isinstance(info.value, ssecodec.SSEError)
    assert info.value.status_code == status
    assert info.value.body.decode().startswith(body)
    assert len(info.value.body) <= 512


def test_httpx_async_wrong_content_type(server_url: str) -> None:
    async def main() -> None:
        async with (
            httpx.AsyncClient(timeout=TIMEOUT) as client,
            ssecodec.httpx.aconnect_sse(client, "GET", server_url + "/wrong") as source,
        ):
            with pytest.raises(ssecodec.httpx.SSEError) as info:
                await source.aiter_sse().__anext__()
        check_message(info.value, 404, "<html><body>Not here")

    asyncio.run(main())


def test_aiohttp_wrong_content_type(server_url: str) -> None:
    async def main() -> None:
        async with (
            aiohttp.ClientSession() as session,
            ssecodec.aiohttp.aconnect_sse(session, "GET", server_url + "/wrong") as source,
        ):
            with pytest.raises(ssecodec.aiohttp.SSEError) as info:
                async for _ in source.aiter_sse():
                    pass
        check_message(info.value, 404, "<html><body>Not here")
        assert isinstance(info.value, aiohttp.ClientError)
        assert info.value.status == 404

    asyncio.run(main())


def test_requests_wrong_content_type(server_url: str) -> None:
    with (
        requests.get(server_url + "/wrong", stream=True, timeout=20) as response,
        pytest.raises(ssecodec.requests.SSEError) as info,
    ):
        list(ssecodec.requests.iter_events(response))
    check_message(info.value, 404, "<html><body>Not here")
    assert isinstance(info.value, requests.RequestException)
    assert info.value.response is response
    with requests.get(server_url + "/plain", stream=True, timeout=20) as response:
        assert list(ssecodec.requests.iter_events(response, check_content_type=False)) == []


def request_headers_seen(events: list[ssecodec.Event]) -> dict[str, str]:
    (event,) = events
    headers: dict[str, str] = json.loads(event.data)
    return headers


def test_httpx_request_headers(server_url: str) -> None:
    mine = {"X-Mine": "1", "accept": "text/html"}
    with (
        httpx.Client(timeout=TIMEOUT) as client,
        ssecodec.httpx.connect_sse(client, "GET", server_url + "/headers", headers=mine) as source,
    ):
        seen = request_headers_seen([sse.to_event() for sse in source.iter_sse()])
    assert seen["accept"] == "text/event-stream"
    assert seen["cache-control"] == "no-store"
    assert seen["x-mine"] == "1"
    assert mine == {"X-Mine": "1", "accept": "text/html"}  # not mutated


def test_aiohttp_request_headers(server_url: str) -> None:
    async def main() -> dict[str, str]:
        async with (
            aiohttp.ClientSession() as session,
            ssecodec.aiohttp.aconnect_sse(
                session, "GET", server_url + "/headers", headers={"accept": "x/y", "X-Mine": "2"}
            ) as source,
        ):
            events = [event async for event in source.aiter_sse()]
            assert source.last_event_id == ""
            return request_headers_seen(events)

    seen = asyncio.run(main())
    assert seen["accept"] == "text/event-stream"
    assert seen["cache-control"] == "no-store"
    assert seen["x-mine"] == "2"


def test_aiohttp_aiter_events(server_url: str) -> None:
    async def main() -> list[ssecodec.Event]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(server_url + "/numbers?n=5") as response,
        ):
            return [event async for event in ssecodec.aiohttp.aiter_events(response)]

    assert asyncio.run(main()) == sseapps.numbers(5)


def test_event_source_state(server_url: str) -> None:
    with (
        httpx.Client(timeout=TIMEOUT) as client,
        ssecodec.httpx.connect_sse(client, "GET", server_url + "/tricky") as source,
    ):
        assert source.last_event_id == "" and source.retry is None
        list(source.iter_sse())
        assert source.last_event_id == "end"
        assert source.retry == 1500


@pytest.mark.parametrize("client", ["httpx", "aiohttp", "requests"])
def test_decoder_limits_pass_through(starlette_server: object, client: str) -> None:
    url = f"{starlette_server.url}/tricky"  # type: ignore[attr-defined]
    got: list[ssecodec.Event] = []
    with pytest.raises(ssecodec.LimitExceeded):
        if client == "httpx":
            with (
                httpx.Client(timeout=TIMEOUT) as c,
                ssecodec.httpx.connect_sse(c, "GET", url) as source,
            ):
                got.extend(sse.to_event() for sse in source.iter_sse(max_line_size=40))
        elif client == "aiohttp":

            async def main() -> None:
                async with aiohttp.ClientSession() as session, session.get(url) as response:
                    async for event in ssecodec.aiohttp.aiter_events(response, max_line_size=40):
                        got.append(event)

            asyncio.run(main())
        else:
            with requests.get(url, stream=True, timeout=20) as response:
                got.extend(ssecodec.requests.iter_events(response, max_line_size=40))
    assert got and got[0].data == "plain"


# -- the reconnecting EventSource, on each of its backends ---------------------------------


@pytest.mark.parametrize("spec", EITHER, ids=EITHER_IDS)
def test_event_source_request_headers(server_url: str, spec: Spec) -> None:
    mine = {"X-Mine": "3", "accept": "text/html", "Cache-Control": "max-age=9"}
    # One event per connection: a second one would be the same request again.
    events = take(spec, server_url + "/headers", 1, headers=mine, last_event_id="7")
    seen = request_headers_seen(events)
    assert seen["accept"] == "text/event-stream"
    assert seen["cache-control"] == "no-store"
    assert seen["last-event-id"] == "7"
    assert seen["x-mine"] == "3"


@pytest.mark.parametrize("spec", EITHER, ids=EITHER_IDS)
def test_event_source_limits_pass_through(starlette_server: object, spec: Spec) -> None:
    url = f"{starlette_server.url}/tricky"  # type: ignore[attr-defined]
    got: list[ssecodec.Event] = []
    with pytest.raises(ssecodec.LimitExceeded):
        take(spec, url, got=got, max_line_size=40)
    assert got and got[0].data == "plain"


@pytest.mark.parametrize("spec", EITHER, ids=EITHER_IDS)
def test_event_source_wrong_content_type(server_url: str, spec: Spec) -> None:
    with pytest.raises(EventSourceError) as info:
        take(spec, server_url + "/plain")
    check_message(info.value, 200, "just text")
    assert info.value.status_code == 200
    assert info.value.content_type is not None
    assert info.value.content_type.startswith("text/plain")
    assert info.value.body == (b"just text\n" * 100)[:512]
