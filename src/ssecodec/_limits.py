"""Decoder limits: defaults and validation, shared by both twins.

The defaults let a 16 MiB binary image sent as one base64 ``data:`` line through (base64
makes it 22.4 MB, under 32 MiB), while bounding what one stream can make the decoder hold:
at most ``max_line_size`` bytes of an unfinished line plus ``max_event_size`` bytes of data
for the event being assembled.
"""

from __future__ import annotations

DEFAULT_MAX_LINE_SIZE = 32 * 1024 * 1024
"""Longest line (bytes, without its terminator) the decoder accepts by default: 32 MiB."""

DEFAULT_MAX_EVENT_SIZE = 64 * 1024 * 1024
"""Largest event data (bytes of ``data`` values plus one per line) accepted by default: 64 MiB."""


def check_limit(name: str, value: object) -> int | None:
    """Return ``value`` if it is a valid limit (``None`` or an int >= 1), else raise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int or None, not {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1 or None, not {value}")
    return int(value)
