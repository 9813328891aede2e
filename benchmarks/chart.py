"""``chart.png``: events/s of every implementation, one panel per corpus, log scale."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fmt import mbps, megabytes, rate, ratio, size

COLORS = {"ssecodec-c": "#1565c0", "ssecodec-py": "#64b5f6", "base": "#616161", "peer": "#bdbdbd"}
LEGEND = {
    "ssecodec-c": "ssecodec (Cython)",
    "ssecodec-py": "ssecodec (pure Python)",
    "base": "baseline (httpx-sse / sse-starlette)",
    "peer": "other peers",
}


def _color(impl: str) -> str:
    twin = next((k for k in ("ssecodec-c", "ssecodec-py") if impl.startswith(k)), None)
    return COLORS[twin or ("base" if impl in ("httpx-sse", "sse-starlette") else "peer")]


def _panel(ax: Any, kind: str, entry: dict[str, Any]) -> None:
    rows = [r for r in entry["rows"] if r.get("events_per_s")]
    rows.sort(key=lambda r: r["events_per_s"])
    values = [r["events_per_s"] for r in rows]
    labels = [
        r["label"]
        .replace("ssecodec (Cython)", "ssecodec C")
        .replace("ssecodec (pure Python)", "ssecodec py")
        if kind == "encode"
        else r["label"]
        for r in rows
    ]
    bars = ax.barh(
        range(len(rows)),
        values,
        color=[_color(r["impl"]) for r in rows],
        edgecolor="white",
        linewidth=0.5,
    )
    for bar, r in zip(bars, rows, strict=True):
        if not r["correct"]:  # hatched: the peer's output disagrees with the spec
            bar.set_hatch("///")
            bar.set_edgecolor("#c62828")
    ax.set_xscale("log")
    ax.set_yticks(range(len(rows)), labels, fontsize=8.5)
    for i, (r, val) in enumerate(zip(rows, values, strict=True)):
        text = rate(val)
        if entry["corpus"].startswith("base64"):
            text += f"  {mbps(r['mb_per_s'])} MB/s"
        note = ratio(r.get("vs_baseline_paired")) if r.get("vs_baseline_paired") else ""
        if note and val == max(values):  # the longest bar carries its ratio inside
            ax.text(val / 1.12, i, note, va="center", ha="right", fontsize=8, color="white")
        elif note:
            text += f"  ({note})"
        ax.text(val * 1.08, i, text, va="center", fontsize=8)
    if values:
        ax.set_xlim(min(values) / 1.6, max(values) * 8)
    ax.grid(axis="x", which="major", color="#e0e0e0", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    sub = f"{entry['events']:,} events"
    if kind == "decode":
        sub += f", {megabytes(entry['bytes'])}, {size(entry['chunk_size'])} chunks"
    ax.set_title(f"{kind}: {entry['title']}\n{sub}", fontsize=10, loc="left")
    ax.set_xlabel("events/s (log scale)", fontsize=8.5)


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, LogLocator

    panels = [(kind, e) for kind in ("decode", "encode") for e in results[kind]]
    nrows = -(-len(panels) // 3)
    fig, axes = plt.subplots(nrows, 3, figsize=(17, 4.1 * nrows), squeeze=False)
    for ax, (kind, entry) in zip(axes.flat, panels, strict=False):
        _panel(ax, kind, entry)
        ax.xaxis.set_major_locator(LogLocator(base=10))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: rate(x)))
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    handles = [Patch(color=COLORS[k], label=label) for k, label in LEGEND.items()]
    handles.append(
        Patch(
            facecolor="white",
            edgecolor="#c62828",
            hatch="///",
            label="output disagrees with the spec",
        )
    )
    fig.legend(handles=handles, loc="lower center", ncol=5, frameon=False, fontsize=9)
    meta = results["meta"]
    fig.suptitle(
        f"ssecodec vs peers: events per second, higher is better"
        f"{' - QUICK RUN' if meta['quick'] else ''}\n{meta['python']}, {meta['cpu']} "
        f"({meta['cpus']} CPUs), median of {meta['rounds']} rounds, GC off while timing; N× on "
        "ssecodec bars = paired ratio to httpx-sse (decode) or sse-starlette (encode)",
        fontsize=12,
    )
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    fig.savefig(path, dpi=100)
    plt.close(fig)
