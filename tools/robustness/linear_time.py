"""Cost per byte of decoding, from 1 MiB to 64 MiB: flat means linear time.

A measurement, not a timed test: it prints tables (and writes ``linear_time.json`` and a PNG
chart to ``benchmarks/out/``) for a person to read; docs/robustness.md has the figures. Times
are the process's CPU time (``time.process_time``), which other work on the machine distorts
less than wall-clock time. Every stream is a ~1 MiB block cut into chunks once and fed again
and again, so nothing large is built. Sections:

1. ``mixed``: realistic events (one-line JSON, multi-line events with ``event:``/``id:``,
   comments, CRLF and LF) at 1..64 MiB in 1-byte, 7-byte and 64 KiB chunks.
2. ``shapes`` that stress the line scanner, at 1 and 16 MiB, limits off: one line with no
   terminator, only LF, only CR, CRLF split across every chunk, one endless event.
3. ``big-event``: one event of many lines in 4 KiB chunks (1, 4 and 16 MiB).
4. ``retry`` values of 10 to 1,000,000 digits (beyond 100,000 digits the value is ignored, R16).

    python tools/robustness/linear_time.py                 # everything, both twins (~10 min)
    python tools/robustness/linear_time.py --impl c --quick

The pure-Python twin is ~20x slower per call: its 1-byte and 7-byte runs stop at ``--py-max``
(16 MiB by default) and the tables say so.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import random
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

KiB, MiB = 1024, 1024 * 1024
OUT = Path(__file__).resolve().parents[2] / "benchmarks" / "out"  # git-ignored scratch
SHAPES = {
    "long-line": b"x" * 4096,  # one line, no terminator
    "lf-only": b"\n" * 4096,  # blank lines
    "cr-only": b"\r" * 4096,
    "crlf": b"\r\n" * 2048,  # split across 1-byte chunks
    "data-lines": b"data: abc\n" * 410,  # one endless event: the buffer grows
}


def load(impl: str) -> ModuleType:
    return importlib.import_module(f"ssecodec._codec_{impl}")


def mixed_block(size: int = MiB, seed: int = 7) -> bytes:
    """About ``size`` bytes of realistic events (deterministic)."""
    rng, parts, total, i = random.Random(seed), [], 0, 0
    while total < size:
        i += 1
        kind = rng.random()
        if kind < 0.6:
            text = "".join(rng.choice("abcdefghij klmnop") for _ in range(rng.randint(5, 120)))
            ev = b'data: {"id":%d,"delta":"%s"}\n\n' % (i, text.encode())
        elif kind < 0.85:
            lines = b"".join(b"data: line %d of %d\r\n" % (k, i) for k in range(rng.randint(2, 6)))
            ev = b"event: update\r\nid: %d\r\n%s\r\n" % (i, lines)
        elif kind < 0.95:
            ev = b": keep-alive\n"
        else:
            ev = b"retry: %d\ndata: \xe2\x82\xac%d\n\n" % (rng.randint(0, 10**6), i)
        parts.append(ev)
        total += len(ev)
    return b"".join(parts)[:size]


def cut(block: bytes, chunk: int) -> list[bytes]:
    """The block trimmed to a multiple of ``chunk`` and cut into chunks."""
    return [block[i : i + chunk] for i in range(0, len(block) // chunk * chunk, chunk)]


def run(mod: ModuleType, chunks: list[bytes], repeats: int, **options: Any) -> tuple[float, int]:
    """Feed ``chunks`` ``repeats`` times into one decoder: (CPU seconds, events)."""
    decoder = mod.Decoder(**options)
    feed, events = decoder.feed, 0
    gc.collect()
    start = time.process_time()
    for _ in range(repeats):
        for chunk in chunks:
            events += len(feed(chunk))
    elapsed = time.process_time() - start
    decoder.close()
    return elapsed, events


def _label(chunk: int) -> str:
    return f"{chunk // KiB} KiB" if chunk >= KiB else f"{chunk} B"


def _table(title: str, header: list[str]) -> None:
    print(f"\n## {title}\n\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))


def section_mixed(impls: list[str], sizes: list[int], py_max: int) -> list[dict[str, Any]]:
    _table(
        "1. mixed stream: ns per byte (flat = linear)",
        ["twin", "chunk", *(f"{s} MiB" for s in sizes), "max/min"],
    )
    block, rows = mixed_block(), []
    for impl in impls:
        mod = load(impl)
        for chunk in (1, 7, 64 * KiB):
            chunks = cut(block, chunk)
            nbytes = len(chunks) * chunk
            run(mod, chunks[: max(1, len(chunks) // 8)], 1)  # warm up
            cells, values = [], []
            for s in sizes:
                if impl == "py" and chunk < 64 * KiB and s * MiB > py_max:
                    cells.append("-")
                    continue
                seconds, events = run(mod, chunks, s)
                values.append(seconds / (nbytes * s) * 1e9)
                cells.append(f"{values[-1]:.2f}")
                rows.append(
                    {
                        "section": "mixed",
                        "impl": impl,
                        "chunk": chunk,
                        "mib": s,
                        "bytes": nbytes * s,
                        "seconds": seconds,
                        "events": events,
                        "ns_per_byte": values[-1],
                    }
                )
            print(
                f"| {impl} | {_label(chunk)} | {' | '.join(cells)} | "
                f"{max(values) / min(values):.2f} |",
                flush=True,
            )
    return rows


def section_shapes(impls: list[str], py_max: int) -> list[dict[str, Any]]:
    _table(
        "2. scanner stress shapes: ns per byte at 1 MiB and 16 MiB (limits off)",
        ["twin", "shape", "chunk", "1 MiB", "16 MiB", "ratio"],
    )
    rows = []
    for impl in impls:
        mod = load(impl)
        for name, pattern in SHAPES.items():
            block = (pattern * (MiB // len(pattern) + 1))[:MiB]
            for chunk in (1, 64 * KiB):
                chunks = cut(block, chunk)
                values = []
                for s in (1, 16):
                    if impl == "py" and chunk == 1 and s * MiB > py_max:
                        continue
                    seconds, _ = run(mod, chunks, s, max_line_size=None, max_event_size=None)
                    values.append(seconds / (len(chunks) * chunk * s) * 1e9)
                    rows.append(
                        {
                            "section": "shapes",
                            "impl": impl,
                            "shape": name,
                            "chunk": chunk,
                            "mib": s,
                            "ns_per_byte": values[-1],
                        }
                    )
                cells = [f"{v:.2f}" for v in values] + ["-"] * (2 - len(values))
                ratio = f"{values[-1] / values[0]:.2f}" if len(values) == 2 else "-"
                print(
                    f"| {impl} | {name} | {_label(chunk)} | {cells[0]} | {cells[1]} | {ratio} |",
                    flush=True,
                )
    return rows


def _one_pass(mod: ModuleType, stream: bytes, chunk: int, **options: Any) -> tuple[float, Any]:
    """Decode ``stream`` in ``chunk``-byte chunks once: (CPU seconds, the decoder, events)."""
    chunks = [stream[i : i + chunk] for i in range(0, len(stream), chunk)]
    decoder = mod.Decoder(**options)
    gc.collect()
    start = time.process_time()
    events = [e for c in chunks for e in decoder.feed(c)]
    return time.process_time() - start, (decoder, events)


def section_big_event(impls: list[str]) -> list[dict[str, Any]]:
    _table(
        "3. one event of many lines, 4 KiB chunks",
        ["twin", "event", "lines", "ms", "ns per byte", "data correct"],
    )
    rows = []
    for impl in impls:
        for mib, lines in ((1, 12_500), (4, 50_000), (16, 200_000)):
            width = mib * MiB // lines - len(b"data: \n")
            stream = (b"data: " + b"z" * width + b"\n") * lines + b"\n"
            seconds, (_, events) = _one_pass(load(impl), stream, 4 * KiB, max_event_size=None)
            ok = len(events) == 1 and len(events[0].data) == lines * (width + 1) - 1
            v = seconds / len(stream) * 1e9
            rows.append(
                {
                    "section": "big-event",
                    "impl": impl,
                    "mib": mib,
                    "lines": lines,
                    "seconds": seconds,
                    "ns_per_byte": v,
                    "ok": ok,
                }
            )
            print(
                f"| {impl} | {len(stream) / MiB:.1f} MiB | {lines:,} | {seconds * 1e3:.1f} | "
                f"{v:.2f} | {ok} |",
                flush=True,
            )
    return rows


def section_retry(impls: list[str]) -> list[dict[str, Any]]:
    _table(
        "4. retry values: one `retry:` line plus a blank line, 64 KiB chunks",
        ["twin", "digits", "lines", "ms per line", "ns per byte", "value kept"],
    )
    rows = []
    for impl in impls:
        for digits in (10, 1_000, 10_000, 100_000, 1_000_000):
            line = b"retry: " + (b"9876543210" * (digits // 10 + 1))[:digits] + b"\n\n"
            repeats = max(1, (4 * MiB) // len(line))
            seconds, (decoder, _) = _one_pass(load(impl), line * repeats, 64 * KiB)
            kept = decoder.retry is not None
            v = seconds / (len(line) * repeats) * 1e9
            rows.append(
                {
                    "section": "retry",
                    "impl": impl,
                    "digits": digits,
                    "lines": repeats,
                    "seconds": seconds,
                    "ns_per_byte": v,
                    "kept": kept,
                }
            )
            print(
                f"| {impl} | {digits:,} | {repeats:,} | {seconds / repeats * 1e3:.3f} | "
                f"{v:.2f} | {kept} |",
                flush=True,
            )
    return rows


def chart(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    impls = [i for i in ("c", "py") if any(r["impl"] == i for r in rows)]
    fig, axes = plt.subplots(1, len(impls), figsize=(5.5 * len(impls), 4.2), squeeze=False)
    for ax, impl in zip(axes[0], impls, strict=True):
        for chunk, style in ((1, "o-"), (7, "s-"), (64 * KiB, "^-")):
            pts = [
                (r["mib"], r["ns_per_byte"])
                for r in rows
                if r["section"] == "mixed" and r["impl"] == impl and r["chunk"] == chunk
            ]
            if pts:
                ax.plot(*zip(*pts, strict=True), style, label=f"{_label(chunk)} chunks")
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="stream size (MiB)",
            ylabel="ns per byte",
            title={"c": "Cython twin", "py": "pure-Python twin"}[impl],
        )
        ax.set_xscale("log", base=2)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="center right", fontsize=8)
    fig.suptitle("ssecodec decoding cost per byte vs stream size (flat = linear time)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"\nchart: {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--impl", default="c,py")
    ap.add_argument("--sizes", default="1,2,4,8,16,32,64", help="stream sizes in MiB")
    ap.add_argument("--py-max", type=int, default=16, help="MiB cap for py 1/7-byte runs")
    ap.add_argument("--quick", action="store_true", help="sizes 1,4,16 and py-max 4")
    ap.add_argument("--sections", default="mixed,shapes,big-event,retry")
    ap.add_argument("--no-chart", action="store_true")
    args = ap.parse_args()
    impls, sections = args.impl.split(","), args.sections.split(",")
    sizes, py_max = [int(s) for s in args.sizes.split(",")], args.py_max * MiB
    if args.quick:
        sizes, py_max = [1, 4, 16], 4 * MiB
    print(
        f"Python {sys.version.split()[0]}; twins: {', '.join(impls)}; "
        f"py 1/7-byte runs up to {py_max // MiB} MiB"
    )
    rows: list[dict[str, Any]] = []
    rows += section_mixed(impls, sizes, py_max) if "mixed" in sections else []
    rows += section_shapes(impls, py_max) if "shapes" in sections else []
    rows += section_big_event(impls) if "big-event" in sections else []
    rows += section_retry(impls) if "retry" in sections else []
    OUT.mkdir(exist_ok=True)
    (OUT / "linear_time.json").write_text(json.dumps(rows, indent=1))
    if "mixed" in sections and not args.no_chart:
        chart(rows, OUT / "linear_time.png")


if __name__ == "__main__":
    main()
