"""Response checks shared by the client integrations, and the base of their errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from ._errors import SSEError

if TYPE_CHECKING:
    from typing_extensions import Self

    from ssecodec import Decoder

EVENT_STREAM: Final = "text/event-stream"
BODY_PREVIEW: Final = 512
"""How many bytes of an unexpected response body an error message shows."""
NOT_EVENT_STREAM: Final = "Expected response header Content-Type to be 'text/event-stream'"

# The code point classes of the Fetch and MIME Sniffing standards.
_HTTP_WHITESPACE: Final = "\t\n\r "
_HTTP_TAB_OR_SPACE: Final = "\t "
_TOKEN: Final = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


def _is_token(text: str) -> bool:
    return all(char in _TOKEN for char in text)


def _is_quoted_string_token(text: str) -> bool:
    return all(char == "\t" or " " <= char <= "~" or "\x80" <= char <= "\xff" for char in text)


class MimeType(NamedTuple):
    """A parsed MIME type: ``essence`` is ``type/subtype`` in ASCII lowercase; ``parameters``
    maps lowercase names to values, in order, first occurrence kept."""

    essence: str
    parameters: dict[str, str]

    def serialize(self) -> str:
        """The MIME Sniffing standard's serialization (``text/html;x=y;charset=gbk``)."""
        parts = [self.essence]
        for name, value in self.parameters.items():
            if not value or not _is_token(value):
                value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            parts.append(f"{name}={value}")
        return ";".join(parts)


def _collect_quoted_string(text: str, position: int, extract_value: bool) -> tuple[str, int]:
    """Fetch's "collect an HTTP quoted string"; ``text[position]`` is the opening quote.

    Returns the value (unescaped) or the raw quoted text, and the position after it.
    """
    start = position
    value: list[str] = []
    position += 1
    end = len(text)
    while True:
        stop = position
        while stop < end and text[stop] not in '"\\':
            stop += 1
        value.append(text[position:stop])
        position = stop
        if position >= end:
            break
        quote_or_backslash = text[position]
        position += 1
        if quote_or_backslash == "\\":
            if position >= end:
                value.append("\\")
                break
            value.append(text[position])
            position += 1
        else:
            break
    return ("".join(value) if extract_value else text[start:position]), position


def split_header_value(value: str) -> list[str]:
    """Fetch's "get, decode, and split" of a combined header value: split on commas that are
    not inside a quoted string, and trim tabs and spaces around each part."""
    values: list[str] = []
    position = 0
    end = len(value)
    temporary = ""
    while True:
        stop = position
        while stop < end and value[stop] not in '",':
            stop += 1
        temporary += value[position:stop]
        position = stop
        if position < end and value[position] == '"':
            quoted, position = _collect_quoted_string(value, position, extract_value=False)
            temporary += quoted
            if position < end:
                continue
        values.append(temporary.strip(_HTTP_TAB_OR_SPACE))
        temporary = ""
        if position >= end:
            return values
        position += 1  # past the comma


def parse_mime_type(text: str) -> MimeType | None:
    """The MIME Sniffing standard's "parse a MIME type"; ``None`` on failure."""
    text = text.strip(_HTTP_WHITESPACE)
    end = len(text)
    slash = text.find("/")
    if slash <= 0 or not _is_token(text[:slash]):
        return None
    type_ = text[:slash]
    position = text.find(";", slash + 1)
    if position < 0:
        position = end
    subtype = text[slash + 1 : position].rstrip(_HTTP_WHITESPACE)
    if not subtype or not _is_token(subtype):
        return None
    parameters: dict[str, str] = {}
    while position < end:
        position += 1  # past the ";"
        while position < end and text[position] in _HTTP_WHITESPACE:
            position += 1
        stop = position
        while stop < end and text[stop] not in ";=":
            stop += 1
        name = text[position:stop].lower()
        position = stop
        if position < end:
            if text[position] == ";":
                continue
            position += 1  # past the "="
        if position >= end:
            break
        if text[position] == '"':
            value, position = _collect_quoted_string(text, position, extract_value=True)
            while position < end and text[position] != ";":
                position += 1
        else:
            stop = text.find(";", position)
            if stop < 0:
                stop = end
            value = text[position:stop].rstrip(_HTTP_WHITESPACE)
            position = stop
            if not value:
                continue
        if name and _is_token(name) and _is_quoted_string_token(value) and name not in parameters:
            parameters[name] = value
    return MimeType(f"{type_.lower()}/{subtype.lower()}", parameters)


def extract_mime_type(values: str | Iterable[str] | None) -> MimeType | None:
    """The Fetch standard's "extract a MIME type" from ``Content-Type`` header values, as
    browsers do; ``None`` on failure (no header, or no value parses).

    ``values`` is one header value (several headers already joined with ``", "``, as httpx
    and requests report them) or the list of values (aiohttp's ``getall``). The value is
    split on commas outside quoted strings; parts that do not parse (or are ``*/*``) are
    skipped and the last one that parses wins, keeping an earlier ``charset`` of the same
    essence when it has none of its own.
    """
    if values is None:
        return None
    if not isinstance(values, str):
        values = list(values)
        if not values:
            return None
        values = ", ".join(values)
    charset: str | None = None
    essence: str | None = None
    mime_type: MimeType | None = None
    for value in split_header_value(values):
        temporary = parse_mime_type(value)
        if temporary is None or temporary.essence == "*/*":
            continue
        mime_type = temporary
        if mime_type.essence != essence:
            charset = mime_type.parameters.get("charset")
            essence = mime_type.essence
        elif "charset" not in mime_type.parameters and charset is not None:
            mime_type.parameters["charset"] = charset
    return mime_type


def is_event_stream(content_type: str | Iterable[str] | None) -> bool:
    """True if the MIME type extracted from the ``Content-Type`` header value(s) (see
    :func:`extract_mime_type`) has the essence ``text/event-stream``.

    So ``text/event-stream; charset=utf-8``, ``TEXT/Event-Stream``, the value of a header
    sent twice (``text/event-stream, text/event-stream``) and a list whose last valid type
    is the event stream (``application/json, text/event-stream``) all pass;
    ``text/event-stream, application/json`` does not.
    """
    if not content_type:
        return False
    mime_type = extract_mime_type(content_type)
    return mime_type is not None and mime_type.essence == EVENT_STREAM


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


class DecoderState:
    """What the client helpers' ``EventSource`` objects tell of the stream read so far: the
    state of the decoder that their iterator feeds (``_decoder``, set when iterating starts)."""

    _decoder: Decoder | None = None

    @property
    def last_event_id(self) -> str:
        """The last event ID read so far (``""`` if none); send it as ``Last-Event-ID``."""
        return "" if self._decoder is None else self._decoder.last_event_id

    @property
    def retry(self) -> int | None:
        """The latest ``retry`` value (ms) the server sent, or ``None``."""
        return None if self._decoder is None else self._decoder.retry


class ResponseError(SSEError):
    """Base of the client integrations' errors about a response that is not the event stream
    asked for: each also derives from its framework's error class, which gets the keyword
    arguments not named here (``request=`` for httpx, ``response=`` for requests).

    Attributes:
        status_code: the HTTP status, or ``None`` when no response was received.
        content_type: the response's ``Content-Type``, or ``None``.
        body: the first bytes of the response body (up to 512), or ``b""``.
    """

    def __init__(
        self,
        message: str = "",
        *,
        status_code: int | None = None,
        content_type: str | None = None,
        body: bytes = b"",
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.status_code = status_code
        self.content_type = content_type
        self.body = body

    @classmethod
    def for_response(
        cls,
        status_code: int,
        reason: str | None,
        content_type: str | None,
        body: bytes,
        problem: str = NOT_EVENT_STREAM,
        **kwargs: Any,
    ) -> Self:
        """The error for a response: the message names ``problem`` (by default, that the
        ``Content-Type`` is not ``text/event-stream``), the status and the start of the body."""
        return cls(
            describe_response(status_code, reason, content_type, body, problem),
            status_code=status_code,
            content_type=content_type,
            body=body,
            **kwargs,
        )


class NotEventStreamError(ResponseError):
    """Base of the ``SSEError`` of the httpx, requests and aiohttp integrations: a response
    came (its status is known) and is not an event stream."""

    status_code: int
    content_type: str | None
    body: bytes
