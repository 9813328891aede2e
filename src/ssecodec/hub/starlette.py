"""The hub's Starlette/FastAPI end: :class:`HubResponse`.

::

    @app.get("/prices")
    async def prices(request: Request):
        return HubResponse(hub, request, "prices")    # or hub.response(request, "prices")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..starlette import EventSourceResponse
from ._response import HubResponseMixin

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = ["HubResponse", "last_event_id"]


def last_event_id(request: Request) -> str | None:
    """The client's position: its ``Last-Event-ID`` header, else a ``last_event_id`` query
    parameter (for clients that cannot set headers), else ``None``."""
    return request.headers.get("last-event-id") or request.query_params.get("last_event_id")


class HubResponse(HubResponseMixin["Request"], EventSourceResponse):
    """A ``text/event-stream`` response that subscribes the client to one channel of ``hub``.

    Everything :class:`ssecodec.starlette.EventSourceResponse` does (keep-alive pings,
    disconnect detection, send timeout, shutdown with ``close_all_streams``, the
    ``Cache-Control``/``X-Accel-Buffering`` headers) applies. The client resumes from
    ``last_event_id`` if given, else from :func:`last_event_id` of the request. Other keyword
    arguments (``ping``, ``send_timeout``, ``status_code``, ...) go to ``EventSourceResponse``.
    """

    _position = staticmethod(last_event_id)
