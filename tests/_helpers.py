"""Feeding helpers shared by the tests (h11 style: whole, byte by byte, every split)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Sequence
from types import ModuleType
from typing import Any

from ssecodec._errors import LimitExceeded


def chunkings(stream: bytes) -> Iterator[tuple[str, list[bytes]]]:
    """Yield (label, chunks): the stream whole, one byte at a time, and split at every position."""
    yield "whole", [stream]
    yield "bytewise", [stream[i : i + 1] for i in range(len(stream))]
    for cut in range(1, len(stream)):
        yield f"split@{cut}", [stream[:cut], stream[cut:]]


def decode(
    impl: ModuleType, chunks: Sequence[bytes], **options: Any
) -> tuple[list[Any], str, int | None]:
    """Feed ``chunks`` to a fresh decoder, close it; return (events, last_event_id, retry)."""
    decoder = impl.Decoder(**options)
    events: list[Any] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.close())
    return events, decoder.last_event_id, decoder.retry


def split_at(stream: bytes, cuts: Sequence[int]) -> list[bytes]:
    """``stream`` cut at each of ``cuts`` (positions, in any order; a repeated one counts once)."""
    points = sorted(set(cuts))
    return [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]


def feed_all(
    decoder: Any, chunks: Iterable[bytes | bytearray | memoryview], *, close: bool = True
) -> tuple[list[Any], list[LimitExceeded]]:
    """Feed every chunk to ``decoder``, then close it unless ``close`` is false; return the
    events (those feed returned and those a LimitExceeded carried) and the LimitExceeded
    errors, in order."""
    events: list[Any] = []
    errors: list[LimitExceeded] = []
    for chunk in chunks:
        try:
            events.extend(decoder.feed(chunk))
        except LimitExceeded as exc:
            errors.append(exc)
            events.extend(exc.events)
    if close:
        events.extend(decoder.close())
    return events, errors


def as_tuples(events: Sequence[Any]) -> list[tuple[str, str, str | None, int | None]]:
    """Events as plain tuples, so events of the two twins can be compared."""
    return [(e.event, e.data, e.id, e.retry) for e in events]


def decode_all_ways(
    impl: ModuleType, stream: bytes, **options: Any
) -> tuple[list[Any], str, int | None]:
    """Decode ``stream`` in every chunking; assert they all agree; return the whole result."""
    expected = None
    for label, chunks in chunkings(stream):
        events, last_id, retry = decode(impl, chunks, **options)
        got = (as_tuples(events), last_id, retry)
        if expected is None:
            expected = got
            result = (events, last_id, retry)
        else:
            assert got == expected, f"{label}: {got!r} != {expected!r}"
    return result


# Odd values the encoder and Event must take by value (exact str / int) or refuse alike in
# both twins, whatever they override.
class LyingStr(str):
    """A str whose methods lie: none of them may change what the encoder writes."""

    def encode(self, *args: Any, **kwargs: Any) -> bytes:
        return b"evil\n\ndata: injected"

    def __str__(self) -> str:
        return "evil\ndata: injected"

    def __repr__(self) -> str:
        return "LyingStr(...)"

    def __eq__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return True

    def splitlines(self, *args: Any) -> list[str]:
        return ["evil"]


class Flags(enum.IntFlag):
    A = 1
    B = 2


class ImpostorInt:
    """Claims to be an int through ``__class__`` but is not one."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return int


class ImpostorStr:
    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return str


class LyingInt(int):
    """An int whose text would inject a second event if the encoder used str() or format()."""

    def __str__(self) -> str:
        return "5\n\ndata: injected"

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return str(self)

    def __lt__(self, other: object) -> bool:
        return False  # "never negative"

    def __index__(self) -> int:
        return 99
