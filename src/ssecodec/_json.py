"""JSON decoding for ``Event.json()``: orjson when importable, else the standard library."""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None  # type: ignore[assignment]


def loads(text: str) -> Any:
    """Decode ``text`` as JSON; raises a ``ValueError`` subclass when it is not JSON."""
    if orjson is not None:
        return orjson.loads(text)
    return json.loads(text)
