"""Pure-Python reference twin of the ssecodec core.

A direct transcription of the WHATWG "Parsing an event stream" and "Interpreting an event
stream" algorithms (rules R1-R24 of ``docs/spec.md`` are cited inline). It is the oracle
that the Cython twin (``_codec_c.pyx``) is differentially tested against, so clarity comes
first. It is also what runs where no wheel applies (PyPy, WebAssembly, a new CPython), so the
decoder's one hot loop, ``Decoder._process_lines``, keeps the rules in order but inline.

Bytes are split into lines *before* decoding: CR, LF and ``:`` are ASCII and never occur inside a
multi-byte UTF-8 sequence, so decoding each slice with ``"replace"`` gives exactly the characters
that decoding the whole stream would (R3).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from io import BytesIO
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
# Byte values as ints: `_CR in buf` is one memchr, while `b"\r" in buf` first tries b"\r" as
# an int and raises and clears a TypeError (several times slower on short values).
_CR: Final = 0x0D
_LF: Final = 0x0A
_COLON: Final = 0x3A
_NUL: Final = 0x00


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


# The decoder builds its events with object.__new__ and the setters above, without argument
# checking (its values are always valid str and int), inline in its loop: a call per event
# would cost it about 5%.
_new_event = object.__new__


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
        buf = data if type(data) is bytes else _as_bytes(data)
        if self._bom_prefix is not None:
            buf = self._bom_prefix + buf
            if len(buf) < len(_BOM) and _BOM.startswith(buf):
                self._bom_prefix = buf  # could still be a BOM split across chunks (R2)
                return []
            self._bom_prefix = None
            if buf.startswith(_BOM):
                buf = buf[len(_BOM) :]
        if self._pending_cr and buf:
            self._pending_cr = False
            if buf[0] == _LF:
                buf = buf[1:]  # second half of a CRLF split across chunks (R7)
        if _CR in buf:
            # R5: CRLF, a lone CR and LF each end a line. They are rewritten as LF, so that LF
            # is the only line end below. (bytes.splitlines and a join are ~2x faster on CRLF
            # but build one object per line: ~20x the chunk's size for tiny lines.)
            if buf[-1] == _CR:
                self._pending_cr = True  # R7: an LF starting the next chunk completes this CRLF
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")

        # The chunk's complete lines end at its last LF; the bytes after it begin a line that
        # later chunks finish. io.BytesIO yields the lines one at a time, each with its LF,
        # found by memchr: a line costs the same whatever its length (bytes.split walks byte
        # by byte), and no list of the chunk's lines is built.
        last = buf.rfind(b"\n")
        events: list[Event] = []
        if last < 0:
            self._keep_partial_line(buf)
        else:
            # Limits are checked line by line only where this chunk could cross them: no line
            # lying wholly in the chunk is longer than the chunk, and the data buffer grows by
            # at most the bytes of the lines it completes (value and LF per data line).
            max_line = self._max_line_size
            if max_line is not None and len(buf) <= max_line:
                max_line = None
            max_event = self._max_event_size
            if max_event is not None and len(self._data) + len(self._line) + len(buf) <= max_event:
                max_event = None
            start = 0
            if self._line or self._skip_line:  # the line begun in earlier chunks ends here
                start = buf.find(b"\n") + 1
                first = self._finish_line(buf[:start])
                if first is not None:
                    self._process_lines((first,), events, max_line, max_event)
            self._process_lines(BytesIO(buf[start : last + 1]), events, max_line, max_event)
            if last + 1 < len(buf):
                self._keep_partial_line(buf[last + 1 :])

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

    def _keep_partial_line(self, tail: bytes) -> None:
        """Keep the start of a line that later chunks finish, unless it is over the limit."""
        if self._skip_line:
            return
        size = len(self._line) + len(tail)
        limit = self._max_line_size
        if limit is not None and size > limit:
            self._violate("max_line_size", limit, size)
            self._skip_line = True
            self._line = bytearray()  # its bytes are dropped: free them now, not at its end
            return
        self._line += tail

    def _finish_line(self, end: bytes) -> bytes | None:
        """Return the line begun in earlier chunks and ended by ``end`` (its last part and
        LF), or None if it is dropped for being over the limit."""
        partial = self._line
        self._line = bytearray()
        if self._skip_line:
            self._skip_line = False
            return None
        size = len(partial) + len(end) - 1
        limit = self._max_line_size
        if limit is not None and size > limit:
            self._violate("max_line_size", limit, size)
            return None
        partial += end
        return bytes(partial)

    def _violate(self, limit_name: str, limit: int, size: int) -> None:
        if self._violation is None:
            self._violation = (limit_name, limit, size)
        self._reset_block()
        self._discarding = True

    def _reset_block(self) -> None:
        self._data.clear()  # in place: _process_lines holds it in a local
        self._event_type = ""
        self._block_retry = None

    def _process_lines(
        self,
        lines: Iterable[bytes],
        events: list[Event],
        max_line: int | None,
        max_event: int | None,
    ) -> None:
        """Process complete lines, each ending in LF, in stream order (R8), appending the
        events they complete.

        ``max_line`` and ``max_event`` are the limits to check, None where the caller knows
        that these lines cannot cross them. This loop is the decoder's hot path, so R9-R22 are
        all inline (a method call per line or event would cost up to a third of the time), the
        usual ``data: `` line tested first.
        """
        data = self._data  # the data buffer (R14): each value followed by LF, as raw bytes
        for line in lines:
            if line == b"\n":  # R9: a blank line dispatches the event
                self._last_event_id = self._id_buffer  # R18, even for a block without data
                if data:  # R19: no data line since the last dispatch -> no event
                    del data[-1]  # R20: the buffer always ends in LF here; remove that one LF
                    event = _new_event(Event)  # R21
                    _set_data(event, data.decode("utf-8", "replace"))
                    _set_event(event, self._event_type or "message")
                    _set_id(event, self._last_event_id)
                    _set_retry(event, self._block_retry)
                    events.append(event)
                    data.clear()  # R22
                else:  # (the data buffer stays empty while discarding)
                    self._discarding = False  # a dropped event's blank line: resynchronised
                self._event_type = ""  # R22
                self._block_retry = None
                continue
            if max_line is not None and len(line) - 1 > max_line:
                self._violate("max_line_size", max_line, len(line) - 1)
                continue
            if self._discarding:
                continue
            if line[:6] == b"data: ":  # the usual data line, R11 dropping its one space
                value = line[6:-1]
            elif line[0] == _COLON:  # R10: a comment
                continue
            else:
                # R11: the name is what precedes the first colon, the value what follows it
                # less one leading space; R12: with no colon the whole line is the name.
                name, _, value = line[:-1].partition(b":")
                if value[:1] == b" ":
                    value = value[1:]
                # R13-R17: names are compared literally; bytes equal b"data" exactly when the
                # decoded name equals "data", since invalid UTF-8 never decodes to ASCII.
                if name == b"event":  # R13
                    self._event_type = value.decode("utf-8", "replace")
                    continue
                if name == b"id":  # R15
                    if _NUL not in value:
                        self._id_buffer = value.decode("utf-8", "replace")
                    continue
                if name == b"retry":  # R16
                    retry = parse_retry(value)
                    if retry is not None:
                        self._retry = retry
                        self._block_retry = retry
                    continue
                if name != b"data":  # R17: any other name is ignored
                    continue
            # R14: append the value and one LF to the data buffer.
            if max_event is not None and len(data) + len(value) + 1 > max_event:
                self._violate("max_event_size", max_event, len(data) + len(value) + 1)
                continue
            data += value
            data.append(_LF)


def iter_events(
    chunks: Iterable[bytes], *, decoder: Decoder | None = None, **decoder_options: Any
) -> Iterator[Event]:
    """Decode an iterable of byte chunks (e.g. ``response.iter_bytes()``) into events.

    ``decoder_options`` go to a new :class:`Decoder`; or pass a ``decoder`` made beforehand
    (without options), to read its ``last_event_id`` and ``retry`` while iterating. At the
    end of the chunks the decoder is closed: the unfinished event is discarded (R23). If a
    limit is crossed, the events that chunk completed are yielded first, then
    :class:`LimitExceeded` is raised.

    Raises (on the first ``next()``, as the chunks are only read then):
        TypeError: ``decoder`` is not a :class:`Decoder`, or comes with ``decoder_options``.
    """
    decoder = _decoder_for(decoder, decoder_options)
    for chunk in chunks:
        try:
            events = decoder.feed(chunk)
        except LimitExceeded as exc:
            yield from exc.events
            raise
        yield from events
    yield from decoder.close()


async def aiter_events(
    chunks: AsyncIterable[bytes], *, decoder: Decoder | None = None, **decoder_options: Any
) -> AsyncIterator[Event]:
    """Async twin of :func:`iter_events`, for ``response.aiter_bytes()`` and the like."""
    decoder = _decoder_for(decoder, decoder_options)
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


def _decoder_for(decoder: object, decoder_options: dict[str, Any]) -> Decoder:
    """The decoder :func:`iter_events` feeds: a new one, or the caller's."""
    if decoder is None:
        return Decoder(**decoder_options)
    if not isinstance(decoder, Decoder):
        raise TypeError(f"decoder must be a Decoder, not {type(decoder).__name__}")
    if decoder_options:
        raise TypeError("pass decoder options or a decoder, not both")
    return decoder


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
