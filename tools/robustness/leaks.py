"""Leak check: a million decoder and encoder cycles must not grow memory (< 1 MiB).

Each (twin, workload) runs in a fresh subprocess: 50,000 warm-up runs (free lists, caches,
interned strings), ``gc.collect()``, the resident set size (``/proc/self/statm``), ``--n`` runs
(1,000,000), collect, RSS again. For the pure-Python twin a second phase runs the workload
``--traced-n`` times (100,000) under tracemalloc, which counts every Python allocation still
alive. The Cython twin allocates with ``PyMem_*``, so a leak there shows in RSS; the workloads
go through the error paths too, where C extensions most often forget a reference. They are
in :func:`workloads`; docs/robustness.md has the figures.

    python tools/robustness/leaks.py                      # both twins, all workloads, 1M each
    python tools/robustness/leaks.py --impl c --n 200000

Exits 1 if any workload grows RSS (or traced memory) by 1 MiB or more.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import os
import pickle
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from types import ModuleType

KiB = 1024
MiB = 1024 * KiB
WARMUP = 50_000
THRESHOLD = 1 * MiB


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def workloads(mod: ModuleType) -> dict[str, Callable[[], object]]:
    from ssecodec import LimitExceeded, SSEError

    part1 = b"\xef\xbb\xbfevent: up\nid: 42\nretry: 1234567890123456789012345\ndata: one\nda"
    part2 = b"ta: two\r\ndata: \xe2\x82\xac\n\ndata: tail"
    long_line = b"data: " + b"x" * 200 + b"\n\ndata: ok\n\n"
    Decoder, Event, encode, encode_many = mod.Decoder, mod.Event, mod.encode, mod.encode_many

    def decoder() -> object:
        d = Decoder()
        d.feed(part1)
        d.feed(memoryview(part2))
        return d.close()

    def decoder_limit() -> object:
        d = Decoder(max_line_size=64)
        try:
            d.feed(long_line)
        except LimitExceeded as exc:
            return exc.events
        raise AssertionError("no LimitExceeded")

    def decoder_errors() -> object:
        d = Decoder()
        with contextlib.suppress(TypeError):
            d.feed("data: x\n\n")  # type: ignore[arg-type]
        d.close()
        try:
            d.feed(b"data: x\n\n")
        except SSEError:
            return None
        raise AssertionError("no SSEError")

    def encode_all() -> object:
        return encode(
            "line one\nline two\r\nthree €", event="update", id="7", retry=10**30, comment="a\nb"
        )

    def encode_errors() -> object:
        for kwargs in ({"id": "a\rb"}, {"retry": -1}, {"event": 5}):
            try:
                encode("x", **kwargs)
            except (ValueError, TypeError):
                pass
            else:
                raise AssertionError(kwargs)
        try:
            encode(b"\xff\xfe")
        except ValueError:
            return None
        raise AssertionError("no ValueError")

    events = [Event("a\nb", event="e", id="1", retry=5), Event("€"), Event("", id="")]

    def encode_many_() -> object:
        return encode_many(events), events[0].encode()

    def event() -> object:
        e = Event('{"k": [1, 2]}', event="t", id="x", retry=10**20)
        assert e == pickle.loads(pickle.dumps(e))
        return hash(e), repr(e), e.json()

    return {
        "decoder": decoder,
        "decoder-limit": decoder_limit,
        "decoder-errors": decoder_errors,
        "encode": encode_all,
        "encode-errors": encode_errors,
        "encode-many": encode_many_,
        "event": event,
    }


def child(impl: str, name: str, n: int, traced_n: int) -> None:
    fn = workloads(importlib.import_module(f"ssecodec._codec_{impl}"))[name]
    for _ in range(WARMUP):
        fn()
    gc.collect()
    rss0 = rss()
    start = time.process_time()
    for _ in range(n):
        fn()
    seconds = time.process_time() - start
    gc.collect()
    rss_growth = rss() - rss0
    traced_growth = None
    if traced_n:
        tracemalloc.start()
        for _ in range(WARMUP // 10):
            fn()
        gc.collect()
        traced0 = tracemalloc.get_traced_memory()[0]
        for _ in range(traced_n):
            fn()
        gc.collect()
        traced_growth = tracemalloc.get_traced_memory()[0] - traced0
        tracemalloc.stop()
    print(
        json.dumps(
            {
                "impl": impl,
                "workload": name,
                "n": n,
                "rss_growth": rss_growth,
                "traced_n": traced_n,
                "traced_growth": traced_growth,
                "us_per_call": seconds / n * 1e6,
            }
        )
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        impl, name, n, traced_n = sys.argv[2:]
        child(impl, name, int(n), int(traced_n))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--impl", default="c,py")
    ap.add_argument("--n", type=int, default=1_000_000, help="iterations per workload (1M)")
    ap.add_argument("--workload", default=None, help="comma-separated subset")
    ap.add_argument(
        "--tracemalloc",
        choices=("py", "all", "none"),
        default="py",
        help="which twins also run under tracemalloc (py)",
    )
    ap.add_argument("--traced-n", type=int, default=100_000, help="iterations under tracemalloc")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()
    from ssecodec import _codec_py

    names = args.workload.split(",") if args.workload else list(workloads(_codec_py))
    print(f"Python {sys.version.split()[0]}; {args.n:,} iterations per workload after {WARMUP:,}")
    print(
        f"| twin | workload | RSS growth KiB | traced growth KiB ({args.traced_n:,} calls) "
        "| µs per call |"
    )
    print("|---|---|---|---|---|")
    results, failed = [], False
    for impl in args.impl.split(","):
        for name in names:
            tm = args.tracemalloc == "all" or (args.tracemalloc == "py" and impl == "py")
            traced_n = args.traced_n if tm else 0
            cmd = [sys.executable, __file__, "--child", impl, name, str(args.n), str(traced_n)]
            r = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
            results.append(r)
            traced = "-" if r["traced_growth"] is None else f"{r['traced_growth'] / KiB:.1f}"
            bad = r["rss_growth"] >= THRESHOLD or (r["traced_growth"] or 0) >= THRESHOLD
            failed |= bad
            print(
                f"| {impl} | {name} | {r['rss_growth'] / KiB:.0f} | {traced} | "
                f"{r['us_per_call']:.2f} |" + (" **LEAK?**" if bad else ""),
                flush=True,
            )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
