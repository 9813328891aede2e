"""The hub's aiohttp.web end: :class:`HubResponse`.

::

    async def prices(request: web.Request) -> web.StreamResponse:
        return HubResponse(hub, request, "prices")    # or hub.response(request, "prices")

    app.on_shutdown.append(ssecodec.aiohttp.on_shutdown)  # end open streams on shutdown
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..aiohttp import EventSourceResponse
from ._response import HubResponseMixin

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["HubResponse", "last_event_id"]


def last_event_id(request: web.BaseRequest) -> str | None:
    """The client's position: its ``Last-Event-ID`` header, else a ``last_event_id`` query
    parameter (for clients that cannot set headers), else ``None``."""
    return request.headers.get("Last-Event-ID") or request.query.get("last_event_id")


class HubResponse(HubResponseMixin["web.BaseRequest"], EventSourceResponse):
    """An ``aiohttp.web`` event-stream response that subscribes the client to one channel.

    What :class:`ssecodec.aiohttp.EventSourceResponse` does (keep-alive pings, disconnect
    detection, send timeout, ``on_shutdown``, the caching headers) applies. The client resumes
    from ``last_event_id`` if given, else from :func:`last_event_id` of the request. Other
    keyword arguments (``ping``, ``send_timeout``, ``status``, ...) go to
    ``EventSourceResponse``.
    """

    _position = staticmethod(last_event_id)
