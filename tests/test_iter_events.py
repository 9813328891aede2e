"""iter_events/aiter_events fed through a decoder made beforehand (``decoder=``), on both twins.

The integrations pass their own decoder so that its ``last_event_id`` and ``retry`` can be read
while the events arrive; otherwise the iterators behave as with ``decoder_options``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from types import ModuleType
from typing import Any

import pytest

from _helpers import as_tuples
from ssecodec._errors import LimitExceeded, SSEError

CHUNKS = [
    b"retry: 300\nid: 1\ndata: a\n\n",
    b"id: 2\ndata: b\n\nid: 3\n",
    b"data: c\n\nretry: 700\n\ndata: unfinished",
]
LIMIT_CHUNKS = [b"id: 1\ndata: a\n\n", b"id: 2\ndata: b\n\ndata: 0123456789\n\ndata: c\n\n"]


async def agen(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        await asyncio.sleep(0)
        yield chunk


def collect_sync(
    impl: ModuleType, chunks: list[bytes], on_event: Callable[[Any], None], **kwargs: Any
) -> list[Any]:
    out = []
    for event in impl.iter_events(chunks, **kwargs):
        on_event(event)
        out.append(event)
    return out


def collect_async(
    impl: ModuleType, chunks: list[bytes], on_event: Callable[[Any], None], **kwargs: Any
) -> list[Any]:
    async def main() -> list[Any]:
        out = []
        async for event in impl.aiter_events(agen(chunks), **kwargs):
            on_event(event)
            out.append(event)
        return out

    return asyncio.run(main())


COLLECT = pytest.mark.parametrize("collect", [collect_sync, collect_async], ids=["sync", "async"])


@COLLECT
def test_state_is_readable_while_iterating(impl: ModuleType, collect: Any) -> None:
    decoder = impl.Decoder()
    seen: list[tuple[str, int | None]] = []
    events = collect(
        impl,
        CHUNKS,
        lambda e: seen.append((decoder.last_event_id, decoder.retry)),
        decoder=decoder,
    )
    assert [e.data for e in events] == ["a", "b", "c"]
    # The decoder has fed the event's whole chunk when the event arrives (retry: 700).
    assert seen == [("1", 300), ("2", 300), ("3", 700)]
    assert (decoder.last_event_id, decoder.retry) == ("3", 700)


@COLLECT
def test_same_events_as_with_options(impl: ModuleType, collect: Any) -> None:
    mine = collect(impl, CHUNKS, lambda e: None, decoder=impl.Decoder(max_line_size=100))
    theirs = collect(impl, CHUNKS, lambda e: None, max_line_size=100)
    assert all(type(e) is impl.Event for e in mine)
    assert as_tuples(mine) == as_tuples(theirs)


@COLLECT
def test_decoder_is_closed_at_the_end(impl: ModuleType, collect: Any) -> None:
    decoder = impl.Decoder()
    collect(impl, CHUNKS, lambda e: None, decoder=decoder)
    # The unfinished event was discarded and the decoder closed, as with an own decoder.
    with pytest.raises(SSEError, match="close"):
        decoder.feed(b"\n\n")


@COLLECT
def test_limits_of_the_given_decoder(impl: ModuleType, collect: Any) -> None:
    decoder = impl.Decoder(max_line_size=8)
    out: list[Any] = []
    with pytest.raises(LimitExceeded) as info:
        collect(impl, LIMIT_CHUNKS, out.append, decoder=decoder)
    assert [e.data for e in out] == ["a", "b", "c"]  # the failing chunk's events come first
    assert info.value.limit == 8
    assert decoder.last_event_id == "2"


@COLLECT
def test_decoder_with_options_is_refused(impl: ModuleType, collect: Any) -> None:
    with pytest.raises(TypeError, match="not both"):
        collect(impl, CHUNKS, lambda e: None, decoder=impl.Decoder(), max_line_size=10)


@COLLECT
@pytest.mark.parametrize("bad", [object(), "decoder", {"max_line_size": 10}])
def test_decoder_must_be_a_decoder(impl: ModuleType, collect: Any, bad: object) -> None:
    with pytest.raises(TypeError, match="decoder must be a Decoder"):
        collect(impl, CHUNKS, lambda e: None, decoder=bad)


def test_decoder_is_keyword_only(impl: ModuleType) -> None:
    with pytest.raises(TypeError):
        impl.iter_events(CHUNKS, impl.Decoder())
    with pytest.raises(TypeError):
        impl.aiter_events(agen(CHUNKS), impl.Decoder())


def test_none_means_a_new_decoder(impl: ModuleType) -> None:
    events = list(impl.iter_events(CHUNKS, decoder=None, max_line_size=100))
    assert [e.data for e in events] == ["a", "b", "c"]


def test_checks_come_at_the_first_next(impl: ModuleType) -> None:
    """Like the decoder options, a wrong ``decoder`` is reported when iterating starts."""
    it = impl.iter_events(CHUNKS, decoder=object())
    with pytest.raises(TypeError):
        next(it)
