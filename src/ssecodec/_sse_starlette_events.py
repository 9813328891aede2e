"""sse-starlette's event classes, written with ssecodec's encoder (the public names are in
:mod:`ssecodec.sse_starlette`).

The bytes are sse-starlette's: fields in its order (comment, ``id``, ``event``, ``data``,
``retry``), its separator, ``str()`` of a non-str ``data``, CR and LF removed from ``id`` and
``event``. ssecodec's encoder writes LF only and no value it writes can hold CR or LF, so
replacing LF by the separator in its output is safe. What ssecodec refuses stays refused: an
``id`` containing NUL, a negative or bool ``retry``, a separator other than CRLF, CR or LF.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final

from ssecodec import Event, encode

__all__ = [
    "SEPARATORS",
    "JSONServerSentEvent",
    "ServerSentEvent",
    "encode_fields",
    "ensure_bytes",
    "item_encoder",
]

SEPARATORS: Final = {"\r\n": b"\r\n", "\n": b"\n", "\r": b"\r"}
"""The line separators sse-starlette allows, and their bytes."""

_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")
_DICT_KEYS: Final = frozenset({"data", "event", "id", "retry", "comment", "sep"})


def _check_sep(sep: str) -> None:
    if sep not in SEPARATORS:
        raise ValueError(f"sep must be one of: \\r\\n, \\r, \\n, got: {sep}")


def _one_line(value: str) -> str:
    """sse-starlette removes CR and LF from ``id`` and ``event``."""
    if "\r" in value or "\n" in value:
        return _LINE_BREAK.sub("", value)
    return value


def encode_fields(data: Any, event: Any, id: Any, retry: Any, comment: Any, sep: str) -> bytes:
    """Encode one event as sse-starlette's ``ServerSentEvent.encode`` does, with ssecodec's
    checks (see the module docstring); ``sep`` must be a key of :data:`SEPARATORS`.

    Raises:
        TypeError: ``retry`` is not an int ("retry argument must be int"), ``id`` or
            ``event`` is not a str, or ssecodec refuses a bool ``retry``.
        ValueError: ``id`` contains NUL, ``retry`` is negative, a value holds a lone
            surrogate, or ``str(data)`` raised it.
    """
    if comment is None and retry is None and event is None:  # the common case, in one call
        if data is not None and data.__class__ is not str:
            data = str(data)
        try:
            out = encode(data, id=id)
        except ValueError:  # CR or LF in the id (removed), or an error raised again below
            return _encode_fields(data, event, id, retry, comment, sep)
        return out if sep == "\n" else out.replace(b"\n", SEPARATORS[sep])
    return _encode_fields(data, event, id, retry, comment, sep)


def _encode_fields(data: Any, event: Any, id: Any, retry: Any, comment: Any, sep: str) -> bytes:
    head = b""
    if comment is not None:
        head = b"".join(
            [b": " + line.encode("utf-8") + b"\n" for line in _LINE_BREAK.split(str(comment))]
        )
    if id is not None:
        id = _one_line(id)
    if event is not None:
        event = _one_line(event)
    if data is not None and data.__class__ is not str:
        data = str(data)
    if retry is not None and not isinstance(retry, int):
        raise TypeError("retry argument must be int")
    if event is None or (event and id is None):
        out = encode(data, event=event, id=id)  # ssecodec's field order is sse-starlette's here
    else:  # id before event; an empty event still gets its line
        out = b"event: " + event.encode("utf-8") + b"\n" + encode(data)
        if id is not None:
            out = encode(None, id=id)[:-1] + out
    if retry is not None:  # after the data
        out = out[:-1] + encode(None, retry=retry)
    if head:
        out = head + out
    return out if sep == "\n" else out.replace(b"\n", SEPARATORS[sep])


class ServerSentEvent:
    """One event, as sse-starlette's ``ServerSentEvent``: give any of the fields, read or
    change them as attributes, and :meth:`encode` it.

    Args:
        data: sent as ``str(data)``, one ``data:`` line per line; ``None`` sends no data.
        event: the event type (CR and LF are removed).
        id: the event id (CR and LF are removed; NUL is refused when encoding).
        retry: the reconnection time in milliseconds, a non-negative int.
        comment: comment lines, written first.
        sep: the line separator, ``"\\r\\n"`` (the default), ``"\\n"`` or ``"\\r"``.

    Raises:
        ValueError: ``sep`` is another string.
    """

    __module__ = "ssecodec.sse_starlette"

    _LINE_SEP_EXPR = _LINE_BREAK
    DEFAULT_SEPARATOR = "\r\n"

    def __init__(
        self,
        data: Any | None = None,
        *,
        event: str | None = None,
        id: str | None = None,
        retry: int | None = None,
        comment: str | None = None,
        sep: str | None = None,
    ) -> None:
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry
        self.comment = comment
        if sep is None:
            sep = self.DEFAULT_SEPARATOR
        elif sep not in SEPARATORS:
            _check_sep(sep)
        self._sep = sep

    def encode(self) -> bytes:
        """The event's bytes: comment lines, ``id``, ``event``, ``data`` lines, ``retry``, in
        that order, each line ended by the separator, then an empty line.

        Raises:
            TypeError: ``retry`` is not an int (``"retry argument must be int"``) or is a
                bool; ``id`` or ``event`` is not a str.
            ValueError: ``id`` contains NUL, ``retry`` is negative, or a value holds a lone
                surrogate.
        """
        return encode_fields(self.data, self.event, self.id, self.retry, self.comment, self._sep)


class JSONServerSentEvent(ServerSentEvent):
    """A :class:`ServerSentEvent` whose ``data`` is sent as compact JSON (``json.dumps`` with
    ``ensure_ascii=False``, ``allow_nan=False`` and no spaces), as sse-starlette's.

    Raises:
        TypeError: ``data`` is not JSON-serialisable.
        ValueError: ``data`` holds NaN or an infinity.
    """

    __module__ = "ssecodec.sse_starlette"

    def __init__(self, data: Any | None = None, *args: Any, **kwargs: Any) -> None:
        if data is not None:
            data = json.dumps(
                data, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
            )
        super().__init__(data, *args, **kwargs)


def ensure_bytes(data: Any, sep: str) -> bytes:
    """What sse-starlette sends for one item of a stream: ``bytes`` and ``memoryview`` as they
    are, a :class:`ServerSentEvent` encoded (with its own separator), a dict as the keyword
    arguments of a :class:`ServerSentEvent` with separator ``sep``, anything else as the
    ``data`` of one (``str(item)``).

    Raises:
        TypeError: a dict has a key that is not a :class:`ServerSentEvent` argument, or see
            :meth:`ServerSentEvent.encode`.
        ValueError: see :meth:`ServerSentEvent.encode`.
    """
    if isinstance(data, (bytes, memoryview)):
        return bytes(data)
    if isinstance(data, ServerSentEvent):
        return data.encode()
    if isinstance(data, dict):
        return ServerSentEvent(**{**data, "sep": sep}).encode()
    return ServerSentEvent(str(data), sep=sep).encode()


def item_encoder(sep: str) -> Callable[[Any], bytes]:
    """:func:`ensure_bytes` with separator ``sep``, its common cases inlined, plus one
    addition: an :class:`ssecodec.Event` is sent as ssecodec encodes it (with ``sep``)."""
    _check_sep(sep)
    sep_bytes = SEPARATORS[sep]

    def encode_item(item: Any) -> bytes:
        cls = item.__class__
        if cls is ServerSentEvent:  # encode_fields' common case, written out
            own = item._sep
            data = item.data
            if item.comment is None and item.retry is None and item.event is None:
                if data is not None and data.__class__ is not str:
                    data = str(data)
                try:
                    out = encode(data, id=item.id)
                except ValueError:
                    return _encode_fields(data, None, item.id, None, None, own)
                return out if own == "\n" else out.replace(b"\n", SEPARATORS[own])
            return _encode_fields(data, item.event, item.id, item.retry, item.comment, own)
        if cls is dict:
            if item.keys() <= _DICT_KEYS:
                get = item.get
                return encode_fields(
                    get("data"), get("event"), get("id"), get("retry"), get("comment"), sep
                )
        elif cls is str:
            out = encode(item)
            return out if sep == "\n" else out.replace(b"\n", sep_bytes)
        elif cls is Event:
            out = item.encode()
            assert isinstance(out, bytes)
            return out if sep == "\n" else out.replace(b"\n", sep_bytes)
        return ensure_bytes(item, sep)

    return encode_item
