"""Relay an upstream event stream to your own clients: SSE proxies and LLM gateways.

Install with ``pip install 'ssecodec[httpx,starlette]'`` (or ``[httpx,aiohttp]``). The
upstream is read with an ``httpx.AsyncClient``; the downstream is a Starlette/FastAPI or an
``aiohttp.web`` response::

    import httpx
    from fastapi import FastAPI, Request
    from ssecodec.relay import relay_starlette

    app = FastAPI()
    upstream = httpx.AsyncClient(timeout=httpx.Timeout(10, read=None))

    @app.get("/events")
    async def events(request: Request):
        return await relay_starlette(request, upstream, "GET", "https://example.com/events")

The relay's own options (``transform``, ``comments``, ``ping``, ...) are the fields of
:class:`RelayOptions`: pass them as keyword arguments, or one ``RelayOptions`` made once as
``options=``. The other keyword arguments go with the upstream request to httpx.

Without a ``transform`` the relay forwards **whole events without decoding them**
(pass-through): the upstream bytes are cut at event boundaries, so that only complete events
are forwarded and a stream cut mid-event never forwards half of one; ``id``, ``event``,
``retry`` and ``data`` lines pass byte for byte (line ends normalised to LF, a leading BOM
removed, comment lines removed unless ``comments=True``). With a ``transform`` each event is
decoded, passed to it, and what it returns is encoded again.

What the relay does besides (see :func:`relay_starlette` and :class:`RelayOptions`): upstream
reads pause while the client is slow (the buffer in between is bounded by ``buffer_size``);
the upstream response is closed as soon as the client leaves; an upstream that fails
mid-stream ends the client's stream with an ``event: error`` (then a clean end), also when
only the connection's close ends its body and it closes in the middle of an event; the
client's ``Last-Event-ID`` is passed to the upstream; the response carries the headers that
stop proxies from buffering it. A big event is forwarded in the pieces it arrived in, never
copied whole.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar

from ._deps import require
from ._limits import check_limit
from ._server import (
    DEFAULT_BUFFER_SIZE,
    DEFAULT_PING,
    DEFAULT_SEND_TIMEOUT,
    EventStream,
    Item,
    OnError,
)

require("httpx", "httpx")

import httpx  # noqa: E402

from ssecodec import DEFAULT_MAX_EVENT_SIZE, Event, LimitExceeded  # noqa: E402

# The parts: _relay_pipeline (bytes in, bytes out; its decoding path is _relay_transform) and
# _relay_upstream (the upstream request and its body). Here: the options, and the two
# framework ends over one core (_relay).
from ._framing import FramingLimitExceeded  # noqa: E402
from ._relay_pipeline import relay_events  # noqa: E402
from ._relay_transform import Transform  # noqa: E402
from ._relay_upstream import (  # noqa: E402
    ERROR_BODY_LIMIT,
    UpstreamError,
    open_upstream,
    relay_upstream,
)

if TYPE_CHECKING:
    from aiohttp import web
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = [
    "ERROR_BODY_LIMIT",
    "RELAY_HEADERS",
    "FramingLimitExceeded",
    "RelayOptions",
    "Transform",
    "UpstreamError",
    "error_event",
    "open_upstream",
    "relay_aiohttp",
    "relay_events",
    "relay_starlette",
    "relay_upstream",
]

RELAY_HEADERS: Final[Mapping[str, str]] = {
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",
}
"""Headers of the relayed response (on top of ``Content-Type: text/event-stream``): no
caching, no transformation (compression) by intermediaries, no nginx buffering."""

_LOG = logging.getLogger("ssecodec.relay")


def error_event(exc: Exception) -> Event:
    """The default ``on_error``: an ``event: error`` whose data is an OpenAI-style JSON error.

    ``{"error": {"type": "upstream_error", "message": "..."}}`` for a network or protocol
    failure of the upstream (httpx's message), ``"upstream_limit"`` for an upstream event over
    ``max_event_size``, and ``"relay_error"`` (with only the exception's class name, so that
    internals do not leak) for anything else, e.g. a failing transform.
    """
    if isinstance(exc, LimitExceeded):
        kind, message = "upstream_limit", str(exc)
    elif isinstance(exc, (httpx.HTTPError, httpx.StreamError, OSError)):
        kind, message = "upstream_error", str(exc) or type(exc).__name__
    else:
        kind, message = "relay_error", type(exc).__name__
    data = json.dumps({"error": {"type": kind, "message": message}}, ensure_ascii=False)
    return Event(data, event="error")


@dataclasses.dataclass(frozen=True, kw_only=True)
class RelayOptions:
    """How :func:`relay_starlette` and :func:`relay_aiohttp` relay a stream.

    Make one once and pass it as ``options=``, or pass its fields as keyword arguments of
    those functions (keyword arguments given with ``options=`` replace its fields). The
    values are checked when the options are made, so a wrong one raises ``TypeError`` or
    ``ValueError`` before any upstream request is sent.

    Attributes:
        transform: a per-event transform (``Event -> Event | None``, sync or async); without
            one, events pass through undecoded (:func:`relay_events` says what is kept).
        comments: forward the upstream's comment lines (keep-alives); dropped by default.
        last_event_id: ``True`` (default) sends the client's ``Last-Event-ID`` header to the
            upstream; a string sends that; ``False`` or ``None`` sends none.
        max_event_size: the largest upstream event relayed, in bytes (``None``: no limit); a
            larger one ends the stream with an error event.
        buffer_size: how many bytes may wait for a slow client; the upstream is not read
            while they do (backpressure). Per stream the relay holds at most about this plus
            one upstream read plus one unfinished event (with a transform, also the event
            decoded and encoded again).
        ping: seconds without a write after which the relay sends ``: ping`` to the client
            (0 disables).
        send_timeout: a client that does not take a write for this long is dropped (and the
            upstream closed); ``None`` waits forever.
        on_error: turns an exception raised while relaying (the upstream failing mid-stream,
            an oversized event, a failing transform) into a last item for the client; the
            default :func:`error_event` sends ``event: error`` with a JSON body, then the
            stream ends cleanly. ``None`` drops the connection instead.
        response_headers: added to the response headers (the defaults are
            :data:`RELAY_HEADERS`).
    """

    # (No field may share a name with an httpx request argument: the relay functions tell
    # the two apart by name.)
    transform: Transform | None = None
    comments: bool = False
    last_event_id: bool | str | None = True
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE
    buffer_size: int = DEFAULT_BUFFER_SIZE
    ping: float = DEFAULT_PING
    send_timeout: float | None = DEFAULT_SEND_TIMEOUT
    on_error: OnError | None = error_event
    response_headers: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        for name in ("transform", "on_error"):
            value = getattr(self, name)
            if value is not None and not callable(value):
                raise TypeError(f"{name} must be callable or None, not {type(value).__name__}")
        if self.last_event_id is not None and not isinstance(self.last_event_id, (bool, str)):
            raise TypeError(
                "last_event_id must be a bool, a str or None, not "
                + type(self.last_event_id).__name__
            )
        check_limit("max_event_size", self.max_event_size)
        if self.response_headers is not None and not isinstance(self.response_headers, Mapping):
            raise TypeError(
                "response_headers must be a mapping or None, not "
                + type(self.response_headers).__name__
            )
        # The server engine checks its own options, as the response will: a stream never run.
        EventStream(
            (), ping=self.ping, send_timeout=self.send_timeout, buffer_size=self.buffer_size
        )


_OPTION_NAMES: Final = frozenset(field.name for field in dataclasses.fields(RelayOptions))
_DEFAULTS: Final = RelayOptions()


def _options(options: RelayOptions | None, kwargs: dict[str, Any]) -> RelayOptions:
    """``options`` (or the defaults) with the options among ``kwargs`` (taken out) on top."""
    if options is not None and not isinstance(options, RelayOptions):
        raise TypeError(f"options must be a RelayOptions, not {type(options).__name__}")
    given = {name: kwargs.pop(name) for name in _OPTION_NAMES.intersection(kwargs)}
    base = _DEFAULTS if options is None else options
    return dataclasses.replace(base, **given) if given else base


def _failure(exc: Exception) -> tuple[int, dict[str, str], bytes]:
    """The plain HTTP answer for an upstream that could not be opened."""
    if isinstance(exc, UpstreamError) and exc.status_code >= 400:
        headers = {"Content-Type": exc.content_type or "application/octet-stream"}
        retry_after = exc.headers.get("retry-after")
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        return exc.status_code, headers, exc.body
    if isinstance(exc, httpx.TimeoutException):
        status, message = 504, f"upstream timed out ({type(exc).__name__})"
    elif isinstance(exc, UpstreamError):
        status, message = 502, "upstream did not answer with an event stream"
    else:
        status, message = 502, f"upstream unreachable ({type(exc).__name__}: {exc})"
    body = json.dumps({"error": {"type": "upstream_error", "message": message}}).encode()
    return status, {"Content-Type": "application/json"}, body


def _last_event_id(option: bool | str | None, headers: Mapping[str, str]) -> str | None:
    if option is True:
        return headers.get("last-event-id") or None
    if isinstance(option, str):
        return option or None
    return None


def _logged(on_error: OnError | None) -> OnError | None:
    if on_error is None:
        return None

    def handle(exc: Exception) -> Item | None:
        if isinstance(exc, (httpx.HTTPError, httpx.StreamError, OSError, LimitExceeded)):
            _LOG.warning("upstream stream failed: %s: %s", type(exc).__name__, exc)
        else:
            _LOG.error("relay failed", exc_info=exc)
        return on_error(exc)

    return handle


def _response_headers(extra: Mapping[str, str] | None) -> dict[str, str]:
    headers = dict(RELAY_HEADERS)
    if extra:
        lower = {name.lower() for name in extra}
        headers = {k: v for k, v in headers.items() if k.lower() not in lower}
        headers.update(extra)
    return headers


_R = TypeVar("_R")


async def _relay(
    stream: Callable[..., _R],
    plain: Callable[[int, dict[str, str], bytes], _R],
    request_headers: Mapping[str, str],
    client: httpx.AsyncClient,
    method: str,
    url: httpx.URL | str,
    options: RelayOptions | None,
    kwargs: dict[str, Any],
) -> _R:
    """The relay functions, with the framework's ``EventSourceResponse`` (``stream``) and a
    maker of its plain responses (``plain(status, headers, body)``)."""
    relay = _options(options, kwargs)
    resume = _last_event_id(relay.last_event_id, request_headers)
    try:
        upstream = await open_upstream(client, method, url, last_event_id=resume, **kwargs)
    except (UpstreamError, httpx.HTTPError) as exc:
        _LOG.warning("could not open the upstream stream: %s", exc)
        return plain(*_failure(exc))
    return stream(
        relay_upstream(
            upstream,
            transform=relay.transform,
            comments=relay.comments,
            max_event_size=relay.max_event_size,
        ),
        headers=_response_headers(relay.response_headers),
        ping=relay.ping,
        send_timeout=relay.send_timeout,
        on_error=_logged(relay.on_error),
        buffer_size=relay.buffer_size,
    )


async def relay_starlette(
    request: Request,
    client: httpx.AsyncClient,
    method: str,
    url: httpx.URL | str,
    *,
    options: RelayOptions | None = None,
    **kwargs: Any,
) -> Response:
    """Open ``method url`` with ``client`` and relay its event stream as a Starlette response.

    Return the result from a Starlette or FastAPI endpoint. The request is sent here (so an
    upstream that cannot be opened gives a plain HTTP answer, below); the events are relayed
    when the response is sent.

    Args:
        request: the client's request (for its ``Last-Event-ID``).
        client: the ``httpx.AsyncClient`` for the upstream. Streams may pause for long, so
            give it no read timeout, e.g. ``httpx.Timeout(10, read=None)``, or one longer
            than the upstream's keep-alive interval.
        method, url: the upstream request.
        options: how to relay (:class:`RelayOptions`); the defaults if not given.
        kwargs: the fields of :class:`RelayOptions` (``transform=``, ``comments=``,
            ``last_event_id=``, ``max_event_size=``, ``buffer_size=``, ``ping=``,
            ``send_timeout=``, ``on_error=``, ``response_headers=``), over those of
            ``options``; the other keyword arguments (``json``, ``content``, ``params``,
            ``headers``, ``timeout``, ``auth``, ...) go with the upstream request to httpx.

    Returns:
        A :class:`ssecodec.starlette.EventSourceResponse`; or, when the upstream could not be
        opened, a plain response: the upstream's own status, ``Content-Type``, body (up to
        :data:`ERROR_BODY_LIMIT`) and ``Retry-After`` if it answered with an error status;
        otherwise ``502`` (unreachable, or not an event stream) or ``504`` (timed out) with a
        JSON error body.

    Raises:
        TypeError, ValueError: an option is invalid (raised before the upstream request).
    """
    from starlette.responses import Response as PlainResponse

    from .starlette import EventSourceResponse

    def plain(status: int, headers: dict[str, str], body: bytes) -> Response:
        return PlainResponse(body, status_code=status, headers=headers)

    return await _relay(
        EventSourceResponse, plain, request.headers, client, method, url, options, kwargs
    )


async def relay_aiohttp(
    request: web.Request,
    client: httpx.AsyncClient,
    method: str,
    url: httpx.URL | str,
    *,
    options: RelayOptions | None = None,
    **kwargs: Any,
) -> web.StreamResponse:
    """:func:`relay_starlette` for ``aiohttp.web``: return the result from a handler.

    The arguments and the behaviour are the same. It returns a
    :class:`ssecodec.aiohttp.EventSourceResponse`, or a plain ``web.Response`` when the
    upstream could not be opened.
    """
    from aiohttp import web

    from .aiohttp import EventSourceResponse

    def plain(status: int, headers: dict[str, str], body: bytes) -> web.StreamResponse:
        return web.Response(status=status, headers=headers, body=body)

    return await _relay(
        EventSourceResponse, plain, request.headers, client, method, url, options, kwargs
    )
