"""The figures ssecodec is judged by: its paired ratio against the usual choice on every corpus,
what smaller chunks cost, and the targets. Shown in report.md, the terminal and the READMEs."""

from __future__ import annotations

from typing import Any

from fmt import change, mbps, rate, ratio, size, span, table

BASELINES = {"decode": "httpx-sse", "encode": "sse-starlette"}

# The speed targets for the compiled twin: (what, section, corpus, implementation, the least
# paired ratio that meets it). Decoders and encoders: times the usual choice's events/s; chunk
# sizes: events/s in 1,500 B chunks over events/s in 64 KiB chunks.
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


def has_c(results: dict[str, Any]) -> bool:
    return any(d["key"] == "ssecodec-c" for d in results["decoders"])


def lead(results: dict[str, Any]) -> tuple[str, str]:
    """The twin whose figures are judged: its key and its name."""
    return ("ssecodec-c", "Cython") if has_c(results) else ("ssecodec-py", "pure Python")


def _cell(row: dict[str, Any] | None, label: bool = False) -> str:
    if not row or not row.get("events_per_s"):
        return "-"
    return rate(row["events_per_s"]) + (f" ({row['label']})" if label else "")


def summary_table(results: dict[str, Any], method: str, md: bool = True) -> list[str]:
    """One row per corpus and API: the twins' events/s, the usual choice's, the fastest other
    peer's, and the one ratio judged: the lead twin's paired ratio against the usual choice,
    its column linked to the ``method`` that explains it."""
    key, name = lead(results)
    rows = []
    for kind in ("decode", "encode"):
        base = BASELINES[kind]
        apis = (
            [("", "")]
            if kind == "decode"
            else [(", `encode()`", "-encode"), (", `encode_many()`", "-encode-many")]
        )
        for entry in results[kind]:
            by = {r["impl"]: r for r in entry["rows"]}
            others = [r for r in entry["rows"] if not r["is_ssecodec"] and r["impl"] != base]
            fastest = max(others, key=lambda r: r.get("events_per_s") or 0, default=None)
            for api, suffix in apis:
                main = by.get(key + suffix)
                twins = [_cell(by.get(f"ssecodec-{t}{suffix}")) for t in ("c", "py")]
                if entry["corpus"].startswith("base64") and main and main.get("mb_per_s"):
                    twins[0] += f" ({mbps(main['mb_per_s'])} MB/s)"
                paired = main.get("vs_baseline_paired") if main else None
                pure = by.get("ssecodec-py" + suffix)
                pure_paired = pure.get("vs_baseline_paired") if pure else None
                row = [
                    f"{kind}: {entry['title']}{api}",
                    *(twins if has_c(results) else twins[1:]),
                    f"{_cell(by.get(base))} ({base})",
                    _cell(fastest, True),
                    f"**{ratio(paired)}**" if paired else "-",
                ]
                if has_c(results):
                    row.append(ratio(pure_paired) if pure_paired else "-")
                rows.append(row)
    twins = ["ssecodec (Cython)", "ssecodec (pure Python)"][0 if has_c(results) else 1 :]
    link = f"[paired]({method})" if md else "paired"
    header = ["events/s", *twins, "usual choice", "fastest other peer", f"{name} vs usual, {link}"]
    if has_c(results):
        header.append(f"pure Python vs usual, {link}")
    return [
        *table(header, rows, "l" + "r" * (len(header) - 1), md),
        "",
        "Events per second, median of the rounds. The ratio is ssecodec's speed over the usual "
        "choice's, from calls of the two taken in turn in each round: the median of the rounds.",
    ]


def chunk_lines(results: dict[str, Any]) -> list[str]:
    """One line per re-chunked corpus: what the smaller chunks cost the lead twin and httpx-sse,
    each round's two chunkings called in turn."""
    key, _ = lead(results)
    out = []
    for entry in results.get("chunking", []):
        by = {r["impl"]: r for r in entry["rows"]}
        main, base = by.get(key), by.get("httpx-sse")
        if main:
            out.append(
                f"- Chunk size, `{entry['corpus']}` ({size(entry['chunk_size'])} chunks) against "
                f"`{entry['base']}` ({size(entry['base_chunk_size'])}): {main['label']} "
                f"**{change(main['median_ratio'])}** events/s (rounds "
                f"{span(main['ratios'], change)})"
                + (f", httpx-sse {change(base['median_ratio'])}." if base else ".")
            )
    return out


def target_rows(results: dict[str, Any]) -> list[list[str]]:
    """The targets against this run's paired ratios: (target, measured, verdict); none without
    the compiled twin."""
    if not has_c(results):
        return []
    rows = []
    for what, section, corpus, key, least in TARGETS:
        entry = next((e for e in results.get(section, []) if e["corpus"] == corpus), None)
        row = next((r for r in entry["rows"] if r["impl"] == key), None) if entry else None
        fields = (
            ("median_ratio", "ratios")
            if section == "chunking"
            else ("vs_baseline_paired", "paired_ratios")
        )
        value, ratios = (row.get(f) for f in fields) if row else (None, None)
        show = change if section == "chunking" else ratio
        if value and ratios:
            verdict = "met" if value >= least else "not met"
            rows.append([what, f"{show(value)} ({span(ratios, show)})", verdict])
        else:
            rows.append([what, "-", "-"])
    return rows


def targets_table(results: dict[str, Any], md: bool = True) -> list[str]:
    rows = [[w, s, f"**{v}**" if v == "not met" else v] for w, s, v in target_rows(results)]
    header = ["target", "paired: median (rounds)", "verdict"]
    return table(header, rows, "lrl", md) if rows else []
