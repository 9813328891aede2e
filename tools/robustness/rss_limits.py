"""Peak RSS of a decoder fed an endless line or an endless event: memory stops at the limit.

Each case runs in a fresh subprocess: it reads ``ru_maxrss`` (the baseline), then feeds the
stream in 64 KiB chunks generated lazily (1 GiB is never in memory), catching
:class:`LimitExceeded` and feeding on to the end, so the figure also covers everything after
the refusal. Reported: the bytes fed when the refusal came, the size it reported, and the peak
RSS above the baseline. Cases: ``line``, one line with no terminator (``max_line_size``);
``event-100``, 100-byte ``data:`` lines and never a blank line (``max_event_size``);
``event-8``, 8-byte lines (the worst case for per-line overhead). docs/robustness.md has the
figures.

    python tools/robustness/rss_limits.py                     # both twins, default limits, 1 GiB
    python tools/robustness/rss_limits.py --limit 4MiB        # both limits set to 4 MiB
    python tools/robustness/rss_limits.py --impl c --total 256MiB --json out.json

The pure-Python twin parses every one of the 134 M lines of ``event-8`` at 1 GiB (minutes);
``--py-total`` caps its streams (default 256 MiB, 4x the default event limit).
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
CASES = {
    "line": b"data: " + b"x" * 122,  # repeated with no line end at all
    "event-100": b"data: " + b"y" * 93 + b"\n",
    "event-8": b"data:xy\n",
}


def parse_size(text: str) -> int:
    units = {"gib": GiB, "mib": MiB, "kib": KiB, "b": 1, "": 1}
    t = text.strip().lower()
    for unit in ("gib", "mib", "kib", "b", ""):
        if t.endswith(unit) and t[: len(t) - len(unit)].replace(".", "").isdigit():
            return int(float(t[: len(t) - len(unit)]) * units[unit])
    raise argparse.ArgumentTypeError(f"not a size: {text!r}")


def chunks(pattern: bytes, total: int, size: int) -> Iterator[bytes]:
    """``total`` bytes of ``pattern`` repeated, as fresh ``size``-byte chunks."""
    block = pattern * (size // len(pattern) + 2)
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        offset = sent % len(pattern)
        yield block[offset : offset + n]  # a new bytes object, like a network read
        sent += n


def maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def child(impl: str, case: str, total: int, chunk: int, line_limit: int, event_limit: int) -> None:
    from ssecodec import LimitExceeded

    mod = importlib.import_module(f"ssecodec._codec_{impl}")
    decoder = mod.Decoder(max_line_size=line_limit, max_event_size=event_limit)
    stream = chunks(CASES[case], total, chunk)
    first = next(stream)  # the generator started before the baseline
    base = maxrss()
    fed, events, refused = 0, 0, []
    start = time.perf_counter()
    for piece in itertools.chain([first], stream):
        fed += len(piece)
        try:
            events += len(decoder.feed(piece))
        except LimitExceeded as exc:
            refused.append({"at": fed, "size": exc.size, "limit_name": exc.limit_name})
            events += len(exc.events)
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {
                "impl": impl,
                "case": case,
                "total": total,
                "chunk": chunk,
                "limit": line_limit if case == "line" else event_limit,
                "refusals": len(refused),
                "first_refusal": refused[0] if refused else None,
                "events": events,
                "baseline_rss": base,
                "peak_rss_over_baseline": maxrss() - base,
                "seconds": elapsed,
            }
        )
    )


def run_case(impl: str, case: str, *sizes: int) -> dict[str, Any]:
    """``child`` in a fresh process; sizes: total, chunk, line limit, event limit."""
    cmd = [sys.executable, __file__, "--child", impl, case, *map(str, sizes)]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def mib(n: float) -> str:
    return f"{n / MiB:.1f}"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        impl, case, *nums = sys.argv[2:]
        total, chunk, line_limit, event_limit = map(int, nums)
        child(impl, case, total, chunk, line_limit, event_limit)
        return
    from ssecodec import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--impl", default="c,py", help="twins to run: c, py or c,py")
    ap.add_argument("--case", default=",".join(CASES), help="cases: " + ", ".join(CASES))
    ap.add_argument("--total", type=parse_size, default=GiB, help="stream length (1GiB)")
    ap.add_argument(
        "--py-total",
        type=parse_size,
        default=256 * MiB,
        help="stream length cap for the pure-Python twin (256MiB)",
    )
    ap.add_argument("--chunk", type=parse_size, default=64 * KiB, help="chunk size (64KiB)")
    ap.add_argument(
        "--limit",
        type=parse_size,
        default=None,
        help="both limits (default: the decoder's, 32 MiB line, 64 MiB event)",
    )
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()
    line_limit = args.limit or DEFAULT_MAX_LINE_SIZE
    event_limit = args.limit or DEFAULT_MAX_EVENT_SIZE

    print(
        f"chunks of {args.chunk // KiB} KiB; max_line_size {mib(line_limit)} MiB, "
        f"max_event_size {mib(event_limit)} MiB; Python {sys.version.split()[0]}"
    )
    header = (
        "twin",
        "case",
        "fed MiB",
        "limit MiB",
        "refused at MiB",
        "reported size",
        "refusals",
        "peak RSS MiB",
        "over limit",
        "s",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    results = []
    for impl in args.impl.split(","):
        for case in args.case.split(","):
            total = args.total if impl == "c" else min(args.total, args.py_total)
            r = run_case(impl, case, total, args.chunk, line_limit, event_limit)
            results.append(r)
            first = r["first_refusal"] or {}
            over = r["peak_rss_over_baseline"] - r["limit"]
            print(
                f"| {impl} | {case} | {mib(total)} | {mib(r['limit'])} | "
                f"{mib(first.get('at', 0))} | {first.get('size', '-')} | {r['refusals']} | "
                f"{mib(r['peak_rss_over_baseline'])} | "
                f"{over / args.chunk:+.1f} chunks | {r['seconds']:.1f} |",
                flush=True,
            )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
