"""What the chunk size costs the decoder: the OpenAI corpus fed in several chunk sizes.

Every size is timed in each round, call by call in turn (as ``compare.py`` pairs ``openai`` and
``openai-1500``); reported: the median of the per-round ratios. Next to the extra time per
extra chunk it prints the **floor**: the same consumer loop around a stand-in for ``feed()``
that decodes nothing (``list.__getitem__`` with a slice made before the timing, returning a new
list of as many ready events as the real chunk completes), i.e. what CPython charges for every
``feed()`` call. ``decoder`` is the rest; ``if decoder = 0`` is the ratio that would leave.

    python benchmarks/chunk_size.py [--rounds 11] [--sizes 65536,16384,4096,1500,512]
                                    [--mode consume|collect]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpora
import peers
import ssecodec
from timing import MIN_TIME, repeats_for, timed, timed_calls

# compare.py's harness for the twin `import ssecodec` picks: a streaming consumer (consume),
# or every event kept in one list (run, the -kept corpora).
_TWIN = "c" if ssecodec.IMPLEMENTATION == "cython" else "py"
_PEER = peers.ssecodec_decoder(peers.twins()[_TWIN], _TWIN)


def floor_consume(take: Callable[[slice], list[Any]], slices: list[slice]) -> int:
    """The streaming consumer's loop around a ``feed()`` that decodes nothing."""
    n = 0
    for s in slices:
        for _event in take(s):
            n += 1
    return n


def floor_collect(take: Callable[[slice], list[Any]], slices: list[slice]) -> list[Any]:
    """The keeping consumer's loop around a ``feed()`` that decodes nothing."""
    out: list[Any] = []
    for s in slices:
        out += take(s)
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
        help="drop each event (default), or keep them all in a list",
    )
    args = parser.parse_args(argv)
    consume = args.mode == "consume"
    timed_decode = _PEER.consume if consume else _PEER.run
    timed_floor = floor_consume if consume else floor_collect
    sizes = [int(s) for s in args.sizes.split(",")]
    if ssecodec.IMPLEMENTATION != "cython":
        print("note: the Cython twin is not installed; timing the pure-Python twin")

    data = corpora.openai_stream(corpora.openai_payloads(args.events))
    chunked = {size: corpora.split(data, size) for size in sizes}
    events = _PEER.run(chunked[sizes[0]])
    for size in sizes[1:]:  # every chunking must decode to the same events
        assert _PEER.run(chunked[size]) == events and _PEER.consume(chunked[size]) == len(events)
    # The floor's stand-in for feed(): events[0:k], k as many as the real chunk completes.
    slices = {}
    for size in sizes:
        decoder = ssecodec.Decoder()
        slices[size] = [slice(0, len(decoder.feed(chunk))) for chunk in chunked[size]]
    take = events.__getitem__
    assert all(floor_consume(take, slices[size]) == len(events) for size in sizes)
    gc.collect()
    gc.freeze()

    # Each round's sample lasts >= MIN_TIME for the largest chunks; every size is called as often.
    repeat = repeats_for(timed(partial(timed_decode, chunked[sizes[0]])), MIN_TIME)
    decode: dict[int, list[float]] = {size: [] for size in sizes}
    floor: dict[int, list[float]] = {size: [] for size in sizes}
    for rnd in range(args.rounds):
        order = sizes[rnd % len(sizes) :] + sizes[: rnd % len(sizes)]
        calls = [partial(timed_decode, chunked[size]) for size in order]
        calls += [partial(timed_floor, take, slices[size]) for size in order]
        times = timed_calls(calls, repeat)
        for size, d, f in zip(order, times, times[len(order) :], strict=False):
            decode[size].append(d)
            floor[size].append(f)

    base, median = sizes[0], statistics.median
    print(
        f"{len(events):,} OpenAI events, {len(data) / 1e6:.1f} MB, {args.rounds} rounds, "
        f"ssecodec {ssecodec.IMPLEMENTATION}, events {'dropped' if consume else 'kept'}; "
        "medians of the rounds; per extra chunk: the time beyond the largest chunks'"
    )
    print(
        f"{'chunk':>7} {'chunks':>7} {'events/s':>11} {'vs ' + str(base):>9} "
        f"{'per extra chunk':>16} {'floor':>7} {'decoder':>8} {'if decoder = 0':>15}"
    )
    for size in sizes:
        n_chunks = len(chunked[size])
        pairs = list(zip(decode[base], decode[size], strict=True))  # same round, in turn
        line = (
            f"{size:>7} {n_chunks:>7} {len(events) / median(decode[size]):>11,.0f} "
            f"{median(b / t for b, t in pairs) - 1:>+9.1%}"
        )
        more = n_chunks - len(chunked[base])
        if more > 0:
            extra = median(t - b for b, t in pairs) / more
            floor_pairs = zip(floor[base], floor[size], strict=True)
            floor_extra = median(t - b for b, t in floor_pairs) / more
            # decode[base] with only the floor's extra time per extra chunk added
            if_free = median(b / (b + floor_extra * more) for b in decode[base])
            line += (
                f" {extra * 1e9:>13.0f} ns {floor_extra * 1e9:>4.0f} ns "
                f"{(extra - floor_extra) * 1e9:>5.0f} ns {if_free - 1:>+15.1%}"
            )
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
