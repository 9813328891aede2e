"""Compare ssecodec's decoder and encoder with every peer: speed and correctness.

Run by ``make bench`` (which sets up ``.venv-bench`` with the peers pinned in
``requirements/bench.txt``)::

    python benchmarks/compare.py            # full run: 6-8 min on a 2-core machine
    python benchmarks/compare.py --quick    # 1/50 of the events, 3 rounds: under a minute

Method: every corpus is generated (seeded) before timing. Each implementation first decodes each
corpus once untimed: that warms it up and gives its events for the correctness check against
ssecodec's pure-Python twin. Then come ``--rounds`` timed rounds; a round times every
(corpus, implementation) pair once, with the order of the implementations rotated from round to
round, so slow drifts of a shared machine spread over everyone. The figure reported is the
median. A call shorter than ``--min-time`` is repeated within its timed sample (the warm-up
measures it); corpora with the same bytes alternate call by call. The garbage collector is
collected before and disabled during each timed sample.

Writes ``results.json``, ``report.md`` and ``chart.png`` to ``--out`` (``benchmarks/out``) and
prints the tables.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import corpora
import peers
import report
import tricky

HERE = Path(__file__).resolve().parent
REFERENCE = "ssecodec-py"
BASELINE = "httpx-sse"
ENCODE_BASELINE = "sse-starlette"
MIN_TIME = 0.2  # seconds: the shortest timed sample (fast implementations repeat the call)
MAX_REPEAT = 1000


# ----------------------------------------------------------------------------- progress


class Progress:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.start = time.monotonic()
        self._last_phase = ""

    def step(self, phase: str, detail: str = "", n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        if self.tty:
            width = 28
            frac = min(self.done / self.total, 1.0)
            bar = "#" * round(frac * width) + "." * (width - round(frac * width))
            elapsed = time.monotonic() - self.start
            line = f"\r[{bar}] {frac:4.0%} {elapsed:5.0f}s  {phase}: {detail}"
            cols = _terminal_width()
            sys.stderr.write(line[: cols - 1].ljust(cols - 1))
            sys.stderr.flush()
        elif phase != self._last_phase:
            sys.stderr.write(f"... {phase}\n")
            sys.stderr.flush()
        self._last_phase = phase

    def close(self) -> None:
        if self.enabled and self.tty:
            sys.stderr.write("\r" + " " * (_terminal_width() - 1) + "\r")
            sys.stderr.flush()


def _terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size((100, 24)).columns


# ----------------------------------------------------------------------------- timing


def timed_calls(
    fns: Sequence[Callable[[], Any]], repeat: int = 1, counts: Sequence[int] | None = None
) -> list[float]:
    """Seconds per call of each of ``fns``, called in turn ``repeat`` times (f0, f1, f0, f1,
    ...; ``counts[k]`` calls of ``fns[k]`` at each turn, 1 by default), with the collector
    collected first and off throughout. Each call is timed on its own and what it returns is
    dropped untimed, as after a single call; calls that alternate meet the same slow moments
    of a shared machine, so their ratio is steadier than their times."""
    counts = [1] * len(fns) if counts is None else list(counts)
    gc.collect()
    gc.disable()
    totals = [0] * len(fns)
    try:
        for _ in range(repeat):
            for k, fn in enumerate(fns):
                for _ in range(counts[k]):
                    start = time.perf_counter_ns()
                    result = fn()
                    totals[k] += time.perf_counter_ns() - start
                    del result
    finally:
        gc.enable()
    return [total / (repeat * count) / 1e9 for total, count in zip(totals, counts, strict=True)]


def paired_sample(
    lead: Callable[[], Any],
    lead_s: float,
    base: Callable[[], Any],
    base_s: float,
    min_time: float,
) -> float:
    """How many times faster ``lead`` runs than ``base``, from calls that alternate: one call
    of ``base``, then as many of ``lead`` as take about as long, repeated until the sample
    lasts ``min_time``. ``lead_s`` and ``base_s`` are their measured seconds per call."""
    per_base = max(1, round(base_s / lead_s)) if lead_s > 0 else 1
    turns = repeats_for(base_s + per_base * lead_s, min_time)
    base_t, lead_t = timed_calls([base, lead], turns, [1, per_base])
    return base_t / lead_t


def add_paired_samples(
    rows: list[dict[str, Any]],
    calls: dict[str, Callable[[], Any]],
    leads: Sequence[str],
    baseline: str,
    min_time: float,
) -> None:
    """One :func:`paired_sample` of each lead implementation against the baseline, appended
    to the lead's row (``paired_ratios``); implementations that raised are left out.
    ``calls`` maps implementation keys to what is timed; rows carry ``call_s``."""
    by = {row["impl"]: row for row in rows}
    base = by.get(baseline)
    if base is None or base["error"]:
        return
    for key in leads:
        lead = by.get(key)
        if lead is None or lead["error"]:
            continue
        lead.setdefault("paired_ratios", []).append(
            paired_sample(calls[key], lead["call_s"], calls[baseline], base["call_s"], min_time)
        )


def _finish_paired(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        if row.get("paired_ratios"):
            row["vs_baseline_paired"] = statistics.median(row["paired_ratios"])


def timed(fn: Callable[[], Any], repeat: int = 1) -> float:
    """Seconds per call of ``fn`` over ``repeat`` calls (see :func:`timed_calls`)."""
    return timed_calls([fn], repeat)[0]


def repeats_for(seconds_per_call: float, min_time: float) -> int:
    """How many calls make one timed sample last at least ``min_time`` seconds: a sample of a
    few milliseconds is at the mercy of one scheduler tick on a shared machine."""
    if seconds_per_call <= 0:
        return MAX_REPEAT
    return max(1, min(MAX_REPEAT, math.ceil(min_time / seconds_per_call)))


def _seconds(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``fn()`` and the seconds it took (an untimed call, measured to size the timed samples)."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _rotate(items: Sequence[Any], k: int) -> list[Any]:
    if not items:
        return []
    k %= len(items)
    return [*items[k:], *items[:k]]


# ----------------------------------------------------------------------------- correctness


def same(got: Sequence[peers.Normalized], want: Sequence[peers.Normalized]) -> bool:
    """Equal event lists, ignoring the fields a peer does not report (``NA``)."""
    if len(got) != len(want):
        return False
    for g, w in zip(got, want, strict=True):
        if g != w and not all(a is peers.NA or a == b for a, b in zip(g, w, strict=True)):
            return False
    return True


def first_difference(
    got: Sequence[peers.Normalized], want: Sequence[peers.Normalized]
) -> dict[str, Any]:
    for i, (g, w) in enumerate(zip(got, want, strict=False)):
        if not same([g], [w]):
            return {"index": i, "got": _ev(g), "expected": _ev(w)}
    i = min(len(got), len(want))
    return {
        "index": i,
        "got": _ev(got[i]) if i < len(got) else None,
        "expected": _ev(want[i]) if i < len(want) else None,
    }


def _ev(ev: peers.Normalized) -> dict[str, Any]:
    def clip(value: Any) -> Any:
        if isinstance(value, str) and len(value) > 120:
            return f"{value[:60]}...{value[-30:]} ({len(value)} chars)"
        return value

    event, data, id_, retry = ev
    return {
        "event": clip(event),
        "data": clip(data),
        "id": clip(id_),
        "retry": "n/a" if retry is peers.NA else retry,
    }


def run_decoder(
    peer: peers.DecoderPeer, chunks: list[bytes]
) -> tuple[list[Any] | None, str | None]:
    try:
        return [peer.normalize(e) for e in peer.run(chunks)], None
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


def expected_from_items(items: peers.Items) -> list[peers.Normalized]:
    out: list[peers.Normalized] = []
    last_id = ""
    for data, event, id_ in items:
        if id_ is not None:
            last_id = id_
        normalized = "\n".join(data.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        out.append((event or "message", normalized, last_id, None))
    return out


# ----------------------------------------------------------------------------- meta


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
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(args: argparse.Namespace) -> dict[str, Any]:
    import ssecodec

    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "python_build": " ".join(platform.python_build()),
        "gil": "disabled"
        if getattr(sys, "_is_gil_enabled", lambda: True)() is False
        else "enabled",
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in load] if load else None,
        "ssecodec": ssecodec.__version__,
        "ssecodec_default_implementation": ssecodec.IMPLEMENTATION,
        "commit": (commit or "unknown") + ("+dirty" if dirty else ""),
        "quick": args.quick,
        "scale": args.scale,
        "rounds": args.rounds,
        "chunk_size": args.chunk_size,
        "gc": "gc.collect() before and gc.disable() during every timed run",
        "timer": "time.perf_counter_ns, median of the rounds",
        "min_time_s": args.min_time,
        "repeat": f"a call shorter than {args.min_time:g} s is repeated within each timed sample "
        "until the sample lasts that long (each call timed on its own, its result dropped "
        "untimed; the same stream in two chunkings alternates call by call)",
        "order": "interleaved: each round times every (corpus, implementation) pair once, "
        "implementation order rotated each round; one stream in two chunkings is timed back "
        "to back per implementation",
        "events": "visited one by one and dropped (a streaming consumer); in the -kept corpora "
        "all kept in one list",
    }


# ----------------------------------------------------------------------------- main


def _rates(median_s: float, events: int, nbytes: int) -> tuple[float, float]:
    return events / median_s, nbytes / median_s / 1e6


def _add_ratios(rows: list[dict[str, Any]], baseline: str, key: str) -> None:
    peer_rates = [r[key] for r in rows if not r["is_ssecodec"] and r.get(key)]
    fastest = max(peer_rates) if peer_rates else None
    fastest_impl = next((r["impl"] for r in rows if fastest and r.get(key) == fastest), None)
    base = next((r[key] for r in rows if r["impl"] == baseline and r.get(key)), None)
    for r in rows:
        rate = r.get(key)
        r["vs_baseline"] = rate / base if rate and base else None
        r["vs_fastest_peer"] = rate / fastest if rate and fastest else None
        r["fastest_peer"] = fastest_impl


def same_bytes(dcorpora: Sequence[corpora.Corpus]) -> list[list[int]]:
    """Indices of the corpora, grouped by equal bytes taken in the same mode (the same stream
    in other chunkings)."""
    groups: list[list[int]] = []
    for i, corpus in enumerate(dcorpora):
        group = next(
            (
                g
                for g in groups
                if dcorpora[g[0]].mode == corpus.mode and dcorpora[g[0]].data == corpus.data
            ),
            None,
        )
        if group is None:
            groups.append([i])
        else:
            group.append(i)
    return groups


def chunking(
    dcorpora: Sequence[corpora.Corpus], decode: list[dict[str, Any]], groups: list[list[int]]
) -> list[dict[str, Any]]:
    """What a smaller chunk size costs each implementation: for every corpus that re-chunks
    the group's first one, the events/s ratio of the two in each round, and their median.

    The two were timed call by call in turn in every round, so the ratio is paired: a machine
    that slows down moves both. A ratio of 0.8 means 20% fewer events/s.
    """
    out = []
    for group in groups:
        base = decode[group[0]]
        for i in group[1:]:
            entry, rows = decode[i], []
            for base_row, row in zip(base["rows"], entry["rows"], strict=True):
                if not (base_row["correct"] and row["correct"] and row["times_s"]):
                    continue
                ratios = [b / t for b, t in zip(base_row["times_s"], row["times_s"], strict=True)]
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
                    "corpus": entry["corpus"],
                    "base": base["corpus"],
                    "chunk_size": dcorpora[i].chunk_size,
                    "base_chunk_size": dcorpora[group[0]].chunk_size,
                    "rows": rows,
                }
            )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1/50 of the events, 3 rounds")
    parser.add_argument("--rounds", type=int, help="timed rounds (default 5; 3 with --quick)")
    parser.add_argument(
        "--scale", type=float, help="event-count multiplier (default 1, 0.02 quick)"
    )
    parser.add_argument("--chunk-size", type=int, default=corpora.DEFAULT_CHUNK_SIZE)
    parser.add_argument(
        "--min-time",
        type=float,
        help=f"shortest timed sample in seconds; faster implementations repeat the call "
        f"(default {MIN_TIME}; {MIN_TIME / 10} with --quick)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "out", help="output directory")
    parser.add_argument("--corpus", action="append", help="only these decode corpora (repeatable)")
    parser.add_argument("--no-chart", action="store_true", help="skip chart.png (no matplotlib)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 3 if args.quick else 5
    if args.min_time is None:
        args.min_time = MIN_TIME / 10 if args.quick else MIN_TIME
    if args.scale is None:
        args.scale = 0.02 if args.quick else 1.0
    if args.rounds < 1 or args.scale <= 0 or args.min_time < 0:
        parser.error("--rounds must be >= 1, --scale > 0 and --min-time >= 0")

    t_start = time.monotonic()
    meta = machine_info(args)
    decoders, missing_dec = peers.decoders()
    encoders, missing_enc = peers.encoders()
    dcorpora = corpora.decode_corpora(args.scale, args.chunk_size)
    if args.corpus:
        unknown = set(args.corpus) - {c.name for c in dcorpora}
        if unknown:
            parser.error(f"unknown corpus {sorted(unknown)}; have {[c.name for c in dcorpora]}")
        dcorpora = [c for c in dcorpora if c.name in args.corpus]
    ecorpora = corpora.encode_corpora(args.scale)
    ref_peer = next(p for p in decoders if p.key == REFERENCE)
    # Everything built so far (modules, corpora) lives to the end: move it out of the
    # collector's sight so the gc.collect() before each timed run stays cheap.
    gc.collect()
    gc.freeze()
    phases = {"setup": time.monotonic() - t_start}

    total = (
        len(dcorpora) * len(decoders) * (args.rounds + 1)
        + len(ecorpora) * len(encoders) * (args.rounds + 1)
        + len(tricky.CASES)
    )
    progress = Progress(total, enabled=not args.no_progress)

    # --- decoders: reference, warm-up + correctness, then interleaved timed rounds
    decode: list[dict[str, Any]] = []
    for corpus in dcorpora:
        progress.step("reference", corpus.name, n=0)
        want, err = run_decoder(ref_peer, corpus.chunks)
        if want is None:
            raise SystemExit(f"ssecodec's pure-Python twin failed on {corpus.name}: {err}")
        rows = []
        for peer in decoders:
            progress.step("warm-up + correctness", f"{corpus.name} / {peer.key}")
            got, err = (want, None) if peer is ref_peer else run_decoder(peer, corpus.chunks)
            repeat, seconds = 1, 0.0
            if got is not None:  # the timed path must see the same events
                try:
                    counted, seconds = _seconds(partial(peer.consume, corpus.chunks))
                    if corpus.mode == "collect":
                        _, seconds = _seconds(partial(peer.run, corpus.chunks))
                    repeat = repeats_for(seconds, args.min_time)
                except Exception as exc:
                    got, err = None, f"consume(): {type(exc).__name__}: {exc}"
                else:
                    if counted != len(got):
                        err = f"consume() counted {counted:,} events, run() returned {len(got):,}"
                        got = None
            ok = got is not None and same(got, want)
            rows.append(
                {
                    "impl": peer.key,
                    "label": peer.label,
                    "is_ssecodec": peer.is_ssecodec,
                    "correct": ok,
                    "n_events": None if got is None else len(got),
                    "error": err,
                    "first_difference": None if ok or got is None else first_difference(got, want),
                    "repeat": repeat,
                    "call_s": seconds,
                    "times_s": [],
                }
            )
            del got
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
        del want

    # Corpora holding the same bytes in other chunk sizes are timed call by call in turn for
    # each implementation, their order rotated each round: chunking() pairs them round by round.
    groups = same_bytes(dcorpora)
    lead_key = "ssecodec-c" if any(p.key == "ssecodec-c" for p in decoders) else REFERENCE
    for rnd in range(args.rounds):
        for group in groups:
            for k, peer in _rotate(list(enumerate(decoders)), rnd):
                members = [i for i in _rotate(group, rnd) if not decode[i]["rows"][k]["error"]]
                progress.step(
                    f"decode round {rnd + 1}/{args.rounds}",
                    f"{dcorpora[group[0]].name} / {peer.key}",
                    n=len(group),
                )
                if not members:
                    continue
                calls = [
                    partial(
                        peer.run if dcorpora[i].mode == "collect" else peer.consume,
                        dcorpora[i].chunks,
                    )
                    for i in members
                ]
                repeat = max(decode[i]["rows"][k]["repeat"] for i in members)
                for i, seconds in zip(members, timed_calls(calls, repeat), strict=True):
                    decode[i]["rows"][k]["times_s"].append(seconds)
        # Each twin against the baseline, call by call in turn: the ratio the targets are
        # judged by (the lead twin's), steadier than the ratio of two medians taken seconds
        # apart. The pure-Python twin's is what users without a wheel get.
        leads = list(dict.fromkeys([lead_key, REFERENCE]))
        for corpus, entry in zip(dcorpora, decode, strict=True):
            progress.step(f"decode round {rnd + 1}/{args.rounds}", f"{corpus.name} paired", n=0)
            take = "run" if corpus.mode == "collect" else "consume"
            calls = {
                peer.key: partial(getattr(peer, take), corpus.chunks)
                for peer in decoders
                if peer.key in (*leads, BASELINE)
            }
            add_paired_samples(entry["rows"], calls, leads, BASELINE, args.min_time)

    for entry in decode:
        for row in entry["rows"]:
            if row["times_s"]:
                row["median_s"] = statistics.median(row["times_s"])
                row["events_per_s"], row["mb_per_s"] = _rates(
                    row["median_s"], entry["events"], entry["bytes"]
                )
            else:
                row["median_s"] = row["events_per_s"] = row["mb_per_s"] = None
        _add_ratios(entry["rows"], BASELINE, "events_per_s")
        _finish_paired(entry["rows"])

    chunk_cost = chunking(dcorpora, decode, groups)
    phases["decode"] = time.monotonic() - t_start - sum(phases.values())

    # --- encoders
    encode: list[dict[str, Any]] = []
    prepared: dict[tuple[str, str], Callable[[], Any]] = {}
    for ecorpus in ecorpora:
        want = expected_from_items(ecorpus.items)
        rows = []
        for enc in encoders:
            progress.step("encode warm-up + correctness", f"{ecorpus.name} / {enc.key}")
            fn = enc.prepare(ecorpus.items)
            prepared[ecorpus.name, enc.key] = fn
            error, repeat, seconds = None, 1, 0.0
            try:
                out, seconds = _seconds(fn)
                repeat = repeats_for(seconds, args.min_time)
                blob = out if isinstance(out, bytes) else b"".join(out)
                got, err = run_decoder(ref_peer, [blob])
                ok = got is not None and same(got, want)
                diff = None if ok or got is None else first_difference(got, want)
            except Exception as exc:
                blob, ok, diff, error = b"", False, None, f"{type(exc).__name__}: {exc}"
            rows.append(
                {
                    "impl": enc.key,
                    "label": enc.label,
                    "is_ssecodec": enc.is_ssecodec,
                    "how": enc.how,
                    "correct": ok,
                    "error": error,
                    "output_bytes": len(blob),
                    "first_difference": diff,
                    "repeat": repeat,
                    "call_s": seconds if error is None else 0.0,
                    "times_s": [],
                }
            )
        encode.append(
            {
                "corpus": ecorpus.name,
                "title": ecorpus.title,
                "description": ecorpus.description,
                "events": len(ecorpus.items),
                "rows": rows,
            }
        )

    for rnd in range(args.rounds):
        for ecorpus, entry in zip(ecorpora, encode, strict=True):
            by_key = {r["impl"]: r for r in entry["rows"]}
            for enc in _rotate(encoders, rnd):
                row = by_key[enc.key]
                progress.step(
                    f"encode round {rnd + 1}/{args.rounds}", f"{ecorpus.name} / {enc.key}"
                )
                if row["error"]:
                    continue
                row["times_s"].append(timed(prepared[ecorpus.name, enc.key], row["repeat"]))
            calls = {enc.key: prepared[ecorpus.name, enc.key] for enc in encoders}
            add_paired_samples(
                entry["rows"],
                calls,
                [f"{lead_key}-encode", f"{lead_key}-encode-many"],
                ENCODE_BASELINE,
                args.min_time,
            )
    prepared.clear()

    for entry in encode:
        for row in entry["rows"]:
            if row["times_s"]:
                row["median_s"] = statistics.median(row["times_s"])
                row["events_per_s"], row["mb_per_s"] = _rates(
                    row["median_s"], entry["events"], row["output_bytes"]
                )
            else:
                row["median_s"] = row["events_per_s"] = row["mb_per_s"] = None
        _add_ratios(entry["rows"], ENCODE_BASELINE, "events_per_s")
        _finish_paired(entry["rows"])

    phases["encode"] = time.monotonic() - t_start - sum(phases.values())

    # --- tricky inputs
    cases = []
    for case in tricky.CASES:
        progress.step("tricky inputs", case.name)
        want, _ = run_decoder(ref_peer, list(case.chunks))
        assert want is not None
        results = {}
        for peer in decoders:
            got, err = run_decoder(peer, list(case.chunks))
            results[peer.key] = {
                "events": None if got is None else [_ev(e) for e in got],
                "error": err,
                "agrees": got is not None and same(got, want),
            }
        cases.append(
            {
                "case": case.name,
                "rule": case.rule,
                "why": case.why,
                "chunks": [repr(c) for c in case.chunks],
                "expected": [_ev(e) for e in want],
                "results": results,
            }
        )
    progress.close()
    phases["tricky"] = time.monotonic() - t_start - sum(phases.values())

    meta["phases_s"] = {k: round(v, 1) for k, v in phases.items()}
    meta["duration_s"] = round(time.monotonic() - t_start, 1)
    results = {
        "meta": meta,
        "versions": {
            **{p.key: p.version for p in decoders},
            **{e.dist: e.version for e in encoders},
        },
        "decoders": [{"key": p.key, "label": p.label, "how": p.how} for p in decoders],
        "encoders": [{"key": e.key, "label": e.label, "how": e.how} for e in encoders],
        "missing": sorted(set(missing_dec + missing_enc)),
        "decode": decode,
        "chunking": chunk_cost,
        "encode": encode,
        "tricky": cases,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    chart = None
    if not args.no_chart:
        chart = args.out / "chart.png"
        report.chart(results, chart)
    (args.out / "report.md").write_text(
        report.markdown(results, chart_name="chart.png" if chart else None)
    )
    print(report.terminal(results))
    print()
    written = ["results.json", "report.md"] + (["chart.png"] if chart else [])
    print(
        f"wrote {', '.join(str(args.out / w) for w in written)}; "
        f"{time.monotonic() - t_start:.0f} s in all ({meta['phases_s']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
