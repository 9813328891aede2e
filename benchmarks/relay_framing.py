"""The relay's pass-through framing, against decoding everything, in ns per event.

    python benchmarks/relay_framing.py

One process, no I/O: a stream of OpenAI-style chunks (about 230 bytes each) is cut into
chunks of a given size and fed to

* ``Framer(keep_comments=True)``  -- framing only (boundaries, CR/BOM handling, limit);
* ``Framer()``                    -- the same, plus the search for comment lines to drop;
* ``Decoder.feed``                -- decoding every event to ``Event`` objects (what a
  pass-through would cost if it used the decoder to validate the framing);

for LF line ends, CRLF line ends (what sse-starlette sends) and LF with a ``: ping`` every
100 events. Best of 5 per figure.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import ssecodec
from ssecodec import Decoder
from ssecodec._framing import Framer

EVENTS = 50_000


def stream(kind: str) -> bytes:
    out = []
    for i in range(EVENTS):
        chunk = {
            "id": "chatcmpl-9xKq2mZbT7fWcR1a",
            "object": "chat.completion.chunk",
            "created": 1718000000,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "delta": {"content": f" tok{i}"}, "finish_reason": None}],
        }
        event = b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"
        if kind == "crlf":
            event = event.replace(b"\n", b"\r\n")
        if kind == "pings" and i % 100 == 0:
            event = b": ping\n\n" + event
        out.append(event)
    return b"".join(out)


def best(run: Callable[[], object], chunks: list[bytes]) -> float:
    times = []
    for _ in range(5):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return min(times) / EVENTS * 1e9


def main() -> None:
    print(f"ssecodec {ssecodec.IMPLEMENTATION}; ns per event ({EVENTS:,} events), best of 5\n")
    print("| stream | chunk | framing only | framing + drop comments | Decoder.feed |")
    print("|---|---:|---:|---:|---:|")
    for kind in ["lf", "crlf", "pings"]:
        data = stream(kind)
        for size in [256, 4096, 65536]:
            chunks = [data[i : i + size] for i in range(0, len(data), size)]

            def frame(keep: bool, chunks: list[bytes] = chunks) -> None:
                framer = Framer(keep_comments=keep)
                for chunk in chunks:
                    framer.feed_split(chunk)  # what the relay calls

            def decode(chunks: list[bytes] = chunks) -> None:
                decoder = Decoder()
                for chunk in chunks:
                    decoder.feed(chunk)

            print(
                f"| {kind} | {size} | {best(lambda: frame(True), chunks):.0f} | "
                f"{best(lambda: frame(False), chunks):.0f} | {best(decode, chunks):.0f} |"
            )


if __name__ == "__main__":
    main()
