"""How much the chunk size costs the Cython decoder: the OpenAI corpus fed in several chunk sizes.

Issue 3's target: 1,500-byte chunks within 20% (events/s) of 64 KiB chunks. `compare.py`
measures the two as separate corpora, minutes apart on a shared machine; this script times
every chunk size in each round, call by call in turn (as ``compare.py`` does for ``openai`` and
``openai-1500``), and reports the median of the per-round ratios.

Next to the extra time per extra chunk it prints what the consumer's loop costs per chunk
with no decoder: ``for chunk in chunks: out += EMPTY``, which visits each chunk object (split off
before the timing, so cold in cache) as any consumer does, but calls nothing. The difference
between the two is what a ``feed()`` call costs per chunk: the call, the returned list and
the line split across the chunk boundary.

Run: ``python benchmarks/chunk_size.py [--rounds 11] [--sizes 65536,16384,4096,1500,512]``.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpora
import peers
import ssecodec
from compare import MIN_TIME, repeats_for, timed, timed_calls

# The harness compare.py times ssecodec with (a new Decoder, feed() per chunk, close()), on the
# twin `import ssecodec` picks: as a streaming consumer (``consume``, every event visited and
# dropped), or keeping every event in one list (``run``, the ``openai-kept`` corpus).
_TWIN = "c" if ssecodec.IMPLEMENTATION == "cython" else "py"
_PEER = peers._ssecodec_decoder(peers.twins()[_TWIN], _TWIN)

_EMPTY: list[Any] = []


def visit_all(chunks: list[bytes]) -> list[Any]:
    """The consumer's loop alone: every chunk visited, nothing called."""
    out: list[Any] = []
    for _chunk in chunks:  # FOR_ITER takes a reference: the chunk object is visited
        out += _EMPTY
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--sizes", default="65536,16384,4096,1500,512")
    parser.add_argument(
        "--mode",
        choices=("consume", "collect"),
        default="consume",
        help="drop each event as a streaming consumer does (default), or keep them all in a list",
    )
    args = parser.parse_args(argv)
    timed_decode = _PEER.consume if args.mode == "consume" else _PEER.run
    decode_all = _PEER.run
    sizes = [int(s) for s in args.sizes.split(",")]
    if ssecodec.IMPLEMENTATION != "cython":
        print("note: the Cython twin is not installed; timing the pure-Python twin")

    data = corpora._openai_stream(corpora.openai_payloads(args.events))
    chunked = {size: [data[i : i + size] for i in range(0, len(data), size)] for size in sizes}
    n_events = len(decode_all(chunked[sizes[0]]))
    for size in sizes[1:]:  # every chunking must decode to the same events
        assert decode_all(chunked[size]) == decode_all(chunked[sizes[0]])
        assert _PEER.consume(chunked[size]) == n_events
    gc.collect()
    gc.freeze()

    # Each round's sample lasts >= MIN_TIME for the largest chunks; every size is called as often.
    repeat = repeats_for(timed(partial(timed_decode, chunked[sizes[0]])), MIN_TIME)
    decode: dict[int, list[float]] = {size: [] for size in sizes}
    visit: dict[int, list[float]] = {size: [] for size in sizes}
    for rnd in range(args.rounds):
        order = sizes[rnd % len(sizes) :] + sizes[: rnd % len(sizes)]
        decoded = timed_calls([partial(timed_decode, chunked[size]) for size in order], repeat)
        visited = timed_calls([partial(visit_all, chunked[size]) for size in order], repeat)
        for size, d, v in zip(order, decoded, visited, strict=True):
            decode[size].append(d)
            visit[size].append(v)

    base = sizes[0]
    median = statistics.median
    events = "dropped" if args.mode == "consume" else "kept"
    print(
        f"{n_events:,} OpenAI events, {len(data) / 1e6:.1f} MB, {args.rounds} rounds, "
        f"ssecodec {ssecodec.IMPLEMENTATION}, events {events}; medians"
    )
    print(
        f"{'chunk':>7} {'chunks':>7} {'events/s':>11} {'vs ' + str(base):>9} "
        f"{'extra per extra chunk':>22} {'loop alone per chunk':>21}"
    )
    for size in sizes:
        n_chunks = len(chunked[size])
        pairs = list(zip(decode[base], decode[size], strict=True))  # per round, moments apart
        line = (
            f"{size:>7} {n_chunks:>7} {n_events / median(decode[size]):>11,.0f} "
            f"{median(b / t for b, t in pairs) - 1:>+9.1%}"
        )
        more_chunks = n_chunks - len(chunked[base])
        if more_chunks > 0:
            extra = median(t - b for b, t in pairs) / more_chunks
            line += f" {extra * 1e9:>19.0f} ns"
        else:
            line += f" {'':>22}"
        line += f" {median(visit[size]) / n_chunks * 1e9:>18.0f} ns"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
