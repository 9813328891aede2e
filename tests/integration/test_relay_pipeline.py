"""The relay pipeline without HTTP: ``relay_events`` (the framer alone: tests/test_framer.py).

The oracle is the decoder: what a reader decodes from the relay's output must be what it
decodes from the upstream (events, ids, types, retry, final state), for any stream and any
chunking, in both paths (pass-through and with an identity transform).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ssecodec._framing
import ssecodec._relay_pipeline
from _helpers import split_at
from _strategies import framing_streams
from conftest import reader_state as decode
from ssecodec import Event, LimitExceeded
from ssecodec._framing import (
    BOM,
)
from ssecodec.relay import error_event, relay_events

# -- helpers ---------------------------------------------------------------------------------


async def _aiter(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def relay(chunks: Sequence[bytes], **options: Any) -> list[bytes]:
    async def run() -> list[bytes]:
        return [piece async for piece in relay_events(_aiter(chunks), **options)]

    return asyncio.run(run())


def terminated_lines(stream: bytes) -> list[bytes]:
    """The spec's lines up to the last blank line (the events a reader completes)."""
    if stream.startswith(BOM):
        stream = stream[3:]
    lines = re.split(rb"\r\n|\r|\n", stream)[:-1]
    blanks = [i for i, line in enumerate(lines) if line == b""]
    return lines[: blanks[-1] + 1] if blanks else []


def comments(stream: bytes) -> list[bytes]:
    return [line for line in terminated_lines(stream) if line.startswith(b":")]


def identity(event: Event) -> Event:
    return event


MODES: list[dict[str, Any]] = [
    {},
    {"comments": True},
    {"transform": identity},
    {"transform": identity, "comments": True},
]

# -- the property: a reader sees the same stream -----------------------------------------------


@settings(max_examples=300)
@given(stream=framing_streams, data=st.data())
def test_reader_sees_the_upstream(stream: bytes, data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=8))
    chunks = split_at(stream, cuts)
    ended = stream + b"\n\n"  # ends at a boundary: the final state must match too
    ended_chunks = split_at(ended, cuts)
    for options in MODES:
        out = b"".join(relay(chunks, **options))
        assert b"\r" not in out
        assert out == b"" or out.endswith(b"\n\n")
        assert decode(out)[0] == decode(stream)[0], options
        out = b"".join(relay(ended_chunks, **options))
        assert decode(out) == decode(ended), options
        expected_comments = comments(ended) if options.get("comments") else []
        assert [line for line in out.split(b"\n") if line.startswith(b":")] == expected_comments


def test_bytewise_and_every_split() -> None:
    stream = (
        BOM + b": hello\r\nid: 1\r\nevent: tick\r\ndata: caf\xc3\xa9\r\ndata: two\r\r"
        b"retry: 100\n: ping\n\nid\ndata: reset\r\n\r\nid: 9\n\nretry: 5\r\n\r\ndata: partial"
    )
    expected = decode(stream[: stream.rindex(b"\r\n\r\n") + 4])
    for options in MODES:
        whole = b"".join(relay([stream], **options))
        assert decode(whole) == expected
        chunkings = [[stream[i : i + 1] for i in range(len(stream))]]
        chunkings += [[stream[:cut], stream[cut:]] for cut in range(1, len(stream))]
        for chunks in chunkings:
            out = b"".join(relay(chunks, **options))
            if "transform" in options:  # standalone id/retry lines may move; same meaning
                assert decode(out) == expected, (options, chunks)
            else:  # pass-through: the very same bytes
                assert out == whole, (options, chunks)


@settings(max_examples=300)
@given(stream=framing_streams, data=st.data())
def test_reader_sees_the_upstream_in_pieces(stream: bytes, data: st.DataObject) -> None:
    """The same, with every event held across reads handed on in pieces (as big events are:
    unjoined in pass-through, released to the decoder as they come with a transform) and
    every item cut into pieces of 3 bytes."""
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=8))
    ended = stream + b"\n\n"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ssecodec._framing, "SPLIT_SIZE", 0)
        patch.setattr(ssecodec._relay_pipeline, "PIECE", 3)
        for options in MODES:
            pieces = relay(split_at(stream, cuts), **options)
            assert all(len(piece) <= 3 for piece in pieces)
            assert decode(b"".join(pieces))[0] == decode(stream)[0], options
            out = b"".join(relay(split_at(ended, cuts), **options))
            assert decode(out) == decode(ended), options
            expected_comments = comments(ended) if options.get("comments") else []
            assert [line for line in out.split(b"\n") if line.startswith(b":")] == (
                expected_comments
            )
            if "transform" not in options:  # pass-through: the same bytes as joined
                assert out == b"".join(relay(split_at(ended, cuts), **options))


def test_retry_of_thousands_of_digits() -> None:
    """A retry-only block of more digits than Python formats by default is relayed, and so
    is every event after it."""
    stream = b"retry: " + b"7" * 5000 + b"\n\ndata: after\n\ndata: and on\n\n"
    expected = decode(stream)
    assert expected[2] == (10**5000 - 1) // 9 * 7
    for options in MODES:
        assert decode(b"".join(relay([stream], **options))) == expected, options


# -- pass-through framing ----------------------------------------------------------------------


def test_pass_through_forwards_lines_verbatim() -> None:
    stream = b'id: 42\nevent: delta\nretry: 3000\ndata: {"a": 1}\ndata:x\n\n'
    assert relay([stream]) == [stream]


def test_second_bom_is_not_the_outputs_bom() -> None:
    """A second BOM is part of a field name; it must not become the output's leading BOM."""
    out = b"".join(relay([BOM + BOM + b"data: a\n\ndata: b\n\n"]))
    assert decode(out) == decode(BOM + BOM + b"data: a\n\ndata: b\n\n")
    assert decode(out)[0] == [("message", "b", "", None)]


def test_comments_dropped_or_kept() -> None:
    stream = b": keepalive\n\ndata: a\n: inside\ndata: b\n\n:\n\n"
    assert relay([stream]) == [b"data: a\ndata: b\n\n"]
    assert relay([stream], comments=True) == [stream]
    assert relay([b": ping\n\n", b": ping\n\n"]) == []


@pytest.mark.parametrize("options", MODES, ids=["pass", "pass+comments", "tf", "tf+comments"])
def test_limit_ends_the_relay_after_the_events_before(options: dict[str, Any]) -> None:
    async def run() -> tuple[list[bytes], BaseException | None]:
        got: list[bytes] = []
        try:
            async for piece in relay_events(
                _aiter([b"data: a\n\ndata: " + b"x" * 100]), max_event_size=50, **options
            ):
                got.append(piece)
        except LimitExceeded as exc:
            return got, exc
        return got, None

    got, error = asyncio.run(run())
    assert decode(b"".join(got))[0] == [("message", "a", "", None)]
    assert isinstance(error, LimitExceeded)
    event = error_event(error)
    assert event.event == "error" and '"upstream_limit"' in event.data


def test_transform_limit_inside_one_chunk() -> None:
    stream = b"data: a\n\ndata: " + b"x" * 100 + b"\n\ndata: b\n\n"

    async def run() -> tuple[list[bytes], BaseException | None]:
        got: list[bytes] = []
        try:
            pieces = relay_events(_aiter([stream]), transform=identity, max_event_size=50)
            async for piece in pieces:
                got.append(piece)
        except LimitExceeded as exc:
            return got, exc
        return got, None

    got, error = asyncio.run(run())
    assert isinstance(error, LimitExceeded)
    assert [e[1] for e in decode(b"".join(got))[0]] == ["a", "b"]


# -- transforms ----------------------------------------------------------------------------


@pytest.mark.parametrize("options", MODES, ids=["pass", "pass+comments", "tf", "tf+comments"])
def test_body_ended_only_by_the_close(options: dict[str, Any]) -> None:
    """A body that only the connection's close ends (HTTP/1.x without length or chunking):
    ending inside an event means the upstream died; at a boundary, or with only a comment
    unfinished, it is the normal end."""
    import httpx

    async def run(chunks: list[bytes]) -> tuple[bytes, BaseException | None]:
        got: list[bytes] = []
        pipeline = ssecodec._relay_pipeline.relay_chunks(
            _aiter(chunks),
            options.get("transform"),
            options.get("comments", False),
            None,
            end_marked=False,
        )
        try:
            async for piece in pipeline:
                got.append(piece)
        except Exception as exc:
            return b"".join(got), exc
        return b"".join(got), None

    before = [b"id: 1\ndata: one\n\n", b"data: two\r\n\r\n"]
    for tail in [b"data: half", b"data: half\n", b"\n: c\ndata", b"id: 2", b"retry: 5\n"]:
        out, error = asyncio.run(run([*before, tail]))
        assert decode(out)[0] == [("message", "one", "1", None), ("message", "two", "1", None)]
        assert isinstance(error, httpx.RemoteProtocolError), tail
        assert error_event(error).json()["error"]["type"] == "upstream_error"
    for tail in [b"", b"\n", b": ping\n", b": ping", b"\n: a\n\n: b"]:
        out, error = asyncio.run(run([*before, tail]))
        assert error is None, tail
        assert len(decode(out)[0]) == 2
    # relay_events: a reader discards the unfinished event, and so does the relay
    assert decode(b"".join(relay([*before, b"data: half"], **options)))[0][-1][1] == "two"


def test_transform_rewrites_and_drops() -> None:
    stream = b"id: 1\nevent: delta\ndata: a\n\nid: 2\ndata: [DONE]\nretry: 500\n\ndata: c\n\n"

    def upper(event: Event) -> Event | None:
        if event.data == "[DONE]":
            return None
        return Event(event.data.upper(), event=event.event)

    out = b"".join(relay([stream], transform=upper))
    events, last_id, retry = decode(out)
    # a new event without id keeps the upstream's; the dropped event's retry survives
    assert events == [("delta", "A", "1", None), ("message", "C", "2", None)]
    assert (last_id, retry) == ("2", 500)


def test_async_transform() -> None:
    async def tag(event: Event) -> Event:
        await asyncio.sleep(0)
        return Event(event.data + "!", event="tagged", id=event.id)

    out = b"".join(relay([b"data: a\n\ndata: b\n\n"], transform=tag))
    assert decode(out)[0] == [("tagged", "a!", "", None), ("tagged", "b!", "", None)]


def test_transform_may_set_ids() -> None:
    count = iter(range(100))

    def number(event: Event) -> Event:
        return Event(event.data, id=str(next(count)))

    out = b"".join(relay([b"data: a\n\ndata: b\n\n"], transform=number))
    assert decode(out)[0] == [("message", "a", "0", None), ("message", "b", "1", None)]


def test_transform_returning_a_wrong_type() -> None:
    async def run() -> None:
        async for _ in relay_events(_aiter([b"data: a\n\n"]), transform=lambda e: "nope"):  # type: ignore[arg-type,return-value]
            pass

    with pytest.raises(TypeError, match="Event or None, not str"):
        asyncio.run(run())


def test_error_event_kinds() -> None:
    import httpx

    upstream = error_event(httpx.RemoteProtocolError("peer closed connection"))
    assert upstream.event == "error"
    assert upstream.json() == {
        "error": {"type": "upstream_error", "message": "peer closed connection"}
    }
    internal = error_event(KeyError("secret internals"))
    assert internal.json() == {"error": {"type": "relay_error", "message": "KeyError"}}
