"""The implementations under test, each driven through its real decoding or encoding path.

A decoder adapter turns a list of byte chunks into the peer's own event objects, either all
kept in one list (``run``) or counted and dropped one by one as a streaming consumer does
(``consume``), and those into comparable ``(event, data, id, retry)`` tuples (``normalize``);
a field the peer does not report is :data:`NA` and is left out of the comparison. Peers that
are not installed are skipped (and listed as such in the report).

How each peer is fed is the way its users feed it:

* ``httpx-sse`` and ``httpx2``: ``EventSource`` over an ``httpx.Response`` / ``httpx2.Response``
  whose body is an in-memory byte stream yielding the chunks (the response's own text decoder
  and the library's line splitter run, as over a socket).
* ``openai`` / ``anthropic``: the SDK's ``SSEDecoder().iter_bytes(iter(chunks))``, which is what
  ``Stream`` calls on ``response.iter_bytes()``.
* ``sseclient-py``: ``SSEClient(chunks).events()`` (it iterates the source for byte chunks).
* ``requests-sse``: ``EventSource`` over a ``requests.Session`` whose adapter answers with a real
  ``urllib3.HTTPResponse`` over the body; requests-sse reads it with ``iter_lines()``, i.e. in
  512-byte reads whatever the chunking (that is its real path). End of stream is caught through
  its ``on_error`` hook instead of letting it sleep and reconnect.
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
"""Placeholder for a field a peer does not report."""

Normalized = tuple[Any, Any, Any, Any]


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
    # prepare(items) -> a zero-argument callable producing the encoded bytes (list or bytes)
    prepare: Callable[[list[tuple[str, str | None, str | None]]], Callable[[], Any]]
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


def _from_iterator(
    events: Callable[[list[bytes]], Iterable[Any]],
) -> tuple[Callable[[list[bytes]], list[Any]], Callable[[list[bytes]], int]]:
    """``run`` and ``consume`` for a peer whose API yields events one by one."""
    return (lambda chunks: list(events(chunks))), (lambda chunks: _count(events(chunks)))


def _ssecodec_decoder(mod: ModuleType, twin: str) -> DecoderPeer:
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

    def normalize(ev: Any) -> Normalized:
        return (ev.event, ev.data, ev.id, ev.retry)

    name = "Cython" if twin == "c" else "pure Python"
    return DecoderPeer(
        f"ssecodec-{twin}",
        f"ssecodec ({name})",
        "ssecodec",
        "Decoder().feed(chunk) per chunk, then close()",
        run,
        consume,
        normalize,
        is_ssecodec=True,
    )


def _id(value: Any) -> Any:
    return "" if value is None else value


def _httpx_family(module_name: str, key: str, dist: str) -> DecoderPeer | None:
    try:
        httpx = importlib.import_module(module_name)
        if module_name == "httpx":
            event_source = importlib.import_module("httpx_sse").EventSource
            iterate: Callable[[Any], Iterator[Any]] = lambda src: src.iter_sse()  # noqa: E731
        else:
            event_source = httpx.EventSource
            iterate = iter
    except (ImportError, AttributeError):
        return None

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

    run, consume = _from_iterator(events)

    def normalize(ev: Any) -> Normalized:
        return (ev.event, ev.data, _id(ev.id), ev.retry)

    if module_name == "httpx":
        how = "httpx_sse.EventSource(httpx.Response(stream=chunks)).iter_sse()"
    else:
        how = "httpx2.EventSource(httpx2.Response(stream=chunks)) (built-in SSE)"
    return DecoderPeer(key, key, dist, how, run, consume, normalize)


def _sdk(module_name: str) -> DecoderPeer | None:
    try:
        streaming = importlib.import_module(f"{module_name}._streaming")
        decoder_cls = streaming.SSEDecoder
    except (ImportError, AttributeError):
        return None

    run, consume = _from_iterator(lambda chunks: decoder_cls().iter_bytes(iter(chunks)))

    def normalize(ev: Any) -> Normalized:
        return (ev.event or "message", ev.data, _id(ev.id), ev.retry)

    return DecoderPeer(
        module_name,
        f"{module_name} SDK",
        module_name,
        f"{module_name}._streaming.SSEDecoder().iter_bytes(iter(chunks))",
        run,
        consume,
        normalize,
    )


def _sseclient() -> DecoderPeer | None:
    try:
        sse_client = importlib.import_module("sseclient").SSEClient
    except (ImportError, AttributeError):
        return None

    run, consume = _from_iterator(lambda chunks: sse_client(chunks).events())

    def normalize(ev: Any) -> Normalized:
        retry = ev.retry
        if isinstance(retry, str) and retry.isascii() and retry.isdigit():
            retry = int(retry)  # it keeps the raw string; compare digit strings as numbers
        return (ev.event, ev.data, _id(ev.id), retry)

    return DecoderPeer(
        "sseclient-py",
        "sseclient-py",
        "sseclient-py",
        "sseclient.SSEClient(chunks).events()",
        run,
        consume,
        normalize,
    )


class _EndOfStream(Exception):
    pass


def _requests_sse() -> DecoderPeer | None:
    try:
        requests = importlib.import_module("requests")
        adapters = importlib.import_module("requests.adapters")
        urllib3 = importlib.import_module("urllib3")
        event_source = importlib.import_module("requests_sse").EventSource
    except (ImportError, AttributeError):
        return None

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

    url = "http://bench.invalid/stream"

    def end() -> None:
        raise _EndOfStream

    def events(chunks: list[bytes]) -> Iterator[Any]:
        session = requests.Session()
        adapter = Adapter()
        adapter.body = b"".join(chunks)
        session.mount("http://bench.invalid/", adapter)
        source = event_source(url, session=session, on_error=end, max_connect_retry=0)
        try:
            with source:
                yield from source
        except _EndOfStream:
            pass

    run, consume = _from_iterator(events)

    def normalize(ev: Any) -> Normalized:
        return (ev.type or "message", ev.data, _id(ev.last_event_id), NA)

    return DecoderPeer(
        "requests-sse",
        "requests-sse",
        "requests-sse",
        "requests_sse.EventSource over a requests.Session (urllib3 response; 512 B reads)",
        run,
        consume,
        normalize,
    )


def decoders(only: Iterable[str] | None = None) -> tuple[list[DecoderPeer], list[str]]:
    """All decoders that import here, ssecodec twins first, and the keys that were missing."""
    found: list[DecoderPeer] = [_ssecodec_decoder(mod, twin) for twin, mod in twins().items()]
    missing: list[str] = []
    if "c" not in twins():
        missing.append("ssecodec-c")
    for key, make in (
        ("httpx-sse", lambda: _httpx_family("httpx", "httpx-sse", "httpx-sse")),
        ("httpx2", lambda: _httpx_family("httpx2", "httpx2", "httpx2")),
        ("openai", lambda: _sdk("openai")),
        ("anthropic", lambda: _sdk("anthropic")),
        ("sseclient-py", _sseclient),
        ("requests-sse", _requests_sse),
    ):
        peer = make()
        if peer is None:
            missing.append(key)
        else:
            found.append(peer)
    if only is not None:
        wanted = set(only)
        found = [p for p in found if p.key in wanted or p.is_ssecodec]
    return found, missing


# ----------------------------------------------------------------------------- encoders

Items = list[tuple[str, str | None, str | None]]


def _ssecodec_encoders(mod: ModuleType, twin: str) -> list[EncoderPeer]:
    name = "Cython" if twin == "c" else "pure Python"
    encode, encode_many, event_cls = mod.encode, mod.encode_many, mod.Event

    def per_event(items: Items) -> Callable[[], Any]:
        return lambda: [encode(d, event=e, id=i) for d, e, i in items]

    def objects(items: Items) -> list[Any]:
        return [event_cls(d, event=e or "message", id=i) for d, e, i in items]

    def event_method(items: Items) -> Callable[[], Any]:
        events = objects(items)
        return lambda: [ev.encode() for ev in events]

    def many(items: Items) -> Callable[[], Any]:
        events = objects(items)
        return lambda: encode_many(events)

    return [
        EncoderPeer(
            f"ssecodec-{twin}-encode",
            f"ssecodec ({name}) encode()",
            "ssecodec",
            "encode(data, event=..., id=...) per event",
            per_event,
            is_ssecodec=True,
        ),
        EncoderPeer(
            f"ssecodec-{twin}-event-encode",
            f"ssecodec ({name}) Event.encode()",
            "ssecodec",
            "Event.encode() per event (Event objects built beforehand)",
            event_method,
            is_ssecodec=True,
        ),
        EncoderPeer(
            f"ssecodec-{twin}-encode-many",
            f"ssecodec ({name}) encode_many()",
            "ssecodec",
            "encode_many(events): one buffer for all events",
            many,
            is_ssecodec=True,
        ),
    ]


def _sse_starlette() -> EncoderPeer | None:
    try:
        sse_event = importlib.import_module("sse_starlette.event").ServerSentEvent
    except (ImportError, AttributeError):
        return None

    def prepare(items: Items) -> Callable[[], Any]:
        return lambda: [sse_event(d, event=e, id=i).encode() for d, e, i in items]

    return EncoderPeer(
        "sse-starlette",
        "sse-starlette",
        "sse-starlette",
        "ServerSentEvent(data, event=..., id=...).encode() per event",
        prepare,
    )


def _fastapi() -> EncoderPeer | None:
    try:
        format_sse_event = importlib.import_module("fastapi.sse").format_sse_event
    except (ImportError, AttributeError):
        return None

    def prepare(items: Items) -> Callable[[], Any]:
        return lambda: [format_sse_event(data_str=d, event=e, id=i) for d, e, i in items]

    return EncoderPeer(
        "fastapi",
        "FastAPI",
        "fastapi",
        "fastapi.sse.format_sse_event(data_str=..., event=..., id=...) per event "
        "(what EventSourceResponse routes call)",
        prepare,
    )


def _aiohttp_sse() -> EncoderPeer | None:
    try:
        response_cls = importlib.import_module("aiohttp_sse").EventSourceResponse
    except (ImportError, AttributeError):
        return None

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
    found: list[EncoderPeer] = []
    for twin, mod in twins().items():
        found.extend(_ssecodec_encoders(mod, twin))
    missing: list[str] = [] if "c" in twins() else ["ssecodec-c"]
    for key, make in (
        ("sse-starlette", _sse_starlette),
        ("fastapi", _fastapi),
        ("aiohttp-sse", _aiohttp_sse),
    ):
        peer = make()
        if peer is None:
            missing.append(key)
        else:
            found.append(peer)
    return found, missing
