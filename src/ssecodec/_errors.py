"""Exceptions shared by both twins, so ``except ssecodec.LimitExceeded`` works whichever runs.

They are defined here and exported by :mod:`ssecodec`; ``__module__`` names that public home, so
tracebacks and reprs show ``ssecodec.LimitExceeded`` (the name to import and catch), and pickle
finds the classes there.
"""

from __future__ import annotations

from typing import Any


class SSEError(Exception):
    """Base class of every error ssecodec raises on purpose."""

    __module__ = "ssecodec"


class LimitExceeded(SSEError, ValueError):
    """A line or an event grew past a limit configured on the :class:`Decoder`.

    The decoder stays usable: it has dropped the oversized event and skips everything up to the
    next blank line, then decodes normally. ``feed()`` always consumes its whole argument first,
    so no event is lost: :attr:`events` holds every event that chunk completed, in order (those
    before the oversized one and those after it).

    Attributes:
        limit_name: ``"max_line_size"`` or ``"max_event_size"``.
        limit: the configured limit, in bytes.
        size: the size that crossed it, in bytes (for a line still arriving, the bytes seen so
            far).
        events: the events the failing ``feed()`` call completed.
    """

    __module__ = "ssecodec"

    def __init__(
        self,
        message: str = "",
        *,
        limit_name: str = "",
        limit: int = 0,
        size: int = 0,
        events: list[Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.limit_name = limit_name
        self.limit = limit
        self.size = size
        self.events: list[Any] = [] if events is None else events


class SendTimeout(SSEError, TimeoutError):
    """One write to the client took longer than ``send_timeout`` seconds.

    Raised by the server responses of :mod:`ssecodec.starlette` and :mod:`ssecodec.aiohttp`
    (both export it). The client stopped reading (or the network stalled). The producer has been
    stopped and its cleanup has run; the exception then propagates so that the server drops the
    connection.
    """

    __module__ = "ssecodec"


def limit_exceeded(limit_name: str, limit: int, size: int, events: list[Any]) -> LimitExceeded:
    """Build the exception both twins raise, with one wording."""
    what = "line" if limit_name == "max_line_size" else "event data"
    return LimitExceeded(
        f"SSE {what} exceeds {limit_name}: {size} > {limit} bytes",
        limit_name=limit_name,
        limit=limit,
        size=size,
        events=events,
    )
