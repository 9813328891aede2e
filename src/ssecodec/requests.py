"""Server-sent events over requests: :func:`iter_events`.

Install with ``pip install 'ssecodec[requests]'``::

    import requests
    from ssecodec.requests import iter_events

    with requests.get(url, stream=True, headers={"Accept": "text/event-stream"}) as response:
        for event in iter_events(response):
            print(event.event, event.data)

Pass ``stream=True``, or requests reads the whole (endless) body before returning.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._deps import require
from ._http import BODY_PREVIEW, NotEventStreamError, is_event_stream

require("requests", "requests")

import requests  # noqa: E402

from ssecodec import Event  # noqa: E402
from ssecodec import iter_events as _iter_events  # noqa: E402

__all__ = ["SSEError", "iter_events"]

_READ_SIZE = 64 * 1024


class SSEError(NotEventStreamError, requests.RequestException):
    """The response is not an event stream (wrong ``Content-Type``).

    Both an :class:`ssecodec.SSEError` and a ``requests.RequestException`` (``.response`` is
    set). The message shows the status and the start of the body.

    Attributes:
        status_code: the HTTP status code.
        content_type: the ``Content-Type`` header, or ``None``.
        body: the first bytes of the body (up to 512).
    """


def _chunks(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives (not in fixed-size blocks, which would delay events)."""
    raw = response.raw
    if getattr(raw, "chunked", False) or not hasattr(raw, "read1"):
        # Chunked transfer: urllib3 hands over each HTTP chunk as it is read.
        yield from response.iter_content(chunk_size=None)
        return
    try:
        while True:
            chunk = raw.read1(_READ_SIZE, decode_content=True)
            if not chunk:
                return
            yield chunk
    except Exception as exc:
        # Translate urllib3's errors like iter_content does.
        from urllib3.exceptions import HTTPError as _Urllib3Error

        if isinstance(exc, _Urllib3Error):
            raise requests.exceptions.ConnectionError(exc) from exc
        raise


def _read_preview(response: requests.Response) -> bytes:
    if getattr(response, "_content_consumed", False):
        return (response.content or b"")[:BODY_PREVIEW]
    buf = bytearray()
    try:
        for chunk in _chunks(response):
            buf += chunk
            if len(buf) >= BODY_PREVIEW:
                break
    except requests.RequestException:
        pass
    return bytes(buf[:BODY_PREVIEW])


def iter_events(
    response: requests.Response, *, check_content_type: bool = True, **decoder_options: Any
) -> Iterator[Event]:
    """Yield the events of a streamed ``requests`` response as they arrive.

    Args:
        response: from ``requests.get(..., stream=True)`` (or ``Session.request``).
        check_content_type: raise :class:`SSEError` unless the response's ``Content-Type`` is
            ``text/event-stream``.
        decoder_options: ``max_line_size`` / ``max_event_size`` for :class:`ssecodec.Decoder`.

    At the end of the body an unfinished event is discarded (spec). The response is not
    closed; use it as a context manager.

    Raises (when iterating):
        SSEError: wrong content type; the message shows the status and the start of the body.
        LimitExceeded: a line or event went over a decoder limit.
        requests.RequestException: network errors, as requests raises them.
    """
    content_type = response.headers.get("Content-Type")
    if check_content_type and not is_event_stream(content_type):
        return _refused(response, content_type)
    # The core's iterator itself: a generator around it would add a resumption per event.
    return _iter_events(_chunks(response), **decoder_options)


def _refused(response: requests.Response, content_type: str | None) -> Iterator[Event]:
    """Raise :class:`SSEError` at the first ``next()``, where the events would have come."""
    raise SSEError.for_response(
        response.status_code,
        response.reason,
        content_type,
        _read_preview(response),
        response=response,
    )
    yield  # a generator, like the core's iter_events
