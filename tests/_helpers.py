"""Feeding helpers shared by the tests (h11 style: whole, byte by byte, every split)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any


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
