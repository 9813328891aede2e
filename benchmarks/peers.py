"""The implementations under test, each driven through its real decoding or encoding path.

A decoder turns a list of byte chunks into its own event objects, all kept in one list (``run``)
or visited and dropped one by one as a streaming consumer does (``consume``, which returns
their number), and those into ``(event, data, id, retry)`` tuples (``normalize``); a field the
peer does not report is :data:`NA`. An encoder's ``prepare(items)`` returns the call that is
timed. How each peer is fed, and why, is in README.md ("Peers"). Peers that do not import are
left out and listed as not measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.metadata
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any


class _NA:
    def __repr__(self) -> str:
        return "n/a"


NA: Any = _NA()
"""A field the peer does not report."""

Normalized = tuple[Any, Any, Any, Any]
Items = list[tuple[str, str | None, str | None]]  # (data, event, id) per event to encode


def version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def twins() -> dict[str, ModuleType]:
    """The ssecodec twins that import here: ``{"c": _codec_c, "py": _codec_py}``."""
    found: dict[str, ModuleType] = {}
    with contextlib.suppress(ImportError):
        found["c"] = importlib.import_module("ssecodec._codec_c")
    found["py"] = importlib.import_module("ssecodec._codec_py")
    return found


@dataclass
class DecoderPeer:
    key: str
    label: str
    dist: str
    how: str
    run: Callable[[list[bytes]], list[Any]]  # every event, kept in one list
    consume: Callable[[list[bytes]], int]  # every event visited and dropped; their number
    normalize: Callable[[Any], Normalized]
    is_ssecodec: bool = False

    @property
    def version(self) -> str | None:
        return version(self.dist)


@dataclass
class EncoderPeer:
    key: str
    label: str
    dist: str
    how: str
    prepare: Callable[[Items], Callable[[], Any]]  # the timed call, making bytes or a list
    is_ssecodec: bool = False

    @property
    def version(self) -> str | None:
        return version(self.dist)


# ----------------------------------------------------------------------------- decoders


def _count(events: Iterable[Any]) -> int:
    """A streaming consumer's loop: visit every event, keep none."""
    n = 0
    for _event in events:
        n += 1
    return n


def _peer(
    key: str,
    label: str,
    dist: str,
    how: str,
    events: Callable[[list[bytes]], Iterable[Any]],
    normalize: Callable[[Any], Normalized],
) -> DecoderPeer:
    """A peer whose API yields events one by one from ``events(chunks)``."""
    return DecoderPeer(
        key,
        label,
        dist,
        how,
        lambda chunks: list(events(chunks)),
        lambda chunks: _count(events(chunks)),
        normalize,
    )


def ssecodec_decoder(mod: ModuleType, twin: str) -> DecoderPeer:
    decoder_cls = mod.Decoder

    def run(chunks: list[bytes]) -> list[Any]:
        decoder = decoder_cls()
        feed = decoder.feed
        out: list[Any] = []
        for chunk in chunks:
            out += feed(chunk)
        out += decoder.close()
        return out

    def consume(chunks: list[bytes]) -> int:
        decoder = decoder_cls()
        feed = decoder.feed
        n = 0
        for chunk in chunks:
            for _event in feed(chunk):
                n += 1
        return n + _count(decoder.close())

    name = "Cython" if twin == "c" else "pure Python"
    return DecoderPeer(
        f"ssecodec-{twin}",
        f"ssecodec ({name})",
        "ssecodec",
        "Decoder().feed(chunk) per chunk, then close()",
        run,
        consume,
        lambda ev: (ev.event, ev.data, ev.id, ev.retry),
        is_ssecodec=True,
    )


def _id(value: Any) -> Any:
    return "" if value is None else value


def _httpx_family(module_name: str, key: str) -> DecoderPeer:
    """httpx-sse over an ``httpx.Response``, or httpx2's built-in ``EventSource`` over an
    ``httpx2.Response``: the body an in-memory stream of the chunks, decoded as from a socket."""
    httpx = importlib.import_module(module_name)
    if module_name == "httpx":
        event_source = importlib.import_module("httpx_sse").EventSource
        iterate: Callable[[Any], Iterator[Any]] = lambda src: src.iter_sse()  # noqa: E731
        how = "httpx_sse.EventSource(httpx.Response(stream=chunks)).iter_sse()"
    else:
        event_source, iterate = httpx.EventSource, iter
        how = "httpx2.EventSource(httpx2.Response(stream=chunks)) (built-in SSE)"

    class Body(httpx.SyncByteStream):  # type: ignore[misc, name-defined]
        def __init__(self, chunks: list[bytes]) -> None:
            self._chunks = chunks

        def __iter__(self) -> Iterator[bytes]:
            return iter(self._chunks)

    request = httpx.Request("GET", "http://bench.invalid/stream")
    headers = {"content-type": "text/event-stream"}

    def events(chunks: list[bytes]) -> Iterator[Any]:
        response = httpx.Response(200, headers=headers, stream=Body(chunks), request=request)
        return iterate(event_source(response))

    return _peer(key, key, key, how, events, lambda ev: (ev.event, ev.data, _id(ev.id), ev.retry))


def _sdk(name: str) -> DecoderPeer:
    """The openai / anthropic SDK's decoder, as its ``Stream`` calls it on ``iter_bytes()``."""
    decoder_cls = importlib.import_module(f"{name}._streaming").SSEDecoder
    how = f"{name}._streaming.SSEDecoder().iter_bytes(iter(chunks))"
    return _peer(
        name,
        f"{name} SDK",
        name,
        how,
        lambda chunks: decoder_cls().iter_bytes(iter(chunks)),
        lambda ev: (ev.event or "message", ev.data, _id(ev.id), ev.retry),
    )


def _sseclient() -> DecoderPeer:
    sse_client = importlib.import_module("sseclient").SSEClient

    def normalize(ev: Any) -> Normalized:
        retry = ev.retry  # kept as the raw string: compare digit strings as numbers
        if isinstance(retry, str) and retry.isascii() and retry.isdigit():
            retry = int(retry)
        return (ev.event, ev.data, _id(ev.id), retry)

    how = "sseclient.SSEClient(chunks).events()"
    key = "sseclient-py"
    return _peer(key, key, key, how, lambda chunks: sse_client(chunks).events(), normalize)


class _EndOfStream(Exception):
    pass


def _requests_sse() -> DecoderPeer:
    """``EventSource`` over a ``requests.Session`` whose adapter answers with a real
    ``urllib3.HTTPResponse``; the end of the stream is caught through ``on_error`` instead of
    letting it sleep and reconnect."""
    requests = importlib.import_module("requests")
    adapters = importlib.import_module("requests.adapters")
    urllib3 = importlib.import_module("urllib3")
    event_source = importlib.import_module("requests_sse").EventSource

    class Adapter(adapters.HTTPAdapter):  # type: ignore[misc, name-defined]
        body = b""

        def send(self, request: Any, **kwargs: Any) -> Any:
            raw = urllib3.HTTPResponse(
                body=io.BytesIO(self.body),
                headers={"Content-Type": "text/event-stream"},
                status=200,
                preload_content=False,
                decode_content=False,
            )
            return self.build_response(request, raw)

    def end() -> None:
        raise _EndOfStream

    def events(chunks: list[bytes]) -> Iterator[Any]:
        session, adapter = requests.Session(), Adapter()
        adapter.body = b"".join(chunks)
        session.mount("http://bench.invalid/", adapter)
        source = event_source(
            "http://bench.invalid/stream", session=session, on_error=end, max_connect_retry=0
        )
        with contextlib.suppress(_EndOfStream), source:
            yield from source

    return _peer(
        "requests-sse",
        "requests-sse",
        "requests-sse",
        "requests_sse.EventSource over a requests.Session (urllib3 response; 512 B reads)",
        events,
        lambda ev: (ev.type or "message", ev.data, _id(ev.last_event_id), NA),
    )


def _found(makers: dict[str, Callable[[], Any]]) -> tuple[list[Any], list[str]]:
    """The peers that import here, and the keys of those that do not."""
    found, missing = [], []
    for key, make in makers.items():
        try:
            found.append(make())
        except (ImportError, AttributeError):
            missing.append(key)
    return found, missing


def decoders() -> tuple[list[DecoderPeer], list[str]]:
    """All decoders that import here, ssecodec's twins first, and the keys that were missing."""
    found, missing = _found(
        {
            "httpx-sse": lambda: _httpx_family("httpx", "httpx-sse"),
            "httpx2": lambda: _httpx_family("httpx2", "httpx2"),
            "openai": lambda: _sdk("openai"),
            "anthropic": lambda: _sdk("anthropic"),
            "sseclient-py": _sseclient,
            "requests-sse": _requests_sse,
        }
    )
    mods = twins()
    return [ssecodec_decoder(m, t) for t, m in mods.items()] + found, _missing_c(mods) + missing


def _missing_c(mods: dict[str, ModuleType]) -> list[str]:
    return [] if "c" in mods else ["ssecodec-c"]


# ----------------------------------------------------------------------------- encoders


def ssecodec_encoders(mod: ModuleType, twin: str) -> list[EncoderPeer]:
    name = "Cython" if twin == "c" else "pure Python"
    encode, encode_many, event_cls = mod.encode, mod.encode_many, mod.Event

    def objects(items: Items) -> list[Any]:
        return [event_cls(d, event=e or "message", id=i) for d, e, i in items]

    def per_event(items: Items) -> Callable[[], Any]:
        return lambda: [encode(d, event=e, id=i) for d, e, i in items]

    def event_method(items: Items) -> Callable[[], Any]:
        events = objects(items)
        return lambda: [ev.encode() for ev in events]

    def many(items: Items) -> Callable[[], Any]:
        events = objects(items)
        return lambda: encode_many(events)

    return [
        EncoderPeer(
            f"ssecodec-{twin}{key}",
            f"ssecodec ({name}) {api}",
            "ssecodec",
            how,
            prepare,
            is_ssecodec=True,
        )
        for key, api, how, prepare in (
            ("-encode", "encode()", "encode(data, event=..., id=...) per event", per_event),
            (
                "-event-encode",
                "Event.encode()",
                "Event.encode() per event (Event objects built beforehand)",
                event_method,
            ),
            (
                "-encode-many",
                "encode_many()",
                "encode_many(events): one buffer for all events",
                many,
            ),
        )
    ]


def _sse_starlette() -> EncoderPeer:
    sse_event = importlib.import_module("sse_starlette.event").ServerSentEvent
    return EncoderPeer(
        "sse-starlette",
        "sse-starlette",
        "sse-starlette",
        "ServerSentEvent(data, event=..., id=...).encode() per event",
        lambda items: lambda: [sse_event(d, event=e, id=i).encode() for d, e, i in items],
    )


def _fastapi() -> EncoderPeer:
    format_sse_event = importlib.import_module("fastapi.sse").format_sse_event
    return EncoderPeer(
        "fastapi",
        "FastAPI",
        "fastapi",
        "fastapi.sse.format_sse_event(data_str=..., event=..., id=...) per event "
        "(what EventSourceResponse routes call)",
        lambda items: lambda: [format_sse_event(data_str=d, event=e, id=i) for d, e, i in items],
    )


def _aiohttp_sse() -> EncoderPeer:
    response_cls = importlib.import_module("aiohttp_sse").EventSourceResponse

    class Capture(response_cls):  # type: ignore[misc, valid-type]
        """The real ``send`` (formatting, validation, send timeout); ``write`` only collects."""

        def __init__(self) -> None:
            super().__init__()
            self.out: list[bytes] = []

        async def write(self, data: bytes) -> None:
            self.out.append(data)

    def prepare(items: Items) -> Callable[[], Any]:
        async def send_all() -> list[bytes]:
            response = Capture()
            send = response.send
            for d, e, i in items:
                await send(d, id=i, event=e)
            return response.out

        return lambda: asyncio.run(send_all())

    return EncoderPeer(
        "aiohttp-sse",
        "aiohttp-sse",
        "aiohttp-sse",
        "EventSourceResponse.send(data, id=..., event=...) per event, write() captured, "
        "inside one asyncio.run",
        prepare,
    )


def encoders() -> tuple[list[EncoderPeer], list[str]]:
    """All encoders that import here, ssecodec's twins first, and the keys that were missing."""
    found, missing = _found(
        {"sse-starlette": _sse_starlette, "fastapi": _fastapi, "aiohttp-sse": _aiohttp_sse}
    )
    mods = twins()
    ours = [p for t, m in mods.items() for p in ssecodec_encoders(m, t)]
    return ours + found, _missing_c(mods) + missing
