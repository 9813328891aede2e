"""Render ``results.json`` (see ``compare.py``) as a terminal table, Markdown and a PNG chart.

Run on its own to re-render an existing run: ``python benchmarks/report.py benchmarks/out``;
``python benchmarks/report.py benchmarks/results --update-readme`` rewrites the generated
sections of ``benchmarks/README.md`` from the committed run in ``benchmarks/results/``.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

BASELINE_LABEL = "httpx-sse"

CAVEATS = """\
- **A shared, noisy machine.** The figures are medians of the rounds on the machine in the
  header, which other jobs were using at the same time; the ±column gives half the spread
  between the fastest and slowest round. Ratios measured in the same run are more trustworthy
  than absolute numbers; rerun `make bench` on your own hardware before quoting either.
- **Every implementation decodes the same bytes and is credited with the same number of
  events** (the number ssecodec decodes): a peer that emits extra or too few events is timed
  over the same input and marked in the correctness column.
- **Real code paths carry their overheads.** httpx-sse and httpx2 run inside an
  `httpx.Response` (incremental text decoding included); requests-sse runs inside requests and
  urllib3 and reads in 512-byte pieces whatever the chunking (it calls `iter_lines()` with its
  default size), so the 1,500-byte corpus is the same input to it; the openai and anthropic
  rows are the SDKs' `SSEDecoder.iter_bytes` only (no HTTP client); aiohttp-sse's `send()` is
  a coroutine with a send timeout around each write (the write itself is captured, no socket).
- **Encoders do not all write the same bytes.** sse-starlette and aiohttp-sse end lines with
  CRLF by default (more bytes per event); FastAPI's row is `fastapi.sse.format_sse_event`, the
  function its `EventSourceResponse` routes call with already-serialised data (building and
  validating a pydantic `ServerSentEvent` per event, as a route that yields them does, costs
  more and is not included). Every encoder's output is decoded back and checked.
- **The garbage collector is off during each timed run** (after a `gc.collect()`), so no
  implementation pays for collections triggered by another one's garbage. A real application
  pays some GC cost, more for implementations that allocate more objects per event.
- **Correctness** compares the event type, data and last event ID of every event, and the
  event's `retry` where the peer reports one per event (requests-sse does not), with ssecodec's
  pure-Python twin, which the test-suite checks rule by rule against the WHATWG parsing
  algorithm ([docs/spec.md](../docs/spec.md)). Peers that do not follow the spec are still timed.
- **Python version matters.** Pure-Python peers get faster with each CPython release; the
  Cython twin is compiled for the interpreter in the header."""


# ----------------------------------------------------------------------------- formatting


def rate(x: float | None) -> str:
    if x is None:
        return "-"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= div:
            v = x / div
            return f"{v:.3g}{unit}" if v < 100 else f"{v:.0f}{unit}"
    return f"{x:.3g}"


def mbps(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.1f}" if x < 100 else f"{x:.0f}"


def ratio(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.2f}×" if x < 10 else f"{x:.1f}×"


def spread(times: list[float]) -> str:
    if len(times) < 2:
        return "-"
    return f"±{(max(times) - min(times)) / 2 / statistics.median(times):.0%}"


def _sorted_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (not r["is_ssecodec"], -(r.get("events_per_s") or 0)))


def _label(results: dict[str, Any], row: dict[str, Any]) -> str:
    version = results["versions"].get(row["impl"])
    if row["is_ssecodec"] or not version:
        return row["label"]
    return f"{row['label']} {version}"


def _mark(row: dict[str, Any]) -> str:
    if row.get("error"):
        return "error"
    return "✓" if row["correct"] else "✗"


def _bytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def _size(n: int) -> str:
    return f"{n // 1024} KiB" if n % 1024 == 0 else f"{n:,} B"


def _chunking(entry: dict[str, Any]) -> str:
    return f"{_size(entry['chunk_size'])} chunks"


def _change(x: float) -> str:
    return f"{x - 1:+.1%}".replace("-", "−")


def _change_range(ratios: list[float]) -> str:
    return f"{_change(min(ratios))} … {_change(max(ratios))}"


def _ratio_range(ratios: list[float]) -> str:
    return f"{ratio(min(ratios))} … {ratio(max(ratios))}"


CHUNKING_HEADER = ["implementation", "events/s change", "range over rounds"]


def _paired(row: dict[str, Any] | None) -> str:
    """A row's paired ratio against the baseline, bold, or "-" if not measured."""
    if not row or not row.get("vs_baseline_paired"):
        return "-"
    return "**" + ratio(row["vs_baseline_paired"]) + "**"


def _paired_lines(entry: dict[str, Any], baseline: str) -> list[str]:
    """One line per row measured in turn with the baseline: its paired ratio and range."""
    out = []
    for row in entry["rows"]:
        ratios = row.get("paired_ratios")
        if ratios:
            out.append(
                f"Paired: {row['label']} against {baseline}, called in turn in each round: "
                f"**{ratio(row['vs_baseline_paired'])}** (median of the per-round ratios; "
                f"rounds {_ratio_range(ratios)})."
            )
    return out


def chunking_tables(results: dict[str, Any]) -> list[tuple[str, list[list[str]]]]:
    """One (title, rows) per re-chunked corpus: each implementation's paired per-round change."""
    tables = []
    for entry in results.get("chunking", []):
        title = (
            f"{entry['corpus']} vs {entry['base']}: events/s in {_size(entry['chunk_size'])} "
            f"chunks against {_size(entry['base_chunk_size'])} chunks, median of the per-round "
            "ratios (both timed call by call in turn in each round)"
        )
        rows = [
            [
                _label(results, r),
                _change(r["median_ratio"]),
                _change_range(r["ratios"]),
            ]
            for r in sorted(entry["rows"], key=lambda r: (not r["is_ssecodec"], r["label"]))
        ]
        tables.append((title, rows))
    return tables


# ----------------------------------------------------------------------------- terminal


def _table(header: list[str], rows: list[list[str]], align: str) -> list[str]:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if a == "l" else c.rjust(w)
            for c, w, a in zip(cells, widths, align, strict=True)
        ).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def terminal(results: dict[str, Any]) -> str:
    meta = results["meta"]
    out = [
        "ssecodec benchmark: "
        + (f"QUICK run (--quick: event counts x{meta['scale']})" if meta["quick"] else "full run"),
        f"  {meta['python']} on {meta['platform']}",
        f"  {meta['cpu']}, {meta['cpus']} CPUs, load at start {meta['loadavg_at_start']}",
        f"  ssecodec {meta['ssecodec']} @ {meta['commit']}; {meta['rounds']} interleaved rounds, "
        f"median; {meta['gc']}",
    ]
    if results["missing"]:
        out.append(f"  not measured (not importable): {', '.join(results['missing'])}")
    for entry in results["decode"]:
        out += [
            "",
            f"decode {entry['corpus']}: {entry['description']} "
            f"({entry['events']:,} events, {_bytes(entry['bytes'])})",
        ]
        rows = [
            [
                _label(results, r),
                rate(r.get("events_per_s")),
                mbps(r.get("mb_per_s")),
                spread(r["times_s"]),
                ratio(r.get("vs_baseline")),
                ratio(r.get("vs_fastest_peer")),
                _mark(r),
            ]
            for r in _sorted_rows(entry["rows"])
        ]
        out += [
            "  " + s
            for s in _table(
                [
                    "implementation",
                    "events/s",
                    "MB/s",
                    "±",
                    "vs httpx-sse",
                    "vs fastest peer",
                    "correct",
                ],
                rows,
                "lrrrrrl",
            )
        ]
        out += ["  " + line.replace("**", "") for line in _paired_lines(entry, "httpx-sse")]
    for title, rows in chunking_tables(results):
        out += ["", f"chunk size, {title}"]
        out += ["  " + s for s in _table(CHUNKING_HEADER, rows, "lrr")]
    for entry in results["encode"]:
        out += ["", f"encode {entry['corpus']}: {entry['description']}"]
        rows = [
            [
                _label(results, r),
                rate(r.get("events_per_s")),
                mbps(r.get("mb_per_s")),
                spread(r["times_s"]),
                ratio(r.get("vs_baseline")),
                ratio(r.get("vs_fastest_peer")),
                _mark(r),
            ]
            for r in _sorted_rows(entry["rows"])
        ]
        out += [
            "  " + s
            for s in _table(
                [
                    "implementation",
                    "events/s",
                    "MB/s out",
                    "±",
                    "vs sse-starlette",
                    "vs fastest peer",
                    "correct",
                ],
                rows,
                "lrrrrrl",
            )
        ]
        out += ["  " + line.replace("**", "") for line in _paired_lines(entry, "sse-starlette")]
    targets = [[cell.replace("`", "") for cell in row] for row in target_rows(results)]
    if targets:
        out += ["", "targets:"]
        out += ["  " + line for line in _table(TARGETS_HEADER, targets, "lrl")]
    bugs = peer_bugs(results)
    if bugs:
        out += ["", "disagreements with the SSE spec (details in report.md):"]
        for peer, items in bugs.items():
            out.append(f"  {peer}: " + ", ".join(f"{name} ({what})" for name, what in items))
    return "\n".join(out)


# ----------------------------------------------------------------------------- analysis


def describe_difference(res: dict[str, Any], expected: list[dict[str, Any]]) -> str:
    """A few words on how a peer's events differ from the expected ones."""
    if res["error"]:
        return f"raises {res['error'].split(':')[0]}"
    got = res["events"]
    if len(got) > len(expected):
        n = len(got) - len(expected)
        return f"{n} extra event" + ("s" if n > 1 else "")
    if len(got) < len(expected):
        n = len(expected) - len(got)
        return f"{n} event{'s' if n > 1 else ''} missing"
    fields = sorted(
        {
            field
            for g, w in zip(got, expected, strict=True)
            for field in ("event", "data", "id", "retry")
            if g[field] != w[field] and g[field] != "n/a"
        }
    )
    return "wrong " + " and ".join(fields)


def peer_bugs(results: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """``{peer: [(case or corpus, what differs), ...]}`` for every disagreement."""
    bugs: dict[str, list[tuple[str, str]]] = {}
    for case in results["tricky"]:
        for key, res in case["results"].items():
            if not res["agrees"]:
                what = describe_difference(res, case["expected"])
                bugs.setdefault(key, []).append((case["case"], what))
    for entry in results["decode"]:
        for row in entry["rows"]:
            if not row["correct"]:
                if row["error"]:
                    what = f"raises {row['error'].split(':')[0]}"
                else:
                    what = f"{row['n_events']:,} events instead of {entry['events']:,}"
                bugs.setdefault(row["impl"], []).append((f"corpus {entry['corpus']}", what))
    return bugs


def headline(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per decode corpus: ssecodec's twins, httpx-sse and the fastest peer."""
    out = []
    for entry in results["decode"]:
        by = {r["impl"]: r for r in entry["rows"]}
        peers = [r for r in entry["rows"] if not r["is_ssecodec"] and r.get("events_per_s")]
        fastest = max(peers, key=lambda r: r["events_per_s"]) if peers else None
        out.append({"entry": entry, "by": by, "fastest": fastest})
    return out


# ----------------------------------------------------------------------------- markdown


def _md_table(header: list[str], rows: list[list[str]], align: str) -> list[str]:
    sep = ["---:" if a == "r" else ":---:" if a == "c" else "---" for a in align]
    return [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(sep) + " |",
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def _events_md(events: list[dict[str, Any]] | None, error: str | None) -> str:
    if events is None:
        return f"raises `{error}`"
    if not events:
        return "(no event)"
    parts = []
    for e in events:
        fields = [f"data={e['data']!r}"]
        if e["event"] != "message":
            fields.insert(0, f"event={e['event']!r}")
        if e["id"]:
            fields.append(f"id={e['id']!r}")
        if e["retry"] not in (None, "n/a"):
            fields.append(f"retry={e['retry']!r}")
        parts.append(", ".join(fields))
    return "<br>".join("`" + p.replace("`", "'").replace("|", "\\|") + "`" for p in parts)


def _has_c(results: dict[str, Any]) -> bool:
    return any(d["key"] == "ssecodec-c" for d in results["decoders"])


def _fastest_peer(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    peers = [r for r in rows if not r["is_ssecodec"] and r.get("events_per_s")]
    return max(peers, key=lambda r: r["events_per_s"]) if peers else None


def _ev_s(row: dict[str, Any] | None) -> str:
    return rate(row.get("events_per_s")) if row and row.get("events_per_s") else "-"


def chunking_summary(results: dict[str, Any]) -> list[str]:
    """One line per re-chunked corpus: the lead twin's paired change, and httpx-sse's."""
    lead = "ssecodec-c" if _has_c(results) else "ssecodec-py"
    out = []
    for entry in results.get("chunking", []):
        by = {r["impl"]: r for r in entry["rows"]}
        main, base = by.get(lead), by.get("httpx-sse")
        if not main:
            continue
        line = (
            f"Chunk size: `{entry['corpus']}` against `{entry['base']}` "
            f"({_size(entry['chunk_size'])} against {_size(entry['base_chunk_size'])} chunks, "
            f"timed call by call in turn in each round): {main['label']} "
            f"**{_change(main['median_ratio'])}** events/s (median of the per-round ratios; "
            f"rounds {_change_range(main['ratios'])})"
        )
        if base:
            line += f", httpx-sse {_change(base['median_ratio'])}"
        out.append(line + ".")
    return out


# Issue 3's speed targets for the compiled twin: (what, section, corpus, implementation key,
# the least paired ratio that meets it). Decoders and encoders: times the usual choice's
# events/s; chunk sizes: events/s in 1,500 B chunks over events/s in 64 KiB chunks.
TARGETS: list[tuple[str, str, str, str, float]] = [
    ("OpenAI chunks, >= 10x httpx-sse", "decode", "openai", "ssecodec-c", 10),
    ("OpenAI with CRLF, >= 10x httpx-sse", "decode", "openai-crlf", "ssecodec-c", 10),
    ("OpenAI with CJK/emoji, >= 10x httpx-sse", "decode", "openai-cjk", "ssecodec-c", 10),
    ("tiny `data: x`, >= 15x httpx-sse", "decode", "tiny", "ssecodec-c", 15),
    ("event:, id: and 5 data: lines, >= 15x httpx-sse", "decode", "multiline", "ssecodec-c", 15),
    ("64 KiB base64 lines, >= 3x httpx-sse in MB/s", "decode", "base64-64k", "ssecodec-c", 3),
    ("OpenAI, 1,500 B chunks within 20%", "chunking", "openai-1500", "ssecodec-c", 0.8),
    ("CJK/emoji, 1,500 B chunks within 20%", "chunking", "openai-cjk-1500", "ssecodec-c", 0.8),
    ("OpenAI kept, 1,500 B chunks within 20%", "chunking", "openai-1500-kept", "ssecodec-c", 0.8),
    ("`encode()`, >= 10x sse-starlette", "encode", "openai", "ssecodec-c-encode", 10),
    ("`encode()` multi-line, >= 10x", "encode", "multiline", "ssecodec-c-encode", 10),
    ("`encode_many()`, >= 20x sse-starlette", "encode", "openai", "ssecodec-c-encode-many", 20),
    ("`encode_many()` multi-line, >= 20x", "encode", "multiline", "ssecodec-c-encode-many", 20),
]


def target_rows(results: dict[str, Any]) -> list[list[str]]:
    """Issue 3's targets against this run's paired ratios: (target, measured, verdict) rows;
    none without the compiled twin."""
    if not _has_c(results):
        return []
    rows = []
    for what, section, corpus, key, least in TARGETS:
        entry = next((e for e in results.get(section, []) if e["corpus"] == corpus), None)
        row = next((r for r in entry["rows"] if r["impl"] == key), None) if entry else None
        if section == "chunking":  # chunking() rows: the per-round ratios are the paired ones
            fields, show, show_range = ("median_ratio", "ratios"), _change, _change_range
        else:
            fields, show, show_range = ("vs_baseline_paired", "paired_ratios"), ratio, _ratio_range
        value, ratios = (row.get(f) for f in fields) if row else (None, None)
        if not (value and ratios):
            rows.append([what, "-", "-"])
            continue
        rows.append(
            [what, f"{show(value)} ({show_range(ratios)})", "met" if value >= least else "not met"]
        )
    return rows


TARGETS_HEADER = ["target (issue 3)", "paired: median (rounds)", "verdict"]


def targets_table(results: dict[str, Any]) -> list[str]:
    """The targets as a Markdown table, or nothing without the compiled twin."""
    rows = [
        [what, shown, f"**{v}**" if v == "not met" else v]
        for what, shown, v in target_rows(results)
    ]
    return _md_table(TARGETS_HEADER, rows, "lrl") if rows else []


def summary_table(results: dict[str, Any]) -> list[str]:
    """The README tables: ssecodec against the baseline peer and the fastest peer."""
    has_c = _has_c(results)
    lead = "Cython" if has_c else "pure Python"
    twin_cols = ["ssecodec Cython", "ssecodec pure Python"] if has_c else ["ssecodec pure Python"]
    header = [
        "decode corpus",
        *twin_cols,
        "httpx-sse",
        "fastest peer",
        f"{lead} vs httpx-sse",
        f"{lead} vs httpx-sse, paired",
        f"{lead} vs fastest peer",
    ]
    rows = []
    for entry in results["decode"]:
        by = {r["impl"]: r for r in entry["rows"]}
        main = by.get("ssecodec-c" if has_c else "ssecodec-py")
        fastest = _fastest_peer(entry["rows"])
        twins = (
            [_ev_s(by.get("ssecodec-c")), _ev_s(by.get("ssecodec-py"))]
            if has_c
            else [_ev_s(by.get("ssecodec-py"))]
        )
        if main and entry["corpus"].startswith("base64"):
            twins[0] += f" ({mbps(main.get('mb_per_s'))} MB/s)"
        rows.append(
            [
                entry["title"],
                *twins,
                _ev_s(by.get("httpx-sse")),
                f"{_ev_s(fastest)} ({fastest['label']})" if fastest else "-",
                "**" + ratio(main.get("vs_baseline")) + "**" if main else "-",
                _paired(main),
                "**" + ratio(main.get("vs_fastest_peer")) + "**" if main else "-",
            ]
        )
    out = _md_table(header, rows, "l" + "r" * (len(header) - 1))
    chunk_lines = chunking_summary(results)
    if chunk_lines:
        out += ["", *chunk_lines]

    header = [
        "encode corpus, API",
        *twin_cols,
        "sse-starlette",
        "fastest peer",
        f"{lead} vs sse-starlette",
        f"{lead} vs sse-starlette, paired",
        f"{lead} vs fastest peer",
    ]
    rows = []
    for entry in results["encode"]:
        by = {r["impl"]: r for r in entry["rows"]}
        fastest = _fastest_peer(entry["rows"])
        for api, suffix in (("encode()", "encode"), ("encode_many()", "encode-many")):
            main = by.get(f"ssecodec-c-{suffix}" if has_c else f"ssecodec-py-{suffix}")
            twins = [_ev_s(by.get(f"ssecodec-c-{suffix}")), _ev_s(by.get(f"ssecodec-py-{suffix}"))]
            rows.append(
                [
                    f"{entry['title']}, `{api}`",
                    *(twins if has_c else twins[1:]),
                    _ev_s(by.get("sse-starlette")),
                    f"{_ev_s(fastest)} ({fastest['label']})" if fastest else "-",
                    "**" + ratio(main.get("vs_baseline")) + "**" if main else "-",
                    _paired(main),
                    "**" + ratio(main.get("vs_fastest_peer")) + "**" if main else "-",
                ]
            )
    out += ["", *_md_table(header, rows, "l" + "r" * (len(header) - 1))]
    out += [
        "",
        "events per second, median of the rounds; *vs* = ratio of events per second in the same "
        "run (above 1 = ssecodec faster); *paired* = median over the rounds of the ratio "
        "measured with the two called in turn (one call of the usual choice, then as many "
        "ssecodec calls as take as long), which a shared machine's slow moments move far less.",
    ]
    return out


def markdown(results: dict[str, Any], chart_name: str | None = "chart.png") -> str:
    meta = results["meta"]
    v = results["versions"]
    lines = [
        "# ssecodec benchmark report",
        "",
        (
            f"**Quick run** (`--quick`: event counts x{meta['scale']}, {meta['rounds']} rounds): "
            "for checking the setup, not for quoting."
            if meta["quick"]
            else "Full run (`make bench`)."
        ),
        "",
        "## Setup",
        "",
        f"- **Machine:** {meta['cpu']}, {meta['cpus']} CPUs; {meta['platform']}; "
        f"load average at start {meta['loadavg_at_start']}",
        f"- **Python:** {meta['python']} ({meta['python_build']}), GIL {meta['gil']}",
        f"- **ssecodec:** {meta['ssecodec']} at commit `{meta['commit']}`; default implementation "
        f"`{meta['ssecodec_default_implementation']}`",
        f"- **Method:** {meta['rounds']} timed rounds after one untimed warm-up run (which also "
        f"yields the events checked for correctness); {meta['order']}; {meta['timer']}"
        + (f"; {meta['repeat']}" if meta.get("repeat") else "")
        + ".",
        f"- **GC:** {meta['gc']}.",
        f"- **Chunks:** {meta['chunk_size']:,} bytes unless the corpus says otherwise; corpora "
        f"are generated from a fixed seed at run time (`benchmarks/corpora.py`), scale "
        f"{meta['scale']}.",
        f"- **Run time:** {meta['duration_s']:.0f} s, {meta['date']}.",
        "",
        "| implementation | version | driven through |",
        "| --- | --- | --- |",
    ]
    for d in results["decoders"]:
        lines.append(f"| {d['label']} | {v.get(d['key']) or '-'} | `{d['how']}` |")
    seen = set()
    for e in results["encoders"]:
        if e["key"].startswith("ssecodec"):
            continue
        if e["key"] in seen:
            continue
        seen.add(e["key"])
        dist = {
            "sse-starlette": "sse-starlette",
            "fastapi": "fastapi",
            "aiohttp-sse": "aiohttp-sse",
        }[e["key"]]
        lines.append(f"| {e['label']} (encoder) | {v.get(dist) or '-'} | `{e['how']}` |")
    if results["missing"]:
        lines += [
            "",
            "Not measured (not importable in this environment): "
            + ", ".join(f"`{m}`" for m in results["missing"])
            + ".",
        ]
    lines += ["", "## Summary", ""]
    lines += summary_table(results)
    targets = targets_table(results)
    if targets:
        lines += ["", "## Targets", "", *targets]
    if chart_name:
        lines += ["", f"![events per second per corpus, log scale]({chart_name})"]

    lines += ["", "## Decoders", ""]
    for entry in results["decode"]:
        lines += [
            f"### {entry['title']} (`{entry['corpus']}`)",
            "",
            f"{entry['description']}: {entry['events']:,} events, {_bytes(entry['bytes'])}, "
            f"{entry['chunks']:,} chunks.",
            "",
        ]
        rows = [
            [
                _label(results, r),
                rate(r.get("events_per_s")),
                mbps(r.get("mb_per_s")),
                spread(r["times_s"]),
                ratio(r.get("vs_baseline")),
                ratio(r.get("vs_fastest_peer")),
                _mark(r),
            ]
            for r in _sorted_rows(entry["rows"])
        ]
        lines += _md_table(
            [
                "implementation",
                "events/s",
                "MB/s",
                "±",
                "vs httpx-sse",
                "vs fastest peer",
                "correct",
            ],
            rows,
            "lrrrrrc",
        )
        paired_lines = _paired_lines(entry, "httpx-sse")
        if paired_lines:
            lines += ["", *paired_lines]
        lines.append("")

    tables = chunking_tables(results)
    if tables:
        lines += ["## Chunk size", ""]
        for title, rows in tables:
            lines += [f"{title}.", ""]
            lines += _md_table(CHUNKING_HEADER, rows, "lrr")
            lines.append("")

    lines += ["## Encoders", ""]
    for entry in results["encode"]:
        lines += [f"### {entry['title']} (`{entry['corpus']}`)", "", f"{entry['description']}.", ""]
        rows = [
            [
                _label(results, r),
                f"`{r['how']}`",
                rate(r.get("events_per_s")),
                mbps(r.get("mb_per_s")),
                spread(r["times_s"]),
                ratio(r.get("vs_baseline")),
                ratio(r.get("vs_fastest_peer")),
                _mark(r),
            ]
            for r in _sorted_rows(entry["rows"])
        ]
        lines += _md_table(
            [
                "implementation",
                "call",
                "events/s",
                "MB/s out",
                "±",
                "vs sse-starlette",
                "vs fastest peer",
                "round-trips",
            ],
            rows,
            "llrrrrrc",
        )
        paired_lines = _paired_lines(entry, "sse-starlette")
        if paired_lines:
            lines += ["", *paired_lines]
        lines.append("")

    lines += correctness_markdown(results)
    lines += ["## Caveats", "", CAVEATS, ""]
    return "\n".join(lines)


def correctness_markdown(results: dict[str, Any]) -> list[str]:
    lines = ["## Correctness", ""]
    decoders = results["decoders"]
    lines += [
        "Each decoder's events compared with ssecodec's pure-Python twin (event type, data, last "
        "event ID, and per-event retry where the peer reports it).",
        "",
        "### On the benchmark corpora",
        "",
    ]
    header = ["implementation", *(f"`{e['corpus']}`" for e in results["decode"])]
    rows = []
    for d in decoders:
        cells = [d["label"]]
        for entry in results["decode"]:
            row = next(r for r in entry["rows"] if r["impl"] == d["key"])
            if row["error"]:
                cells.append("error")
            elif row["correct"]:
                cells.append("✓")
            else:
                cells.append(f"✗ {row['n_events']:,} events (want {entry['events']:,})")
        rows.append(cells)
    lines += _md_table(header, rows, "l" + "c" * len(results["decode"]))
    diffs = [
        (entry, row) for entry in results["decode"] for row in entry["rows"] if not row["correct"]
    ]
    if diffs:
        lines.append("")
        for entry, row in diffs:
            if row["error"]:
                lines.append(
                    f"- **{row['label']}** on `{entry['corpus']}`: raises `{row['error']}`"
                )
                continue
            fd = row["first_difference"]
            got = _events_md([fd["got"]], None) if fd["got"] else "(no event)"
            want = _events_md([fd["expected"]], None) if fd["expected"] else "(no event)"
            lines.append(
                f"- **{row['label']}** on `{entry['corpus']}`: {row['n_events']:,} events instead "
                f"of {entry['events']:,}; first difference at event #{fd['index']:,}: got {got}, "
                f"expected {want}"
            )
    lines += ["", "### Tricky inputs", ""]
    header = ["case (rule)", *(d["label"] for d in decoders if d["key"] != "ssecodec-py")]
    rows = []
    for case in results["tricky"]:
        cells = [f"`{case['case']}` ({case['rule']})"]
        for d in decoders:
            if d["key"] == "ssecodec-py":
                continue
            res = case["results"][d["key"]]
            cells.append("✓" if res["agrees"] else ("raises" if res["error"] else "✗"))
        rows.append(cells)
    lines += _md_table(header, rows, "l" + "c" * (len(header) - 1))
    lines += ["", "Every disagreement, with the input (chunks as fed) and both outputs:", ""]
    for case in results["tricky"]:
        bad = [(k, r) for k, r in case["results"].items() if not r["agrees"]]
        if not bad:
            continue
        chunks = " + ".join(_code_bytes(c) for c in case["chunks"])
        lines += [
            f"#### `{case['case']}` ({case['rule']}): {case['why']}",
            "",
            f"Input: {chunks}",
            "",
            "| decoder | events |",
            "| --- | --- |",
            f"| ssecodec (spec) | {_events_md(case['expected'], None)} |",
        ]
        labels = {d["key"]: d["label"] for d in decoders}
        for key, res in bad:
            lines.append(f"| {labels[key]} | {_events_md(res['events'], res['error'])} |")
        lines.append("")
    bugs = peer_bugs(results)
    if bugs:
        lines += ["### Summary by peer", ""]
        labels = {d["key"]: d["label"] for d in decoders}
        for key, items in bugs.items():
            lines.append(
                f"- **{labels.get(key, key)}**: "
                + "; ".join(f"`{name}`: {what}" for name, what in items)
            )
        lines.append("")
    return lines


def _code_bytes(text: str) -> str:
    if len(text) > 90:
        text = text[:70] + "…" + text[-15:]
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


# ----------------------------------------------------------------------------- chart


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator

    panels = [("decode", e) for e in results["decode"]] + [("encode", e) for e in results["encode"]]
    ncols = 3
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(17, 4.1 * nrows), squeeze=False)
    colors = {"c": "#1565c0", "py": "#64b5f6", "base": "#616161", "peer": "#bdbdbd"}
    meta = results["meta"]

    for ax, (kind, entry) in zip(axes.flat, panels, strict=False):
        rows = [r for r in entry["rows"] if r.get("events_per_s")]
        rows.sort(key=lambda r: r["events_per_s"])
        labels, values, cols, hatches = [], [], [], []
        for r in rows:
            name = r["label"]
            if kind == "encode":
                name = name.replace("ssecodec (Cython)", "ssecodec C").replace(
                    "ssecodec (pure Python)", "ssecodec py"
                )
            labels.append(name)
            values.append(r["events_per_s"])
            if r["impl"].startswith("ssecodec-c"):
                cols.append(colors["c"])
            elif r["impl"].startswith("ssecodec-py"):
                cols.append(colors["py"])
            elif r["impl"] in ("httpx-sse", "sse-starlette"):
                cols.append(colors["base"])
            else:
                cols.append(colors["peer"])
            hatches.append("" if r["correct"] else "///")
        bars = ax.barh(range(len(rows)), values, color=cols, edgecolor="white", linewidth=0.5)
        for bar, hatch in zip(bars, hatches, strict=True):
            if hatch:
                bar.set_hatch(hatch)
                bar.set_edgecolor("#c62828")
        ax.set_xscale("log")
        ax.set_yticks(range(len(rows)), labels, fontsize=8.5)
        top = max(values, default=0)
        for i, (r, val) in enumerate(zip(rows, values, strict=True)):
            text = rate(val)
            if kind == "decode" and entry["corpus"].startswith("base64"):
                text += f"  {mbps(r['mb_per_s'])} MB/s"
            note = ""
            if r["is_ssecodec"] and r.get("vs_baseline"):
                note = ratio(r["vs_baseline"])
            if note and val == top:
                # the longest bar carries its ratio inside, so labels stay within the panel
                ax.text(val / 1.12, i, note, va="center", ha="right", fontsize=8, color="white")
            elif note:
                text += f"  ({note})"
            ax.text(val * 1.08, i, text, va="center", fontsize=8)
        if values:
            ax.set_xlim(min(values) / 1.6, max(values) * 8)
        ax.xaxis.set_major_locator(LogLocator(base=10))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: rate(x)))
        ax.grid(axis="x", which="major", color="#e0e0e0", linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if kind == "decode":
            title = f"decode: {entry['title']}"
            sub = f"{entry['events']:,} events, {_bytes(entry['bytes'])}, {_chunking(entry)}"
        else:
            title = f"encode: {entry['title']}"
            sub = f"{entry['events']:,} events"
        ax.set_title(f"{title}\n{sub}", fontsize=10, loc="left")
        ax.set_xlabel("events/s (log scale)", fontsize=8.5)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")

    from matplotlib.patches import Patch

    handles = [
        Patch(color=colors["c"], label="ssecodec (Cython)"),
        Patch(color=colors["py"], label="ssecodec (pure Python)"),
        Patch(color=colors["base"], label="baseline (httpx-sse / sse-starlette)"),
        Patch(color=colors["peer"], label="other peers"),
        Patch(
            facecolor="white",
            edgecolor="#c62828",
            hatch="///",
            label="output disagrees with the spec",
        ),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=5, frameon=False, fontsize=9)
    quick = " - QUICK RUN" if meta["quick"] else ""
    fig.suptitle(
        f"ssecodec vs peers: events per second, higher is better{quick}\n"
        f"{meta['python']}, {meta['cpu']} ({meta['cpus']} CPUs), median of {meta['rounds']} "
        f"rounds, GC off while timing; N× on ssecodec bars = speed relative to httpx-sse "
        f"(decode) or sse-starlette (encode)",
        fontsize=12,
    )
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def readme_snippet(results: dict[str, Any], chart_path: str) -> list[str]:
    """A compact table for the project README: the lead twin against the usual choice and
    against the fastest peer."""
    has_c = _has_c(results)
    lead = "ssecodec-c" if has_c else "ssecodec-py"
    name = "ssecodec (Cython)" if has_c else "ssecodec (pure Python)"
    rows = []
    groups = [("decode", e, lead, "httpx-sse") for e in results["decode"]]
    for entry in results["encode"]:
        groups += [("encode", entry, f"{lead}-encode", "sse-starlette")]
        groups += [("encode", entry, f"{lead}-encode-many", "sse-starlette")]
    for kind, entry, key, base_key in groups:
        by = {r["impl"]: r for r in entry["rows"]}
        main, base, fastest = by.get(key), by.get(base_key), _fastest_peer(entry["rows"])
        what = f"{kind}: {entry['title']}"
        if kind == "encode":
            what += ", `encode_many()`" if key.endswith("many") else ", `encode()`"
        rows.append(
            [
                what,
                _ev_s(main),
                f"{_ev_s(base)} ({base_key})",
                f"{_ev_s(fastest)} ({fastest['label']})" if fastest else "-",
                "**" + ratio(main.get("vs_baseline") if main else None) + "**",
                _paired(main),
                "**" + ratio(main.get("vs_fastest_peer") if main else None) + "**",
            ]
        )
    meta = results["meta"]
    header = [
        "events/s",
        name,
        "usual choice",
        "fastest peer",
        "vs usual",
        "vs usual, paired",
        "vs fastest",
    ]
    chunk_lines = chunking_summary(results)
    return [
        *_md_table(header, rows, "lrrrrrr"),
        "",
        *([*chunk_lines, ""] if chunk_lines else []),
        f"{meta['python']} on {meta['cpus']} shared CPUs ({meta['cpu']}), median of "
        f"{meta['rounds']} rounds. Method, every peer, correctness and caveats: "
        "[benchmarks/README.md](benchmarks/README.md); reproduce with `make bench`.",
        "",
        f"![ssecodec vs peers, events per second, log scale]({chart_path})",
    ]


def run_header(results: dict[str, Any]) -> str:
    meta = results["meta"]
    return (
        f"{'Quick' if meta['quick'] else 'Full'} run of {meta['date']}: {meta['python']}, "
        f"{meta['cpu']}, {meta['cpus']} CPUs shared with other jobs (load average "
        f"{meta['loadavg_at_start'][0] if meta['loadavg_at_start'] else '?'} at the start), "
        f"{meta['rounds']} rounds, ssecodec at commit `{meta['commit']}`; "
        f"{meta['duration_s']:.0f} s."
    )


def update_readme(results: dict[str, Any], readme: Path) -> None:
    """Rewrite the generated sections of ``benchmarks/README.md`` (between the markers)."""
    sections = {
        "RESULTS-TABLE": [
            run_header(results),
            "",
            *summary_table(results),
            *(["", *targets_table(results)] if target_rows(results) else []),
        ],
        "CAVEATS": [CAVEATS],
        "README-SNIPPET": [
            "```markdown",
            *readme_snippet(results, "benchmarks/results/chart.png"),
            "```",
        ],
    }
    text = readme.read_text()
    for name, body in sections.items():
        start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
        if start not in text or end not in text:
            raise SystemExit(f"{readme}: markers {start} ... {end} not found")
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + start + "\n" + "\n".join(body) + "\n" + end + tail
    readme.write_text(text)


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if not a.startswith("--")]
    out = Path(args[0]) if args else Path(__file__).resolve().parent / "out"
    results = json.loads((out / "results.json").read_text())
    if "--update-readme" in argv:
        update_readme(results, Path(__file__).resolve().parent / "README.md")
        return 0
    chart(results, out / "chart.png")
    (out / "report.md").write_text(markdown(results))
    print(terminal(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
