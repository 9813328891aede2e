"""Compare ssecodec's decoder and encoder with every peer: speed and correctness.

Run by ``make bench`` (which sets up ``.venv-bench`` with the peers pinned in
``requirements/bench.txt``)::

    python benchmarks/compare.py            # full run: 6-9 min on a 2-core machine
    python benchmarks/compare.py --quick    # 1/50 of the events, 3 rounds: under a minute

The method is in README.md ("Method"): an untimed warm-up that also checks each peer's events,
then interleaved timed rounds, then the paired samples. Writes ``results.json``, ``report.md``
and ``chart.png`` to ``--out`` (``benchmarks/out``) and prints the summary.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import corpora
import correctness
import peers
import report
import tricky
from timing import MIN_TIME, paired_sample, repeats_for, rotate, seconds, timed_calls

HERE = Path(__file__).resolve().parent
REFERENCE = "ssecodec-py"  # the oracle of the correctness check
BASELINE = "httpx-sse"  # the usual choice the decoders are paired with
ENCODE_BASELINE = "sse-starlette"  # and the encoders
Entry = dict[str, Any]  # one corpus: its description and a row per implementation
Calls = dict[tuple[int, str], Callable[[], Any]]  # (entry index, implementation): what is timed


class Progress:
    """A one-line progress bar on stderr (one line per phase when stderr is not a terminal)."""

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total, self.done, self.enabled = max(total, 1), 0, enabled
        self.tty, self.start, self.phase = sys.stderr.isatty(), time.monotonic(), ""

    def step(self, phase: str, detail: str = "", n: int = 1) -> None:
        self.done += n
        if self.enabled and self.tty:
            frac = min(self.done / self.total, 1.0)
            bar = "#" * round(frac * 28) + "." * (28 - round(frac * 28))
            line = f"[{bar}] {frac:4.0%} {time.monotonic() - self.start:5.0f}s  {phase}: {detail}"
            cols = shutil.get_terminal_size((100, 24)).columns - 1
            sys.stderr.write("\r" + line[:cols].ljust(cols))
        elif self.enabled and phase != self.phase:
            sys.stderr.write(f"... {phase}\n")
        sys.stderr.flush()
        self.phase = phase

    def close(self) -> None:
        if self.enabled and self.tty:
            sys.stderr.write("\r" + " " * (shutil.get_terminal_size((100, 24)).columns - 1) + "\r")
            sys.stderr.flush()


# ----------------------------------------------------------------------------- warm-up


def _row(peer: peers.DecoderPeer | peers.EncoderPeer, **fields: Any) -> dict[str, Any]:
    return {
        "impl": peer.key,
        "label": peer.label,
        "is_ssecodec": peer.is_ssecodec,
        "times_s": [],
        **fields,
    }


def warm_up_decoder(
    peer: peers.DecoderPeer, corpus: corpora.Corpus, want: list[peers.Normalized], min_time: float
) -> dict[str, Any]:
    """One untimed run of ``peer`` on ``corpus``: its events are the ones checked, and the
    call's length sets how often a timed sample repeats it. The timed path (``consume``, or
    ``run`` in the -kept corpora) must see as many events as ``run`` returns."""
    got, err = correctness.run_decoder(peer, corpus.chunks)
    repeat, call_s = 1, 0.0
    if got is not None:
        try:
            counted, call_s = seconds(partial(peer.consume, corpus.chunks))
            if corpus.mode == "collect":
                _, call_s = seconds(partial(peer.run, corpus.chunks))
            repeat = repeats_for(call_s, min_time)
        except Exception as exc:
            got, err = None, f"consume(): {type(exc).__name__}: {exc}"
        else:
            if counted != len(got):
                err = f"consume() counted {counted:,} events, run() returned {len(got):,}"
                got = None
    ok, diff = correctness.verdict(got, want)
    return _row(
        peer,
        correct=ok,
        n_events=None if got is None else len(got),
        error=err,
        first_difference=diff,
        repeat=repeat,
        call_s=call_s,
    )


def warm_up_encoder(
    enc: peers.EncoderPeer,
    fn: Callable[[], Any],
    want: list[peers.Normalized],
    oracle: peers.DecoderPeer,
    min_time: float,
) -> dict[str, Any]:
    """One untimed call of ``fn``; its output decoded back must give the events it was given."""
    try:
        out, call_s = seconds(fn)
        blob = out if isinstance(out, bytes) else b"".join(out)
        got, _ = correctness.run_decoder(oracle, [blob])
    except Exception as exc:
        return _row(
            enc,
            how=enc.how,
            correct=False,
            error=f"{type(exc).__name__}: {exc}",
            output_bytes=0,
            first_difference=None,
            repeat=1,
            call_s=0.0,
        )
    ok, diff = correctness.verdict(got, want)
    return _row(
        enc,
        how=enc.how,
        correct=ok,
        error=None,
        output_bytes=len(blob),
        first_difference=diff,
        repeat=repeats_for(call_s, min_time),
        call_s=call_s,
    )


def warm_up(
    dcorpora: list[corpora.Corpus],
    decoders: list[peers.DecoderPeer],
    ecorpora: list[corpora.EncodeCorpus],
    encoders: list[peers.EncoderPeer],
    oracle: peers.DecoderPeer,
    min_time: float,
    progress: Progress,
) -> tuple[list[Entry], Calls, list[Entry], Calls]:
    """Every (corpus, implementation) once, untimed; the entries and the calls to time."""
    decode, dcalls = [], {}
    for i, corpus in enumerate(dcorpora):
        want, err = correctness.run_decoder(oracle, corpus.chunks)
        if want is None:
            raise SystemExit(f"ssecodec's pure-Python twin failed on {corpus.name}: {err}")
        rows = []
        for peer in decoders:
            progress.step("warm-up + correctness", f"{corpus.name} / {peer.key}")
            rows.append(warm_up_decoder(peer, corpus, want, min_time))
            dcalls[i, peer.key] = partial(
                peer.run if corpus.mode == "collect" else peer.consume, corpus.chunks
            )
        decode.append(
            {
                "corpus": corpus.name,
                "title": corpus.title,
                "description": corpus.description,
                "bytes": len(corpus.data),
                "chunk_size": corpus.chunk_size,
                "chunks": len(corpus.chunks),
                "mode": corpus.mode,
                "events": len(want),
                "rows": rows,
            }
        )
    encode, ecalls = [], {}
    for i, ecorpus in enumerate(ecorpora):
        want = correctness.expected_from_items(ecorpus.items)
        rows = []
        for enc in encoders:
            progress.step("encode warm-up + correctness", f"{ecorpus.name} / {enc.key}")
            ecalls[i, enc.key] = fn = enc.prepare(ecorpus.items)
            rows.append(warm_up_encoder(enc, fn, want, oracle, min_time))
        encode.append(
            {
                "corpus": ecorpus.name,
                "title": ecorpus.title,
                "description": ecorpus.description,
                "events": len(ecorpus.items),
                "rows": rows,
            }
        )
    return decode, dcalls, encode, ecalls


# ----------------------------------------------------------------------------- timed rounds


def add_paired_samples(
    rows: list[dict[str, Any]],
    calls: dict[str, Callable[[], Any]],
    leads: Sequence[str],
    baseline: str,
    min_time: float,
) -> None:
    """One :func:`timing.paired_sample` of each lead implementation against the baseline,
    appended to the lead's ``paired_ratios``; implementations that failed are left out."""
    by = {row["impl"]: row for row in rows}
    base = by.get(baseline)
    if base is None or base["error"]:
        return
    for key in leads:
        lead = by.get(key)
        if lead is not None and not lead["error"]:
            lead.setdefault("paired_ratios", []).append(
                paired_sample(calls[key], lead["call_s"], calls[baseline], base["call_s"], min_time)
            )


def timed_rounds(
    what: str,
    entries: list[Entry],
    groups: list[list[int]],
    calls: Calls,
    keys: list[str],
    pairs: tuple[Sequence[str], str],
    args: argparse.Namespace,
    progress: Progress,
) -> None:
    """``args.rounds`` rounds: each times every (entry, implementation) once, implementations
    in an order rotated each round; the entries of a group (one stream in several chunkings)
    are called in turn for each implementation. Then each entry's paired samples."""
    leads, baseline = pairs
    for rnd in range(args.rounds):
        phase = f"{what} round {rnd + 1}/{args.rounds}"
        for group in groups:
            for k, key in rotate(list(enumerate(keys)), rnd):
                progress.step(phase, f"{entries[group[0]]['corpus']} / {key}", n=len(group))
                members = [i for i in rotate(group, rnd) if not entries[i]["rows"][k]["error"]]
                if members:
                    repeat = max(entries[i]["rows"][k]["repeat"] for i in members)
                    times = timed_calls([calls[i, key] for i in members], repeat)
                    for i, t in zip(members, times, strict=True):
                        entries[i]["rows"][k]["times_s"].append(t)
        for i, entry in enumerate(entries):
            progress.step(phase, f"{entry['corpus']} paired", n=0)
            by_key = {key: calls[i, key] for key in keys if (i, key) in calls}
            add_paired_samples(entry["rows"], by_key, leads, baseline, args.min_time)


def _finish_paired(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        if row.get("paired_ratios"):
            row["vs_baseline_paired"] = statistics.median(row["paired_ratios"])


def finish(entries: list[Entry]) -> None:
    """Each row's median time, events/s and MB/s (of the corpus; of the output for encoders)."""
    for entry in entries:
        for row in entry["rows"]:
            row["median_s"] = row["events_per_s"] = row["mb_per_s"] = None
            if row["times_s"]:
                row["median_s"] = median = statistics.median(row["times_s"])
                row["events_per_s"] = entry["events"] / median
                row["mb_per_s"] = row.get("output_bytes", entry.get("bytes", 0)) / median / 1e6
        _finish_paired(entry["rows"])


def same_bytes(dcorpora: Sequence[corpora.Corpus]) -> list[list[int]]:
    """Indices of the corpora, grouped by equal bytes taken in the same mode (the same stream
    in other chunkings)."""
    groups: dict[tuple[bytes, str], list[int]] = {}
    for i, corpus in enumerate(dcorpora):
        groups.setdefault((corpus.data, corpus.mode), []).append(i)
    return list(groups.values())


def chunking(
    dcorpora: Sequence[corpora.Corpus], decode: list[Entry], groups: list[list[int]]
) -> list[dict[str, Any]]:
    """What a smaller chunk size costs each implementation: for every corpus that re-chunks
    its group's first one, the per-round ratio of events/s (the two were called in turn in
    each round, so the ratio is paired) and its median. 0.8 means 20% fewer events/s."""
    out = []
    for first, *others in groups:
        base = decode[first]
        for i in others:
            rows = []
            for base_row, row in zip(base["rows"], decode[i]["rows"], strict=True):
                if base_row["correct"] and row["correct"] and row["times_s"]:
                    pairs = zip(base_row["times_s"], row["times_s"], strict=True)
                    ratios = [b / t for b, t in pairs]
                    rows.append(
                        {
                            "impl": row["impl"],
                            "label": row["label"],
                            "is_ssecodec": row["is_ssecodec"],
                            "ratios": ratios,
                            "median_ratio": statistics.median(ratios),
                        }
                    )
            out.append(
                {
                    "corpus": decode[i]["corpus"],
                    "base": base["corpus"],
                    "chunk_size": dcorpora[i].chunk_size,
                    "base_chunk_size": dcorpora[first].chunk_size,
                    "rows": rows,
                }
            )
    return out


# ----------------------------------------------------------------------------- the run


def _git(*args: str) -> str | None:
    try:
        return subprocess.run(
            ["git", *args], cwd=HERE, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def machine_info(args: argparse.Namespace) -> dict[str, Any]:
    """The header of the report: machine, load, Python build, ssecodec's commit, the options."""
    import ssecodec

    dirty = _git("status", "--porcelain", "--untracked-files=no")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "python_build": " ".join(platform.python_build()),
        "gil": "enabled" if getattr(sys, "_is_gil_enabled", lambda: True)() else "disabled",
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in load] if load else None,
        "ssecodec": ssecodec.__version__,
        "ssecodec_default_implementation": ssecodec.IMPLEMENTATION,
        "commit": (_git("rev-parse", "--short", "HEAD") or "unknown") + ("+dirty" if dirty else ""),
        "quick": args.quick,
        "scale": args.scale,
        "rounds": args.rounds,
        "chunk_size": args.chunk_size,
        "min_time_s": args.min_time,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--quick", action="store_true", help="1/50 of the events, 3 rounds")
    add("--rounds", type=int, help="timed rounds (default 5; 3 with --quick)")
    add("--scale", type=float, help="event-count multiplier (default 1, 0.02 with --quick)")
    add("--chunk-size", type=int, default=corpora.DEFAULT_CHUNK_SIZE)
    add(
        "--min-time",
        type=float,
        help=f"shortest timed sample in seconds; faster calls are "
        f"repeated within it (default {MIN_TIME}; {MIN_TIME / 10} with --quick)",
    )
    add("--out", type=Path, default=HERE / "out", help="output directory")
    add("--corpus", action="append", help="only these decode corpora (repeatable)")
    add("--no-chart", action="store_true", help="skip chart.png (no matplotlib)")
    add("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 3 if args.quick else 5
    if args.min_time is None:
        args.min_time = MIN_TIME / 10 if args.quick else MIN_TIME
    if args.scale is None:
        args.scale = 0.02 if args.quick else 1.0
    if args.rounds < 1 or args.scale <= 0 or args.min_time < 0:
        parser.error("--rounds must be >= 1, --scale > 0 and --min-time >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    t_start = time.monotonic()
    meta = machine_info(args)
    decoders, missing_dec = peers.decoders()
    encoders, missing_enc = peers.encoders()
    dcorpora = corpora.decode_corpora(args.scale, args.chunk_size)
    if set(args.corpus or ()) - {c.name for c in dcorpora}:
        raise SystemExit(f"unknown corpus in {args.corpus}; have {[c.name for c in dcorpora]}")
    dcorpora = [c for c in dcorpora if not args.corpus or c.name in args.corpus]
    ecorpora = corpora.encode_corpora(args.scale)
    oracle = next(p for p in decoders if p.key == REFERENCE)
    # What is built so far lives to the end: out of the collector's sight, so the gc.collect()
    # before each timed sample stays cheap.
    gc.collect()
    gc.freeze()
    phases = {"setup": time.monotonic() - t_start}

    def phase(name: str) -> None:
        phases[name] = time.monotonic() - t_start - sum(phases.values())

    progress = Progress(
        (len(dcorpora) * len(decoders) + len(ecorpora) * len(encoders)) * (args.rounds + 1)
        + len(tricky.CASES),
        enabled=not args.no_progress,
    )
    decode, dcalls, encode, ecalls = warm_up(
        dcorpora, decoders, ecorpora, encoders, oracle, args.min_time, progress
    )
    lead = "ssecodec-c" if any(p.key == "ssecodec-c" for p in decoders) else REFERENCE
    groups = same_bytes(dcorpora)
    # The pure-Python twin is paired too: it is what users without a wheel get.
    timed_rounds(
        "decode",
        decode,
        groups,
        dcalls,
        [p.key for p in decoders],
        (list(dict.fromkeys([lead, REFERENCE])), BASELINE),
        args,
        progress,
    )
    finish(decode)
    phase("decode")
    timed_rounds(
        "encode",
        encode,
        [[i] for i in range(len(encode))],
        ecalls,
        [e.key for e in encoders],
        ([f"{lead}-encode", f"{lead}-encode-many"], ENCODE_BASELINE),
        args,
        progress,
    )
    finish(encode)
    dcalls.clear()
    ecalls.clear()
    phase("encode")
    progress.step("tricky inputs", n=len(tricky.CASES))
    cases = correctness.check_tricky(decoders, oracle)
    progress.close()
    phase("tricky")

    meta["phases_s"] = {k: round(v, 1) for k, v in phases.items()}
    meta["duration_s"] = round(time.monotonic() - t_start, 1)
    results = {
        "meta": meta,
        "versions": {p.key: p.version for p in [*decoders, *encoders]},
        "decoders": [{"key": p.key, "label": p.label, "how": p.how} for p in decoders],
        "encoders": [{"key": e.key, "label": e.label, "how": e.how} for e in encoders],
        "missing": sorted(set(missing_dec + missing_enc)),
        "decode": decode,
        "chunking": chunking(dcorpora, decode, groups),
        "encode": encode,
        "tricky": cases,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    written = report.write(results, args.out, chart=not args.no_chart)
    print(report.terminal(results), end="\n\n")
    print(
        f"wrote {', '.join(str(p) for p in written)}; {meta['duration_s']:.0f} s in all "
        f"({meta['phases_s']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
