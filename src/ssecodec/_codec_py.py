"""Pure-Python reference twin of the ssecodec core.

A direct transcription of the WHATWG "Parsing an event stream" and "Interpreting an event
stream" algorithms (rules R1-R24 of ``docs/spec.md`` are cited inline). It is the oracle
that the Cython twin (``_codec_c.pyx``) is differentially tested against, so clarity beats
speed here.

Bytes are split into lines *before* decoding: CR, LF and ``:`` are ASCII and never occur inside a
multi-byte UTF-8 sequence, so decoding each slice with ``"replace"`` gives exactly the characters
that decoding the whole stream would (R3).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, Final, TypeGuard

from ._errors import LimitExceeded, SSEError, limit_exceeded
from ._json import loads as _json_loads
from ._limits import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE, check_limit
from ._numbers import int_repr, is_retry_int, parse_retry, retry_text

__all__ = [
    "Decoder",
    "Event",
    "aiter_events",
    "encode",
    "encode_comment",
    "encode_many",
    "iter_events",
]

_BOM: Final = b"\xef\xbb\xbf"
_TEXT_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")
_BYTES_LINE_BREAK: Final = re.compile(rb"\r\n|\r|\n")
_CR: Final = 0x0D
_LF: Final = 0x0A
_COLON: Final = 0x3A


class Event:
    """One server-sent event: an immutable value.

    Args:
        data: the event's data (``data`` lines joined with LF).
        event: the event type; ``"message"`` when the stream named none.
        id: for decoded events, the last event ID at dispatch (``""`` if never set). When
            encoding, ``None`` writes no ``id`` line and ``""`` writes an explicit reset.
        retry: the reconnection time (ms) given inside this event's block, else ``None``.

    Events compare equal (and hash alike) when all four fields are equal.
    """

    __slots__ = ("data", "event", "id", "retry")
    __match_args__ = ("data", "event", "id", "retry")

    data: str
    event: str
    id: str | None
    retry: int | None

    def __init__(
        self,
        data: str = "",
        *,
        event: str = "message",
        id: str | None = None,
        retry: int | None = None,
    ) -> None:
        if not _is_str(data):
            raise TypeError(f"Event data must be str, not {type(data).__name__}")
        if not _is_str(event):
            raise TypeError(f"Event event must be str, not {type(event).__name__}")
        if id is not None and not _is_str(id):
            raise TypeError(f"Event id must be str or None, not {type(id).__name__}")
        if retry is not None and not is_retry_int(retry):
            raise TypeError(f"Event retry must be int or None, not {type(retry).__name__}")
        # Subclasses (StrEnum, IntEnum, anything overriding __str__ or __eq__) are stored as
        # their exact str / int value, so an Event behaves and encodes like its plain twin.
        _set_data(self, data if type(data) is str else str.__str__(data))
        _set_event(self, event if type(event) is str else str.__str__(event))
        _set_id(self, id if id is None or type(id) is str else str.__str__(id))
        _set_retry(self, retry if retry is None or type(retry) is int else int.__index__(retry))

    def __init_subclass__(cls, **kwargs: Any) -> None:
        raise TypeError("Event cannot be subclassed")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Event is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Event is immutable; cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not Event:
            return NotImplemented
        return (
            self.data == other.data
            and self.event == other.event
            and self.id == other.id
            and self.retry == other.retry
        )

    def __hash__(self) -> int:
        return hash((self.data, self.event, self.id, self.retry))

    def __repr__(self) -> str:
        return (
            f"Event(data={self.data!r}, event={self.event!r}, id={self.id!r}, "
            f"retry={int_repr(self.retry)})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_event, (self.data, self.event, self.id, self.retry))

    def json(self) -> Any:
        """Decode :attr:`data` as JSON (with orjson when it is installed).

        Raises ``json.JSONDecodeError`` (a ``ValueError``) when the data is not JSON.
        """
        return _json_loads(self.data)

    def encode(self) -> bytes:
        """Encode this event as one SSE block; the inverse of decoding it.

        Same as ``encode(self.data, event=..., id=self.id, retry=self.retry)``, with no
        ``event`` line for the default type ``"message"``.
        """
        return encode(
            self.data,
            event=None if self.event == "message" else self.event,
            id=self.id,
            retry=self.retry,
        )


# The slot descriptors' setters bypass Event.__setattr__ (which refuses every assignment).
_set_data = Event.__dict__["data"].__set__
_set_event = Event.__dict__["event"].__set__
_set_id = Event.__dict__["id"].__set__
_set_retry = Event.__dict__["retry"].__set__


def _make_event(data: str, event: str, id: str | None, retry: int | None) -> Event:
    """Build an Event without argument checking (the decoder's values are always valid)."""
    obj = object.__new__(Event)
    _set_data(obj, data)
    _set_event(obj, event)
    _set_id(obj, id)
    _set_retry(obj, retry)
    return obj


def _rebuild_event(data: str, event: str, id: str | None, retry: int | None) -> Event:
    return Event(data, event=event, id=id, retry=retry)


def _as_bytes(data: object) -> bytes:
    if type(data) is bytes:
        return data
    if isinstance(data, str):
        raise TypeError("feed() takes bytes, bytearray or memoryview, not str (encode it first)")
    try:
        return memoryview(data).tobytes()  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            f"feed() takes bytes, bytearray or memoryview, not {type(data).__name__}"
        ) from None


class Decoder:
    """Incremental ``text/event-stream`` decoder: feed it bytes, get back events.

    One decoder per stream. It never does I/O (sans-I/O, like ``h11.Connection``) and is not
    thread-safe: use it from one thread at a time.

    Args:
        max_line_size: longest line accepted, in bytes without its terminator
            (default :data:`DEFAULT_MAX_LINE_SIZE`, 32 MiB). ``None`` disables the limit.
        max_event_size: largest event data accepted, counted as the bytes of its ``data``
            values plus one per ``data`` line (default :data:`DEFAULT_MAX_EVENT_SIZE`,
            64 MiB). ``None`` disables the limit.

    The defaults let a 16 MiB image sent base64-encoded on one ``data:`` line through while
    bounding memory per stream to about ``max_line_size + max_event_size``.

    When a limit is crossed, the event being assembled is dropped, everything up to the next
    blank line is skipped (the decoder resynchronises there), the rest of the chunk is still
    decoded, and then :class:`LimitExceeded` is raised with ``.events`` holding every event
    that chunk completed. The decoder can keep being fed afterwards.
    """

    __slots__ = (
        "_block_retry",
        "_bom_prefix",
        "_closed",
        "_data",
        "_discarding",
        "_event_type",
        "_id_buffer",
        "_last_event_id",
        "_line",
        "_max_event_size",
        "_max_line_size",
        "_pending_cr",
        "_retry",
        "_skip_line",
        "_violation",
    )

    def __init__(
        self,
        *,
        max_line_size: int | None = DEFAULT_MAX_LINE_SIZE,
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    ) -> None:
        self._max_line_size = check_limit("max_line_size", max_line_size)
        self._max_event_size = check_limit("max_event_size", max_event_size)
        # Bytes seen so far that may still turn out to be a leading BOM; None once decided (R2).
        self._bom_prefix: bytes | None = b""
        # The unfinished line, across chunk ends. A bytearray, not a list of the chunks' slices:
        # with tiny chunks a list costs ~60 bytes of objects per byte kept.
        self._line = bytearray()
        self._pending_cr = False  # the last chunk ended in CR: a leading LF is its pair (R7)
        self._skip_line = False  # the unfinished line is over the limit: drop its bytes
        self._discarding = False  # drop every line up to the next blank line
        # The data buffer (R14): each data value followed by LF, as raw bytes. Its length is what
        # max_event_size counts; a bytearray keeps memory at that size even for tiny lines.
        self._data = bytearray()
        self._event_type = ""
        self._id_buffer = ""
        self._last_event_id = ""
        self._retry: int | None = None
        self._block_retry: int | None = None
        self._closed = False
        self._violation: tuple[str, int, int] | None = None

    @property
    def last_event_id(self) -> str:
        """The last event ID string as of the latest blank line (R18); ``""`` if none.

        This is what a reconnecting client sends as ``Last-Event-ID``.
        """
        return self._last_event_id

    @property
    def retry(self) -> int | None:
        """The latest valid ``retry`` value seen (R16), in milliseconds; ``None`` if none."""
        return self._retry

    def feed(self, data: bytes | bytearray | memoryview, /) -> list[Event]:
        """Decode the next chunk of the stream and return the events it completed.

        Chunks may split the stream anywhere (inside CRLF, a BOM or a UTF-8 character): the
        result depends only on the concatenated bytes. A CR ending the chunk ends its line at
        once, so an event whose blank line ends in CR is returned by this call.

        Raises:
            TypeError: ``data`` is not bytes-like.
            LimitExceeded: a limit was crossed; see the class docstring. The exception's
                ``events`` attribute holds the events this chunk completed.
            SSEError: the decoder was closed.
        """
        if self._closed:
            raise SSEError("feed() called after close()")
        buf = _as_bytes(data)
        if self._bom_prefix is not None:
            buf = self._bom_prefix + buf
            if len(buf) < len(_BOM) and _BOM.startswith(buf):
                self._bom_prefix = buf  # could still be a BOM split across chunks (R2)
                return []
            self._bom_prefix = None
            if buf.startswith(_BOM):
                buf = buf[len(_BOM) :]

        events: list[Event] = []
        pos = 0
        end_of_chunk = len(buf)
        if self._pending_cr and end_of_chunk:
            self._pending_cr = False
            if buf[0] == _LF:
                pos = 1  # second half of a CRLF split across chunks (R7)
        # The next LF and CR at or after pos, each searched for again only once pos has passed
        # it: linear in the chunk whichever terminators it uses (bytes.find is memchr; a regex
        # character class scans some 1000x slower).
        next_lf = next_cr = -1
        while pos < end_of_chunk:
            if next_lf < pos:
                next_lf = buf.find(b"\n", pos)
                if next_lf < 0:
                    next_lf = end_of_chunk
            if next_cr < pos:
                next_cr = buf.find(b"\r", pos)
                if next_cr < 0:
                    next_cr = end_of_chunk
            line_end = next_lf if next_lf < next_cr else next_cr
            if line_end == end_of_chunk:
                self._keep_partial_line(buf, pos, end_of_chunk)
                break
            line = self._take_line(buf, pos, line_end)
            if buf[line_end] == _CR:
                if line_end + 1 == end_of_chunk:
                    self._pending_cr = True
                    pos = end_of_chunk
                elif buf[line_end + 1] == _LF:
                    pos = line_end + 2
                else:
                    pos = line_end + 1
            else:
                pos = line_end + 1
            if line is not None:
                self._process_line(line, events)

        violation = self._violation
        if violation is not None:
            self._violation = None
            raise limit_exceeded(*violation, events)
        return events

    def close(self) -> list[Event]:
        """End of stream: discard the unfinished line and event (R23); further feeds raise.

        Returns the events completed by the end of the stream, which is always an empty list
        (an event needs its blank line, and a final CR already completed its line in
        ``feed``); it is a list so that callers can treat it like ``feed``. Idempotent.
        """
        self._closed = True
        self._line = bytearray()
        self._skip_line = False
        self._discarding = False
        self._pending_cr = False
        self._reset_block()
        return []

    def _keep_partial_line(self, buf: bytes, start: int, end: int) -> None:
        if self._skip_line:
            return
        size = len(self._line) + (end - start)
        limit = self._max_line_size
        if limit is not None and size > limit:
            self._violate("max_line_size", limit, size)
            self._skip_line = True
            self._line = bytearray()  # its bytes are dropped: free them now, not at its end
            return
        self._line += buf[start:end]

    def _take_line(self, buf: bytes, start: int, end: int) -> bytes | None:
        """Return the finished line (joined with any part from earlier chunks), or None if it
        is dropped for being over the limit."""
        partial = self._line
        skip = self._skip_line
        if not skip:
            size = len(partial) + (end - start)
            limit = self._max_line_size
            if limit is not None and size > limit:
                self._violate("max_line_size", limit, size)
                skip = True
        self._skip_line = False
        if partial:
            self._line = bytearray()
            if skip:
                return None
            partial += buf[start:end]
            return bytes(partial)
        if skip:
            return None
        return buf[start:end]

    def _violate(self, limit_name: str, limit: int, size: int) -> None:
        if self._violation is None:
            self._violation = (limit_name, limit, size)
        self._reset_block()
        self._discarding = True

    def _reset_block(self) -> None:
        self._data = bytearray()
        self._event_type = ""
        self._block_retry = None

    def _process_line(self, line: bytes, events: list[Event]) -> None:
        if not line:  # R9
            self._dispatch(events)
            return
        if self._discarding:
            return
        if line[0] == _COLON:  # R10
            return
        colon = line.find(b":")
        if colon < 0:  # R12
            name, value = line, b""
        else:  # R11
            name, value = line[:colon], line[colon + 1 :]
            if value[:1] == b" ":
                value = value[1:]
        # R13-R17: names are compared literally; bytes equal b"data" exactly when the decoded
        # name equals "data", since invalid UTF-8 never decodes to ASCII.
        if name == b"data":  # R14
            size = len(self._data) + len(value) + 1
            limit = self._max_event_size
            if limit is not None and size > limit:
                self._violate("max_event_size", limit, size)
                return
            self._data += value
            self._data.append(_LF)
        elif name == b"event":  # R13
            self._event_type = value.decode("utf-8", "replace")
        elif name == b"id":  # R15
            if b"\x00" not in value:
                self._id_buffer = value.decode("utf-8", "replace")
        elif name == b"retry":  # R16
            retry = parse_retry(value)
            if retry is not None:
                self._retry = retry
                self._block_retry = retry
        # R17: any other name is ignored.

    def _dispatch(self, events: list[Event]) -> None:
        self._last_event_id = self._id_buffer  # R18, even for a block without data
        if self._discarding:  # the dropped event's blank line: resynchronised
            self._discarding = False
            self._reset_block()
            return
        if self._data:  # R19: no data line since the last dispatch -> no event
            # R20: the buffer always ends in LF here; remove that one LF.
            data = self._data[:-1].decode("utf-8", "replace")
            events.append(
                _make_event(
                    data, self._event_type or "message", self._last_event_id, self._block_retry
                )
            )  # R21
        self._reset_block()  # R22


def iter_events(chunks: Iterable[bytes], **decoder_options: Any) -> Iterator[Event]:
    """Decode an iterable of byte chunks (e.g. ``response.iter_bytes()``) into events.

    ``decoder_options`` go to :class:`Decoder`. At the end of the chunks the unfinished event
    is discarded (R23). If a limit is crossed, the events that chunk completed are yielded
    first, then :class:`LimitExceeded` is raised.
    """
    decoder = Decoder(**decoder_options)
    for chunk in chunks:
        try:
            events = decoder.feed(chunk)
        except LimitExceeded as exc:
            yield from exc.events
            raise
        yield from events
    yield from decoder.close()


async def aiter_events(
    chunks: AsyncIterable[bytes], **decoder_options: Any
) -> AsyncIterator[Event]:
    """Async twin of :func:`iter_events`, for ``response.aiter_bytes()`` and the like."""
    decoder = Decoder(**decoder_options)
    async for chunk in chunks:
        try:
            events = decoder.feed(chunk)
        except LimitExceeded as exc:
            for event in exc.events:
                yield event
            raise
        for event in events:
            yield event
    for event in decoder.close():
        yield event


def _is_str(value: object) -> TypeGuard[str]:
    # The real type, as the Cython twin checks it: an object whose __class__ claims str is not.
    return issubclass(type(value), str)


def _utf8(field: str, value: object) -> bytes:
    if not _is_str(value):
        raise TypeError(f"{field} must be str, not {type(value).__name__}")
    try:
        return str.encode(value, "utf-8")  # a str subclass's own encode() plays no part
    except UnicodeEncodeError:
        raise ValueError(f"{field} is not encodable as UTF-8 (lone surrogate)") from None


def _single_line(field: str, value: object, forbid_nul: bool = False) -> bytes:
    raw = _utf8(field, value)
    if b"\r" in raw or b"\n" in raw:
        raise ValueError(f"{field} must not contain CR or LF: {str.__repr__(value)}")
    if forbid_nul and b"\x00" in raw:
        raise ValueError(
            f"{field} must not contain NUL (the decoder would ignore it): {str.__repr__(value)}"
        )
    return raw


def _text_lines(field: str, value: object) -> list[bytes]:
    """Split ``value`` (str, or UTF-8 bytes for data) on CRLF, CR and LF into UTF-8 lines."""
    if field == "data" and issubclass(type(value), (bytes, bytearray, memoryview)):
        try:
            text = bytes(value).decode("utf-8")  # type: ignore[call-overload]
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"{field} is not valid UTF-8: {exc.reason} at byte {exc.start}"
            ) from None
        return [line.encode("utf-8") for line in _TEXT_LINE_BREAK.split(text)]
    raw = _utf8(field, value)
    return _BYTES_LINE_BREAK.split(raw)


def encode(
    data: str | bytes | None = None,
    *,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
    comment: str | None = None,
) -> bytes:
    """Encode one event as an SSE block (UTF-8, LF line ends, ending in a blank line).

    Args:
        data: ``str``, or UTF-8 ``bytes``; split on CRLF, CR and LF into one ``data:`` line
            each, so the decoder joins them back with LF. ``""`` sends an event with empty
            data; ``None`` sends no data line (and so no event: a block with only ``id`` or
            ``retry`` is a checkpoint).
        event: the event type; ``None`` or ``""`` writes no ``event`` line (type
            ``"message"``).
        id: ``None`` writes no ``id`` line; ``""`` resets the client's last event ID.
        retry: reconnection time in ms, a non-negative int.
        comment: text sent as ``:`` comment lines before the fields (one per line).

    Raises:
        TypeError: a field has the wrong type (``retry`` must be an int, not a bool).
        ValueError: ``event`` or ``id`` contains CR or LF, ``id`` contains NUL, ``retry`` is
            negative, ``data`` bytes are not UTF-8, or a str holds a lone surrogate. The
            message names the field.
    """
    out: list[bytes] = []
    if comment is not None:
        out.extend(b": " + line if line else b":" for line in _text_lines("comment", comment))
    if event is not None:
        raw_event = _single_line("event", event)
        if raw_event:
            out.append(b"event: " + raw_event)
    if id is not None:
        out.append(b"id: " + _single_line("id", id, forbid_nul=True))
    if retry is not None:
        out.append(b"retry: " + retry_text(retry).encode("ascii"))
    if data is not None:
        out.extend(b"data: " + line for line in _text_lines("data", data))
    out.append(b"")
    out.append(b"")
    return b"\n".join(out)


def encode_many(events: Iterable[Event]) -> bytes:
    """Encode several :class:`Event` objects into one buffer (``Event.encode`` each, joined)."""
    out = []
    for event in events:
        if type(event) is not Event:
            raise TypeError(f"encode_many() takes Event objects, not {type(event).__name__}")
        out.append(event.encode())
    return b"".join(out)


def encode_comment(text: str = "") -> bytes:
    """Encode a comment (e.g. a keep-alive): one ``:`` line per line of ``text``.

    Comments are ignored by clients (R10) and dispatch nothing, so this may be sent between
    events at any time. ``encode_comment()`` gives ``b":\\n"``.
    """
    return b"".join(
        (b": " + line if line else b":") + b"\n" for line in _text_lines("comment", text)
    )
