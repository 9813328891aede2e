"""The compiled twin decodes data values with its own UTF-8 decoder (measure, then write once
at the final width, ASCII runs 16 bytes at a time). Its result must be exactly
``bytes.decode("utf-8", "replace")``: the same characters and the same canonical string kind
(checked through ``sys.getsizeof``, which differs between 1-, 2- and 4-byte kinds).

Values are placed at every offset around the 16- and 32-byte block boundaries, and every code
point goes through the decoder once.
"""

from __future__ import annotations

import random
import sys
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st


def _decode_values(impl: ModuleType, values: list[bytes]) -> list[str]:
    stream = b"".join(b"data: " + v + b"\n\n" for v in values)
    events = impl.Decoder(max_line_size=None, max_event_size=None).feed(stream)
    assert len(events) == len(values)
    return [e.data for e in events]


def _check(impl: ModuleType, values: list[bytes]) -> None:
    for raw, got in zip(values, _decode_values(impl, values), strict=True):
        want = raw.decode("utf-8", "replace")
        assert got == want, raw
        assert sys.getsizeof(got) == sys.getsizeof(want), (raw, "string kind differs")


# Characters at each width boundary, and ill-formed sequences (truncated, overlong, surrogate,
# above U+10FFFF, stray continuation bytes).
SAMPLES = [
    c.encode("utf-8")
    for c in (
        "\x80",
        "\xe9",
        "\xff",
        "\u0100",
        "\u07ff",
        "\u0800",
        "\u4f60",
        "\ud7ff",
        "\ue000",
        "\uffff",
        "\U00010000",
        "\U0001f600",
        "\U0010ffff",
    )
] + [
    b"\xc0\x80",
    b"\xc1\xbf",
    b"\xc2",
    b"\xe0\x80\x80",
    b"\xe0\xa0",
    b"\xed\xa0\x80",
    b"\xed\x9f",
    b"\xf0\x80\x80\x80",
    b"\xf0\x90\x80",
    b"\xf4\x90\x80\x80",
    b"\xf5\x80\x80\x80",
    b"\xff",
    b"\x80",
    b"\xbf\xbf",
    b"\xe4\xbd",
    b"\xe4\xbd\xa0\xa0",
]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda b: b.hex())
def test_one_character_at_every_offset(impl: ModuleType, sample: bytes) -> None:
    values = [
        b"a" * before + sample + b"b" * after
        for before in range(0, 50)
        for after in (0, 1, 7, 15, 16, 17, 33)
    ]
    _check(impl, values)


@pytest.mark.parametrize("first", SAMPLES[:13:3], ids=lambda b: b.hex())
@pytest.mark.parametrize("second", SAMPLES[1:13:3] + SAMPLES[14:20:2], ids=lambda b: b.hex())
def test_two_characters_at_every_distance(impl: ModuleType, first: bytes, second: bytes) -> None:
    values = [
        b"x" * before + first + b"y" * gap + second + b"z" * 5
        for before in (0, 3, 15, 16, 31)
        for gap in range(0, 40)
    ]
    _check(impl, values)


def test_every_code_point(c_impl: ModuleType) -> None:
    for start in range(0, 0x110000, 0x8000):
        values = [
            b'{"content":"' + chr(cp).encode("utf-8") + b'"} and some ASCII after it'
            for cp in range(start, start + 0x8000)
            if not 0xD800 <= cp < 0xE000 and chr(cp) not in "\r\n"
        ]
        _check(c_impl, values)


def test_random_mixtures(impl: ModuleType) -> None:
    rng = random.Random(20261122)
    pools = [
        range(0x20, 0x7F),
        range(0x80, 0x100),
        range(0x100, 0x800),
        range(0x800, 0xD800),
        range(0xE000, 0x10000),
        range(0x10000, 0x110000),
    ]
    values = []
    for _ in range(3000):
        parts = []
        for _ in range(rng.randrange(1, 8)):
            if rng.random() < 0.5:
                parts.append("a" * rng.randrange(0, 70))
            else:
                pool = rng.choice(pools)
                parts.append("".join(chr(rng.choice(pool)) for _ in range(rng.randrange(1, 6))))
        raw = bytearray("".join(parts).encode("utf-8"))
        if raw and rng.random() < 0.3:  # break it somewhere
            raw[rng.randrange(len(raw))] = rng.randrange(0x80, 0x100)
        values.append(bytes(raw).replace(b"\r", b"").replace(b"\n", b""))
    _check(impl, values)


@given(st.lists(st.one_of(st.text(max_size=40), st.binary(max_size=40)), max_size=6))
def test_any_value(impl: ModuleType, parts: list[str | bytes]) -> None:
    raw = b"".join(p.encode("utf-8", "surrogatepass") if isinstance(p, str) else p for p in parts)
    _check(impl, [raw.replace(b"\r", b"").replace(b"\n", b"")])
