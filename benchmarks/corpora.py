"""Deterministic benchmark corpora, generated at run time from a seed (nothing large is committed).

Two runs, and two machines, measure the same bytes; ``scale`` shrinks the event counts for
``--quick`` runs and the pytest suite. README.md ("Corpora") says what each corpus is for. In the
``-kept`` corpora every event is kept in one list to the end of the run (``mode="collect"``); in
the others it is visited and dropped, as a streaming consumer does.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass, field

SEED = 20240521
DEFAULT_CHUNK_SIZE = 64 * 1024

_WORD_TEXT = (
    "the of and to in is that for it as with was on be by this are or from at which an but "
    "not have has had they you we can will would there their what so if about into more "
    "stream event token model server client parse buffer chunk python fast correct byte line"
)
_CJK_TEXT = (
    "你好 世界 服务器 发送 事件 流式 响应 模型 こんにちは ありがとう 東京 ストリーム 한국어 "
    "안녕하세요 데이터 😀 🚀 🎉 👍🏽 🇯🇵 ✨ 🧪 📦"
)
_WORDS = tuple(_WORD_TEXT.split())
_CJK = tuple(_CJK_TEXT.split())


@dataclass
class Corpus:
    """One decoder input: the stream's bytes and the chunks they are fed in."""

    name: str
    title: str
    description: str
    data: bytes
    chunk_size: int
    chunks: list[bytes] = field(repr=False, default_factory=list)
    mode: str = "consume"  # or "collect": every event kept in one list to the end of the run

    def __post_init__(self) -> None:
        if not self.chunks:
            self.chunks = split(self.data, self.chunk_size)


@dataclass
class EncodeCorpus:
    """One encoder input: ``(data, event, id)`` triples (``None`` = field not sent)."""

    name: str
    title: str
    description: str
    items: list[tuple[str, str | None, str | None]] = field(repr=False)


def split(data: bytes, size: int) -> list[bytes]:
    """Cut ``data`` into ``size``-byte chunks (the last one shorter)."""
    return [data[i : i + size] for i in range(0, len(data), size)]


def _count(n: int, scale: float) -> int:
    return max(1, round(n * scale))


def openai_payloads(n: int, *, cjk: bool = False, seed: int = SEED) -> list[str]:
    """``n`` chat-completion chunk JSON payloads, in completions of 200-600 tokens."""
    rng = random.Random(seed + (1 if cjk else 0))
    vocab = _CJK if cjk else _WORDS
    out: list[str] = []
    created = 1_730_000_000
    while len(out) < n:
        completion_id = "chatcmpl-" + "".join(
            rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
            for _ in range(29)
        )
        created += rng.randrange(1, 30)
        length = rng.randrange(200, 600)
        head = (
            f'{{"id":"{completion_id}","object":"chat.completion.chunk","created":{created},'
            f'"model":"gpt-4o-mini","system_fingerprint":"fp_0ba0d124f1","choices":[{{"index":0,'
        )
        for i in range(length):
            if i == 0:
                body = (
                    '"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null'
                )
            elif i == length - 1:
                body = '"delta":{},"logprobs":null,"finish_reason":"stop"'
            else:
                token = json.dumps(("" if cjk else " ") + rng.choice(vocab), ensure_ascii=False)
                body = f'"delta":{{"content":{token}}},"logprobs":null,"finish_reason":null'
            out.append(head + body + "}]}")
            if len(out) == n:
                break
    return out


def openai_stream(payloads: list[str], newline: bytes = b"\n") -> bytes:
    body = b"".join(b"data: " + p.encode("utf-8") + newline + newline for p in payloads)
    return body + b"data: [DONE]" + newline + newline


def multiline_items(n: int, seed: int = SEED) -> list[tuple[str, str | None, str | None]]:
    """``n`` events with a type, an id and five data lines."""
    rng = random.Random(seed + 2)
    items = []
    for i in range(n):
        lines = [
            f'{{"seq":{i},"part":{j},"value":{rng.random():.6f},'
            f'"tag":"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}"}}'
            for j in range(5)
        ]
        items.append(("\n".join(lines), rng.choice(("update", "delta", "status")), str(i)))
    return items


def _multiline_stream(items: list[tuple[str, str | None, str | None]]) -> bytes:
    parts = []
    for i, (data, event, id_) in enumerate(items):
        block = [f"event: {event}", f"id: {id_}"]
        block.extend("data: " + line for line in data.split("\n"))
        parts.append(("\n".join(block) + "\n\n").encode("utf-8"))
        if i % 1000 == 999:
            parts.append(b": ping\n\n")  # a keep-alive after every 1,000th event
    return b"".join(parts)


def _base64_stream(n: int, seed: int = SEED) -> bytes:
    rng = random.Random(seed + 3)
    # 49,152 random bytes encode to exactly 65,536 base64 characters.
    return b"".join(b"data: " + base64.b64encode(rng.randbytes(49_152)) + b"\n\n" for _ in range(n))


def decode_corpora(scale: float = 1.0, chunk_size: int = DEFAULT_CHUNK_SIZE) -> list[Corpus]:
    """The decoder corpora; ``scale`` multiplies every event count (1.0 = the full run)."""
    n, n_tiny, n_multi, n_b64 = (_count(k, scale) for k in (100_000, 500_000, 50_000, 256))
    openai = openai_payloads(n)
    lf, cjk = openai_stream(openai), openai_stream(openai_payloads(n, cjk=True))
    kib = f"{chunk_size // 1024} KiB" if chunk_size % 1024 == 0 else f"{chunk_size} B"
    kept = "every event appended to one list kept to the end of the run"
    return [
        Corpus(
            "openai",
            "OpenAI chunks",
            f"{n:,} chat-completion chunks (~250 B, one data: line) + [DONE], {kib} chunks",
            lf,
            chunk_size,
        ),
        Corpus(
            "openai-1500",
            "OpenAI, 1500 B chunks",
            "the OpenAI corpus fed in 1,500-byte chunks (a TCP segment each)",
            lf,
            1500,
        ),
        Corpus(
            "openai-crlf",
            "OpenAI, CRLF",
            f"the OpenAI corpus with CRLF line ends, {kib} chunks",
            openai_stream(openai, b"\r\n"),
            chunk_size,
        ),
        Corpus(
            "openai-cjk",
            "OpenAI, CJK/emoji",
            f"{n:,} chat-completion chunks with CJK text and emoji content, {kib} chunks",
            cjk,
            chunk_size,
        ),
        Corpus(
            "openai-cjk-1500",
            "OpenAI, CJK/emoji, 1500 B chunks",
            "the CJK/emoji corpus fed in 1,500-byte chunks, which split lines and characters",
            cjk,
            1500,
        ),
        Corpus(
            "tiny",
            "tiny `data: x`",
            f"{n_tiny:,} events `data: x`, {kib} chunks",
            b"data: x\n\n" * n_tiny,
            chunk_size,
        ),
        Corpus(
            "multiline",
            "multi-line events",
            f"{n_multi:,} events: event:, id:, 5 data: "
            f"lines; `: ping` every 1,000 events, {kib} chunks",
            _multiline_stream(multiline_items(n_multi)),
            chunk_size,
        ),
        Corpus(
            "base64-64k",
            "64 KiB base64 lines",
            f"{n_b64:,} events of one 64 KiB base64 data: line, {kib} chunks",
            _base64_stream(n_b64),
            chunk_size,
        ),
        Corpus(
            "openai-kept",
            "OpenAI chunks, all events kept",
            f"the OpenAI corpus, {kib} chunks, {kept}",
            lf,
            chunk_size,
            mode="collect",
        ),
        Corpus(
            "openai-1500-kept",
            "OpenAI, 1500 B chunks, all kept",
            f"the OpenAI corpus in 1,500-byte chunks, {kept}",
            lf,
            1500,
            mode="collect",
        ),
    ]


def encode_corpora(scale: float = 1.0) -> list[EncodeCorpus]:
    """The encoder inputs: OpenAI payloads (data only) and multi-line typed events with ids."""
    n, n_multi = _count(100_000, scale), _count(50_000, scale)
    return [
        EncodeCorpus(
            "openai",
            "OpenAI chunks",
            f"{n:,} events: one-line JSON data, no type, no id",
            [(p, None, None) for p in openai_payloads(n)],
        ),
        EncodeCorpus(
            "multiline",
            "multi-line events",
            f"{n_multi:,} events: event type, id, 5-line data",
            multiline_items(n_multi),
        ),
    ]
