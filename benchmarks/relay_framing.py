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

import time
from collections.abc import Callable

import ssecodec
from ssecodec import Decoder
from ssecodec._framing import Framer

EVENTS = 50_000


def stream(kind: str) -> bytes:
    out = []
    for i in range(EVENTS):
        event = (
            b'data: {"id":"chatcmpl-9xKq2mZbT7fWcR1a","object":"chat.completion.chunk",'
            b'"created":1718000000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,'
            b'"delta":{"content":" tok%d"},"finish_reason":null}]}\n\n' % i
        )
        if kind == "crlf":
            event = event.replace(b"\n", b"\r\n")
        out.append(b": ping\n\n" + event if kind == "pings" and i % 100 == 0 else event)
    return b"".join(out)


def best(run: Callable[[], object]) -> float:
    """ns per event, the best of 5 runs."""
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
                f"| {kind} | {size} | {best(lambda: frame(True)):.0f} | "
                f"{best(lambda: frame(False)):.0f} | {best(decode):.0f} |"
            )


if __name__ == "__main__":
    main()
