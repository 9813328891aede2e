"""Type stubs for the Cython twin; the same public surface as ``_codec_py``."""

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, Final, final

from typing_extensions import disjoint_base

__all__ = [
    "Decoder",
    "Event",
    "aiter_events",
    "encode",
    "encode_comment",
    "encode_many",
    "iter_events",
]

@final
class Event:
    """One server-sent event: an immutable value."""

    __match_args__: Final = ("data", "event", "id", "retry")
    @property
    def data(self) -> str: ...
    @property
    def event(self) -> str: ...
    @property
    def id(self) -> str | None: ...
    @property
    def retry(self) -> int | None: ...
    def __init__(
        self,
        data: str = "",
        *,
        event: str = "message",
        id: str | None = None,
        retry: int | None = None,
    ) -> None: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __ne__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[Any, ...]: ...
    def json(self) -> Any: ...
    def encode(self) -> bytes: ...

@disjoint_base  # a cdef class: its instances have a C layout
class Decoder:
    """Incremental ``text/event-stream`` decoder."""

    def __init__(
        self, *, max_line_size: int | None = ..., max_event_size: int | None = ...
    ) -> None: ...
    @property
    def last_event_id(self) -> str: ...
    @property
    def retry(self) -> int | None: ...
    def feed(self, data: bytes | bytearray | memoryview, /) -> list[Event]: ...
    def close(self) -> list[Event]: ...

def iter_events(
    chunks: Iterable[bytes], *, decoder: Decoder | None = None, **decoder_options: Any
) -> Iterator[Event]: ...
def aiter_events(
    chunks: AsyncIterable[bytes], *, decoder: Decoder | None = None, **decoder_options: Any
) -> AsyncIterator[Event]: ...
def encode(
    data: str | bytes | None = None,
    *,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
    comment: str | None = None,
) -> bytes: ...
def encode_many(events: Iterable[Event]) -> bytes: ...
def encode_comment(text: str = "") -> bytes: ...
