"""Response checks shared by the client integrations."""

from __future__ import annotations

from typing import Final

EVENT_STREAM: Final = "text/event-stream"
BODY_PREVIEW: Final = 512
"""How many bytes of an unexpected response body an error message shows."""


def is_event_stream(content_type: str | None) -> bool:
    """True if the MIME type essence of ``content_type`` is ``text/event-stream``."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() == EVENT_STREAM


def describe_response(
    status: int, reason: str | None, content_type: str | None, body: bytes, problem: str
) -> str:
    """An error message naming the problem, the status and the start of the body."""
    preview = body[:BODY_PREVIEW].decode("utf-8", "replace")
    more = "..." if len(body) > BODY_PREVIEW else ""
    status_text = f"HTTP {status} {reason}" if reason else f"HTTP {status}"
    return (
        f"{problem}: got {status_text}, Content-Type {content_type!r}, "
        f"body starts {preview!r}{more}"
    )


def wrong_content_type(
    status: int, reason: str | None, content_type: str | None, body: bytes
) -> str:
    """The error message for a response that is not an event stream."""
    return describe_response(
        status,
        reason,
        content_type,
        body,
        "Expected response header Content-Type to be 'text/event-stream'",
    )
