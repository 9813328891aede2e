"""What the server integrations and ``python -m ssecodec encode`` turn into events: one
conversion of items and field mappings to the bytes of :func:`ssecodec.encode`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from ssecodec import Event, encode

__all__ = ["FIELDS", "encode_fields", "to_bytes"]

FIELDS: Final = frozenset({"data", "event", "id", "retry", "comment"})
"""The keys of a field mapping: the arguments of :func:`ssecodec.encode`."""


def encode_fields(fields: Mapping[str, Any]) -> bytes:
    """Encode a mapping with some of the keys :data:`FIELDS`; a ``data`` value that is not
    ``str`` or bytes is written as compact JSON (``{"data": {"a": 1}}`` gives
    ``data: {"a":1}``).

    Raises:
        TypeError: a key is not one of :data:`FIELDS`, or a field has the wrong type.
        ValueError: a field is invalid (see :func:`ssecodec.encode`).
    """
    unknown = set(fields) - FIELDS
    if unknown:
        raise TypeError(
            f"unknown SSE field(s) {sorted(map(str, unknown))}; expected some of {sorted(FIELDS)}"
        )
    data = fields.get("data")
    if data is not None and not isinstance(data, (str, bytes, bytearray, memoryview)):
        data = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    elif isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    return encode(
        data,
        event=fields.get("event"),
        id=fields.get("id"),
        retry=fields.get("retry"),
        comment=fields.get("comment"),
    )


def to_bytes(item: object) -> bytes:
    """Encode one producer item (see :data:`ssecodec._server.Item`) to the bytes sent on the
    wire: an :class:`~ssecodec.Event`, a field mapping (:func:`encode_fields`), a ``str`` (the
    data of a ``message`` event), or bytes, sent as they are.

    Raises:
        TypeError: the item is of another type, or a mapping has an unknown key.
        ValueError: a field is invalid (see :func:`ssecodec.encode`).
    """
    if isinstance(item, Event):
        return item.encode()
    if isinstance(item, bytes):
        return item
    if isinstance(item, (bytearray, memoryview)):
        return bytes(item)
    if isinstance(item, str):
        return encode(item)
    if isinstance(item, Mapping):
        return encode_fields(item)
    raise TypeError("an event stream yields Event, dict, str or bytes, not " + type(item).__name__)
